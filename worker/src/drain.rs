//! `work --drain`: stop once the queue holds nothing runnable.

use std::time::Duration;

use newsgraph_shared::jobs::{RECOMPUTE_ARTICLE_QUEUE, RECOMPUTE_BATCH_QUEUE};
use sqlx::PgPool;

/// `exists` stops at the first runnable job, so a busy queue costs little to
/// ask about.
const RUNNABLE: &str = "
select exists (
    select 1 from apalis.jobs
    where job_type = any($1)
      and (status in ('Pending', 'Queued', 'Running') or (status = 'Failed' and attempts < max_attempts)))";

/// Resolves when two reads in a row find no runnable job (one read could
/// fall between a job's end and the enqueue of its follow-ups).
pub async fn until_drained(pool: PgPool) -> std::io::Result<()> {
    let mut empty_reads = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let runnable: bool = match sqlx::query_scalar(RUNNABLE)
            .bind([RECOMPUTE_ARTICLE_QUEUE, RECOMPUTE_BATCH_QUEUE])
            .fetch_one(&pool)
            .await
        {
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
