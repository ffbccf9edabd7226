//! Legacy compatibility: the Smartable JSON API pages, served from our data
//! so existing Smartable clients can switch without change.
//!
//! - `GET /api/news/page/{n}/index.json`: every published article;
//! - `GET /api/news/{topic}/page/{n}/index.json`: published articles of the
//!   topic and of the topics below it.
//!
//! Pages hold [`PAGE_SIZE`] articles, newest first; `nextPage` is `n + 1`
//! while more articles follow and `null` on the last page. Page 1 of a known
//! topic always exists (possibly empty); an unknown topic, a page past the
//! end and a page number that is not a whole number from 1 are `404` with a
//! JSON error body.

use crate::sql::legacy as query;
mod shape;

use crate::graphql::errors::ErrorCode;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sqlx::PgPool;

pub use crate::sql::legacy::Feed;
pub use shape::Page;

/// Articles per page, as on Smartable's pages.
pub const PAGE_SIZE: u32 = 30;

/// Environment variable naming the time zone of `publishedDateTime`.
pub const TIME_ZONE_ENV: &str = "NEWSGRAPH_LEGACY_TIME_ZONE";

/// Smartable wrote its times in Pacific time (`2021-04-06T12:30:00-07:00`).
pub const DEFAULT_TIME_ZONE: &str = "America/Los_Angeles";

/// How the legacy pages are rendered.
#[derive(Debug, Clone)]
pub struct LegacyConfig {
    /// PostgreSQL time zone name for `publishedDateTime`/`updatedDateTime`.
    pub time_zone: String,
}

impl Default for LegacyConfig {
    fn default() -> Self {
        Self {
            time_zone: DEFAULT_TIME_ZONE.to_string(),
        }
    }
}

impl LegacyConfig {
    /// Reads [`TIME_ZONE_ENV`]; unset or empty means [`DEFAULT_TIME_ZONE`].
    pub fn from_env() -> Self {
        match std::env::var(TIME_ZONE_ENV) {
            Ok(zone) if !zone.trim().is_empty() => Self {
                time_zone: zone.trim().to_string(),
            },
            _ => Self::default(),
        }
    }

    /// Fails when PostgreSQL does not know the time zone: call it at start-up
    /// so a typo refuses the start instead of failing every page.
    pub async fn check(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        crate::sql::probes::check_time_zone(pool, &self.time_zone).await
    }
}

#[derive(Clone)]
struct LegacyState {
    pool: PgPool,
    config: LegacyConfig,
}

/// The legacy routes, with their own state: merge them into any router
/// (`router.merge(legacy::routes(pool, config))`).
pub fn routes<S>(pool: PgPool, config: LegacyConfig) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/api/news/page/{page}/index.json", get(all_page))
        .route("/api/news/{topic}/page/{page}/index.json", get(topic_page))
        .with_state(LegacyState { pool, config })
}

async fn all_page(State(state): State<LegacyState>, Path(page): Path<String>) -> Response {
    respond(&state, Feed::All, &page).await
}

async fn topic_page(State(state): State<LegacyState>, Path((topic, page)): Path<(String, String)>) -> Response {
    respond(&state, Feed::Topic(&topic), &page).await
}

async fn respond(state: &LegacyState, feed: Feed<'_>, page: &str) -> Response {
    match load_page(&state.pool, feed, page, &state.config.time_zone).await {
        Ok(page) => match serde_json::to_vec(&page) {
            Ok(body) => ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], body).into_response(),
            Err(error) => internal(&error),
        },
        Err(LegacyError::NotFound(message)) => error_response(StatusCode::NOT_FOUND, ErrorCode::NotFound, &message),
        Err(LegacyError::Database(error)) if crate::graphql::errors::is_unavailable(&error) => {
            tracing::warn!(%error, "legacy page: the database is unavailable");
            let mut response = error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ServiceUnavailable,
                crate::graphql::errors::UNAVAILABLE_MESSAGE,
            );
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
            response
        }
        Err(LegacyError::Database(error)) => internal(&error),
    }
}

#[derive(Debug)]
enum LegacyError {
    NotFound(String),
    Database(sqlx::Error),
}

impl From<sqlx::Error> for LegacyError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(error)
    }
}

/// Builds page `page` of `feed`: one statement for the page, plus one to
/// check the topic when the page comes back empty.
pub async fn build_page(
    pool: &PgPool,
    feed: Feed<'_>,
    page: u32,
    time_zone: &str,
) -> Result<Option<Page>, sqlx::Error> {
    let offset = i64::from(page.saturating_sub(1)) * i64::from(PAGE_SIZE);
    // one more than a page: tells whether a next page exists
    let mut rows = query::page_items(pool, feed, offset, i64::from(PAGE_SIZE) + 1, time_zone).await?;
    let more = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    if rows.is_empty() {
        let known = match feed {
            Feed::All => true,
            Feed::Topic(slug) => query::topic_exists(pool, slug).await?,
        };
        if !known || page > 1 {
            return Ok(None);
        }
    }
    Ok(Some(Page {
        page,
        value: rows.into_iter().map(shape::Item::from).collect(),
        next_page: more.then(|| page + 1),
    }))
}

async fn load_page(pool: &PgPool, feed: Feed<'_>, page: &str, time_zone: &str) -> Result<Page, LegacyError> {
    let number = page
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1 && *n < u32::MAX)
        .ok_or_else(|| LegacyError::NotFound(format!("no page {page:?}: pages are numbered from 1")))?;
    build_page(pool, feed, number, time_zone).await?.ok_or_else(|| {
        LegacyError::NotFound(match feed {
            Feed::Topic(slug) => format!("no page {number} of topic {slug:?}"),
            Feed::All => format!("no page {number}"),
        })
    })
}

fn internal(error: &dyn std::error::Error) -> Response {
    tracing::error!(error = %error, "legacy page failed");
    error_response(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal error")
}

/// `{"error": {"code": "NOT_FOUND", "message": "..."}}`, codes as in GraphQL's
/// `extensions.code`.
fn error_response(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "code": code.as_str(), "message": message } });
    (status, axum::Json(body)).into_response()
}
