//! What drills ask the job queue (`apalis.jobs`).

use sqlx::PgPool;

/// The queue's jobs by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub total: i64,
    pub done: i64,
    /// Pending, Queued, Running, or Failed with attempts left: work to do.
    pub runnable: i64,
    /// Failed with no attempts left: a job that will never run again.
    pub failed_for_good: i64,
}

impl JobCounts {
    /// Every job finished: nothing runnable, nothing failed for good.
    pub fn all_done(&self) -> bool {
        self.done == self.total
    }
}

pub async fn job_counts(pool: &PgPool) -> sqlx::Result<JobCounts> {
    let (total, done, runnable, failed_for_good): (i64, i64, i64, i64) = sqlx::query_as(
        "select count(*),
                count(*) filter (where status = 'Done'),
                count(*) filter (where status in ('Pending', 'Queued', 'Running')
                                    or (status = 'Failed' and attempts < max_attempts)),
                count(*) filter (where status = 'Failed' and attempts >= max_attempts)
         from apalis.jobs",
    )
    .fetch_one(pool)
    .await?;
    Ok(JobCounts {
        total,
        done,
        runnable,
        failed_for_good,
    })
}
