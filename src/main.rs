//! `newsgraph`: one binary, thin subcommands that call into the crates.

mod commands;
mod telemetry;

use std::process::ExitCode;

/// glibc's malloc took about a third of the import's CPU (`unlink_chunk`,
/// `_int_malloc`, `malloc_consolidate` in `perf`); mimalloc's thread-local
/// free lists suit the many small, short-lived allocations of parsing.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "newsgraph",
    version,
    about = "News-article platform: ingest, scoring, GraphQL API"
)]
struct Cli {
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL", default_value = newsgraph_shared::db::DEFAULT_DATABASE_URL, global = true)]
    database_url: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Set up a local development database (create, migrate, demo data), then serve the API.
    Dev(commands::dev::Args),
    /// Apply the database migrations (job queue and newsgraph schema).
    Migrate,
    /// Import Smartable article files, definition files and JSON API pages.
    Import(commands::import::Args),
    /// Queue a recompute of every article (after a change of scoring weights).
    RescoreAll(commands::rescore_all::Args),
    /// Run the workers that recompute quality, heat and publication state.
    Work(commands::work::Args),
    /// Create, list and revoke API tokens (editor, ingest, admin).
    Token(commands::token::Args),
    /// Serve the GraphQL API (GraphiQL at /, GraphQL at /graphql).
    Serve(commands::serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    let result = runtime.block_on(async {
        match cli.command {
            Command::Dev(args) => commands::dev::run(&cli.database_url, args).await,
            Command::Migrate => commands::migrate::run(&cli.database_url).await,
            Command::Import(args) => commands::import::run(&cli.database_url, args).await,
            Command::RescoreAll(args) => commands::rescore_all::run(&cli.database_url, args).await,
            Command::Work(args) => commands::work::run(&cli.database_url, args).await,
            Command::Token(args) => commands::token::run(&cli.database_url, args).await,
            Command::Serve(args) => commands::serve::run(&cli.database_url, args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("newsgraph: {}", one_line(&error));
            ExitCode::from(commands::EXIT_FATAL)
        }
    }
}

/// The error and its causes on one line, skipping causes whose text the line
/// already holds (database errors repeat their source in their own message).
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
