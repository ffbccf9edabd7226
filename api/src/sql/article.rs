//! Articles by key, and the batch loads behind article fields: images,
//! topics, related (source order), related-by, leads, score breakdowns.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::freshness::Dependency;
use crate::graphql::db::RequestContext;
use crate::graphql::errors::Result;
use crate::sql::provider::ProviderRow;
use crate::sql::topic::TopicRow;

/// The article columns every article query selects, on the alias `a`.
macro_rules! article_columns {
    () => {
        "a.article_id, a.slug, a.canonical_url, a.category, a.type, a.title, a.excerpt, a.original_url, \
         a.web_url, a.amp_url, a.cdn_amp_url, a.published_at, a.source_updated_at, a.provider_id, a.locale, \
         a.secured, a.removed, a.source_quality, a.source_heat, a.source_published, a.quality, a.heat, \
         a.scored_at, a.published, a.published_by, a.editor_override, a.override_editor, a.override_reason, \
         a.override_at, a.editor_boost, a.version, a.created_at, a.updated_at"
    };
}
pub(crate) use article_columns;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArticleRow {
    pub article_id: i64,
    pub slug: String,
    pub canonical_url: String,
    pub category: Option<String>,
    #[sqlx(rename = "type")]
    pub kind: Option<String>,
    pub title: String,
    pub excerpt: Option<String>,
    pub original_url: Option<String>,
    pub web_url: String,
    pub amp_url: Option<String>,
    pub cdn_amp_url: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub source_updated_at: Option<DateTime<Utc>>,
    pub provider_id: Option<i64>,
    pub locale: Option<String>,
    pub secured: Option<String>,
    pub removed: bool,
    pub source_quality: Option<i32>,
    pub source_heat: Option<i32>,
    pub source_published: Option<bool>,
    pub quality: Option<i32>,
    pub heat: Option<i32>,
    pub scored_at: Option<DateTime<Utc>>,
    pub published: bool,
    pub published_by: String,
    pub editor_override: Option<String>,
    pub override_editor: Option<String>,
    pub override_reason: Option<String>,
    pub override_at: Option<DateTime<Utc>>,
    pub editor_boost: i32,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Full-text rank, selected by searches only.
    #[sqlx(default)]
    pub rank: Option<f32>,
    /// Loads made in the same statement as the row ([`Embed`]), present
    /// (never null) when the statement selected them; `ArticleSet::wrap`
    /// takes them into the set instead of loading them again.
    #[sqlx(default)]
    pub embedded_provider: Option<Json<Option<ProviderRow>>>,
    #[sqlx(default)]
    pub embedded_images: Option<Json<Vec<ImageRow>>>,
    #[sqlx(default)]
    pub embedded_topics: Option<Json<Vec<TopicRow>>>,
}

/// What to load with article rows, in the same statement: the fields the
/// query selects on them (from its look-ahead). A page of articles with
/// their providers, images and topics is then one statement, not four.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Embed {
    pub provider: bool,
    pub images: bool,
    pub topics: bool,
}

impl std::ops::BitOr for Embed {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        Self {
            provider: self.provider || other.provider,
            images: self.images || other.images,
            topics: self.topics || other.topics,
        }
    }
}

