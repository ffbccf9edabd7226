//! `work --drain`: stop once the queue holds nothing runnable.

use std::time::Duration;

use newsgraph_shared::jobs::{RECOMPUTE_ARTICLE_QUEUE, RECOMPUTE_BATCH_QUEUE};
use newsgraph_shared::queue;
use sqlx::PgPool;

/// Resolves when two reads in a row find no runnable job (one read could
/// fall between a job's end and the enqueue of its follow-ups).
pub async fn until_drained(pool: PgPool) -> std::io::Result<()> {
    let mut empty_reads = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let runnable = match queue::any_runnable(&pool, &[RECOMPUTE_ARTICLE_QUEUE, RECOMPUTE_BATCH_QUEUE]).await {
            Ok(runnable) => runnable,
            Err(error) => {
                tracing::warn!(%error, "cannot read the queue depth; retrying");
                continue;
            }
        };
        empty_reads = if runnable { 0 } else { empty_reads + 1 };
        if empty_reads >= 2 {
            return Ok(());
        }
    }
}
