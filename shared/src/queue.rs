//! The job queue's table as newsgraph reads it: every statement over
//! `apalis.jobs` outside apalis itself (the drain check, the depth gauge,
//! pruning, and what tests and drills ask) is here, with the meaning of its
//! status strings. An apalis-postgres upgrade that changes the table touches
//! this file only; enqueueing is `crate::jobs`, through apalis's own API.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// A job that will still run: waiting, taken, running, or failed with
/// attempts left (apalis retries it).
macro_rules! runnable {
    () => {
        "(status in ('Pending', 'Queued', 'Running') or (status = 'Failed' and attempts < max_attempts))"
    };
}

/// A job that will never run again: done, or failed with no attempts left.
macro_rules! finished {
    () => {
        "(status = 'Done' or (status = 'Failed' and attempts >= max_attempts))"
    };
}

/// The queue's jobs by state (of every queue).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub total: i64,
    pub done: i64,
    /// Waiting for a worker (`Pending`).
    pub pending: i64,
    /// Taken by a worker, or running (`Queued`, `Running`).
    pub in_flight: i64,
    /// Work still to do: pending, in flight, or failed with attempts left.
    pub runnable: i64,
    /// Failed with no attempts left: a job that will never run again.
    pub failed_for_good: i64,
}

impl JobCounts {
    /// Every job finished successfully.
    pub fn all_done(&self) -> bool {
        self.done == self.total
    }

    /// Jobs not (yet) done: runnable or failed for good.
    pub fn not_done(&self) -> i64 {
        self.total - self.done
    }
}

pub async fn counts(pool: &PgPool) -> Result<JobCounts, sqlx::Error> {
    let (total, done, pending, in_flight, runnable, failed_for_good): (i64, i64, i64, i64, i64, i64) =
        sqlx::query_as(concat!(
            "select count(*),
                    count(*) filter (where status = 'Done'),
                    count(*) filter (where status = 'Pending'),
                    count(*) filter (where status in ('Queued', 'Running')),
                    count(*) filter (where ",
            runnable!(),
            "),
                    count(*) filter (where status = 'Failed' and attempts >= max_attempts)
             from apalis.jobs"
        ))
        .fetch_one(pool)
        .await?;
    Ok(JobCounts {
        total,
        done,
        pending,
        in_flight,
        runnable,
        failed_for_good,
    })
}

/// Whether any job of these queues is runnable; `exists` stops at the first,
/// so a busy queue costs little to ask about.
pub async fn any_runnable(pool: &PgPool, queues: &[&str]) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(concat!(
        "select exists (select 1 from apalis.jobs where job_type = any($1) and ",
        runnable!(),
        ")"
    ))
    .bind(queues)
    .fetch_one(pool)
    .await
}

/// The statuses a not-done job can have, as the depth gauge reports them.
pub const UNFINISHED_STATUSES: [&str; 4] = ["Pending", "Queued", "Running", "Failed"];

/// `(queue, status, jobs)` of newsgraph's jobs that are not done.
pub async fn depth(pool: &PgPool) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select job_type, status, count(*) from apalis.jobs
         where job_type like 'newsgraph.%' and status <> 'Done'
         group by 1, 2",
    )
    .fetch_all(pool)
    .await
}

/// Deletes finished jobs older than `age`; returns how many.
pub async fn prune_finished(pool: &PgPool, age: Duration) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(concat!(
        "delete from apalis.jobs where ",
        finished!(),
        " and coalesce(done_at, run_at) < now() - make_interval(secs => $1)"
    ))
    .bind(age.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// The payloads (as apalis stored them: JSON bytes) of a queue's jobs,
/// oldest first; only `Pending` ones with `pending_only`.
pub async fn payloads(pool: &PgPool, queue: &str, pending_only: bool) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar(
        "select job from apalis.jobs where job_type = $1 and (not $2 or status = 'Pending') order by run_at, id",
    )
    .bind(queue)
    .bind(pending_only)
    .fetch_all(pool)
    .await
}

/// Jobs of a queue, whatever their state.
pub async fn jobs_of(pool: &PgPool, queue: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from apalis.jobs where job_type = $1")
        .bind(queue)
        .fetch_one(pool)
        .await
}

/// Empties the queue (tests and drills that start from a known state).
pub async fn delete_all(pool: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("delete from apalis.jobs")
        .execute(pool)
        .await?
        .rows_affected())
}

/// Ids of the jobs taken or running under workers whose id matches the
/// SQL `like` pattern.
pub async fn in_flight_ids(pool: &PgPool, worker_like: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select id from apalis.jobs where status in ('Queued', 'Running') and lock_by like $1")
        .bind(worker_like)
        .fetch_all(pool)
        .await
}

/// Of these jobs, how many are not done.
pub async fn not_done_among(pool: &PgPool, ids: &[String]) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from apalis.jobs where id = any($1) and status <> 'Done'")
        .bind(ids)
        .fetch_one(pool)
        .await
}

/// Of these jobs, how many are done.
pub async fn done_among(pool: &PgPool, ids: &[String]) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from apalis.jobs where id = any($1) and status = 'Done'")
        .bind(ids)
        .fetch_one(pool)
        .await
}

/// The workers holding (or last holding) these jobs.
pub async fn holders_of(pool: &PgPool, ids: &[String]) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select distinct lock_by from apalis.jobs where id = any($1)")
        .bind(ids)
        .fetch_all(pool)
        .await
}

/// Of these jobs, how many are taken or running under one of `workers`.
pub async fn held_by(pool: &PgPool, ids: &[String], workers: &[String]) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from apalis.jobs
         where id = any($1) and lock_by = any($2) and status in ('Queued', 'Running')",
    )
    .bind(ids)
    .bind(workers)
    .fetch_one(pool)
    .await
}

/// Of these jobs, how many are taken or running under a worker whose id
/// matches the SQL `like` pattern.
pub async fn held_by_like(pool: &PgPool, ids: &[String], worker_like: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from apalis.jobs
         where id = any($1) and status in ('Queued', 'Running') and lock_by like $2",
    )
    .bind(ids)
    .bind(worker_like)
    .fetch_one(pool)
    .await
}

/// `(status, jobs)` for every status present.
pub async fn by_status(pool: &PgPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("select status, count(*) from apalis.jobs group by status")
        .fetch_all(pool)
        .await
}

/// Distinct workers that have taken a job.
pub async fn workers_seen(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(distinct lock_by) from apalis.jobs")
        .fetch_one(pool)
        .await
}

/// Whether a job finished (after `since`, when given) under a worker whose
/// id matches the `like` pattern (`%` for any).
pub async fn done_since(pool: &PgPool, since: Option<DateTime<Utc>>, worker_like: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from apalis.jobs
                        where status = 'Done' and ($1::timestamptz is null or done_at > $1) and lock_by like $2)",
    )
    .bind(since)
    .bind(worker_like)
    .fetch_one(pool)
    .await
}