impl Embed {
    /// The select-list expressions of the embedded loads, on the alias `a`
    /// (each ending in the column name `ArticleRow` reads).
    pub(crate) fn columns(self) -> String {
        let mut columns = String::new();
        if self.provider {
            columns.push_str(
                ", coalesce((select json_build_object('provider_id', v.provider_id, 'domain', v.domain, \
                 'name', v.name, 'images', v.images) from provider v where v.provider_id = a.provider_id), \
                 'null') as embedded_provider",
            );
        }
        if self.images {
            columns.push_str(
                ", coalesce((select json_agg(json_build_object('article_id', i.article_id, 'url', i.url, \
                 'width', i.width, 'height', i.height, 'is_cached', i.is_cached) order by i.position) \
                 from article_image i where i.article_id = a.article_id), '[]') as embedded_images",
            );
        }
        if self.topics {
            columns.push_str(
                ", coalesce((select json_agg(json_build_object('topic_id', t.topic_id, 'slug', t.slug, \
                 'name', t.name, 'short_name', t.short_name, 'parent_topic_id', t.parent_topic_id, \
                 'keywords', t.keywords, 'hashtags', t.hashtags, 'images', t.images, \
                 'highlight_text_color', t.highlight_text_color, \
                 'highlight_background_color', t.highlight_background_color) order by at.position) \
                 from article_topic at join topic t using (topic_id) where at.article_id = a.article_id), \
                 '[]') as embedded_topics",
            );
        }
        columns
    }
}

/// An article row with the id of the article it hangs off.
#[derive(sqlx::FromRow)]
struct Linked {
    parent_id: i64,
    #[sqlx(flatten)]
    article: ArticleRow,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct ImageRow {
    pub article_id: i64,
    pub url: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub is_cached: Option<bool>,
}

#[derive(sqlx::FromRow)]
struct ArticleTopicRow {
    article_id: i64,
    #[sqlx(flatten)]
    topic: TopicRow,
}

/// `select` of the visible articles matching `condition` (and what follows
/// it), with `embed`'s loads. The visibility rule is written out, not
/// bound, so each viewer kind gets a plan PostgreSQL can keep.
fn visible_articles(rc: &RequestContext, embed: Embed, condition: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!(
        concat!(
            "select ",
            article_columns!(),
            "{} from article_with_state a where {} and {}"
        ),
        embed.columns(),
        rc.viewer().article_predicate(),
        condition
    ))
}

pub async fn by_ids(rc: &RequestContext, ids: &[i64], embed: Embed) -> Result<Vec<ArticleRow>> {
    rc.depends_on(ids.iter().copied().map(Dependency::Article));
    Ok(sqlx::query_as(visible_articles(rc, embed, "a.article_id = any($1)"))
        .bind(ids)
        .fetch_all(rc.exec())
        .await?)
}

pub async fn by_slug(rc: &RequestContext, slug: &str, embed: Embed) -> Result<Option<ArticleRow>> {
    rc.depends_on([Dependency::ArticleSlug(slug.into())]);
    Ok(sqlx::query_as(visible_articles(rc, embed, "a.slug = $1"))
        .bind(slug)
        .fetch_optional(rc.exec())
        .await?)
}

/// By canonical key: the article's own URL key or its AMP URL's key.
pub async fn by_url_key(rc: &RequestContext, key: &str, embed: Embed) -> Result<Option<ArticleRow>> {
    // changes are not looked up by URL key; rare enough to end with any
    rc.depends_on([Dependency::AnyPublication]);
    let condition = "(a.canonical_url = $1 or a.amp_key = $1) order by a.canonical_url = $1 desc, a.article_id limit 1";
    Ok(sqlx::query_as(visible_articles(rc, embed, condition))
        .bind(key)
        .fetch_optional(rc.exec())
        .await?)
}

/// Images of the articles, in order.
pub async fn images(rc: &RequestContext, ids: &[i64]) -> Result<HashMap<i64, Vec<ImageRow>>> {
    let rows: Vec<ImageRow> = sqlx::query_as(
        "select article_id, url, width, height, is_cached from article_image
         where article_id = any($1) order by article_id, position",
    )
    .bind(ids)
    .fetch_all(rc.exec())
    .await?;
    let mut map: HashMap<i64, Vec<ImageRow>> = HashMap::with_capacity(ids.len());
    for row in rows {
        map.entry(row.article_id).or_default().push(row);
    }
    Ok(map)
}

