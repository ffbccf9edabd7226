//! Periodic work: heat refresh of the recent window, and retention of
//! finished jobs. Every `work` process runs this loop, but each tick is
//! claimed by exactly one of them: the process whose update moves the tick
//! counter forward in `scheduled_run` runs it.

use std::time::Duration;

use chrono::Utc;
use newsgraph_shared::{jobs, rescore};
use sqlx::PgPool;

/// Articles per batch job.
pub const BATCH_SIZE: i64 = 1_000;

#[derive(Debug, Clone)]
pub struct ScheduleOptions {
    /// How often heat is refreshed.
    pub heat_every: Duration,
    /// Articles published within this window get their heat refreshed.
    pub heat_window: Duration,
    /// How often finished jobs are pruned.
    pub retention_every: Duration,
    /// Finished jobs older than this are deleted.
    pub retention_age: Duration,
}

impl Default for ScheduleOptions {
    fn default() -> Self {
        Self {
            heat_every: Duration::from_secs(10 * 60),
            heat_window: Duration::from_secs(7 * 24 * 3600),
            retention_every: Duration::from_secs(3600),
            retention_age: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Claims tick `tick` of task `name` for `worker`; true for exactly one
/// caller per tick, whatever the number of processes.
pub async fn claim(pool: &PgPool, name: &str, tick: i64, worker: &str) -> Result<bool, sqlx::Error> {
    let claimed: Option<i32> = sqlx::query_scalar(
        "insert into scheduled_run (name, last_tick, ran_by) values ($1, $2, $3)
         on conflict (name) do update set last_tick = excluded.last_tick, ran_at = now(), ran_by = excluded.ran_by
         where scheduled_run.last_tick < excluded.last_tick
         returning 1",
    )
    .bind(name)
    .bind(tick)
    .bind(worker)
    .fetch_optional(pool)
    .await?;
    Ok(claimed.is_some())
}

/// Queues batch recomputes of the recent window; returns the jobs queued.
pub async fn refresh_heat(pool: &PgPool, window: Duration) -> Result<usize, sqlx::Error> {
    let since = Utc::now() - chrono::Duration::from_std(window).unwrap_or(chrono::Duration::days(7));
    let mut tx = pool.begin().await?;
    let batches = rescore::id_ranges(&mut tx, BATCH_SIZE, Some(since)).await?;
    let queued = jobs::enqueue_batches(&mut tx, &batches).await?;
    tx.commit().await?;
    Ok(queued)
}

/// Deletes finished jobs (done, or failed for good) older than `age`.
pub async fn prune_jobs(pool: &PgPool, age: Duration) -> Result<u64, sqlx::Error> {
    newsgraph_shared::queue::prune_finished(pool, age).await
}

fn tick_of(every: Duration) -> i64 {
    Utc::now().timestamp() / every.as_secs().max(1) as i64
}

/// Runs forever: at each tick of each task, the one process that claims it
/// does the work.
pub async fn run(pool: PgPool, worker: String, options: ScheduleOptions) {
    let mut interval = tokio::time::interval(Duration::from_secs(1).min(options.heat_every));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        interval.tick().await;
        let tick = tick_of(options.heat_every);
        match claim(&pool, "heat-refresh", tick, &worker).await {
            Ok(true) => match refresh_heat(&pool, options.heat_window).await {
                Ok(queued) => tracing::info!(tick, queued, "heat refresh queued"),
                Err(error) => tracing::error!(%error, "heat refresh failed"),
            },
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "cannot claim the heat refresh tick"),
        }
        let tick = tick_of(options.retention_every);
        match claim(&pool, "job-retention", tick, &worker).await {
            Ok(true) => match prune_jobs(&pool, options.retention_age).await {
                Ok(deleted) => tracing::info!(tick, deleted, "finished jobs pruned"),
                Err(error) => tracing::error!(%error, "job retention failed"),
            },
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "cannot claim the retention tick"),
        }
    }
}
