//! The `Article` type and the article queries.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Json, Lookahead, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::graphql::db::request;
use crate::graphql::errors::{ApiError, Result};
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::ArticleSet;
use crate::graphql::schema::connection::{ArticleConnection, PageArgs, article_feed, page_complexity};
use crate::graphql::schema::filter::{ArticleFilter, ArticleOrder};
use crate::graphql::schema::provider::Provider;
use crate::graphql::schema::topic::Topic;
use crate::sql;
use crate::sql::article::{ArticleRow, Embed, ImageRow};
use crate::sql::feed::Sort;

/// A news article: the source's fields, our scores and publication state,
/// and its relations.
#[derive(Clone)]
pub struct Article {
    pub(crate) row: Arc<ArticleRow>,
    pub(crate) set: Arc<ArticleSet>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct ArticleImage {
    pub url: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub is_cached: Option<bool>,
}

impl From<ImageRow> for ArticleImage {
    fn from(row: ImageRow) -> Self {
        Self {
            url: row.url,
            width: row.width,
            height: row.height,
            is_cached: row.is_cached,
        }
    }
}

/// The values the source shipped, kept apart from ours.
#[derive(SimpleObject)]
pub struct SourceScores {
    pub quality: Option<i32>,
    pub heat: Option<i32>,
    pub published: Option<bool>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum PublicationDecider {
    /// The automatic rule, applied by the worker.
    Worker,
    /// An editor's override.
    Editor,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum PublicationOverride {
    Publish,
    Unpublish,
}

/// Who decided whether the article is published, and how.
#[derive(SimpleObject)]
pub struct Publication {
    pub published: bool,
    pub decided_by: PublicationDecider,
    /// The editor's override, while one holds.
    #[graphql(name = "override")]
    pub override_: Option<PublicationOverride>,
    /// The editor's reason (editors only).
    pub reason: Option<String>,
    /// The editor who set the override (editors only).
    pub editor: Option<String>,
    /// When the override was set.
    pub at: Option<DateTime<Utc>>,
    /// When the worker last computed scores and the automatic decision.
    pub scored_at: Option<DateTime<Utc>>,
    /// Every rule that holds the article back automatically, such as
    /// "not the lead: <slug> has quality 185" (editors only; empty when the
    /// rules alone would publish it, null until scored).
    pub automatic_reasons: Option<Vec<String>>,
}

#[Object]
impl Article {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Article, self.row.article_id)
    }
    /// The source file name (or date + title for related-only articles).
    async fn slug(&self) -> &str {
        &self.row.slug
    }
    /// The normalised web URL: the article's identity.
    async fn canonical_url(&self) -> &str {
        &self.row.canonical_url
    }
    async fn category(&self) -> Option<&str> {
        self.row.category.as_deref()
    }
    #[graphql(name = "type")]
    async fn kind(&self) -> Option<&str> {
        self.row.kind.as_deref()
    }
    async fn title(&self) -> &str {
        &self.row.title
    }
    async fn excerpt(&self) -> Option<&str> {
        self.row.excerpt.as_deref()
    }
    async fn original_url(&self) -> Option<&str> {
        self.row.original_url.as_deref()
    }
    async fn web_url(&self) -> &str {
        &self.row.web_url
    }
    async fn amp_url(&self) -> Option<&str> {
        self.row.amp_url.as_deref()
    }
    async fn cdn_amp_url(&self) -> Option<&str> {
        self.row.cdn_amp_url.as_deref()
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.row.published_at
    }
    /// The source's update time.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.row.source_updated_at
    }
    async fn locale(&self) -> Option<&str> {
        self.row.locale.as_deref()
    }
    /// The source's opaque `secured` value, as received.
    async fn secured(&self) -> Option<&str> {
        self.row.secured.as_deref()
    }
    /// A tombstone: the source removed the article (never published).
    async fn removed(&self) -> bool {
        self.row.removed
    }
    /// The scores and flag the source shipped.
    async fn source(&self) -> SourceScores {
        SourceScores {
            quality: self.row.source_quality,
            heat: self.row.source_heat,
            published: self.row.source_published,
        }
    }
    /// Our quality score (null until scored).
    async fn quality(&self) -> Option<i32> {
        self.row.quality
    }
    /// Our heat score: -1 while unpublished, null until scored.
    async fn heat(&self) -> Option<i32> {
        self.row.heat
    }
    async fn published(&self) -> bool {
        self.row.published
    }
    async fn publication(&self, ctx: &Context<'_>) -> Result<Publication> {
        let rc = request(ctx);
        let detail = rc.viewer().sees_editorial_detail();
        let row = &self.row;
        let automatic_reasons = match detail {
            false => None,
            true => self.set.breakdowns(rc).await?.get(&row.article_id).map(|breakdown| {
                let reasons = breakdown.pointer("/publication/reasons").and_then(|r| r.as_array());
                let reasons = reasons.into_iter().flatten().filter_map(|r| r.as_str());
                reasons.map(str::to_string).collect()
            }),
        };
        Ok(Publication {
            published: row.published,
            decided_by: match row.published_by.as_str() {
                "editor" => PublicationDecider::Editor,
                _ => PublicationDecider::Worker,
            },
            override_: match row.editor_override.as_deref() {
                Some("publish") => Some(PublicationOverride::Publish),
                Some("unpublish") => Some(PublicationOverride::Unpublish),
                _ => None,
            },
            reason: row.override_reason.clone().filter(|_| detail),
            editor: row.override_editor.clone().filter(|_| detail),
            at: row.override_at,
            scored_at: row.scored_at,
            automatic_reasons,
        })
    }
    /// The stored quality/heat breakdown (editors only; null for others).
    async fn score_breakdown(&self, ctx: &Context<'_>) -> Result<Option<Json<serde_json::Value>>> {
        let rc = request(ctx);
        if !rc.viewer().sees_editorial_detail() {
            return Ok(None);
        }
        let map = self.set.breakdowns(rc).await?;
        Ok(map.get(&self.row.article_id).cloned().map(Json))
    }
    /// The article's audit log, newest first (editors only:
    /// `UNAUTHENTICATED` / `FORBIDDEN` for others). One statement per
    /// article: meant for an article page, not for long lists.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 500) as usize * child_complexity + 10")]
    async fn editorial_history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<crate::graphql::schema::editorial::EditorialEventConnection> {
        crate::graphql::schema::editorial::history(ctx, Some(self.row.article_id), first, after).await
    }
    /// Bumped by every change of the stored record.
    async fn version(&self) -> i64 {
        self.row.version
    }
    /// When newsgraph first stored the article.
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// When newsgraph last changed the stored record.
    async fn modified_at(&self) -> DateTime<Utc> {
        self.row.updated_at
    }
    async fn provider(&self, ctx: &Context<'_>) -> Result<Option<&Provider>> {
        let Some(id) = self.row.provider_id else {
            return Ok(None);
        };
        Ok(self.set.providers(request(ctx)).await?.get(&id))
    }
    /// Images in source order.
    async fn images(&self, ctx: &Context<'_>) -> Result<&[ArticleImage]> {
        let map = self.set.images(request(ctx)).await?;
        Ok(map.get(&self.row.article_id).map_or(&[], Vec::as_slice))
    }
    /// Topics in source order.
    async fn topics(&self, ctx: &Context<'_>) -> Result<&[Topic]> {
        let map = self.set.topics(request(ctx)).await?;
        Ok(map.get(&self.row.article_id).map_or(&[], Vec::as_slice))
    }
    /// Related coverage, in source order.
    #[graphql(complexity = "5 * child_complexity")]
    async fn related(&self, ctx: &Context<'_>) -> Result<&[Article]> {
        let embed = embed_for(&ctx.look_ahead());
        let map = self.set.related(request(ctx), embed).await?;
        Ok(map.get(&self.row.article_id).map_or(&[], Vec::as_slice))
    }
    /// The published article that leads this article's coverage group (its
    /// related articles, in either direction): the best-rated of them,
    /// itself on a tie. Itself when it leads; null when none of the group is
    /// published. A held-back article's page links here.
    async fn lead(&self, ctx: &Context<'_>) -> Result<Option<&Article>> {
        let map = self.set.leads(request(ctx)).await?;
        Ok(map.get(&self.row.article_id))
    }
    /// Articles that list this one as related, newest first (at most 100).
    #[graphql(complexity = "10 * child_complexity")]
    async fn related_by(&self, ctx: &Context<'_>) -> Result<&[Article]> {
        let map = self.set.related_by(request(ctx)).await?;
        Ok(map.get(&self.row.article_id).map_or(&[], Vec::as_slice))
    }
}