/// Topics of the articles, in source order.
pub async fn topics(rc: &RequestContext, ids: &[i64]) -> Result<Vec<(i64, TopicRow)>> {
    let rows: Vec<ArticleTopicRow> = sqlx::query_as(concat!(
        "select at.article_id, ",
        crate::sql::topic::topic_columns!(),
        " from article_topic at join topic t using (topic_id)
          where at.article_id = any($1) order by at.article_id, at.position"
    ))
    .bind(ids)
    .fetch_all(rc.exec())
    .await?;
    Ok(rows.into_iter().map(|r| (r.article_id, r.topic)).collect())
}

/// The visible related articles of each article, in source order.
pub async fn related(rc: &RequestContext, ids: &[i64], embed: Embed) -> Result<Vec<(i64, ArticleRow)>> {
    rc.depends_on(ids.iter().copied().map(Dependency::Related));
    let sql = format!(
        concat!(
            "select r.article_id as parent_id, ",
            article_columns!(),
            "{} from article_relation r join article_with_state a on a.article_id = r.related_article_id
              where r.article_id = any($1) and {visible}
              order by r.article_id, r.position"
        ),
        embed.columns(),
        visible = rc.viewer().article_predicate()
    );
    let rows: Vec<Linked> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ids)
        .fetch_all(rc.exec())
        .await?;
    Ok(rows.into_iter().map(|r| (r.parent_id, r.article)).collect())
}

/// Most articles listed per article by `relatedBy`.
pub const RELATED_BY_LIMIT: i64 = 100;

/// The visible articles that list each article as related, newest first.
pub async fn related_by(rc: &RequestContext, ids: &[i64]) -> Result<Vec<(i64, ArticleRow)>> {
    rc.depends_on(ids.iter().copied().map(Dependency::Related));
    let rows: Vec<Linked> = sqlx::query_as(concat!(
        "select p.parent_id, x.* from unnest($1::bigint[]) p(parent_id)
         cross join lateral (
             select ",
        article_columns!(),
        " from article_relation r join article_with_state a on a.article_id = r.article_id
             where r.related_article_id = p.parent_id and ($2 or a.published)
             order by a.published_at desc nulls last, a.article_id desc
             limit $3
         ) x"
    ))
    .bind(ids)
    .bind(rc.viewer().all_articles_flag())
    .bind(RELATED_BY_LIMIT)
    .fetch_all(rc.exec())
    .await?;
    Ok(rows.into_iter().map(|r| (r.parent_id, r.article)).collect())
}

/// The lead of each article's coverage group: the best published article
/// among itself and its related articles in either direction (highest
/// quality, the article itself on a tie, then the earliest).
pub async fn leads(rc: &RequestContext, ids: &[i64]) -> Result<Vec<(i64, ArticleRow)>> {
    rc.depends_on(ids.iter().copied().map(Dependency::Related));
    let rows: Vec<Linked> = sqlx::query_as(concat!(
        "select p.parent_id, x.* from unnest($1::bigint[]) p(parent_id)
         cross join lateral (
             select ",
        article_columns!(),
        " from article_with_state a
             where a.published
               and a.article_id in (select p.parent_id
                                    union all select related_article_id from article_relation where article_id = p.parent_id
                                    union all select article_id from article_relation where related_article_id = p.parent_id)
             order by a.quality desc nulls last, a.article_id = p.parent_id desc, a.published_at nulls last, a.article_id
             limit 1
         ) x"
    ))
    .bind(ids)
    .fetch_all(rc.exec())
    .await?;
    Ok(rows.into_iter().map(|r| (r.parent_id, r.article)).collect())
}

/// Score breakdowns (editors only; the caller checks).
pub async fn breakdowns(rc: &RequestContext, ids: &[i64]) -> Result<HashMap<i64, serde_json::Value>> {
    let rows: Vec<(i64, serde_json::Value)> = sqlx::query_as(
        "select article_id, score_breakdown from article_state where article_id = any($1) and score_breakdown is not null",
    )
    .bind(ids)
    .fetch_all(rc.exec())
    .await?;
    Ok(rows.into_iter().collect())
}
