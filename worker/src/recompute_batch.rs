//! Job: recompute a range of articles in one set-based pass (rescore-all
//! after a weight change, periodic heat refresh).

use std::sync::Arc;

use apalis::prelude::*;
use newsgraph_shared::jobs::RecomputeBatch;
use newsgraph_shared::rescore;

use crate::JobContext;
use crate::telemetry::{RunnableSince, observe};

pub async fn handle(
    payload: serde_json::Value,
    context: Data<Arc<JobContext>>,
    since: RunnableSince,
    attempt: Attempt,
) -> Result<(), BoxDynError> {
    observe("recompute_batch", since, &attempt, run(payload, context)).await
}

#[tracing::instrument(name = "recompute_batch", skip_all, fields(from_id, to_id))]
async fn run(payload: serde_json::Value, context: Data<Arc<JobContext>>) -> Result<(), BoxDynError> {
    let batch: RecomputeBatch = match serde_json::from_value(payload.clone()) {
        Ok(batch) => batch,
        Err(error) => {
            tracing::error!(%error, %payload, "undecodable batch job dropped");
            return Ok(());
        }
    };
    let span = tracing::Span::current();
    span.record("from_id", batch.from_id);
    span.record("to_id", batch.to_id);
    let ids = rescore::ids_in_batch(&mut *context.pool.acquire().await?, &batch).await?;
    let outcome = rescore::run(&context.pool, &ids, &context.scoring, rescore::FollowUps::Queue).await?;
    tracing::debug!(scored = outcome.scored.len(), "batch recomputed");
    Ok(())
}
