//! Drill: `newsgraph work` killed with SIGKILL again and again during a
//! rescore after a weight change; no job may be lost and every article must
//! end with the scores the new weights give.
//!
//! usage: drills/run worker-crash [--articles N] [--kills K] [--seed S]

use newsgraph_shared::editorial;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use newsgraph_drills::{Running, fresh_database, newsgraph, server_url, verdict};
use newsgraph_shared::queue::{self, counts as job_counts};
use newsgraph_shared::rescore;
use newsgraph_shared::scoring::ScoringConfig;
use sqlx::PgPool;

const DRILL: &str = "worker-crash";
const DATABASE: &str = "newsgraph_drill_worker_crash";
/// Longest a restarted worker may take to re-run the dead one's jobs.
const RECOVERY_LIMIT: Duration = Duration::from_secs(60);

struct Options {
    articles: usize,
    kills: usize,
    seed: u64,
}

fn options() -> Result<Options> {
    let mut options = Options {
        articles: 100_000,
        kills: 20,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos() as u64,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--articles" => options.articles = value.parse().context("--articles: a whole number")?,
            "--kills" => options.kills = value.parse().context("--kills: a whole number")?,
            "--seed" => options.seed = value.parse().context("--seed: a whole number")?,
            other => bail!("unknown argument {other}; usage: worker-crash [--articles N] [--kills K] [--seed S]"),
        }
    }
    Ok(options)
}

/// The weights of the rescore: every component's weight moves, so every
/// article's stored breakdown changes, and with a higher default reputation
/// most totals change too.
fn new_scoring() -> ScoringConfig {
    let mut config = ScoringConfig::default();
    config.weights.provider = 20.0;
    config.weights.completeness = 40.0;
    config.weights.title = 28.0;
    config.weights.corroboration = 12.0;
    config.default_reputation = 65;
    config
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let (failures, figures) = match options() {
        Ok(options) => match run(&options).await {
            Ok(outcome) => outcome,
            Err(error) => (vec![format!("{error:#}")], "aborted".to_string()),
        },
        Err(error) => (vec![format!("{error:#}")], "bad arguments".to_string()),
    };
    verdict(
        DRILL,
        &failures,
        &format!("{figures}, {:.0} s", started.elapsed().as_secs_f64()),
    );
}

async fn run(options: &Options) -> Result<(Vec<String>, String)> {
    println!("{DRILL}: seed {} (rerun with --seed {})", options.seed, options.seed);
    let mut rng = fastrand::Rng::with_seed(options.seed);
    let mut failures = Vec::new();
    let url = fresh_database(&server_url(), DATABASE).await?;
    let pool = PgPool::connect(&url).await?;

    // 1. demo data, scored once with the default weights
    let phase = Instant::now();
    newsgraph_drills::load_demo(&url, options.articles)?;
    let articles: i64 = sqlx::query_scalar("select count(*) from article")
        .fetch_one(&pool)
        .await?;
    println!(
        "{DRILL}: {articles} articles loaded in {:.0} s",
        phase.elapsed().as_secs_f64()
    );
    let phase = Instant::now();
    newsgraph_drills::drain(&url)?;
    println!("{DRILL}: first drain in {:.0} s", phase.elapsed().as_secs_f64());

    // 2. editor overrides, set before any kill
    let overrides = set_overrides(&pool).await?;

    // 3. new weights, rescore-all, and a worker killed `kills` times
    let dir = tempfile::tempdir()?;
    let config = new_scoring();
    let config_path = dir.path().join("scoring.json");
    std::fs::write(&config_path, serde_json::to_vec_pretty(&config)?)?;
    let rescore_started: DateTime<Utc> = sqlx::query_scalar("select now()").fetch_one(&pool).await?;
    rescore_all(&url)?;
    let phase = Instant::now();
    let mut worker = spawn_worker(&url, &config_path)?;
    let (mut recoveries, mut orphans_total, mut waves) = (Vec::new(), 0usize, 1);
    let mut all_orphans: Vec<String> = Vec::new();
    for kill in 1..=options.kills {
        // the queue must be busy when the worker dies: queue another wave if it ran dry
        if job_counts(&pool).await?.runnable == 0 {
            rescore_all(&url)?;
            waves += 1;
        }
        tokio::time::sleep(Duration::from_millis(rng.u64(200..3_000))).await;
        let dead_pid = worker.pid();
        worker.child.kill()?;
        worker.child.wait()?;
        let orphans = locked_jobs(&pool, dead_pid).await?;
        orphans_total += orphans.len();
        all_orphans.extend(orphans.iter().cloned());
        worker = spawn_worker(&url, &config_path)?;
        let restarted = Instant::now();
        match wait_for_recovery(&pool, &orphans, dead_pid, worker.pid()).await {
            Ok(()) => {
                let took = restarted.elapsed();
                println!(
                    "{DRILL}: kill {kill}: pid {dead_pid} held {} job(s); recovered in {:.1} s",
                    orphans.len(),
                    took.as_secs_f64()
                );
                recoveries.push(took);
            }
            Err(error) => {
                failures.push(format!("kill {kill}: {error:#}"));
                break;
            }
        }
    }
    // graceful stop of the last one, then a drain with the new weights
    terminate(&mut worker)?;
    drop(worker);
    let status = newsgraph(&url)
        .args(["work", "--drain", "--scoring-config"])
        .arg(&config_path)
        .status()?;
    if !status.success() {
        failures.push("the final newsgraph work --drain failed".into());
    }
    println!(
        "{DRILL}: kills and final drain in {:.0} s ({waves} rescore wave(s))",
        phase.elapsed().as_secs_f64()
    );

    // 4. invariants
    let jobs = job_counts(&pool).await?;
    let lost = jobs.total - jobs.done;
    if lost != 0 {
        failures.push(format!(
            "{lost} job(s) not done: {} runnable, {} failed for good, of {}",
            jobs.runnable, jobs.failed_for_good, jobs.total
        ));
    }
    let orphans_not_done = queue::not_done_among(&pool, &all_orphans).await?;
    if orphans_not_done != 0 {
        failures.push(format!(
            "{orphans_not_done} of the {} jobs the killed processes held are not done",
            all_orphans.len()
        ));
    }
    let stale = verify_scores(&pool, &config, rescore_started, &mut failures).await?;
    verify_overrides(&pool, &overrides, &mut failures).await?;
    let rescored = articles - stale;
    let total: Duration = recoveries.iter().sum();
    let max = recoveries.iter().max().copied().unwrap_or_default();
    pool.close().await;
    let figures = format!(
        "{} kills, {lost} jobs lost, {rescored} articles rescored, {orphans_total} orphaned jobs re-run, \
         recovery max {:.1} s total {:.1} s",
        recoveries.len(),
        max.as_secs_f64(),
        total.as_secs_f64()
    );
    if recoveries.len() != options.kills {
        failures.push(format!(
            "only {} of {} kills recovered",
            recoveries.len(),
            options.kills
        ));
    }
    Ok((failures, figures))
}

