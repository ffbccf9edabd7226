//! The `Topic` type and the topic queries.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};

use crate::graphql::db::request;
use crate::graphql::errors::Result;
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::TopicSet;
use crate::graphql::schema::connection::{ArticleConnection, PageArgs, article_feed, page_complexity};
use crate::graphql::schema::filter::{ArticleFilter, ArticleOrder};
use crate::sql;
use crate::sql::feed::TopicRef;
use crate::sql::topic::TopicRow;

/// A topic of the tree (World > Climate ...).
#[derive(Clone)]
pub struct Topic {
    pub(crate) row: Arc<TopicRow>,
    pub(crate) set: Arc<TopicSet>,
}

/// How feeds highlight a topic.
#[derive(SimpleObject)]
pub struct TopicHighlight {
    /// The label to show: the short name, else the name.
    pub text: String,
    pub text_color: Option<String>,
    pub background_color: Option<String>,
}

#[Object]
impl Topic {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Topic, self.row.topic_id)
    }
    async fn slug(&self) -> &str {
        &self.row.slug
    }
    async fn name(&self) -> &str {
        &self.row.name
    }
    async fn short_name(&self) -> Option<&str> {
        self.row.short_name.as_deref()
    }
    async fn keywords(&self) -> &[String] {
        &self.row.keywords
    }
    async fn hashtags(&self) -> &[String] {
        &self.row.hashtags
    }
    /// Image URLs.
    async fn images(&self) -> &[String] {
        &self.row.images
    }
    /// Highlight colours; null when the topic has none.
    async fn highlight(&self) -> Option<TopicHighlight> {
        let row = &self.row;
        if row.highlight_text_color.is_none() && row.highlight_background_color.is_none() {
            return None;
        }
        Some(TopicHighlight {
            text: row.short_name.clone().unwrap_or_else(|| row.name.clone()),
            text_color: row.highlight_text_color.clone(),
            background_color: row.highlight_background_color.clone(),
        })
    }
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<&Topic>> {
        let Some(parent) = self.row.parent_topic_id else {
            return Ok(None);
        };
        Ok(self.set.parents(request(ctx)).await?.get(&parent))
    }
    /// Direct children, by name.
    async fn children(&self, ctx: &Context<'_>) -> Result<&[Topic]> {
        let map = self.set.children(request(ctx)).await?;
        Ok(map.get(&self.row.topic_id).map_or(&[], Vec::as_slice))
    }
    async fn child_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(self.children(ctx).await?.len() as i32)
    }
    /// Articles in this topic or below it (what `articles` lists).
    async fn article_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let map = self.set.article_counts(request(ctx)).await?;
        Ok(map.get(&self.row.topic_id).copied().unwrap_or(0))
    }
    /// The topic's feed: articles in this topic or any topic below it.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        filter: Option<ArticleFilter>,
        order_by: Option<ArticleOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ArticleConnection> {
        let mut filter = filter.unwrap_or_default().into_feed()?;
        filter.topics.insert(0, TopicRef::Id(self.row.topic_id));
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        article_feed(ctx, filter, ArticleOrder::sort(order_by), args).await
    }
}

/// Topic queries of the root.
#[derive(Default)]
pub struct TopicQuery;

#[Object]
impl TopicQuery {
    async fn topic(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Topic>> {
        let row = sql::topic::by_slug(request(ctx), &slug).await?;
        Ok(row.map(|row| TopicSet::wrap(vec![row]).remove(0)))
    }

    /// The roots of the topic tree, by name; their `children` go on down.
    async fn topics(&self, ctx: &Context<'_>) -> Result<Vec<Topic>> {
        Ok(TopicSet::wrap(sql::topic::roots(request(ctx)).await?))
    }
}
