//! Mixed soak: one api and two workers on a demo database under anonymous
//! reads, editor publish/unpublish/clear mutations (some with stale
//! versions), ingest batches (some items bad) and periodic `rescore-all`
//! for `--minutes`; then the queue is drained and the invariants checked:
//! last accepted editor action holds, the audit log has exactly the
//! accepted actions, accepted ingest items are stored and refused ones are
//! not, every article scored since its last change, no unexpected answer,
//! no process crash or logged error, and no memory growth trend in the api.
//! See drills/README.md.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use newsgraph_drills::soak::client::{Tally, quantile};
use newsgraph_drills::soak::editors::{self, Editor, EditorReport};
use newsgraph_drills::soak::ingest::{self, IngestReport};
use newsgraph_drills::soak::process::Service;
use newsgraph_drills::soak::rss::{self, Sample};
use newsgraph_drills::soak::{readers, setup, verify};
use newsgraph_drills::{free_port, fresh_database, newsgraph, server_url, verdict, wait_until_ready};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

const DRILL: &str = "mixed-soak";
const DATABASE: &str = "newsgraph_drill_mixed_soak";

#[derive(Debug, Parser)]
#[command(about = "Mixed read/editor/ingest/worker load for minutes, then the invariants")]
struct Args {
    /// Minutes of load (fractions allowed: `--minutes 1` is a smoke run).
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Anonymous reader clients.
    #[arg(long, default_value_t = 4)]
    readers: usize,
    /// Editor clients (each with its own token and its own articles).
    #[arg(long, default_value_t = 2)]
    editors: usize,
    /// Articles each editor acts on.
    #[arg(long, default_value_t = 12)]
    articles_per_editor: usize,
    /// Ingest pipelines (each with its own token).
    #[arg(long, default_value_t = 2)]
    ingesters: usize,
    /// Articles of the generated demo data set.
    #[arg(long, default_value_t = 3000)]
    demo_articles: usize,
    /// Percentage of editor mutations sent with a stale expectedVersion.
    #[arg(long, default_value_t = 20)]
    stale_percent: u8,
    /// Items per ingest batch.
    #[arg(long, default_value_t = 20)]
    ingest_batch: usize,
    /// Milliseconds between the starts of a pipeline's batches.
    #[arg(long, default_value_t = 2000)]
    ingest_every_ms: u64,
    /// Seconds between `newsgraph rescore-all` runs.
    #[arg(long, default_value_t = 60)]
    rescore_every_secs: u64,
    /// Milliseconds a reader waits between requests.
    #[arg(long, default_value_t = 10)]
    read_pause_ms: u64,
    /// Milliseconds an editor waits between mutations.
    #[arg(long, default_value_t = 25)]
    editor_pause_ms: u64,
    /// Seconds between api RSS samples.
    #[arg(long, default_value_t = 2)]
    rss_every_secs: u64,
    /// Largest api RSS trend over the second half of the run, MB per hour.
    #[arg(long, default_value_t = 50.0)]
    max_rss_slope: f64,
    /// Shortest second half (seconds) over which the RSS trend is judged.
    #[arg(long, default_value_t = 120.0)]
    min_trend_window_secs: f64,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 20261127)]
    seed: u64,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let (failures, figures) = match soak(&args).await {
        Ok(outcome) => outcome,
        Err(error) => (vec![format!("{error:#}")], format!("{} min", args.minutes)),
    };
    if failures.is_empty() {
        let _ = drop_database().await;
    } else {
        eprintln!("{DRILL}: database {DATABASE} kept for inspection");
    }
    verdict(DRILL, &failures, &figures);
}

async fn drop_database() -> Result<()> {
    let mut admin = PgConnection::connect(&server_url()).await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "drop database if exists {DATABASE} with (force)"
    )))
    .execute(&mut admin)
    .await?;
    Ok(())
}

fn log_dir() -> Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/drill-logs/mixed-soak");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// What the periodic `rescore-all` task did.
#[derive(Default)]
struct RescoreReport {
    runs: u64,
    failures: Vec<String>,
}

