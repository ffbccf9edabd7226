use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use newsgraph_shared::db;
use newsgraph_shared::ingest::{self, ImportOptions, Progress};
use newsgraph_shared::urls::SiteAddress;

fn parse_site_url(raw: &str) -> Result<SiteAddress, String> {
    SiteAddress::new(raw, "").map_err(|e| e.to_string())
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print exactly one JSON object with the run's counts and errors on stdout.
    #[arg(long)]
    json: bool,

    /// The site's address (Jekyll's `url` + `baseurl`, e.g.
    /// `https://smartableai.github.io/election`) for site paths such as
    /// `/assets/images/...` in files that no imported `_config.yml` covers.
    /// Without either, such paths are dropped (and counted): every image URL
    /// served is absolute.
    #[arg(long, env = "NEWSGRAPH_SITE_URL", value_name = "URL", value_parser = parse_site_url)]
    site_url: Option<SiteAddress>,

    /// Files or directories (searched recursively): `YYYY-MM-DD-*.md`
    /// articles, `_config.yml`, `_data/topics/*.yaml`,
    /// `_data/organizations/*.md`, `api/news/**/*.json` pages.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// How often a long run reports progress on stderr.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

pub async fn run(database_url: &str, args: Args) -> anyhow::Result<ExitCode> {
    let pool = db::connect(database_url, 4).await?;
    let started = Instant::now();
    let mut last_report = Instant::now();
    let options = ImportOptions {
        site_url: args.site_url,
    };
    let report = ingest::import_paths_with(&pool, &args.paths, &options, |p: Progress| {
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
