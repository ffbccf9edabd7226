//! The soak's long-running processes: started with their output in log
//! files, watched for exits, stopped with SIGTERM, and their logs searched
//! for panics and errors at the end.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::Running;

/// A child process of the soak with its log file.
pub struct Service {
    pub name: String,
    pub running: Running,
    pub log: PathBuf,
    /// Set when the process was seen to exit before it was asked to.
    pub died: Option<ExitStatus>,
}

impl Service {
    /// Starts `command` with stdout and stderr appended to `<dir>/<name>.log`.
    pub fn start(name: &str, mut command: Command, dir: &Path) -> Result<Self> {
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        command
            .env("LOG_FORMAT", "json")
            .stdout(Stdio::from(file.try_clone()?))
            .stderr(Stdio::from(file));
        Ok(Self {
            name: name.to_string(),
            running: Running::spawn(command)?,
            log,
            died: None,
        })
    }

    /// Whether the process is still running; records an unasked exit.
    pub fn check_alive(&mut self) -> bool {
        if self.died.is_some() {
            return false;
        }
        match self.running.child.try_wait() {
            Ok(None) => true,
            Ok(Some(status)) => {
                self.died = Some(status);
                false
            }
            Err(_) => false,
        }
    }

    /// SIGTERM, then waits up to `timeout` for the exit (SIGKILL after).
    pub fn stop(&mut self, timeout: Duration) -> Result<ExitStatus> {
        if let Some(status) = self.died {
            bail!("{} had already exited ({status})", self.name);
        }
        let pid = libc::pid_t::try_from(self.running.pid()).context("a pid that fits pid_t")?;
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(status) = self.running.child.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.running.child.kill();
        let _ = self.running.child.wait();
        bail!("{} did not exit within {timeout:?} of SIGTERM", self.name)
    }

    /// Lines of the log that report a panic or an error (the services log
    /// JSON lines: `LOG_FORMAT=json`).
    pub fn log_problems(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains("panicked") || line.contains("\"level\":\"ERROR\""))
            .map(str::to_string)
            .collect()
    }
}
