//! Setting the soak up through the product's own commands: demo data with
//! `newsgraph dev --no-serve`, tokens with `newsgraph token create`, scoring
//! with `newsgraph work --drain`; and picking what the load works on.

use std::process::{Command, Output};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sqlx::PgPool;

use super::editors::Target;
use super::readers::ReadTargets;
use crate::newsgraph;

/// Runs a one-shot `newsgraph` command to its end (killed after `timeout`);
/// fails unless it exits 0.
pub async fn run_command(command: Command, what: &str, timeout: Duration) -> Result<Output> {
    let mut command = tokio::process::Command::from(command);
    command.kill_on_drop(true).stdin(std::process::Stdio::null());
    let output = tokio::time::timeout(timeout, command.output())
        .await
        .with_context(|| format!("{what} did not finish within {timeout:?}"))?
        .with_context(|| format!("running {what}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output)
}

/// Loads the demo data set of `articles` articles into the empty database.
pub async fn load_demo(database_url: &str, articles: usize) -> Result<()> {
    let mut command = newsgraph(database_url);
    command
        .args(["dev", "--no-serve"])
        .env("NEWSGRAPH_DEMO_ARTICLES", articles.to_string());
    run_command(command, "newsgraph dev --no-serve", Duration::from_secs(600)).await?;
    Ok(())
}

/// Creates a token; returns it.
pub async fn create_token(database_url: &str, name: &str, role: &str) -> Result<String> {
    let mut command = newsgraph(database_url);
    command.args(["token", "create", "--name", name, "--role", role]);
    let output = run_command(command, "newsgraph token create", Duration::from_secs(60)).await?;
    let token = String::from_utf8(output.stdout)?.trim().to_string();
    if !token.starts_with("ngt_") {
        bail!("newsgraph token create printed {token:?}, not a token");
    }
    Ok(token)
}

/// Runs `newsgraph work --drain` until the queue is empty.
pub async fn drain(database_url: &str, timeout: Duration) -> Result<()> {
    let mut command = newsgraph(database_url);
    command.args(["work", "--drain"]);
    run_command(command, "newsgraph work --drain", timeout).await?;
    Ok(())
}

/// What the readers read: topic slugs, article slugs, provider domains.
pub async fn read_targets(pool: &PgPool) -> Result<ReadTargets> {
    let targets = ReadTargets {
        topic_slugs: sqlx::query_scalar("select slug from topic order by slug")
            .fetch_all(pool)
            .await?,
        article_slugs: sqlx::query_scalar("select slug from article order by article_id")
            .fetch_all(pool)
            .await?,
        provider_domains: sqlx::query_scalar("select domain from provider order by domain")
            .fetch_all(pool)
            .await?,
    };
    if targets.topic_slugs.is_empty() || targets.article_slugs.is_empty() || targets.provider_domains.is_empty() {
        bail!("the demo data set has no topics, articles or providers");
    }
    Ok(targets)
}

/// `count` articles for the editors: a seeded random choice among the
/// articles with files that their source did not remove (those cannot be
/// published), published or not.
pub async fn editor_targets(pool: &PgPool, count: usize, seed: u64) -> Result<Vec<Target>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "select article_id, version from article where source_kind = 'file' and not removed
         order by md5(article_id::text || $1) limit $2",
    )
    .bind(seed.to_string())
    .bind(i64::try_from(count)?)
    .fetch_all(pool)
    .await?;
    if rows.len() < count {
        bail!("only {} articles for {count} editor targets", rows.len());
    }
    Ok(rows
        .into_iter()
        .map(|(article_id, version)| Target {
            article_id,
            version,
            accepted: Vec::new(),
        })
        .collect())
}
