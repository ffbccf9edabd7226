//! The `Provider` type and the provider queries.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};

use crate::graphql::cursor::{Cursor, SortKey, SortValue};
use crate::graphql::db::request;
use crate::graphql::errors::Result;
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::ProviderSet;
use crate::graphql::schema::connection::{ArticleConnection, PageArgs, PageInfo, article_feed, page_complexity};
use crate::graphql::schema::filter::{ArticleFilter, ArticleOrder};
use crate::sql;
use crate::sql::feed::ProviderRef;
use crate::sql::provider::ProviderRow;

/// The organisation that published articles, one per domain.
#[derive(Clone)]
pub struct Provider {
    pub(crate) row: Arc<ProviderRow>,
    pub(crate) set: Arc<ProviderSet>,
}

#[derive(SimpleObject)]
pub struct ProviderImage {
    pub url: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
}

#[Object]
impl Provider {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Provider, self.row.provider_id)
    }
    async fn domain(&self) -> &str {
        &self.row.domain
    }
    async fn name(&self) -> &str {
        &self.row.name
    }
    /// Logos as the source shipped them.
    async fn images(&self) -> Vec<ProviderImage> {
        let Some(list) = self.row.images.as_array() else {
            return Vec::new();
        };
        let int =
            |v: &serde_json::Value, k: &str| v.get(k).and_then(|n| n.as_i64()).and_then(|n| i32::try_from(n).ok());
        list.iter()
            .filter_map(|image| {
                Some(ProviderImage {
                    url: image.get("url")?.as_str()?.to_string(),
                    width: int(image, "width"),
                    height: int(image, "height"),
                })
            })
            .collect()
    }
    async fn article_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let map = self.set.article_counts(request(ctx)).await?;
        Ok(map.get(&self.row.provider_id).copied().unwrap_or(0))
    }
    /// The provider's articles.
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
        filter.providers.insert(0, ProviderRef::Id(self.row.provider_id));
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        article_feed(ctx, filter, ArticleOrder::sort(order_by), args).await
    }
}

#[derive(SimpleObject)]
pub struct ProviderEdge {
    pub cursor: String,
    pub node: Provider,
}

/// Providers by domain.
pub struct ProviderConnection {
    edges: Vec<ProviderEdge>,
    page_info: PageInfo,
}

#[Object]
impl ProviderConnection {
    async fn edges(&self) -> &[ProviderEdge] {
        &self.edges
    }
    async fn nodes(&self) -> Vec<&Provider> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        sql::provider::count(request(ctx)).await
    }
}

/// Provider queries of the root.
#[derive(Default)]
pub struct ProviderQuery;

#[Object]
impl ProviderQuery {
    async fn provider(&self, ctx: &Context<'_>, domain: String) -> Result<Option<Provider>> {
        let domain = domain.trim().to_ascii_lowercase();
        let row = sql::provider::by_domain(request(ctx), &domain).await?;
        Ok(row.map(|row| ProviderSet::wrap(vec![row]).remove(0)))
    }

    /// All providers, by domain.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn providers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ProviderConnection> {
        let page = PageArgs {
            first,
            after,
            last,
            before,
        }
        .resolve()?;
        let cursor = page
            .cursor
            .as_deref()
            .map(|c| Cursor::decode(c, SortKey::Domain))
            .transpose()?;
        let mut rows = sql::provider::page(request(ctx), cursor.as_ref(), page.backward, page.size + 1).await?;
        let more = rows.len() as i64 > page.size;
        rows.truncate(page.size as usize);
        if page.backward {
            rows.reverse();
        }
        let edges: Vec<ProviderEdge> = ProviderSet::wrap(rows)
            .into_iter()
            .map(|node| ProviderEdge {
                cursor: Cursor {
                    key: SortKey::Domain,
                    value: SortValue::Text(node.row.domain.clone()),
                    id: node.row.provider_id,
                }
                .encode(),
                node,
            })
            .collect();
        let (has_next_page, has_previous_page) = match page.backward {
            false => (more, cursor.is_some()),
            true => (cursor.is_some(), more),
        };
        let page_info = PageInfo {
            has_next_page,
            has_previous_page,
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        };
        Ok(ProviderConnection { edges, page_info })
    }
}
