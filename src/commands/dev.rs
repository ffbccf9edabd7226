//! `newsgraph dev`: from nothing to a working local product in one command:
//! a database with demo data, scored by a worker running in the same
//! process, and the API on its port.

use std::process::ExitCode;

use anyhow::Context;
use newsgraph_demo as demo;
use newsgraph_shared::{db, ingest};
use newsgraph_worker::WorkerOptions;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of demo articles to generate when the database is empty.
    #[arg(long, env = "NEWSGRAPH_DEMO_ARTICLES", default_value_t = 300)]
    demo_articles: usize,

    /// Set up only (database, migrations, demo data); do not start the API
    /// server and its worker.
    #[arg(long)]
    no_serve: bool,

    /// How the built-in worker scores (as `newsgraph work`).
    #[command(flatten)]
    scoring: super::work::ScoringArgs,

    #[command(flatten)]
    serve: super::serve::Args,
}

/// Seed of the demo data set: the same articles on every machine.
const DEMO_SEED: u64 = 20261127;

pub async fn run(database_url: &str, args: Args) -> anyhow::Result<ExitCode> {
    // The port first: a taken one fails before anything else happens.
    let listener = match args.no_serve {
        true => None,
        false => Some(super::serve::bind(args.serve.bind).await?),
    };
    if db::create_database_if_missing(database_url).await? {
        eprintln!("created database {database_url}");
    }
    let pool = db::connect(database_url, 4).await?;
    db::migrate(&pool).await.context("while migrating")?;
    load_demo_if_empty(&pool, args.demo_articles).await?;
    pool.close().await;

    let me = invocation();
    let Some(listener) = listener else {
        println!("newsgraph is set up ({database_url}).");
        println!("  score the queued articles:  {me} work --drain");
        println!("  serve the API:              {me} serve");
        return Ok(ExitCode::SUCCESS);
    };

    // The worker scores what the import queued, and whatever changes later.
    let options = WorkerOptions::new(args.scoring.load()?);
    let worker_pool = db::connect(database_url, options.pool_size()).await?;
    let api_pool = super::serve::connect(database_url, &args.serve).await?;
    let worker = tokio::spawn(newsgraph_worker::run(worker_pool, options));

    let addr = listener.local_addr()?;
    println!("newsgraph is ready (database {database_url}); a built-in worker scores the articles.");
    println!("  GraphiQL:        http://{addr}/");
    println!("  GraphQL:         http://{addr}/graphql");
    println!("  editor console:  http://{addr}/editor");
    println!("  an editor token: {me} token create --name my-name --role editor");
    println!("  import files:    {me} import PATH...");
    println!("Ctrl-C stops it.");
    let served = super::serve::serve_on(listener, api_pool, args.serve).await;
    // The worker stops on the same signal; its in-flight jobs finish.
    let worked = worker.await.context("the worker task")?;
    served?;
    worked?;
    Ok(ExitCode::SUCCESS)
}

async fn load_demo_if_empty(pool: &sqlx::PgPool, demo_articles: usize) -> anyhow::Result<()> {
    let articles: i64 = sqlx::query_scalar("select count(*) from article")
        .fetch_one(pool)
        .await?;
    if articles > 0 {
        eprintln!("database already holds {articles} articles; demo data not loaded");
        return Ok(());
    }
    // The demo files are generated, imported and thrown away.
    let dir = tempfile::tempdir().context("while creating a directory for demo data")?;
    let written = demo::write_to(dir.path(), demo_articles, DEMO_SEED)
        .with_context(|| format!("while writing demo data to {}", dir.path().display()))?;
    eprintln!("loading demo data set ({written} generated files)");
    let report = ingest::import_paths(pool, &[dir.path().to_path_buf()], |_| {}).await?;
    for error in &report.errors {
        eprintln!("{error}");
    }
    eprintln!(
        "demo data loaded: {} articles, {} topics, {} providers, {} recompute jobs queued",
        report.articles_inserted, report.topics, report.providers, report.jobs_enqueued
    );
    Ok(())
}

/// How the user runs this binary, for the commands we print: through cargo
/// (which sets `CARGO` for the program it runs) or installed.
fn invocation() -> &'static str {
    match (std::env::var_os("CARGO").is_some(), cfg!(debug_assertions)) {
        (true, false) => "cargo run --release --",
        (true, true) => "cargo run --",
        (false, _) => "newsgraph",
    }
}
