//! newsgraph worker: apalis workers that recompute articles' quality, heat
//! and publication state from the PostgreSQL queue.

mod coalesce;
mod drain;
mod recompute_article;
mod recompute_batch;
pub mod schedule;
mod telemetry;
mod wakeup;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use apalis::prelude::*;
use apalis_postgres::{Config, PostgresStorage};
use newsgraph_shared::jobs::{RECOMPUTE_ARTICLE_QUEUE, RECOMPUTE_BATCH_QUEUE};
use newsgraph_shared::scoring::ScoringConfig;
use sqlx::PgPool;
use tower::retry::backoff::{ExponentialBackoff, ExponentialBackoffMaker, MakeBackoff};
use tower::util::rng::HasherRng;

/// Single-article jobs run at once by default. They are cheap to have in
/// flight: concurrent ones share one recompute (`coalesce.rs`), so more of
/// them make larger shared recomputes, not more database connections.
pub const DEFAULT_CONCURRENCY: usize = 128;

/// Single-article jobs fetched per poll: fewer, larger fetches cost the
/// queue less per job.
pub const DEFAULT_FETCH_SIZE: usize = 250;

/// How a `work` process runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Unique per process (host and pid): a restarted process must not reuse
    /// a dead one's name, or its jobs would stay locked to the dead worker.
    pub worker_id: String,
    /// Jobs run at once by this process.
    pub concurrency: usize,
    /// Jobs fetched per poll; sets the throughput ceiling.
    pub batch_size: usize,
    /// How often the worker proves it is alive.
    pub heartbeat: Duration,
    /// Heartbeats a worker may miss before its jobs go back to the queue.
    pub missed_heartbeats: usize,
    /// Fallback poll when no NOTIFY arrives.
    pub poll_interval: Duration,
    /// Longest a single job may run.
    pub job_timeout: Duration,
    /// Failed jobs are retried in place this many times, with exponential
    /// backoff from `retry_backoff` (the queue itself would retry at once).
    pub retries: usize,
    pub retry_backoff: Duration,
    /// Batch jobs run at once by this process (each is CPU-heavy).
    pub batch_concurrency: usize,
    /// Where to serve Prometheus metrics, if anywhere.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Exit once the queue holds nothing runnable (no periodic work then).
    pub drain: bool,
    pub scoring: ScoringConfig,
    pub schedule: schedule::ScheduleOptions,
}

impl WorkerOptions {
    pub fn new(scoring: ScoringConfig) -> Self {
        Self {
            worker_id: default_worker_id(),
            concurrency: DEFAULT_CONCURRENCY,
            batch_size: DEFAULT_FETCH_SIZE,
            heartbeat: Duration::from_secs(2),
            missed_heartbeats: 3,
            poll_interval: Duration::from_secs(1),
            job_timeout: Duration::from_secs(30),
            retries: 4,
            retry_backoff: Duration::from_millis(200),
            batch_concurrency: 2,
            metrics_addr: None,
            drain: false,
            scoring,
            schedule: schedule::ScheduleOptions::default(),
        }
    }

    /// Database connections a `work` process needs: one for the shared
    /// single-article recompute, one per batch job, and the queue's own
    /// (fetch and acknowledge for two queues, heartbeats, the wake-up
    /// listener, the scheduler, the drain check and the depth gauge).
    pub fn pool_size(&self) -> u32 {
        u32::try_from(1 + self.batch_concurrency + 8).unwrap_or(u32::MAX)
    }
}

/// `host-pid-n`: unique among live processes, never reused by a restart, and
/// distinct for each worker run within one process (tests run several).
pub fn default_worker_id() -> String {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "newsgraph".into());
    format!("{host}-{}-{}", std::process::id(), RUNS.fetch_add(1, Ordering::Relaxed))
}

/// What every job handler needs.
pub(crate) struct JobContext {
    pub pool: PgPool,
    pub scoring: ScoringConfig,
}

/// What a run did, for the `work --drain` summary.
#[derive(Debug, Clone, Copy)]
pub struct RunSummary {
    pub jobs_done: u64,
    pub jobs_failed: u64,
    pub elapsed: std::time::Duration,
}

impl std::fmt::Display for RunSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ran {} jobs ({} failed) in {:.1} s",
            self.jobs_done + self.jobs_failed,
            self.jobs_failed,
            self.elapsed.as_secs_f64()
        )
    }
}

