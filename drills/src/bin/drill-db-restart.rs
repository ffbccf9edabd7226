//! Drill: the database server restarts under `newsgraph serve` and
//! `newsgraph work` while they serve reads and run a trickle of jobs. The
//! api must answer 503 / `SERVICE_UNAVAILABLE` while it is down (never hang,
//! never crash) and serve again within 5 s of its return; the worker must
//! resume and finish every job; neither process may restart.
//!
//! The drill runs its own PostgreSQL cluster (see `pg_cluster`); the shared
//! server is never touched.
//!
//! usage: drills/run db-restart [--articles N] [--down-secs S]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use newsgraph_drills::pg_cluster::PrivateCluster;
use newsgraph_drills::{Running, free_port, fresh_database, newsgraph, verdict, wait_until_ready};
use newsgraph_shared::queue::counts as job_counts;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

const DRILL: &str = "db-restart";
const DATABASE: &str = "newsgraph_drill_db_restart";
/// The api must serve again this soon after the database is back.
const API_RECOVERY_LIMIT: Duration = Duration::from_secs(5);
/// A request slower than this counts as a hang (the api's pool gives up on
/// a connection after 5 s, readiness after 2 s).
const HANG: Duration = Duration::from_secs(10);
const FEED: &str = r#"{"query":"query Feed($slug: String!) { topic(slug: $slug) { articles(first: 20, orderBy: {field: HEAT}) { edges { node { id title heat provider { name } topics { slug } } } } } }","variables":{"slug":"climate"}}"#;

struct Options {
    articles: usize,
    down: Duration,
}