fn spawn_worker(url: &str, config: &Path) -> Result<Running> {
    let mut command = newsgraph(url);
    command.args(["work", "--scoring-config"]).arg(config);
    Running::spawn(command)
}

fn rescore_all(url: &str) -> Result<()> {
    let status = newsgraph(url)
        .arg("rescore-all")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "newsgraph rescore-all failed");
    Ok(())
}

/// SIGTERM, then wait: in-flight jobs finish and are acknowledged.
fn terminate(worker: &mut Running) -> Result<()> {
    std::process::Command::new("kill")
        .args(["-TERM", &worker.pid().to_string()])
        .status()?;
    worker.child.wait()?;
    Ok(())
}

/// The jobs a `work` process had taken (its worker names are
/// `host-PID-n-article-r` / `-batch-r`).
async fn locked_jobs(pool: &PgPool, pid: u32) -> Result<Vec<String>> {
    Ok(queue::in_flight_ids(pool, &format!("%-{pid}-%")).await?)
}

/// Waits until no job is held by the dead process `dead` any more (each is
/// back in the queue, or taken or finished by a live worker) and the new
/// process `pid` has finished a job of its own. When an orphan then runs
/// depends on the queue in front of it, not on recovery; that every one
/// ends `Done` is checked at the end.
async fn wait_for_recovery(pool: &PgPool, orphans: &[String], dead: u32, pid: u32) -> Result<()> {
    let start = Instant::now();
    loop {
        let held = queue::held_by_like(pool, orphans, &format!("%-{dead}-%")).await?;
        let progressed = queue::done_since(pool, None, &format!("%-{pid}-%")).await?;
        let idle = job_counts(pool).await?.runnable == 0;
        if held == 0 && (progressed || idle) {
            return Ok(());
        }
        if start.elapsed() > RECOVERY_LIMIT {
            bail!(
                "after {RECOVERY_LIMIT:?}, {held} of the dead worker's {} job(s) were still held by it \
                 (new worker progressed: {progressed})",
                orphans.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An editor's decision set before the kills.
struct Override {
    article_id: i64,
    action: &'static str,
}

/// Publishes three articles the rules hold back and unpublishes three they
/// publish, through the editorial functions the API uses.
async fn set_overrides(pool: &PgPool) -> Result<Vec<Override>> {
    let mut overrides = Vec::new();
    for (published, action) in [(false, "publish"), (true, "unpublish")] {
        let ids: Vec<i64> = sqlx::query_scalar(
            // no override yet: the three just published must not be the three taken down
            "select article_id from article_with_state
             where published = $1 and not removed and editor_override is null order by article_id limit 3",
        )
        .bind(published)
        .fetch_all(pool)
        .await?;
        for article_id in ids {
            let reason = "worker-crash drill";
            let request = editorial::Request {
                article_id,
                editor: "drill",
                action: if action == "publish" {
                    editorial::Action::Publish
                } else {
                    editorial::Action::Unpublish
                },
                reason: Some(reason),
                expected_version: None,
            };
            editorial::perform(pool, request).await?;
            overrides.push(Override { article_id, action });
        }
    }
    anyhow::ensure!(
        overrides.len() == 6,
        "found only {} articles to override",
        overrides.len()
    );
    Ok(overrides)
}

async fn verify_overrides(pool: &PgPool, overrides: &[Override], failures: &mut Vec<String>) -> Result<()> {
    for o in overrides {
        let (override_, published, by): (Option<String>, bool, String) = sqlx::query_as(
            "select editor_override, published, published_by from article_with_state where article_id = $1",
        )
        .bind(o.article_id)
        .fetch_one(pool)
        .await?;
        if override_.as_deref() != Some(o.action) || published != (o.action == "publish") || by != "editor" {
            failures.push(format!(
                "article {}: the editor's {} did not survive (override {override_:?}, published {published}, by {by})",
                o.article_id, o.action
            ));
        }
    }
    Ok(())
}

/// An article's computed state as stored.
#[derive(sqlx::FromRow)]
struct Stored {
    article_id: i64,
    quality: Option<i32>,
    heat: Option<i32>,
    published: bool,
    editor_override: Option<String>,
    score_breakdown: Option<serde_json::Value>,
    scored_at: Option<DateTime<Utc>>,
}

/// The only place that knows where computed scores are stored.
async fn stored_scores(pool: &PgPool, after_id: i64, limit: i64) -> sqlx::Result<Vec<Stored>> {
    sqlx::query_as(
        "select article_id, quality, heat, published, editor_override, score_breakdown, scored_at
         from article_with_state where article_id > $1 order by article_id limit $2",
    )
    .bind(after_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Checks every article: scored after the rescore started, and its stored
/// quality, heat, publication and breakdown equal what the scoring rules give
/// for its current features under `config`, at the instant its breakdown
/// says it was computed (heat and the future-date rule depend on the clock).
/// Returns the number of articles that fail.
async fn verify_scores(
    pool: &PgPool,
    config: &ScoringConfig,
    rescore_started: DateTime<Utc>,
    failures: &mut Vec<String>,
) -> Result<i64> {
    const CHUNK: i64 = 5_000;
    const SHOWN: usize = 5;
    let (mut after, mut bad, mut shown) = (0, 0i64, 0usize);
    loop {
        let stored = stored_scores(pool, after, CHUNK).await?;
        let Some(last) = stored.last() else { break };
        after = last.article_id;
        let ids: Vec<i64> = stored.iter().map(|s| s.article_id).collect();
        let mut conn = pool.acquire().await?;
        let features: HashMap<i64, rescore::Features> = rescore::features(&mut conn, &ids, config)
            .await?
            .into_iter()
            .map(|f| (f.article_id, f))
            .collect();
        let expected = expected_scores(&mut conn, &stored, &features, config).await?;
        for s in &stored {
            let problem = match check(s, expected.get(&s.article_id), rescore_started) {
                Ok(()) => continue,
                Err(problem) => problem,
            };
            bad += 1;
            if shown < SHOWN {
                failures.push(format!("article {}: {problem}", s.article_id));
                shown += 1;
            }
        }
    }
    if bad > SHOWN as i64 {
        failures.push(format!("{bad} articles in all do not hold their expected scores"));
    }
    Ok(bad)
}

/// What a recompute of each stored article alone, at the time its breakdown
/// says, would have written.
async fn expected_scores(
    conn: &mut sqlx::PgConnection,
    stored: &[Stored],
    features: &HashMap<i64, rescore::Features>,
    config: &ScoringConfig,
) -> Result<HashMap<i64, rescore::Scores>> {
    let timed: Vec<(&rescore::Features, DateTime<Utc>)> = stored
        .iter()
        .filter_map(|s| {
            let computed_at = s.score_breakdown.as_ref()?["computed_at"].as_str()?.parse().ok()?;
            Some((features.get(&s.article_id)?, computed_at))
        })
        .collect();
    let scores = rescore::score_alone(conn, &timed, config).await?;
    Ok(timed.iter().map(|(f, _)| f.article_id).zip(scores).collect())
}

fn check(s: &Stored, expected: Option<&rescore::Scores>, rescore_started: DateTime<Utc>) -> Result<(), String> {
    let scored_at = s.scored_at.ok_or("never scored")?;
    if scored_at < rescore_started {
        return Err(format!(
            "scored at {scored_at}, before the rescore started ({rescore_started})"
        ));
    }
    let breakdown = s.score_breakdown.as_ref().ok_or("no breakdown")?;
    let expected = expected.ok_or("no features, or a breakdown without computed_at")?;
    let published = match s.editor_override.as_deref() {
        Some("publish") => true,
        Some(_) => false,
        None => expected.auto_publish,
    };
    let heat = if published { expected.heat_if_published } else { -1 };
    let want = (Some(expected.quality), Some(heat), published);
    let got = (s.quality, s.heat, s.published);
    if want != got {
        return Err(format!("(quality, heat, published) is {got:?}, expected {want:?}"));
    }
    let expected_breakdown = serde_json::to_value(&expected.breakdown).map_err(|e| e.to_string())?;
    if *breakdown != expected_breakdown {
        return Err(format!("breakdown {breakdown}, expected {expected_breakdown}"));
    }
    Ok(())
}
