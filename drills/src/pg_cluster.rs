//! A private PostgreSQL 15 cluster for drills (and tests) that stop and
//! start the database server: the shared server on 5432 is never touched.
//!
//! The cluster lives in a temporary directory, listens on a free port of
//! 127.0.0.1 (and a Unix socket in that directory) with trust
//! authentication, and is stopped and deleted when dropped. initdb refuses
//! to run as root, so as root the server runs as the `postgres` user.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// Where Debian puts PostgreSQL 15's server binaries
/// (`NEWSGRAPH_PG_BIN` overrides it).
pub fn pg_bin_dir() -> PathBuf {
    std::env::var_os("NEWSGRAPH_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

/// Whether `initdb` and `pg_ctl` are there to start a private cluster.
pub fn available() -> bool {
    let bin = pg_bin_dir();
    bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()
}

/// A running private cluster; stopped (immediately) and deleted on drop.
pub struct PrivateCluster {
    dir: tempfile::TempDir,
    port: u16,
    /// The user the server runs as when we are root.
    run_as: Option<&'static str>,
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Uid:"))?.to_string();
            line.split_whitespace().nth(2).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

impl PrivateCluster {
    /// initdb into a new temporary directory, then start the server.
    pub fn start() -> Result<Self> {
        if !available() {
            bail!(
                "initdb/pg_ctl not found in {} (set NEWSGRAPH_PG_BIN)",
                pg_bin_dir().display()
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("newsgraph-pg-")
            .tempdir()
            .context("creating the cluster's directory")?;
        let run_as = running_as_root().then_some("postgres");
        if let Some(user) = run_as {
            let status = Command::new("chown")
                .arg(format!("{user}:"))
                .arg(dir.path())
                .status()
                .context("running chown")?;
            if !status.success() {
                bail!("cannot hand {} to user {user}", dir.path().display());
            }
        }
        let cluster = Self {
            port: crate::free_port()?,
            dir,
            run_as,
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data_dir(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "--no-locale",
                "-E",
                "UTF8",
            ],
        )?;
        cluster.start_server()?;
        Ok(cluster)
    }

    /// The server URL (database `postgres`) for user postgres over TCP.
    pub fn server_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    pub fn start_server(&self) -> Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        self.run(
            "pg_ctl",
            &[
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                &self.data_dir(),
                "-l",
                &log.display().to_string(),
                "-o",
                &options,
            ],
        )
    }

    /// `pg_ctl stop -m fast`: connections are terminated, the server shuts
    /// down cleanly; waits until it is gone.
    pub fn stop_server(&self) -> Result<()> {
        self.run(
            "pg_ctl",
            &["stop", "-w", "-t", "60", "-m", "fast", "-D", &self.data_dir()],
        )
    }

    /// The end of the server's log, for failure reports.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs a PostgreSQL binary (as the server's user when we are root).
    fn run(&self, program: &str, args: &[&str]) -> Result<()> {
        let binary = pg_bin_dir().join(program);
        let mut command = match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&binary);
                command
            }
            None => Command::new(&binary),
        };
        let output = command
            .args(args)
            .current_dir(self.path())
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", binary.display()))?;
        if !output.status.success() {
            bail!(
                "{program} {} failed ({}): {}{}",
                args.first().unwrap_or(&""),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim(),
                String::from_utf8_lossy(&output.stdout).trim()
            );
        }
        Ok(())
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        // immediate: nothing in it is worth a checkpoint; the directory goes next
        let _ = self.run("pg_ctl", &["stop", "-w", "-m", "immediate", "-D", &self.data_dir()]);
    }
}
