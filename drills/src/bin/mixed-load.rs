//! Load generator for `bench/mixed.sh`: GraphQL POSTs drawn from weighted
//! groups of requests, each group's requests Zipf-distributed (s = 1, the
//! first request of a group the most popular), from a fixed seed, over a
//! number of concurrent connections for a fixed time. Prints one JSON object:
//! requests, rate, latency percentiles, failures, and requests per group.
//!
//! A single repeated query is the best case for a cache; a long tail of
//! article pages and feed pages is what a news site's traffic looks like.
//!
//! usage: mixed-load --url URL --requests FILE [--seconds N] [--connections N] [--seed N]
//!        FILE: {"groups": [{"name": "article", "share": 70, "bodies": [{...}, ...]}, ...]}

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// The GraphQL endpoint.
    #[arg(long)]
    url: String,
    /// The request groups (see the module documentation).
    #[arg(long)]
    requests: std::path::PathBuf,
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    #[arg(long, default_value_t = 32)]
    connections: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// A group's requests with the cumulative Zipf weights to draw them by.
struct Group {
    name: String,
    share: f64,
    bodies: Vec<String>,
    cumulative: Vec<f64>,
}

impl Group {
    fn draw(&self, rng: &mut fastrand::Rng) -> usize {
        let total = *self.cumulative.last().expect("a group has requests");
        let x = rng.f64() * total;
        self.cumulative.partition_point(|&c| c <= x).min(self.bodies.len() - 1)
    }
}

fn load_groups(path: &std::path::Path) -> anyhow::Result<Vec<Group>> {
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?)
            .with_context(|| format!("{}: not JSON", path.display()))?;
    let mut groups = Vec::new();
    for group in file["groups"].as_array().context("`groups` must be a list")? {
        let name = group["name"].as_str().context("a group needs a `name`")?.to_string();
        let share = group["share"]
            .as_f64()
            .with_context(|| format!("group {name}: `share` must be a number"))?;
        let bodies: Vec<String> = group["bodies"]
            .as_array()
            .with_context(|| format!("group {name}: `bodies` must be a list"))?
            .iter()
            .map(Value::to_string)
            .collect();
        if bodies.is_empty() || share <= 0.0 {
            bail!("group {name}: needs a positive share and at least one request");
        }
        let mut sum = 0.0;
        let cumulative = (1..=bodies.len())
            .map(|rank| {
                sum += 1.0 / rank as f64;
                sum
            })
            .collect();
        groups.push(Group {
            name,
            share,
            bodies,
            cumulative,
        });
    }
    if groups.is_empty() {
        bail!("no request groups");
    }
    Ok(groups)
}

/// What one connection saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    failed: u64,
    per_group: Vec<u64>,
    first_failure: Option<String>,
}

async fn connection(
    client: reqwest::Client,
    url: Arc<str>,
    groups: Arc<Vec<Group>>,
    seed: u64,
    until: Instant,
) -> Tally {
    let mut rng = fastrand::Rng::with_seed(seed);
    let shares: f64 = groups.iter().map(|g| g.share).sum();
    let mut tally = Tally {
        per_group: vec![0; groups.len()],
        ..Tally::default()
    };
    while Instant::now() < until {
        let mut pick = rng.f64() * shares;
        let g = groups
            .iter()
            .position(|group| {
                pick -= group.share;
                pick < 0.0
            })
            .unwrap_or(groups.len() - 1);
        let body = groups[g].bodies[groups[g].draw(&mut rng)].clone();
        let started = Instant::now();
        let outcome = client
            .post(&*url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        let failure = match outcome {
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    // an answer with errors is a failure, whatever its status
                    Ok(bytes) if status.is_success() && !bytes.windows(9).any(|w| w == b"\"errors\":") => None,
                    Ok(bytes) => Some(format!(
                        "{status}: {}",
                        String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
                    )),
                    Err(e) => Some(format!("reading the answer: {e}")),
                }
            }
            Err(e) => Some(format!("sending: {e}")),
        };
        tally
            .latencies_us
            .push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
        tally.per_group[g] += 1;
        if let Some(failure) = failure {
            tally.failed += 1;
            tally.first_failure.get_or_insert(failure);
        }
    }
    tally
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let groups = Arc::new(load_groups(&args.requests)?);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(30))
        .build()?;
    let url: Arc<str> = args.url.into();
    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let tasks: Vec<_> = (0..args.connections)
        .map(|i| {
            tokio::spawn(connection(
                client.clone(),
                Arc::clone(&url),
                Arc::clone(&groups),
                args.seed.wrapping_mul(1_000_003).wrapping_add(i as u64),
                until,
            ))
        })
        .collect();
    let mut all = Tally {
        per_group: vec![0; groups.len()],
        ..Tally::default()
    };
    for task in tasks {
        let tally = task.await?;
        all.latencies_us.extend(tally.latencies_us);
        all.failed += tally.failed;
        for (sum, n) in all.per_group.iter_mut().zip(tally.per_group) {
            *sum += n;
        }
        if all.first_failure.is_none() {
            all.first_failure = tally.first_failure;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.latencies_us.sort_unstable();
    let percentile = |p: f64| -> f64 {
        let n = all.latencies_us.len();
        if n == 0 {
            return 0.0;
        }
        all.latencies_us[((n as f64 * p) as usize).min(n - 1)] as f64 / 1000.0
    };
    let per_group: serde_json::Map<String, Value> = groups
        .iter()
        .zip(&all.per_group)
        .map(|(g, n)| (g.name.clone(), json!(n)))
        .collect();
    println!(
        "{}",
        json!({
            "requests": all.latencies_us.len(),
            "seconds": elapsed,
            "requests_per_second": all.latencies_us.len() as f64 / elapsed,
            "p50_ms": percentile(0.50),
            "p99_ms": percentile(0.99),
            "failed": all.failed,
            "first_failure": all.first_failure,
            "per_group": per_group,
        })
    );
    Ok(())
}
