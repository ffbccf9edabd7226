//! What every drill shares: the `newsgraph` binary under test, a database of
//! its own, child processes that die with the drill, and the verdict line.
//!
//! Drills are run by `drills/run NAME`, which builds the release binaries
//! first; see drills/README.md.

pub mod api;
pub mod pg_cluster;
pub mod soak;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// The server drills create their databases on (`DRILL_SERVER_URL`
/// overrides it); like the tests, it must allow `create database`.
pub fn server_url() -> String {
    std::env::var("DRILL_SERVER_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `server_url` with another database name.
pub fn database_url(server: &str, name: &str) -> String {
    match server.rfind('/') {
        Some(slash) => format!("{}/{name}", &server[..slash]),
        None => format!("{server}/{name}"),
    }
}

/// The release `newsgraph` binary built from this checkout.
pub fn newsgraph_bin() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("release").join("newsgraph")
}

/// Drops and recreates database `name` (a plain identifier chosen by the
/// drill, never user input) on `server` and migrates it with
/// `newsgraph migrate`. Returns its URL.
pub async fn fresh_database(server: &str, name: &str) -> Result<String> {
    let mut admin = PgConnection::connect(server)
        .await
        .with_context(|| format!("connecting to {server}"))?;
    sqlx::raw_sql(AssertSqlSafe(format!("drop database if exists {name} with (force)")))
        .execute(&mut admin)
        .await?;
    sqlx::raw_sql(AssertSqlSafe(format!("create database {name}")))
        .execute(&mut admin)
        .await?;
    let url = database_url(server, name);
    let status = newsgraph(&url)
        .arg("migrate")
        .status()
        .context("running newsgraph migrate")?;
    if !status.success() {
        bail!("newsgraph migrate failed on {url}");
    }
    Ok(url)
}

/// A `newsgraph` command aimed at `database_url`.
pub fn newsgraph(database_url: &str) -> Command {
    let mut command = Command::new(newsgraph_bin());
    command
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()));
    command
}

/// Loads `articles` demo articles into the database at `database_url` with
/// `newsgraph dev --no-serve` (which also migrates).
pub fn load_demo(database_url: &str, articles: usize) -> Result<()> {
    run_newsgraph(
        newsgraph(database_url)
            .args(["dev", "--no-serve"])
            .env("NEWSGRAPH_DEMO_ARTICLES", articles.to_string()),
        "newsgraph dev --no-serve",
    )
}

/// Runs every queued job: `newsgraph work --drain`.
pub fn drain(database_url: &str) -> Result<()> {
    run_newsgraph(
        newsgraph(database_url).args(["work", "--drain"]),
        "newsgraph work --drain",
    )
}

fn run_newsgraph(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("running {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// A child process killed (SIGKILL) when dropped, so a failing drill leaves
/// nothing running.
pub struct Running {
    pub child: Child,
}

impl Running {
    pub fn spawn(mut command: Command) -> Result<Self> {
        let child = command
            .stdin(Stdio::null())
            .spawn()
            .context("spawning a drill process")?;
        Ok(Self { child })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size in kB, from /proc.
    pub fn rss_kb(&self) -> Option<u64> {
        rss_kb(self.pid())
    }
}

/// Resident set size (`VmRSS`) of process `pid` in kB.
pub fn rss_kb(pid: u32) -> Option<u64> {
    proc_status_kb(pid, "VmRSS")
}

/// A kB figure of `/proc/PID/status` (`VmRSS`, `VmHWM`, ...).
pub fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|rest| rest.starts_with(':')))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `url` until it answers 200 or `timeout` passes.
pub async fn wait_until_ready(url: &str, timeout: Duration) -> Result<()> {
    let client = reqwest::Client::new();
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(response) = client.get(url).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{url} did not answer 200 within {timeout:?}")
}

/// A free port on 127.0.0.1 (bound and released; good enough for a drill).
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Prints the one verdict line every drill ends with and exits with 0 on
/// PASS, 1 on FAIL. `figures` is the human summary ("20 kills, 0 jobs lost").
pub fn verdict(drill: &str, failures: &[String], figures: &str) -> ! {
    if failures.is_empty() {
        println!("PASS {drill}: {figures}");
        std::process::exit(0);
    }
    for failure in failures {
        eprintln!("{drill}: {failure}");
    }
    println!(
        "FAIL {drill}: {figures}; {} failed check(s): {}",
        failures.len(),
        failures.join("; ")
    );
    std::process::exit(1);
}