async fn soak(args: &Args) -> Result<(Vec<String>, String)> {
    let mut failures = Vec::new();
    let db_url = fresh_database(&server_url(), DATABASE).await?;
    eprintln!("{DRILL}: loading {} demo articles into {DATABASE}", args.demo_articles);
    setup::load_demo(&db_url, args.demo_articles).await?;
    let mut editor_tokens = Vec::new();
    for i in 0..args.editors {
        let name = format!("soak-editor-{i}");
        editor_tokens.push((name.clone(), setup::create_token(&db_url, &name, "editor").await?));
    }
    let mut ingest_tokens = Vec::new();
    for i in 0..args.ingesters {
        ingest_tokens.push(setup::create_token(&db_url, &format!("soak-ingest-{i}"), "ingest").await?);
    }
    eprintln!("{DRILL}: scoring the demo data (newsgraph work --drain)");
    setup::drain(&db_url, Duration::from_secs(900)).await?;

    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&db_url)
        .await?;
    let read_targets = setup::read_targets(&pool).await?;
    let mut targets = setup::editor_targets(&pool, args.editors * args.articles_per_editor, args.seed).await?;
    let done_before = newsgraph_shared::queue::counts(&pool).await?.done;

    // the processes under test
    let logs = log_dir()?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut serve = newsgraph(&db_url);
    serve.args(["serve", "--bind", &format!("127.0.0.1:{port}")]);
    let mut api = Service::start("api", serve, &logs)?;
    wait_until_ready(&format!("{base}/readyz"), Duration::from_secs(30)).await?;
    let mut workers = Vec::new();
    for i in 0..2 {
        let mut work = newsgraph(&db_url);
        work.arg("work");
        workers.push(Service::start(&format!("worker-{i}"), work, &logs)?);
    }

    // the load
    let run = Duration::from_secs_f64(args.minutes * 60.0);
    let started = Instant::now();
    let until = started + run;
    eprintln!(
        "{DRILL}: {} min of load on {base}: {} readers, {} editors x {} articles, {} ingest pipelines (logs in {})",
        args.minutes,
        args.readers,
        args.editors,
        args.articles_per_editor,
        args.ingesters,
        logs.display()
    );
    let mut reader_tasks = Vec::new();
    for i in 0..args.readers {
        reader_tasks.push(tokio::spawn(readers::run(
            base.clone(),
            read_targets.clone(),
            args.seed + i as u64,
            until,
            Duration::from_millis(args.read_pause_ms),
        )));
    }
    let mut editor_tasks = Vec::new();
    for (i, (name, token)) in editor_tokens.into_iter().enumerate() {
        let mine: Vec<_> = targets.drain(..args.articles_per_editor).collect();
        let editor = Editor {
            name,
            token,
            targets: mine,
            seed: args.seed + 1000 + i as u64,
        };
        editor_tasks.push(tokio::spawn(editors::run(
            base.clone(),
            editor,
            args.stale_percent,
            until,
            Duration::from_millis(args.editor_pause_ms),
        )));
    }
    let mut ingest_tasks = Vec::new();
    for (i, token) in ingest_tokens.into_iter().enumerate() {
        ingest_tasks.push(tokio::spawn(ingest::run(
            base.clone(),
            i,
            token,
            args.seed + 2000 + i as u64,
            args.ingest_batch,
            until,
            Duration::from_millis(args.ingest_every_ms),
        )));
    }
    let rescore_task = tokio::spawn(rescore_periodically(
        db_url.clone(),
        until,
        Duration::from_secs(args.rescore_every_secs),
    ));

    // watch the processes and sample the api's memory until the end
    let mut samples = Vec::new();
    let mut worker_peak_kb = 0;
    while Instant::now() < until {
        if let Some(kb) = api.running.rss_kb() {
            samples.push(Sample {
                at_secs: started.elapsed().as_secs_f64(),
                mb: kb as f64 / 1024.0,
            });
        }
        for service in workers.iter_mut().chain([&mut api]) {
            service.check_alive();
        }
        for worker in &workers {
            worker_peak_kb = worker_peak_kb.max(worker.running.rss_kb().unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_secs(args.rss_every_secs).min(until - Instant::now().min(until))).await;
    }

    let mut reads = Tally::default();
    for task in reader_tasks {
        reads.merge(task.await?);
    }
    let mut editing = EditorReport::default();
    for task in editor_tasks {
        let report = task.await?;
        editing.tally.merge(report.tally);
        editing.conflicts += report.conflicts;
        editing.targets.extend(report.targets);
    }
    let mut ingesting = IngestReport::default();
    for task in ingest_tasks {
        let report = task.await?;
        ingesting.tally.merge(report.tally);
        ingesting.batches += report.batches;
        ingesting.items_accepted += report.items_accepted;
        ingesting.items_refused += report.items_refused;
        ingesting.accepted.extend(report.accepted);
        ingesting.related.extend(report.related);
        ingesting.refused.extend(report.refused);
    }
    let rescoring = rescore_task.await?;
    let load_secs = started.elapsed().as_secs_f64();

    // stop the workers, drain what is left, stop the api
    for service in workers.iter_mut().chain([&mut api]) {
        if !service.check_alive() {
            failures.push(format!(
                "{} exited during the run ({})",
                service.name,
                service.died.expect("recorded")
            ));
        }
    }
    let backlog = newsgraph_shared::queue::counts(&pool).await?.not_done();
    for worker in &mut workers {
        if worker.died.is_none() {
            match worker.stop(Duration::from_secs(60)) {
                Ok(status) if status.success() => {}
                Ok(status) => failures.push(format!("{} exited with {status} on SIGTERM", worker.name)),
                Err(error) => failures.push(format!("{error:#}")),
            }
        }
    }
    eprintln!("{DRILL}: load over after {load_secs:.0} s; draining {backlog} queued jobs");
    let drain_started = Instant::now();
    if let Err(error) = setup::drain(&db_url, Duration::from_secs(900)).await {
        failures.push(format!("the final drain: {error:#}"));
    }
    let drain_secs = drain_started.elapsed().as_secs_f64();
    if api.died.is_none() {
        match api.stop(Duration::from_secs(30)) {
            Ok(status) if status.success() => {}
            Ok(status) => failures.push(format!("the api exited with {status} on SIGTERM")),
            Err(error) => failures.push(format!("{error:#}")),
        }
    }

    // the invariants
    let mut article_ids: Vec<i64> = editing.targets.iter().map(|t| t.article_id).collect();
    article_ids.sort_unstable();
    let urls: Vec<String> = ingesting
        .accepted
        .keys()
        .chain(&ingesting.related)
        .chain(&ingesting.refused)
        .cloned()
        .collect();
    let state = verify::read_state(&pool, &article_ids, &urls).await?;
    verify::check_editorial(&state, &editing.targets, &mut failures);
    verify::check_ingest(&state, &ingesting, &mut failures);
    verify::check_scoring(&state, &mut failures);
    let jobs_done = state.jobs.get("Done").copied().unwrap_or_default() - done_before;

    let unexpected = reads.unexpected + editing.tally.unexpected + ingesting.tally.unexpected;
    for (what, tally) in [
        ("reads", &reads),
        ("editors", &editing.tally),
        ("ingest", &ingesting.tally),
    ] {
        eprintln!("{DRILL}: {what} answers by outcome: {:?}", tally.by_outcome);
        for example in &tally.examples {
            eprintln!("{DRILL}:   unexpected: {example}");
        }
    }
    if unexpected > 0 {
        failures.push(format!("{unexpected} unexpected answer(s) (examples above)"));
    }
    for problem in &rescoring.failures {
        failures.push(format!("rescore-all: {problem}"));
    }
    for service in workers.iter().chain([&api]) {
        let problems = service.log_problems();
        if !problems.is_empty() {
            failures.push(format!(
                "{} logged {} error(s)/panic(s), first: {}",
                service.name,
                problems.len(),
                problems[0]
            ));
        }
    }

    let trend = rss::trend(&samples, load_secs);
    let (first_mb, last_mb, slope) = trend.map_or((0.0, 0.0, 0.0), |t| (t.first_mb, t.last_mb, t.slope_mb_per_hour));
    let judged = trend.is_some_and(|t| t.window_secs >= args.min_trend_window_secs);
    if judged && slope >= args.max_rss_slope {
        failures.push(format!(
            "api RSS grows {slope:.1} MB/h over the second half (limit {} MB/h)",
            args.max_rss_slope
        ));
    }
    let mut latencies = reads.latencies_ms.clone();
    let p99 = quantile(&mut latencies, 0.99);
    let editor_actions = editing.tally.total();
    eprintln!(
        "{DRILL}: {} editor actions accepted, {} ingest items accepted, {} refused as bad, {} rescore-all runs, \
         {} articles at the end, backlog {backlog} jobs drained in {drain_secs:.1} s, worker peak RSS {:.0} MB",
        editing.targets.iter().map(|t| t.accepted.len()).sum::<usize>(),
        ingesting.items_accepted,
        ingesting.items_refused,
        rescoring.runs,
        state.articles,
        worker_peak_kb as f64 / 1024.0
    );
    let figures = format!(
        "{} min, {} reads (p99 {p99:.0} ms), {editor_actions} editor actions ({} conflicts), {} ingest batches, \
         {jobs_done} jobs, {unexpected} unexpected errors, api RSS {first_mb:.0}→{last_mb:.0} MB (slope {slope:.1} MB/h{})",
        args.minutes,
        reads.total(),
        editing.conflicts,
        ingesting.batches,
        if judged { "" } else { ", run too short to judge" }
    );
    Ok((failures, figures))
}

/// Runs `newsgraph rescore-all` every `every` until `until`.
async fn rescore_periodically(db_url: String, until: Instant, every: Duration) -> RescoreReport {
    let mut report = RescoreReport::default();
    loop {
        let next = Instant::now() + every;
        if next >= until {
            return report;
        }
        tokio::time::sleep_until(next.into()).await;
        let mut command = newsgraph(&db_url);
        command.arg("rescore-all");
        report.runs += 1;
        if let Err(error) = setup::run_command(command, "newsgraph rescore-all", Duration::from_secs(120)).await {
            report.failures.push(format!("{error:#}"));
        }
    }
}
