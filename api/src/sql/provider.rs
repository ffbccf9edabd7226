//! Providers: by key, the domain-ordered list, visible-article counts.

use std::collections::HashMap;

use crate::freshness::Dependency;
use crate::graphql::cursor::{Cursor, SortValue};
use crate::graphql::db::RequestContext;
use crate::graphql::errors::Result;

#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct ProviderRow {
    pub provider_id: i64,
    pub domain: String,
    pub name: String,
    /// `[{url, width, height}]` as the source shipped them.
    pub images: serde_json::Value,
}

pub async fn by_ids(rc: &RequestContext, ids: &[i64]) -> Result<Vec<ProviderRow>> {
    Ok(
        sqlx::query_as("select provider_id, domain, name, images from provider where provider_id = any($1)")
            .bind(ids)
            .fetch_all(rc.exec())
            .await?,
    )
}

pub async fn by_domain(rc: &RequestContext, domain: &str) -> Result<Option<ProviderRow>> {
    Ok(
        sqlx::query_as("select provider_id, domain, name, images from provider where domain = $1")
            .bind(domain)
            .fetch_optional(rc.exec())
            .await?,
    )
}

/// One page of providers by domain: `limit` rows strictly after (or, with
/// `backward`, before) the cursor, in scan order.
pub async fn page(
    rc: &RequestContext,
    cursor: Option<&Cursor>,
    backward: bool,
    limit: i64,
) -> Result<Vec<ProviderRow>> {
    let domain = cursor.map(|c| match &c.value {
        SortValue::Text(domain) => domain.as_str(),
        _ => "",
    });
    let query = match backward {
        false => {
            "select provider_id, domain, name, images from provider
             where $1::text is null or domain > $1 order by domain limit $2"
        }
        true => {
            "select provider_id, domain, name, images from provider
             where $1::text is null or domain < $1 order by domain desc limit $2"
        }
    };
    Ok(sqlx::query_as(query)
        .bind(domain)
        .bind(limit)
        .fetch_all(rc.exec())
        .await?)
}

pub async fn count(rc: &RequestContext) -> Result<i64> {
    Ok(sqlx::query_scalar("select count(*) from provider")
        .fetch_one(rc.exec())
        .await?)
}

/// Visible articles of each provider.
pub async fn article_counts(rc: &RequestContext, ids: &[i64]) -> Result<HashMap<i64, i64>> {
    rc.depends_on(ids.iter().copied().map(Dependency::Provider));
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "select a.provider_id, count(*) from article_with_state a
         where a.provider_id = any($1) and ($2 or a.published) group by a.provider_id",
    )
    .bind(ids)
    .bind(rc.viewer().all_articles_flag())
    .fetch_all(rc.exec())
    .await?;
    Ok(rows.into_iter().collect())
}
