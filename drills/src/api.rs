//! What the HTTP drills share: a scored demo database, `newsgraph serve` on
//! a free port, the topic feed query normal clients send, latency
//! percentiles, and a sampler of the server's RSS and open file descriptors.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};

use crate::{Running, free_port, fresh_database, newsgraph, rss_kb, server_url, wait_until_ready};

/// Database `name` (recreated) with `articles` demo articles loaded by
/// `newsgraph dev --no-serve` and scored by `newsgraph work --drain`, so that
/// anonymous callers see published articles. Returns its URL.
pub async fn scored_demo_database(name: &str, articles: usize) -> Result<String> {
    let url = fresh_database(&server_url(), name).await?;
    crate::load_demo(&url, articles)?;
    crate::drain(&url)?;
    Ok(url)
}

/// The slug of the topic with the most published articles.
pub async fn busiest_topic(database_url: &str) -> Result<String> {
    let mut db = PgConnection::connect(database_url).await?;
    let slug: Option<String> = sqlx::query_scalar(
        "select t.slug from topic t join article_topic at using (topic_id) join article_with_state a using (article_id)
         where a.published group by t.slug order by count(*) desc limit 1",
    )
    .fetch_optional(&mut db)
    .await?;
    slug.context("the demo database has no topic with published articles")
}

/// `newsgraph serve` on a free 127.0.0.1 port, killed when dropped.
pub struct Api {
    pub server: Running,
    pub addr: SocketAddr,
}

impl Api {
    /// Starts `newsgraph serve` over `database_url` with `extra_args` and
    /// waits until it is ready.
    pub async fn start(database_url: &str, extra_args: &[String]) -> Result<Self> {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let mut command = newsgraph(database_url);
        command
            .args(["serve", "--bind", &addr.to_string()])
            .args(extra_args)
            .stderr(std::process::Stdio::null());
        let server = Running::spawn(command)?;
        wait_until_ready(&format!("http://{addr}/readyz"), Duration::from_secs(30)).await?;
        Ok(Self { server, addr })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The server's open file descriptors, from /proc.
    pub fn open_fds(&self) -> Option<u64> {
        open_fds(self.server.pid())
    }

    /// Whether the server process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.server.child.try_wait(), Ok(None))
    }
}

pub fn open_fds(pid: u32) -> Option<u64> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64)
}

/// The topic feed request (as in bench/api/topic_feed.json): `first`
/// articles of a topic by heat, each with provider, images, topics and its
/// related articles with their providers.
pub fn topic_feed(slug: &str, first: i32) -> Value {
    json!({
        "operationName": "TopicFeed",
        "variables": {"slug": slug, "first": first},
        "query": "query TopicFeed($slug: String!, $first: Int) { topic(slug: $slug) { name \
                  articles(first: $first, orderBy: {field: HEAT}) { pageInfo { hasNextPage endCursor } \
                  edges { cursor node { id slug title excerpt webUrl publishedAt quality heat \
                  provider { name domain } images { url width height } topics { slug name } \
                  related { id title webUrl provider { name domain } } } } } } }"
    })
}

/// Checks a topic feed answer: data with at least one article, no errors.
pub fn check_feed(body: &Value) -> Result<(), String> {
    if body.get("errors").is_some() {
        return Err(format!("the topic feed answered errors: {}", body["errors"]));
    }
    match body["data"]["topic"]["articles"]["edges"].as_array() {
        Some(edges) if !edges.is_empty() => Ok(()),
        _ => Err(format!("the topic feed answered no articles: {body}")),
    }
}

/// Latencies of one kind of request.
#[derive(Debug, Default, Clone)]
pub struct Latencies(pub Vec<Duration>);

impl Latencies {
    /// The `p`th percentile (0..=100), nearest rank; zero when empty.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.0.clone();
        sorted.sort();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    pub fn max(&self) -> Duration {
        self.0.iter().copied().max().unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// Normal traffic: `clients` tasks, each sending the topic feed, waiting
/// for the answer, then `pause`, until `duration` has passed. Returns the
/// latencies and the failures (non-200, errors, no data), at most a few
/// described.
pub async fn normal_traffic(
    url: &str,
    body: &Value,
    clients: usize,
    duration: Duration,
    pause: Duration,
) -> (Latencies, Vec<String>) {
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let url = url.to_string();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut latencies = Vec::new();
            let mut failures = Vec::new();
            let start = Instant::now();
            while start.elapsed() < duration {
                let sent = Instant::now();
                let outcome = match client.post(&url).json(&body).send().await {
                    Ok(response) if response.status() == 200 => match response.json::<Value>().await {
                        Ok(answer) => check_feed(&answer),
                        Err(error) => Err(format!("unreadable answer: {error}")),
                    },
                    Ok(response) => Err(format!("status {}", response.status())),
                    Err(error) => Err(format!("request failed: {error}")),
                };
                match outcome {
                    Ok(()) => latencies.push(sent.elapsed()),
                    Err(failure) => failures.push(failure),
                }
                tokio::time::sleep(pause).await;
            }
            (latencies, failures)
        }));
    }
    let mut all = Latencies::default();
    let mut failures = Vec::new();
    for task in tasks {
        let (latencies, mut failed) = task.await.expect("a normal client task panicked");
        all.0.extend(latencies);
        failures.append(&mut failed);
    }
    (all, failures)
}

/// Samples a process's RSS and open file descriptors every 100 ms and
/// keeps the peaks, until dropped.
pub struct Sampler {
    peak_rss_kb: Arc<AtomicU64>,
    peak_fds: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Sampler {
    pub fn start(pid: u32) -> Self {
        let peak_rss_kb = Arc::new(AtomicU64::new(0));
        let peak_fds = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (rss, fds, stopped) = (peak_rss_kb.clone(), peak_fds.clone(), stop.clone());
        tokio::spawn(async move {
            while !stopped.load(Ordering::Relaxed) {
                if let Some(kb) = rss_kb(pid) {
                    rss.fetch_max(kb, Ordering::Relaxed);
                }
                if let Some(n) = open_fds(pid) {
                    fds.fetch_max(n, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Self {
            peak_rss_kb,
            peak_fds,
            stop,
        }
    }

    pub fn peak_rss_mb(&self) -> u64 {
        self.peak_rss_kb.load(Ordering::Relaxed) / 1024
    }

    pub fn peak_fds(&self) -> u64 {
        self.peak_fds.load(Ordering::Relaxed)
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads a `--name VALUE` argument of a drill, or `default`.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> Result<T> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => {
            let value = args.get(i + 1).with_context(|| format!("{name} needs a value"))?;
            value
                .parse()
                .map_err(|_| anyhow::anyhow!("{name}: cannot use {value:?}"))
        }
    }
}

/// Drops database `name` on the drill server (at the end of a drill).
pub async fn drop_database(name: &str) -> Result<()> {
    let mut admin = PgConnection::connect(&server_url()).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "drop database if exists {name} with (force)"
    )))
    .execute(&mut admin)
    .await?;
    Ok(())
}
