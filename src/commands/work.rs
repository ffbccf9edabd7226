//! `newsgraph work`: run the recompute workers.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use newsgraph_shared::db;
use newsgraph_shared::scoring::{ScoringConfig, ScoringPreset};
use newsgraph_worker::WorkerOptions;
use newsgraph_worker::schedule::ScheduleOptions;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Process until the queue holds nothing runnable, then exit 0.
    #[arg(long)]
    drain: bool,

    /// Jobs this process runs at once.
    #[arg(long, env = "NEWSGRAPH_WORKER_CONCURRENCY", default_value_t = newsgraph_worker::DEFAULT_CONCURRENCY)]
    concurrency: usize,

    /// Single-article jobs fetched from the queue per poll.
    #[arg(long, env = "NEWSGRAPH_WORKER_FETCH_SIZE", default_value_t = newsgraph_worker::DEFAULT_FETCH_SIZE)]
    fetch_size: usize,

    #[command(flatten)]
    scoring: ScoringArgs,

    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9187).
    #[arg(long, env = "NEWSGRAPH_WORKER_METRICS_ADDR", value_name = "ADDR")]
    metrics_addr: Option<std::net::SocketAddr>,

    /// Longest a single job may run, in seconds.
    #[arg(long, env = "NEWSGRAPH_JOB_TIMEOUT_SECS", default_value_t = 30)]
    job_timeout_secs: u64,

    /// How often the heat of recent articles is refreshed, in seconds.
    #[arg(long, env = "NEWSGRAPH_HEAT_REFRESH_SECS", default_value_t = 600)]
    heat_refresh_secs: u64,

    /// Articles published within this many hours get their heat refreshed.
    #[arg(long, env = "NEWSGRAPH_HEAT_WINDOW_HOURS", default_value_t = 168)]
    heat_window_hours: u64,

    /// Finished jobs (done, or failed for good) older than this many hours are deleted.
    #[arg(long, env = "NEWSGRAPH_JOB_RETENTION_HOURS", default_value_t = 168)]
    job_retention_hours: u64,
}

/// How a worker scores: a preset, and a file of values on top of it.
#[derive(Debug, clap::Args)]
pub struct ScoringArgs {
    /// Scoring preset: `default` (newsgraph's own scoring) or `smartable`
    /// (reproduces Smartable's decisions); see docs/scoring.md.
    #[arg(
        long,
        env = "NEWSGRAPH_SCORING_PRESET",
        value_name = "NAME",
        default_value = "default"
    )]
    scoring_preset: ScoringPreset,

    /// Scoring weights and thresholds (JSON; see docs/scoring.md), applied
    /// on top of the preset: name only what changes.
    #[arg(long, env = "NEWSGRAPH_SCORING_CONFIG", value_name = "PATH")]
    scoring_config: Option<PathBuf>,
}

impl ScoringArgs {
    /// Reads and validates the scoring configuration, the preset with the
    /// file's values on top: a bad file refuses the start.
    pub fn load(&self) -> anyhow::Result<ScoringConfig> {
        let preset = self.scoring_preset;
        let config = match &self.scoring_config {
            None => preset.config(),
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).with_context(|| format!("while reading {}", path.display()))?;
                preset
                    .with_overrides(Some(&text))
                    .with_context(|| format!("{} is not a valid scoring configuration", path.display()))?
            }
        };
        config.validate().context("the scoring configuration is invalid")?;
        Ok(config)
    }
}

pub async fn run(database_url: &str, args: Args) -> anyhow::Result<ExitCode> {
    let scoring = args.scoring.load()?;
    let mut options = WorkerOptions::new(scoring);
    let pool = db::connect(database_url, options.pool_size()).await?;
    options.drain = args.drain;
    options.concurrency = args.concurrency;
    anyhow::ensure!(args.fetch_size > 0, "--fetch-size must be at least 1");
    options.batch_size = args.fetch_size;
    options.job_timeout = Duration::from_secs(args.job_timeout_secs);
    options.metrics_addr = args.metrics_addr;
    anyhow::ensure!(args.heat_refresh_secs > 0, "--heat-refresh-secs must be at least 1");
    options.schedule = ScheduleOptions {
        heat_every: Duration::from_secs(args.heat_refresh_secs),
        heat_window: Duration::from_secs(args.heat_window_hours * 3600),
        retention_age: Duration::from_secs(args.job_retention_hours * 3600),
        ..ScheduleOptions::default()
    };
    let drain = options.drain;
    let summary = newsgraph_worker::run(pool, options).await?;
    if drain {
        println!("drained: {summary}");
    }
    Ok(ExitCode::SUCCESS)
}