fn options() -> Result<Options> {
    let mut options = Options {
        articles: 2_000,
        down: Duration::from_secs(5),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--articles" => options.articles = value.parse().context("--articles: a whole number")?,
            "--down-secs" => options.down = Duration::from_secs(value.parse().context("--down-secs: seconds")?),
            other => bail!("unknown argument {other}; usage: db-restart [--articles N] [--down-secs S]"),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let (failures, figures) = match options() {
        Ok(options) => run(&options).await,
        Err(error) => (vec![format!("{error:#}")], "bad arguments".to_string()),
    };
    verdict(
        DRILL,
        &failures,
        &format!("{figures}, {:.0} s", started.elapsed().as_secs_f64()),
    );
}

/// Sets up the private cluster, exercises it, and always removes it.
async fn run(options: &Options) -> (Vec<String>, String) {
    let cluster = match PrivateCluster::start() {
        Ok(cluster) => cluster,
        Err(error) => {
            return (
                vec![format!("cannot start a private cluster: {error:#}")],
                "aborted".into(),
            );
        }
    };
    println!("{DRILL}: private PostgreSQL on 127.0.0.1:{}", cluster.port());
    let outcome = match exercise(&cluster, options).await {
        Ok(outcome) => outcome,
        Err(error) => (vec![format!("{error:#}")], "aborted".into()),
    };
    if !outcome.0.is_empty() {
        eprintln!("{DRILL}: end of the server log:\n{}", cluster.log_tail(30));
    }
    drop(cluster);
    outcome
}

/// One answer the api gave (or did not give).
struct Sample {
    readiness: bool,
    sent: Instant,
    took: Duration,
    /// HTTP status, or None when the request failed or timed out.
    status: Option<u16>,
    /// GraphQL: the first error's `extensions.code`.
    code: Option<String>,
}

#[derive(Default)]
struct Traffic {
    samples: Mutex<Vec<Sample>>,
    enqueued: AtomicU64,
    refused: AtomicU64,
    stop: AtomicBool,
}

async fn exercise(cluster: &PrivateCluster, options: &Options) -> Result<(Vec<String>, String)> {
    let mut failures = Vec::new();
    let url = fresh_database(&cluster.server_url(), DATABASE).await?;
    newsgraph_drills::load_demo(&url, options.articles)?;
    newsgraph_drills::drain(&url)?;

    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(1))
        .connect(&url)
        .await?;
    let baseline = job_counts(&pool).await?;
    let article_ids: Vec<i64> = sqlx::query_scalar("select article_id from article")
        .fetch_all(&pool)
        .await?;

    let addr = format!("127.0.0.1:{}", free_port()?);
    let base = format!("http://{addr}");
    let mut serve = Running::spawn({
        let mut command = newsgraph(&url);
        command.args(["serve", "--bind", &addr]);
        command
    })?;
    wait_until_ready(&format!("{base}/readyz"), Duration::from_secs(30)).await?;
    let mut work = Running::spawn({
        let mut command = newsgraph(&url);
        command.arg("work");
        command
    })?;
    let (serve_pid, work_pid) = (serve.pid(), work.pid());

    let traffic = Arc::new(Traffic::default());
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let mut tasks = vec![tokio::spawn(poll_readiness(
        client.clone(),
        base.clone(),
        traffic.clone(),
    ))];
    for _ in 0..2 {
        tasks.push(tokio::spawn(read_feed(client.clone(), base.clone(), traffic.clone())));
    }
    tasks.push(tokio::spawn(trickle_jobs(pool.clone(), article_ids, traffic.clone())));
    tokio::time::sleep(Duration::from_secs(3)).await;

    // the restart: stop (fast), stay down, start
    let stopping = Instant::now();
    blocking(cluster, PrivateCluster::stop_server).await?;
    let down = Instant::now();
    tokio::time::sleep(options.down).await;
    let starting = Instant::now();
    blocking(cluster, PrivateCluster::start_server).await?;
    let up = Instant::now();
    let up_wall = chrono::Utc::now();
    println!(
        "{DRILL}: stop took {:.1} s, down {:.1} s, start took {:.1} s",
        (down - stopping).as_secs_f64(),
        (starting - down).as_secs_f64(),
        (up - starting).as_secs_f64()
    );

    // the worker: first job finished after the database came back
    let worker_recovery = loop {
        let resumed = newsgraph_shared::queue::done_since(&pool, Some(up_wall), "%")
            .await
            .ok();
        if resumed == Some(true) {
            break Some(up.elapsed());
        }
        if up.elapsed() > Duration::from_secs(60) {
            failures.push("the worker finished no job within 60 s of the database's return".into());
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_secs(5).saturating_sub(up.elapsed())).await;
    traffic.stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await?;
    }

    // every job ends Done
    let drained = Instant::now();
    let jobs = loop {
        let jobs = job_counts(&pool).await?;
        if jobs.runnable == 0 || drained.elapsed() > Duration::from_secs(120) {
            break jobs;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let enqueued = traffic.enqueued.load(Ordering::SeqCst) as i64;
    let refused = traffic.refused.load(Ordering::SeqCst);
    let mut lost = jobs.total - jobs.done;
    let missing = enqueued - (jobs.total - baseline.total);
    if missing > 0 {
        failures.push(format!("{missing} enqueued job(s) are not in the queue"));
        lost += missing;
    }
    if lost > 0 {
        failures.push(format!(
            "{lost} job(s) lost: {} runnable, {} failed for good, of {}",
            jobs.runnable, jobs.failed_for_good, jobs.total
        ));
    }

    // the same processes, still running
    for (name, process, pid) in [("serve", &mut serve, serve_pid), ("work", &mut work, work_pid)] {
        if let Some(status) = process.child.try_wait()? {
            failures.push(format!("newsgraph {name} (pid {pid}) exited: {status}"));
        }
    }
    drop(work);
    drop(serve);
    pool.close().await;

    let samples = std::mem::take(&mut *traffic.samples.lock().unwrap());
    let answers = judge(&samples, down, starting, up, &mut failures);
    let figures = format!(
        "downtime {:.1} s, while down {} /readyz 503 and {} GraphQL SERVICE_UNAVAILABLE (slowest {:.1} s), \
         api recovery {}, worker recovery {}, {enqueued} jobs enqueued ({refused} refused while down), \
         {lost} jobs lost, same pids",
        (up - stopping).as_secs_f64(),
        answers.ready_503,
        answers.graphql_unavailable,
        answers.slowest.as_secs_f64(),
        seconds(answers.api_recovery),
        seconds(worker_recovery),
    );
    Ok((failures, figures))
}

fn seconds(duration: Option<Duration>) -> String {
    duration.map_or("none".into(), |d| format!("{:.1} s", d.as_secs_f64()))
}

async fn blocking(cluster: &PrivateCluster, action: fn(&PrivateCluster) -> Result<()>) -> Result<()> {
    // pg_ctl waits; run it off the runtime's threads so the traffic goes on
    tokio::task::block_in_place(|| action(cluster))
}

struct Answers {
    ready_503: usize,
    graphql_unavailable: usize,
    slowest: Duration,
    api_recovery: Option<Duration>,
}

/// Checks the api's answers: while the database was down (requests sent
/// after it stopped and answered before it started again) /readyz said 503
/// and GraphQL said SERVICE_UNAVAILABLE with 503; nothing hung or failed at
/// the transport level; after it came back both answered 200 within the limit.
fn judge(samples: &[Sample], down: Instant, starting: Instant, up: Instant, failures: &mut Vec<String>) -> Answers {
    let mut answers = Answers {
        ready_503: 0,
        graphql_unavailable: 0,
        slowest: Duration::ZERO,
        api_recovery: None,
    };
    let (mut ready_ok_after, mut graphql_ok_after) = (None, None);
    for s in samples {
        let what = if s.readiness { "/readyz" } else { "GraphQL" };
        let Some(status) = s.status else {
            failures.push(format!(
                "{what} request got no answer after {:.1} s",
                s.took.as_secs_f64()
            ));
            continue;
        };
        if s.took > HANG {
            failures.push(format!("{what} took {:.1} s", s.took.as_secs_f64()));
        }
        let unavailable = if s.readiness {
            status == 503
        } else {
            status == 503 && s.code.as_deref() == Some("SERVICE_UNAVAILABLE")
        };
        let ok = status == 200 && s.code.is_none();
        if !ok && !unavailable {
            failures.push(format!("{what} answered {status} {:?}", s.code));
        }
        let answered = s.sent + s.took;
        if s.sent >= down && answered <= starting {
            answers.slowest = answers.slowest.max(s.took);
            match (s.readiness, unavailable) {
                (true, true) => answers.ready_503 += 1,
                (false, true) => answers.graphql_unavailable += 1,
                _ => failures.push(format!("{what} answered {status} while the database was down")),
            }
        }
        if ok && s.sent >= up {
            let since = answered - up;
            let first = if s.readiness {
                &mut ready_ok_after
            } else {
                &mut graphql_ok_after
            };
            *first = Some(first.map_or(since, |d: Duration| d.min(since)));
        }
    }
    if answers.ready_503 == 0 || answers.graphql_unavailable == 0 {
        failures.push("no /readyz or GraphQL answer fell inside the downtime".into());
    }
    answers.api_recovery = ready_ok_after.zip(graphql_ok_after).map(|(a, b)| a.max(b));
    match answers.api_recovery {
        Some(took) if took <= API_RECOVERY_LIMIT => {}
        Some(took) => failures.push(format!(
            "the api served again {:.1} s after the database was back (limit {API_RECOVERY_LIMIT:?})",
            took.as_secs_f64()
        )),
        None => failures.push("the api never served 200 again".into()),
    }
    answers
}

async fn poll_readiness(client: reqwest::Client, base: String, traffic: Arc<Traffic>) {
    while !traffic.stop.load(Ordering::SeqCst) {
        let sent = Instant::now();
        let status = client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16());
        record(&traffic, true, sent, status, None);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn read_feed(client: reqwest::Client, base: String, traffic: Arc<Traffic>) {
    while !traffic.stop.load(Ordering::SeqCst) {
        let sent = Instant::now();
        let answer = client
            .post(format!("{base}/graphql"))
            .header("content-type", "application/json")
            .body(FEED)
            .send()
            .await;
        let (status, code) = match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.json::<serde_json::Value>().await {
                    Ok(body) => {
                        let code = body["errors"][0]["extensions"]["code"]
                            .as_str()
                            .map(str::to_string)
                            .or_else(|| body.get("errors").map(|_| "(no code)".to_string()));
                        (Some(status), code)
                    }
                    Err(_) => (Some(status), Some("(not JSON)".to_string())),
                }
            }
            Err(_) => (None, None),
        };
        record(&traffic, false, sent, status, code);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn record(traffic: &Traffic, readiness: bool, sent: Instant, status: Option<u16>, code: Option<String>) {
    traffic.samples.lock().unwrap().push(Sample {
        readiness,
        sent,
        took: sent.elapsed(),
        status,
        code,
    });
}

/// A recompute job every 100 ms, as an editor's toggle or an import would
/// queue it; while the database is down the enqueue fails (refused, not lost).
async fn trickle_jobs(pool: PgPool, article_ids: Vec<i64>, traffic: Arc<Traffic>) {
    let mut rng = fastrand::Rng::new();
    while !traffic.stop.load(Ordering::SeqCst) {
        let id = article_ids[rng.usize(..article_ids.len())];
        let queued = async {
            let mut tx = pool.begin().await?;
            newsgraph_shared::jobs::enqueue_recompute(&mut tx, &[id]).await?;
            tx.commit().await
        }
        .await;
        let counter = if queued.is_ok() {
            &traffic.enqueued
        } else {
            &traffic.refused
        };
        counter.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
