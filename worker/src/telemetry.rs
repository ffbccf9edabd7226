//! Prometheus metrics of the worker: jobs done / failed / retried by job
//! type, queue wait and run time histograms, and queue depth.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use apalis::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::PrometheusBuilder;
use newsgraph_shared::jobs;
use sqlx::PgPool;

/// Seconds: from a few milliseconds to minutes.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Serves `/metrics` on `addr` (any path answers with the metrics).
pub fn install(addr: SocketAddr) -> anyhow::Result<()> {
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets(BUCKETS)?
        .install()?;
    tracing::info!(%addr, "metrics served");
    Ok(())
}

/// When the task became runnable (whole seconds since the epoch).
pub struct RunnableSince(Option<u64>);

impl<Args: Sync> FromRequest<Task<Args>> for RunnableSince {
    type Error = std::convert::Infallible;
    async fn from_request(task: &Task<Args>) -> Result<Self, Self::Error> {
        Ok(Self(task.run_at()))
    }
}

/// Job runs finished in this process, done and failed (an attempt that will
/// be retried counts as failed): the `work --drain` summary. Process-wide,
/// so a summary covers whatever ran in the process meanwhile.
pub static JOBS_DONE: AtomicU64 = AtomicU64::new(0);
pub static JOBS_FAILED: AtomicU64 = AtomicU64::new(0);

/// Runs a job body and records its outcome, run time, queue wait and retries.
pub async fn observe<F, T, E>(job_type: &'static str, since: RunnableSince, attempt: &Attempt, body: F) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    if let Some(run_at) = since.0 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let waited = now.saturating_sub(Duration::from_secs(run_at));
        histogram!("newsgraph_job_queue_wait_seconds", "job_type" => job_type).record(waited.as_secs_f64());
    }
    if attempt.current() > 1 {
        counter!("newsgraph_job_retries_total", "job_type" => job_type).increment(1);
    }
    let started = Instant::now();
    let result = body.await;
    histogram!("newsgraph_job_run_seconds", "job_type" => job_type).record(started.elapsed().as_secs_f64());
    let outcome = if result.is_ok() { "done" } else { "failed" };
    let finished = if result.is_ok() { &JOBS_DONE } else { &JOBS_FAILED };
    finished.fetch_add(1, Ordering::Relaxed);
    counter!("newsgraph_jobs_total", "job_type" => job_type, "outcome" => outcome).increment(1);
    result
}

/// Publishes the number of jobs per queue and status every few seconds.
pub async fn poll_queue_depth(pool: PgPool) {
    let mut interval = tokio::time::interval(Duration::from_secs(5));
    loop {
        interval.tick().await;
        let rows = newsgraph_shared::queue::depth(&pool).await;
        match rows {
            Ok(rows) => {
                // statuses that emptied since the last read must read 0
                for job_type in [jobs::RECOMPUTE_ARTICLE_QUEUE, jobs::RECOMPUTE_BATCH_QUEUE] {
                    for status in newsgraph_shared::queue::UNFINISHED_STATUSES {
                        gauge!("newsgraph_queue_jobs", "job_type" => job_type, "status" => status).set(0.0);
                    }
                }
                for (job_type, status, count) in rows {
                    gauge!("newsgraph_queue_jobs", "job_type" => job_type, "status" => status).set(count as f64);
                }
            }
            Err(error) => tracing::warn!(%error, "cannot read the queue depth"),
        }
    }
}
