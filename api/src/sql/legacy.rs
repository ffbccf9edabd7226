//! The SQL of the legacy pages: one statement reads a whole page (articles
//! with provider, images, topics and highlight); a second one runs only when
//! that page is empty, to tell an unknown topic from a page past the end.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use sqlx::PgPool;
use sqlx::types::Json;

/// One article of a page, as the page statement returns it.
#[derive(Debug, sqlx::FromRow)]
pub struct ItemRow {
    pub slug: String,
    pub title: String,
    pub excerpt: Option<String>,
    pub web_url: String,
    pub original_url: Option<String>,
    pub kind: Option<String>,
    pub amp_url: Option<String>,
    pub cdn_amp_url: Option<String>,
    pub published_at: DateTime<Utc>,
    pub published_local: NaiveDateTime,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_local: Option<NaiveDateTime>,
    pub heat: i32,
    pub locale: Option<String>,
    pub category: Option<String>,
    pub provider_name: Option<String>,
    pub provider_domain: Option<String>,
    pub provider_images: Option<Json<Vec<ImageRow>>>,
    pub images: Json<Vec<ImageRow>>,
    pub topics: Vec<String>,
    pub highlight_text: Option<String>,
    pub highlight_text_color: Option<String>,
    pub highlight_background_color: Option<String>,
}

/// An image as `article_image` rows are aggregated and as `provider.images`
/// stores them.
#[derive(Debug, Deserialize)]
pub struct ImageRow {
    pub url: String,
    #[serde(default)]
    pub width: Option<i32>,
    #[serde(default)]
    pub height: Option<i32>,
    #[serde(default)]
    pub is_cached: Option<bool>,
}

/// Which articles a page lists.
#[derive(Debug, Clone, Copy)]
pub enum Feed<'a> {
    /// Every published article.
    All,
    /// Published articles of this topic or any topic below it.
    Topic(&'a str),
}

/// The columns of one page item over `page a` (the page's articles, in
/// order), with `$4` the time zone. `$1` is the requested topic's slug (null
/// for the whole feed): its highlight wins over the article's other topics'.
macro_rules! item_select {
    () => {
        "select a.slug, a.title, a.excerpt, a.web_url, a.original_url, a.type as kind,
                a.amp_url, a.cdn_amp_url,
                a.published_at, a.published_at at time zone $4 as published_local,
                a.source_updated_at as updated_at, a.source_updated_at at time zone $4 as updated_local,
                coalesce(a.heat, 0) as heat, a.locale, a.category,
                p.name as provider_name, p.domain as provider_domain, p.images as provider_images,
                coalesce((select json_agg(json_build_object('url', i.url, 'width', i.width, 'height', i.height,
                                                            'is_cached', i.is_cached) order by i.position)
                          from article_image i where i.article_id = a.article_id), '[]') as images,
                coalesce((select array_agg(t.name order by x.position)
                          from article_topic x join topic t on t.topic_id = x.topic_id
                          where x.article_id = a.article_id), '{}') as topics,
                h.name as highlight_text, h.highlight_text_color, h.highlight_background_color
         from page a
         left join provider p on p.provider_id = a.provider_id
         left join lateral (
             select t.name, t.highlight_text_color, t.highlight_background_color
             from article_topic x join topic t on t.topic_id = x.topic_id
             where x.article_id = a.article_id
               and (t.highlight_text_color is not null or t.highlight_background_color is not null)
             order by t.slug is not distinct from $1::text desc, x.position
             limit 1) h on true
         order by a.published_at desc, a.article_id desc"
    };
}

/// Newest first; undated articles are left out (every Smartable item had a
/// date, and clients sort and display by it). The order matches the partial
/// index `article_state_time_idx`.
const ALL_PAGE: &str = concat!(
    "with page as (
         select a.* from article_with_state a
         where a.published and a.published_at is not null
         order by a.published_at desc, a.article_id desc
         limit $3 offset $2)
     ",
    item_select!()
);

const TOPIC_PAGE: &str = concat!(
    "with recursive scope (topic_id) as (
         select topic_id from topic where slug = $1
         union
         select t.topic_id from topic t join scope s on t.parent_topic_id = s.topic_id),
     page as (
         select a.* from article_with_state a
         where a.published and a.published_at is not null
           and exists (select 1 from article_topic x
                       where x.article_id = a.article_id and x.topic_id in (select topic_id from scope))
         order by a.published_at desc, a.article_id desc
         limit $3 offset $2)
     ",
    item_select!()
);

/// Reads up to `limit` items starting at `offset`, wall-clock times in
/// `time_zone` (a PostgreSQL zone name).
pub async fn page_items(
    pool: &PgPool,
    feed: Feed<'_>,
    offset: i64,
    limit: i64,
    time_zone: &str,
) -> Result<Vec<ItemRow>, sqlx::Error> {
    let (sql, slug) = match feed {
        Feed::All => (ALL_PAGE, None),
        Feed::Topic(slug) => (TOPIC_PAGE, Some(slug)),
    };
    sqlx::query_as(sql)
        .bind(slug)
        .bind(offset)
        .bind(limit)
        .bind(time_zone)
        .fetch_all(pool)
        .await
}

pub async fn topic_exists(pool: &PgPool, slug: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from topic where slug = $1)")
        .bind(slug)
        .fetch_one(pool)
        .await
}
