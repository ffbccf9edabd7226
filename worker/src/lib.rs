//! newsgraph worker: apalis workers that recompute articles' quality, heat
//! and publication state from the PostgreSQL queue.

mod drain;
mod recompute_article;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use apalis::prelude::*;
use apalis_postgres::{Config, PostgresStorage};
use newsgraph_shared::jobs::RECOMPUTE_ARTICLE_QUEUE;
use newsgraph_shared::scoring::ScoringConfig;
use sqlx::PgPool;

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
    /// Exit once the queue holds nothing runnable.
    pub drain: bool,
    pub scoring: ScoringConfig,
}

impl WorkerOptions {
    pub fn new(scoring: ScoringConfig) -> Self {
        Self {
            worker_id: default_worker_id(),
            concurrency: 16,
            batch_size: 100,
            heartbeat: Duration::from_secs(2),
            missed_heartbeats: 3,
            poll_interval: Duration::from_secs(1),
            job_timeout: Duration::from_secs(30),
            drain: false,
            scoring,
        }
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

/// Runs the workers until SIGINT/SIGTERM, or with `drain` until the queue
/// holds nothing runnable. In-flight jobs finish before it returns; jobs of a
/// killed process go back to the queue after the missed heartbeats.
pub async fn run(pool: PgPool, options: WorkerOptions) -> anyhow::Result<()> {
    options
        .scoring
        .validate()
        .context("the scoring configuration is invalid")?;
    let context = Arc::new(JobContext {
        pool: pool.clone(),
        scoring: options.scoring.clone(),
    });
    let config = Config::default()
        .queue(RECOMPUTE_ARTICLE_QUEUE)
        .batch_size(options.batch_size)
        .heartbeat_interval(options.heartbeat)
        .missed_heartbeats(options.missed_heartbeats);
    let worker_options = options.clone();
    let queue_pool = pool.clone();
    let monitor = Monitor::new()
        .shutdown_timeout(options.job_timeout)
        .register(move |run| {
            let backend = PostgresStorage::<serde_json::Value>::new(&pool)
                .with_config(config.clone())
                .with_pubsub()
                .poll_with_interval(worker_options.poll_interval);
            WorkerBuilder::new(format!("{}-recompute-{run}", worker_options.worker_id))
                .backend(backend)
                .data(context.clone())
                .concurrency(worker_options.concurrency)
                .layer(apalis::layers::TimeoutLayer::new(worker_options.job_timeout))
                .build(recompute_article::handle)
        });
    tracing::info!(worker = %options.worker_id, queue = RECOMPUTE_ARTICLE_QUEUE, "worker started");
    let result = if options.drain {
        monitor.run_with_signal(drain::until_drained(queue_pool)).await
    } else {
        monitor.run_with_signal(shutdown_signal()).await
    };
    result.context("the worker stopped with an error")?;
    tracing::info!(worker = %options.worker_id, "worker stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() -> std::io::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}
