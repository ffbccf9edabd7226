//! The ingest mutation for pipelines: `ingestArticles(articles)` (ingest
//! role; admin too), with the importer's validation and upsert rules.
//!
//! Each item is validated on its own (the rules of an article file's front
//! matter); invalid items are reported with the field and the reason and
//! never block the others. The valid ones are written in ONE transaction with
//! their recompute jobs (`newsgraph_shared::ingest::ingest_records`).

use crate::graphql::errors::{ErrorCode, coded};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use newsgraph_shared::auth::Role;
use newsgraph_shared::format::parse_article_json;
use newsgraph_shared::ingest::{RecordStatus, ingest_records};
use serde::Serialize;

use crate::graphql::auth::Caller;
use crate::graphql::ids::{self, Kind};

/// Most articles one `ingestArticles` call takes.
pub const MAX_INGEST_BATCH: usize = 500;

/// An image of an article or provider.
#[derive(InputObject, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ImageInput {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_cached: Option<bool>,
}

/// The organisation that published an article; `domain` is its identity.
#[derive(InputObject, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ProviderInput {
    pub domain: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<ImageInput>>,
}

/// One article in the Smartable article format (the keys of an article
/// file's front matter). Absent fields never erase stored values.
#[derive(InputObject, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ArticleInput {
    /// The source file name without `.md`; built from date and title when
    /// absent. Ignored on related items.
    #[serde(skip)]
    pub slug: Option<String>,
    pub title: String,
    /// http(s); its normalised form is the article's identity.
    pub web_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[graphql(name = "type")]
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amp_web_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cdn_amp_web_url: Option<String>,
    /// ISO 8601 / RFC 3339 (`2026-11-20T10:00:00Z`), as in article files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Opaque; stored as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secured: Option<String>,
    /// A tombstone: the source withdrew the article (never published).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<bool>,
    /// The source's own quality (kept apart from ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<i32>,
    /// The source's own heat (kept apart from ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heat: Option<i32>,
    /// The source's own flag (kept apart from ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<ImageInput>>,
    /// Topic names, in order; topics are created on first sight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topics: Option<Vec<String>>,
    /// Related coverage, stored as articles and linked in order (their own
    /// `related` lists are ignored, as in article files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<Vec<ArticleInput>>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum IngestStatus {
    /// A new article.
    Created,
    /// A stored article changed.
    Updated,
    /// Nothing new: nothing written, no job queued.
    Unchanged,
    /// Invalid: see `field` and `reason`; nothing of this item was written.
    Error,
}

/// The outcome of one item, in input order.
#[derive(SimpleObject, Debug)]
pub struct IngestResult {
    /// The item's position in `articles`.
    pub index: i32,
    pub status: IngestStatus,
    /// The article's global id (not for errors).
    pub article_id: Option<ID>,
    /// The article's identity: its normalised web URL (not for errors).
    pub canonical_url: Option<String>,
    /// For errors: the field's path within the item (`webUrl`,
    /// `related[0].provider.domain`).
    pub field: Option<String>,
    /// For errors: what is wrong.
    pub reason: Option<String>,
}

/// What `ingestArticles` did.
#[derive(SimpleObject, Debug)]
pub struct IngestArticlesPayload {
    pub results: Vec<IngestResult>,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub failed: i32,
    /// Recompute jobs queued in the batch's transaction.
    pub jobs_enqueued: i32,
}

#[derive(Default)]
pub struct IngestMutation;

#[Object]
impl IngestMutation {
    /// Upserts articles by their canonical URL under the importer's rules
    /// (ingest role; admin too). At most 500 per call (more:
    /// `BAD_USER_INPUT`); keep the request under the server's body limit.
    /// Invalid items come back as `ERROR` and never block the valid ones,
    /// which are written in one transaction with their recompute jobs.
    async fn ingest_articles(
        &self,
        ctx: &Context<'_>,
        articles: Vec<ArticleInput>,
    ) -> async_graphql::Result<IngestArticlesPayload> {
        let principal = Caller::of(ctx).require(Role::Ingest)?;
        if articles.len() > MAX_INGEST_BATCH {
            return Err(coded(
                ErrorCode::BadUserInput,
                format!("at most {MAX_INGEST_BATCH} articles per call, not {}", articles.len()),
            ));
        }
        let mut results: Vec<IngestResult> = Vec::with_capacity(articles.len());
        let mut valid = Vec::with_capacity(articles.len());
        let mut valid_at = Vec::with_capacity(articles.len());
        for (index, input) in articles.into_iter().enumerate() {
            let parsed = serde_json::to_value(&input)
                .map_err(|e| newsgraph_shared::format::ParseError::new("article", e.to_string()))
                .and_then(|value| parse_article_json(&value, input.slug.clone().filter(|s| !s.trim().is_empty())));
            let index = i32::try_from(index).unwrap_or(i32::MAX);
            match parsed {
                Ok(record) => {
                    valid_at.push(results.len());
                    results.push(IngestResult {
                        index,
                        status: IngestStatus::Unchanged,
                        article_id: None,
                        canonical_url: Some(record.canonical_url.clone()),
                        field: None,
                        reason: None,
                    });
                    valid.push(record);
                }
                Err(error) => results.push(IngestResult {
                    index,
                    status: IngestStatus::Error,
                    article_id: None,
                    canonical_url: None,
                    field: Some(error.field),
                    reason: Some(error.reason),
                }),
            }
        }
        let pool = crate::graphql::db::request(ctx).exec();
        let outcome = ingest_records(pool, valid).await.map_err(|error| {
            tracing::error!(%error, "ingest batch failed");
            match error {
                newsgraph_shared::ingest::IngestError::Database(error) => crate::graphql::errors::database_error(error),
                _ => coded(ErrorCode::Internal, "internal error"),
            }
        })?;
        for (at, record) in valid_at.into_iter().zip(&outcome.records) {
            let result = &mut results[at];
            result.article_id = Some(ids::encode(Kind::Article, record.article_id));
            result.status = match record.status {
                RecordStatus::Created => IngestStatus::Created,
                RecordStatus::Updated => IngestStatus::Updated,
                RecordStatus::Unchanged => IngestStatus::Unchanged,
            };
        }
        let count = |status| results.iter().filter(|r| r.status == status).count() as i32;
        let payload = IngestArticlesPayload {
            created: count(IngestStatus::Created),
            updated: count(IngestStatus::Updated),
            unchanged: count(IngestStatus::Unchanged),
            failed: count(IngestStatus::Error),
            jobs_enqueued: i32::try_from(outcome.jobs_enqueued).unwrap_or(i32::MAX),
            results,
        };
        tracing::info!(
            token_name = %principal.name,
            created = payload.created,
            updated = payload.updated,
            unchanged = payload.unchanged,
            failed = payload.failed,
            "articles ingested"
        );
        Ok(payload)
    }
}
