//! hostile-fuzz: coverage-guided fuzzing (libFuzzer via cargo-fuzz) of the
//! Smartable parsers -- article files, JSON API pages, topic and
//! organization definitions -- for a fixed time. Any panic, any input that
//! takes longer than the per-input timeout, and any input that pushes the
//! process past the RSS limit is a crash and fails the drill; libFuzzer keeps
//! the input under fuzz/artifacts/TARGET/.
//!
//! usage: drills/run hostile-fuzz [SECONDS] [--rss-limit-mb MB] [--timeout S]
//! (SECONDS defaults to 1200, split over the targets: 600 for article files.)
//!
//! The seed corpus is ours only: fuzz/seeds/TARGET/ (hand-written) plus files
//! from the demo generator, written fresh on every run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use newsgraph_demo as demo;
use newsgraph_drills::verdict;

const DRILL: &str = "hostile-fuzz";
/// Fuzz targets (fuzz/fuzz_targets/NAME.rs) and their share of the time, in %.
const TARGETS: [(&str, u64); 3] = [("article_file", 50), ("json_page", 25), ("definitions", 25)];
/// Largest input libFuzzer builds: room for many related items, small enough
/// to keep thousands of runs per second.
const MAX_LEN: u32 = 65_536;

struct Options {
    seconds: u64,
    rss_limit_mb: u64,
    timeout_s: u64,
}

fn options() -> Result<Options> {
    let mut options = Options {
        seconds: 1_200,
        rss_limit_mb: 512,
        timeout_s: 5,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64> {
            args.next()
                .with_context(|| format!("{name} needs a value"))?
                .parse()
                .with_context(|| format!("{name} takes a whole number"))
        };
        match arg.as_str() {
            "--rss-limit-mb" => options.rss_limit_mb = value("--rss-limit-mb")?,
            "--timeout" => options.timeout_s = value("--timeout")?,
            seconds => {
                options.seconds = seconds
                    .parse()
                    .with_context(|| format!("unknown argument `{seconds}`"))?
            }
        }
    }
    if options.seconds < TARGETS.len() as u64 {
        bail!("give at least {} seconds", TARGETS.len());
    }
    Ok(options)
}

/// What one libFuzzer run reported.
#[derive(Default)]
struct Run {
    execs: u64,
    corpus_units: u64,
    peak_rss_mb: u64,
    seconds: u64,
    /// Artifacts (crash-*, timeout-*, oom-*, leak-*) with the reason.
    crashes: Vec<String>,
}

fn stat(log: &str, name: &str) -> Option<u64> {
    log.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.trim().parse().ok())
}