/// What to load with articles whose fields are `selection`: the relations
/// it asks for that one statement can carry (`Embed`).
pub(crate) fn embed_for(selection: &Lookahead<'_>) -> Embed {
    Embed {
        provider: selection.field("provider").exists(),
        images: selection.field("images").exists(),
        topics: selection.field("topics").exists(),
    }
}

/// Article queries of the root.
#[derive(Default)]
pub struct ArticleQuery;

#[Object]
impl ArticleQuery {
    /// One article by exactly one of: global id, slug, URL (any URL whose
    /// canonical form is the article's web or AMP URL).
    async fn article(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
        url: Option<String>,
    ) -> Result<Option<Article>> {
        let rc = request(ctx);
        let embed = embed_for(&ctx.look_ahead());
        let row = match (id, slug, url) {
            (Some(id), None, None) => {
                let id = ids::decode_as(&id, Kind::Article)?;
                sql::article::by_ids(rc, &[id], embed).await?.pop()
            }
            (None, Some(slug), None) => sql::article::by_slug(rc, &slug, embed).await?,
            (None, None, Some(url)) => {
                let key = newsgraph_shared::urls::canonical_key(&url)
                    .map_err(|e| ApiError::bad_input(format!("`url`: {e}")))?;
                sql::article::by_url_key(rc, &key, embed).await?
            }
            _ => return Err(ApiError::bad_input("give exactly one of `id`, `slug`, `url`")),
        };
        Ok(row.map(|row| ArticleSet::wrap(vec![row]).remove(0)))
    }

    /// Articles, filtered and ordered (newest first by default).
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
        let filter = filter.unwrap_or_default().into_feed()?;
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        article_feed(ctx, filter, ArticleOrder::sort(order_by), args).await
    }

    /// Full-text search over title (weighted higher) and excerpt, best match
    /// first. `query` uses web search syntax.
    #[graphql(complexity = "page_complexity(first, None, child_complexity)")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        filter: Option<ArticleFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ArticleConnection> {
        if query.trim().is_empty() {
            return Err(ApiError::bad_input("`query` is empty"));
        }
        let filter = filter.unwrap_or_default().into_feed()?;
        let args = PageArgs {
            first,
            after,
            ..Default::default()
        };
        article_feed(ctx, filter, Sort::Rank(query), args).await
    }
}
