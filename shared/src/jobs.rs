//! Job payloads and their queues, and enqueueing inside a caller's
//! transaction so that a write and its job commit (or roll back) together.

use apalis::prelude::TaskBuilder;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

/// Queue of single-article recompute jobs.
pub const RECOMPUTE_ARTICLE_QUEUE: &str = "newsgraph.recompute-article";

/// Queue of batch recompute jobs (ranges of article ids).
pub const RECOMPUTE_BATCH_QUEUE: &str = "newsgraph.recompute-batch";

/// How often a failing job is tried before it stays `Failed`.
pub const MAX_ATTEMPTS: usize = 8;

/// Recompute one article's quality, heat and publication state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecomputeArticle {
    pub article_id: i64,
}

/// Recompute every article whose id lies in `from_id..=to_id`, set-based;
/// with `published_since`, only the published articles of that window among
/// them (a heat refresh: its ranges are cut by window articles, and may span
/// many ids of older ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecomputeBatch {
    pub from_id: i64,
    pub to_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_since: Option<DateTime<Utc>>,
}

/// Reads the transaction's `now()` as the jobs' `run_at` (see below).
async fn transaction_now(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let now: i64 = sqlx::query_scalar("select floor(extract(epoch from now()))::bigint")
        .fetch_one(&mut *conn)
        .await?;
    Ok(u64::try_from(now).unwrap_or_default())
}

async fn push(conn: &mut PgConnection, queue: &str, payloads: Vec<Vec<u8>>) -> Result<usize, sqlx::Error> {
    if payloads.is_empty() {
        return Ok(0);
    }
    let run_at = transaction_now(conn).await?;
    let count = payloads.len();
    let tasks = payloads
        .into_iter()
        .map(|payload| {
            TaskBuilder::new(payload)
                .run_at_timestamp(run_at)
                .max_attempts(MAX_ATTEMPTS)
                .build()
        })
        .collect();
    apalis_postgres::queries::push_tasks(conn, queue, tasks)
        .await
        .map_err(|e| match e {
            apalis_postgres::Error::Database(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        })?;
    Ok(count)
}

/// Pushes batch recompute jobs on the caller's connection.
pub async fn enqueue_batches(conn: &mut PgConnection, batches: &[RecomputeBatch]) -> Result<usize, sqlx::Error> {
    let payloads = batches
        .iter()
        .map(|b| serde_json::to_vec(b).expect("a plain struct serialises"))
        .collect();
    push(conn, RECOMPUTE_BATCH_QUEUE, payloads).await
}

/// Pushes one recompute job per article id on the caller's connection
/// (normally an open transaction).
///
/// The queue's NOTIFY trigger compares `run_at` with `now()`, which is the
/// transaction's start time; a job stamped with the wall clock in a
/// transaction that has been open for a while would not wake the workers. So
/// jobs are stamped with the transaction's own `now()`.
pub async fn enqueue_recompute(conn: &mut PgConnection, article_ids: &[i64]) -> Result<usize, sqlx::Error> {
    let payloads = article_ids
        .iter()
        .map(|&article_id| serde_json::to_vec(&RecomputeArticle { article_id }).expect("a plain struct serialises"))
        .collect();
    push(conn, RECOMPUTE_ARTICLE_QUEUE, payloads).await
}