/// Reads libFuzzer's stderr: final stats (-print_final_stats=1), the last
/// status line's `corp: N/...`, `Done N runs in S second(s)` and the
/// artifacts it wrote.
fn parse_log(log: &str) -> Run {
    let corpus_units = log
        .lines()
        .rev()
        .find_map(|l| l.split_once(" corp: "))
        .and_then(|(_, rest)| rest.split('/').next()?.parse().ok())
        .unwrap_or(0);
    let seconds = log
        .lines()
        .find_map(|l| l.strip_prefix("Done "))
        .and_then(|rest| rest.split(" in ").nth(1)?.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let reason = log
        .lines()
        .find(|l| l.contains("panicked at") || l.contains("==ERROR:") || l.starts_with("SUMMARY:"))
        .unwrap_or("no reason printed")
        .trim()
        .to_string();
    let crashes = log
        .lines()
        .filter_map(|l| l.split_once("Test unit written to "))
        .map(|(_, path)| format!("{} ({reason})", path.trim()))
        .collect();
    Run {
        execs: stat(log, "stat::number_of_executed_units:").unwrap_or(0),
        corpus_units,
        peak_rss_mb: stat(log, "stat::peak_rss_mb:").unwrap_or(0),
        seconds,
        crashes,
    }
}

fn cargo_nightly(root: &Path) -> Command {
    let mut command = Command::new("cargo");
    command.arg("+nightly").current_dir(root);
    command
}

/// Installs cargo-fuzz from crates.io when `cargo fuzz` is missing.
fn ensure_cargo_fuzz(root: &Path) -> Result<()> {
    let nightly = cargo_nightly(root).arg("--version").output();
    if !nightly.is_ok_and(|o| o.status.success()) {
        bail!("no nightly toolchain: install it with `rustup toolchain install nightly`");
    }
    let present = cargo_nightly(root)
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if present.is_ok_and(|s| s.success()) {
        return Ok(());
    }
    eprintln!("{DRILL}: installing cargo-fuzz (cargo install cargo-fuzz --locked)");
    let status = Command::new("cargo")
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .context("running cargo install")?;
    if !status.success() {
        bail!("cargo install cargo-fuzz failed");
    }
    Ok(())
}

fn copy_dir_files(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// Fills fuzz/corpus/TARGET/ with our seeds: the hand-written ones and the
/// demo generator's articles, definitions and (built from those articles)
/// JSON pages. Units libFuzzer kept from earlier runs stay.
fn write_seeds(fuzz: &Path) -> Result<()> {
    let corpus = |target: &str| -> Result<PathBuf> {
        let dir = fuzz.join("corpus").join(target);
        std::fs::create_dir_all(&dir)?;
        copy_dir_files(&fuzz.join("seeds").join(target), &dir)?;
        Ok(dir)
    };
    let (articles, pages, definitions) = (corpus("article_file")?, corpus("json_page")?, corpus("definitions")?);
    let mut items = Vec::new();
    for file in demo::generate(12, 2026) {
        let name = file
            .relative_path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if file.relative_path.starts_with("_data") {
            std::fs::write(definitions.join(format!("demo-{name}")), &file.contents)?;
            continue;
        }
        std::fs::write(articles.join(format!("demo-{name}")), &file.contents)?;
        // A page item carries the front matter's keys plus its path.
        let yaml = file.contents.trim_start_matches("---\n");
        let yaml = &yaml[..yaml.find("\n---\n").map_or(yaml.len(), |end| end + 1)];
        let mut item: serde_json::Value = serde_yaml_ng::from_str(yaml).context("demo front matter as JSON")?;
        item["path"] = serde_json::Value::String(file.relative_path.display().to_string());
        items.push(item);
    }
    for (n, chunk) in items.chunks(4).enumerate() {
        let page = serde_json::json!({"page": n + 1, "value": chunk, "nextPage": n + 2});
        std::fs::write(pages.join(format!("demo-page-{}.json", n + 1)), page.to_string())?;
    }
    Ok(())
}

fn fuzz_target(root: &Path, target: &str, seconds: u64, options: &Options) -> Result<Run> {
    let fuzz = root.join("fuzz");
    let log_path = fuzz.join("artifacts").join(format!("{target}.log"));
    std::fs::create_dir_all(log_path.parent().unwrap_or(&fuzz))?;
    let log_file = std::fs::File::create(&log_path)?;
    eprintln!("{DRILL}: {target} for {seconds} s (log: {})", log_path.display());
    let status = cargo_nightly(root)
        .args(["fuzz", "run", target])
        .arg(fuzz.join("corpus").join(target))
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-rss_limit_mb={}", options.rss_limit_mb))
        .arg(format!("-timeout={}", options.timeout_s))
        .arg(format!("-max_len={MAX_LEN}"))
        .arg(format!("-dict={}", fuzz.join("smartable.dict").display()))
        .arg("-print_final_stats=1")
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        .status()
        .context("running cargo fuzz")?;
    let log = std::fs::read_to_string(&log_path)?;
    let mut run = parse_log(&log);
    if !status.success() && run.crashes.is_empty() {
        run.crashes.push(format!(
            "cargo fuzz exited with {status} without an artifact; see {}",
            log_path.display()
        ));
    }
    Ok(run)
}

fn main() {
    let (options, root) = match options() {
        Ok(options) => (options, PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")),
        Err(e) => verdict(DRILL, &[format!("{e:#}")], "bad arguments"),
    };
    if let Err(e) = ensure_cargo_fuzz(&root).and_then(|()| write_seeds(&root.join("fuzz"))) {
        verdict(DRILL, &[format!("{e:#}")], "setup failed");
    }
    let mut failures = Vec::new();
    let mut total = Run::default();
    for (target, share) in TARGETS {
        let seconds = options.seconds * share / 100;
        let run = match fuzz_target(&root, target, seconds, &options) {
            Ok(run) => run,
            Err(e) => {
                failures.push(format!("{target}: {e:#}"));
                continue;
            }
        };
        eprintln!(
            "{DRILL}: {target}: {} s, {} execs, {} corpus units, peak RSS {} MB, {} crashes",
            run.seconds,
            run.execs,
            run.corpus_units,
            run.peak_rss_mb,
            run.crashes.len()
        );
        failures.extend(run.crashes.iter().map(|c| format!("{target}: {c}")));
        // a run that stopped early without an artifact did not fuzz for its share
        if run.crashes.is_empty() && run.seconds + 1 < seconds {
            failures.push(format!("{target}: ran {} s of {seconds} s", run.seconds));
        }
        if run.crashes.is_empty() && run.execs == 0 {
            failures.push(format!("{target}: no executions reported"));
        }
        total.seconds += run.seconds;
        total.execs += run.execs;
        total.corpus_units += run.corpus_units;
        total.peak_rss_mb = total.peak_rss_mb.max(run.peak_rss_mb);
        total.crashes.extend(run.crashes);
    }
    let figures = format!(
        "{} s, {} execs, {} corpus units, peak RSS {} MB, {} crashes",
        total.seconds,
        total.execs,
        total.corpus_units,
        total.peak_rss_mb,
        total.crashes.len()
    );
    verdict(DRILL, &failures, &figures)
}
