//! Topics: by key, the tree, and visible-article counts (with descendants).

use std::collections::HashMap;

use crate::freshness::Dependency;
use crate::graphql::db::RequestContext;
use crate::graphql::errors::Result;

/// The topic columns every topic query selects, on the alias `t`.
macro_rules! topic_columns {
    () => {
        "t.topic_id, t.slug, t.name, t.short_name, t.parent_topic_id, t.keywords, t.hashtags, t.images, \
         t.highlight_text_color, t.highlight_background_color"
    };
}
pub(crate) use topic_columns;

#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct TopicRow {
    pub topic_id: i64,
    pub slug: String,
    pub name: String,
    pub short_name: Option<String>,
    pub parent_topic_id: Option<i64>,
    pub keywords: Vec<String>,
    pub hashtags: Vec<String>,
    pub images: Vec<String>,
    pub highlight_text_color: Option<String>,
    pub highlight_background_color: Option<String>,
}

pub async fn by_ids(rc: &RequestContext, ids: &[i64]) -> Result<Vec<TopicRow>> {
    Ok(sqlx::query_as(concat!(
        "select ",
        topic_columns!(),
        " from topic t where t.topic_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(rc.exec())
    .await?)
}

pub async fn by_slug(rc: &RequestContext, slug: &str) -> Result<Option<TopicRow>> {
    Ok(
        sqlx::query_as(concat!("select ", topic_columns!(), " from topic t where t.slug = $1"))
            .bind(slug)
            .fetch_optional(rc.exec())
            .await?,
    )
}

/// Topics without a parent, by name.
pub async fn roots(rc: &RequestContext) -> Result<Vec<TopicRow>> {
    Ok(sqlx::query_as(concat!(
        "select ",
        topic_columns!(),
        " from topic t where t.parent_topic_id is null order by t.name, t.topic_id"
    ))
    .fetch_all(rc.exec())
    .await?)
}

/// Children of each topic, by name.
pub async fn children(rc: &RequestContext, ids: &[i64]) -> Result<Vec<TopicRow>> {
    Ok(sqlx::query_as(concat!(
        "select ",
        topic_columns!(),
        " from topic t where t.parent_topic_id = any($1) order by t.name, t.topic_id"
    ))
    .bind(ids)
    .fetch_all(rc.exec())
    .await?)
}

/// Visible articles of each topic or of its descendants (each counted once).
pub async fn article_counts(rc: &RequestContext, ids: &[i64]) -> Result<HashMap<i64, i64>> {
    rc.depends_on(ids.iter().copied().map(Dependency::Topic));
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "with recursive d(root, topic_id) as (
             select topic_id, topic_id from topic where topic_id = any($1)
             union
             select d.root, c.topic_id from topic c join d on c.parent_topic_id = d.topic_id
         )
         select d.root, count(distinct at.article_id)
         from d join article_topic at on at.topic_id = d.topic_id
         join article_with_state a on a.article_id = at.article_id
         where ($2 or a.published)
         group by d.root",
    )
    .bind(ids)
    .bind(rc.viewer().all_articles_flag())
    .fetch_all(rc.exec())
    .await?;
    Ok(rows.into_iter().collect())
}
