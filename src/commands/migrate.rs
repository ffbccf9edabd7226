use std::process::ExitCode;

use anyhow::Context;
use newsgraph_shared::db;

pub async fn run(database_url: &str) -> anyhow::Result<ExitCode> {
    let pool = db::connect(database_url, 2).await?;
    db::migrate(&pool).await.context("while migrating")?;
    eprintln!("migrations applied");
    Ok(ExitCode::SUCCESS)
}
