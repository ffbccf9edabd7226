//! `newsgraph dev`: from nothing to a working local setup in one command.

use std::process::ExitCode;

use anyhow::Context;
use newsgraph_shared::{db, demo, ingest};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of demo articles to generate when the database is empty.
    #[arg(long, env = "NEWSGRAPH_DEMO_ARTICLES", default_value_t = 300)]
    demo_articles: usize,

    /// Set up only; do not start the API server.
    #[arg(long)]
    no_serve: bool,

    #[command(flatten)]
    serve: super::serve::Args,
}

/// Seed of the demo data set: the same articles on every machine.
const DEMO_SEED: u64 = 20261127;

pub async fn run(database_url: &str, args: Args) -> anyhow::Result<ExitCode> {
    if db::create_database_if_missing(database_url).await? {
        eprintln!("created database {database_url}");
    }
    let pool = db::connect(database_url, 4).await?;
    db::migrate(&pool).await.context("while migrating")?;

    let articles: i64 = sqlx::query_scalar("select count(*) from article")
        .fetch_one(&pool)
        .await?;
    if articles == 0 {
        // The demo files are generated, imported and thrown away.
        let dir = tempfile::tempdir().context("while creating a directory for demo data")?;
        let written = demo::write_to(dir.path(), args.demo_articles, DEMO_SEED)
            .with_context(|| format!("while writing demo data to {}", dir.path().display()))?;
        eprintln!("loading demo data set ({written} generated files)");
        let report = ingest::import_paths(&pool, &[dir.path().to_path_buf()], |_| {}).await?;
        for error in &report.errors {
            eprintln!("{error}");
        }
        eprintln!(
            "demo data loaded: {} articles, {} topics, {} providers, {} recompute jobs queued",
            report.articles_inserted, report.topics, report.providers, report.jobs_enqueued
        );
    } else {
        eprintln!("database already holds {articles} articles; demo data not loaded");
    }

    println!("newsgraph is ready.");
    println!("  database: {database_url}");
    println!("  score the queued articles:  newsgraph work      (or `newsgraph work --drain` to stop when done)");
    println!("  import your own files:      newsgraph import PATH...");
    if args.no_serve {
        println!("  serve the API:              newsgraph serve");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "  API: http://{}/ (GraphiQL), GraphQL at http://{}/graphql; Ctrl-C stops it",
        args.serve.bind, args.serve.bind
    );
    println!("  (anonymous callers see published articles only: score the demo data with `newsgraph work` first)");
    pool.close().await;
    super::serve::run(database_url, args.serve).await
}