/// Runs the workers until SIGINT/SIGTERM, or with `drain` until the queue
/// holds nothing runnable. In-flight jobs finish before it returns; jobs of a
/// killed process go back to the queue after the missed heartbeats.
pub async fn run(pool: PgPool, options: WorkerOptions) -> anyhow::Result<RunSummary> {
    use std::sync::atomic::Ordering::Relaxed;
    let started = std::time::Instant::now();
    let (done_before, failed_before) = (telemetry::JOBS_DONE.load(Relaxed), telemetry::JOBS_FAILED.load(Relaxed));
    options
        .scoring
        .validate()
        .context("the scoring configuration is invalid")?;
    let context = Arc::new(JobContext {
        pool: pool.clone(),
        scoring: options.scoring.clone(),
    });
    let config = |queue: &str, batch_size: usize| {
        Config::default()
            .queue(queue)
            .batch_size(batch_size)
            .heartbeat_interval(options.heartbeat)
            .missed_heartbeats(options.missed_heartbeats)
    };
    let (article_config, batch_config) = (
        config(RECOMPUTE_ARTICLE_QUEUE, options.batch_size),
        config(RECOMPUTE_BATCH_QUEUE, 4),
    );
    let queue_pool = pool.clone();
    let (wakeups, listener) = wakeup::listen(pool.clone(), &[RECOMPUTE_ARTICLE_QUEUE, RECOMPUTE_BATCH_QUEUE]);
    let (article_wakeup, batch_wakeup) = (wakeups[0].clone(), wakeups[1].clone());
    let coalescer = coalesce::Coalescer::start(context.clone());
    let (article_pool, article_options) = (pool.clone(), options.clone());
    let (batch_pool, batch_options, batch_context) = (pool.clone(), options.clone(), context.clone());
    let monitor = Monitor::new()
        .shutdown_timeout(options.job_timeout)
        .should_restart(restart_after_database_loss)
        .register(move |run| {
            let backend = PostgresStorage::<serde_json::Value>::new(&article_pool)
                .with_config(article_config.clone())
                .poll_with_strategy(wake_or_poll(&article_wakeup, article_options.poll_interval));
            WorkerBuilder::new(format!("{}-article-{run}", article_options.worker_id))
                .backend(backend)
                .data(coalescer.clone())
                .concurrency(article_options.concurrency)
                .retry(retry_policy(&article_options))
                .layer(apalis::layers::TimeoutLayer::new(article_options.job_timeout))
                .build(recompute_article::handle)
        })
        .register(move |run| {
            let backend = PostgresStorage::<serde_json::Value>::new(&batch_pool)
                .with_config(batch_config.clone())
                .poll_with_strategy(wake_or_poll(&batch_wakeup, batch_options.poll_interval));
            WorkerBuilder::new(format!("{}-batch-{run}", batch_options.worker_id))
                .backend(backend)
                .data(batch_context.clone())
                .concurrency(batch_options.batch_concurrency)
                .retry(retry_policy(&batch_options))
                .layer(apalis::layers::TimeoutLayer::new(batch_options.job_timeout))
                .build(recompute_batch::handle)
        });
    let depth = match options.metrics_addr {
        Some(addr) => {
            telemetry::install(addr)?;
            Some(tokio::spawn(telemetry::poll_queue_depth(queue_pool.clone())))
        }
        None => None,
    };
    let scheduler = (!options.drain).then(|| {
        tokio::spawn(schedule::run(
            queue_pool.clone(),
            options.worker_id.clone(),
            options.schedule.clone(),
        ))
    });
    tracing::info!(worker = %options.worker_id, "worker started");
    let result = if options.drain {
        monitor.run_with_signal(drain::until_drained(queue_pool)).await
    } else {
        monitor.run_with_signal(shutdown_signal()).await
    };
    for task in [scheduler, depth, Some(listener)].into_iter().flatten() {
        task.abort();
    }
    result.context("the worker stopped with an error")?;
    tracing::info!(worker = %options.worker_id, "worker stopped");
    Ok(RunSummary {
        jobs_done: telemetry::JOBS_DONE.load(Relaxed) - done_before,
        jobs_failed: telemetry::JOBS_FAILED.load(Relaxed) - failed_before,
        elapsed: started.elapsed(),
    })
}

/// A worker whose queue calls fail (the database restarted, went away or
/// ran out of connections) ends with a backend error; without a restart the
/// process would exit. It is started again under a new name (`...-{run}`):
/// the jobs the failed run held go back to the queue like a dead process's,
/// once its heartbeats are missed. While the database stays down, each new
/// run waits for a connection for the pool's acquire timeout before it fails
/// again, which paces the restarts.
fn restart_after_database_loss(worker: &WorkerContext, error: &WorkerError) -> bool {
    let restart = matches!(error, WorkerError::BackendError(_));
    if restart {
        tracing::warn!(
            worker = worker.name(),
            restarts = worker.restarts(),
            %error,
            "worker lost the job queue's database; restarting it"
        );
    }
    restart
}

/// A worker polls when its queue announces a job (LISTEN/NOTIFY, within
/// milliseconds) and every `interval` in case a notification was missed.
fn wake_or_poll(wakeup: &wakeup::QueueWakeup, interval: Duration) -> Strategy {
    Strategy::new().apply(wakeup.clone()).interval(interval)
}

/// Retries with exponential backoff (doubling from `retry_backoff`, capped at
/// 30 s, with jitter so that failing jobs do not retry in lockstep).
fn retry_policy(options: &WorkerOptions) -> BackoffRetryPolicy<ExponentialBackoff> {
    let backoff = ExponentialBackoffMaker::new(
        options.retry_backoff,
        Duration::from_secs(30),
        0.3,
        HasherRng::default(),
    )
    .expect("the backoff bounds are ordered and the jitter is within 0..=100")
    .make_backoff();
    RetryPolicy::retries(options.retries).with_backoff(backoff)
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() -> std::io::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}
