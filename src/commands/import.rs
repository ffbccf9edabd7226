use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use newsgraph_shared::db;
use newsgraph_shared::ingest::{self, Progress};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print exactly one JSON object with the run's counts and errors on stdout.
    #[arg(long)]
    json: bool,

    /// Files or directories (searched recursively): `.md` articles,
    /// `_data/topics/*.yaml`, `_data/organizations/*.md`, `api/**/*.json` pages.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// How often a long run reports progress on stderr.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

pub async fn run(database_url: &str, args: Args) -> anyhow::Result<ExitCode> {
    let pool = db::connect(database_url, 4).await?;
    let started = Instant::now();
    let mut last_report = Instant::now();
    let report = ingest::import_paths(&pool, &args.paths, |p: Progress| {
        if last_report.elapsed() >= PROGRESS_EVERY {
            last_report = Instant::now();
            eprintln!(
                "import: {}/{} files, {} articles written ({:.0} s)",
                p.files_done,
                p.files_total,
                p.articles_written,
                started.elapsed().as_secs_f64()
            );
        }
    })
    .await?;

    for error in &report.errors {
        eprintln!("{error}");
    }
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{report}\ntook {:.2} s", started.elapsed().as_secs_f64());
    }
    Ok(if report.files_failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
