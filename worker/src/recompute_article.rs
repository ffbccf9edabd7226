//! Job: recompute one article, and queue its related articles when its
//! publication state changed (their coverage changed with it). Jobs running
//! at the same time share one recompute (`coalesce.rs`).

use apalis::prelude::*;
use newsgraph_shared::jobs::RecomputeArticle;

use crate::coalesce::{Coalescer, Scored};
use crate::telemetry::{RunnableSince, observe};

/// The payload arrives as raw JSON: a payload that does not fit the job
/// type must not stop the worker, so it is decoded here, logged and dropped.
pub async fn handle(
    payload: serde_json::Value,
    coalescer: Data<Coalescer>,
    since: RunnableSince,
    attempt: Attempt,
) -> Result<(), BoxDynError> {
    observe("recompute_article", since, &attempt, run(payload, coalescer)).await
}

#[tracing::instrument(name = "recompute_article", skip_all, fields(article_id))]
async fn run(payload: serde_json::Value, coalescer: Data<Coalescer>) -> Result<(), BoxDynError> {
    let job: RecomputeArticle = match serde_json::from_value(payload.clone()) {
        Ok(job) => job,
        Err(error) => {
            tracing::error!(%error, %payload, "undecodable recompute job dropped");
            return Ok(());
        }
    };
    tracing::Span::current().record("article_id", job.article_id);
    if coalescer.recompute(job.article_id).await? == Scored::Missing {
        tracing::warn!(
            article_id = job.article_id,
            "article no longer exists; nothing to recompute"
        );
    }
    Ok(())
}
