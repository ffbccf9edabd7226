//! Drill `slow-clients`: slowloris connections, slow request bodies and
//! clients that never read their responses are closed by the server after
//! its timeouts, its connections and file descriptors stay under the cap,
//! and a normal client keeps getting answers meanwhile.
//!
//! Raw TCP (tokio) for the slow clients, reqwest for the normal one. See
//! drills/README.md.

use std::time::{Duration, Instant};

use anyhow::Result;
use newsgraph_drills::api::{self, Api, Latencies, Sampler, ms};
use newsgraph_drills::verdict;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DRILL: &str = "slow-clients";

/// How one slow connection ended.
#[derive(Debug)]
enum Ended {
    /// The server closed it this long after the client connected; with
    /// the status line it answered first, if any.
    Closed(Duration, Option<u16>),
    /// Still open at the drill's deadline.
    StillOpen,
    /// The drill could not connect.
    ConnectFailed(String),
}

/// Reads until the server closes; returns the first status code seen.
async fn read_until_closed(mut stream: tokio::net::tcp::OwnedReadHalf) -> Option<u16> {
    let mut status = None;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return status,
            Ok(n) => {
                if status.is_none() {
                    status = std::str::from_utf8(&buf[..n.min(12)])
                        .ok()
                        .and_then(|line| line.strip_prefix("HTTP/1.1 "))
                        .and_then(|rest| rest.get(..3))
                        .and_then(|code| code.parse().ok());
                }
            }
        }
    }
}

/// Sends `head`, then one byte of `drip` every `every`, until the server
/// closes the connection or `deadline`.
async fn dripping(
    addr: std::net::SocketAddr,
    head: String,
    drip: &'static [u8],
    every: Duration,
    deadline: Instant,
) -> Ended {
    let start = Instant::now();
    let stream = match tokio::time::timeout_at(deadline.into(), TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => return Ended::ConnectFailed(error.to_string()),
        Err(_) => return Ended::ConnectFailed("connect timed out".into()),
    };
    let (reader, mut writer) = stream.into_split();
    let closed = read_until_closed(reader);
    tokio::pin!(closed);
    let drip_loop = async {
        if writer.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for byte in drip.iter().cycle() {
            tokio::time::sleep(every).await;
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
        }
    };
    tokio::pin!(drip_loop);
    let sleep = tokio::time::sleep_until(deadline.into());
    tokio::pin!(sleep);
    tokio::select! {
        status = &mut closed => Ended::Closed(start.elapsed(), status),
        () = &mut drip_loop => {
            // the write failed: the server closed; read what it said
            let closed_at = start.elapsed();
            let status = tokio::time::timeout(Duration::from_secs(1), &mut closed).await.ok().flatten();
            Ended::Closed(closed_at, status)
        }
        () = &mut sleep => Ended::StillOpen,
    }
}

/// Pipelines `requests` copies of `request` and never reads; probes every
/// second with a harmless CRLF whether the server has closed the connection
/// (a write then fails).
async fn never_reading(addr: std::net::SocketAddr, request: String, requests: usize, deadline: Instant) -> Ended {
    let start = Instant::now();
    let stream = match TcpStream::connect(addr).await {
        Ok(stream) => stream,
        Err(error) => return Ended::ConnectFailed(error.to_string()),
    };
    let pipelined = request.repeat(requests);
    let mut written = 0;
    while Instant::now() < deadline {
        if written < pipelined.len() {
            match stream.try_write(&pipelined.as_bytes()[written..]) {
                Ok(n) => written += n,
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return Ended::Closed(start.elapsed(), None),
            }
        } else {
            match stream.try_write(b"\r\n") {
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return Ended::Closed(start.elapsed(), None),
            }
        }
        tokio::time::sleep(Duration::from_millis(if written < pipelined.len() { 20 } else { 1000 })).await;
    }
    Ended::StillOpen
}

struct Group {
    name: &'static str,
    closed: Latencies,
    statuses: Vec<Option<u16>>,
    still_open: usize,
    connect_failed: Vec<String>,
}

async fn collect(name: &'static str, tasks: Vec<tokio::task::JoinHandle<Ended>>) -> Result<Group> {
    let mut group = Group {
        name,
        closed: Latencies::default(),
        statuses: Vec::new(),
        still_open: 0,
        connect_failed: Vec::new(),
    };
    for task in tasks {
        match task.await? {
            Ended::Closed(after, status) => {
                group.closed.0.push(after);
                group.statuses.push(status);
            }
            Ended::StillOpen => group.still_open += 1,
            Ended::ConnectFailed(error) => group.connect_failed.push(error),
        }
    }
    Ok(group)
}

fn secs(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

async fn run(failures: &mut Vec<String>) -> Result<String> {
    let articles: usize = api::arg("--articles", 2000)?;
    let slowloris: usize = api::arg("--slowloris", 1000)?;
    let slow_bodies: usize = api::arg("--slow-bodies", 50)?;
    let non_readers: usize = api::arg("--non-readers", 20)?;
    let pipelined: usize = api::arg("--pipelined", 200)?;
    let max_connections: usize = api::arg("--max-connections", 512)?;
    let header_timeout: u64 = api::arg("--header-timeout", 10)?;
    let request_timeout: u64 = api::arg("--request-timeout", 30)?;
    let write_timeout: u64 = api::arg("--write-timeout", 30)?;
    let drip_ms: u64 = api::arg("--drip-ms", 2000)?;
    let max_rss_mb: u64 = api::arg("--max-rss-mb", 256)?;
    // The normal client's p99 during the attack may be at most this: the
    // non-readers' pipelined feeds are real work on a shared 2-core machine.
    let max_normal_p99_ms: u64 = api::arg("--max-normal-p99-ms", 1000)?;

    let db = api::scored_demo_database("newsgraph_drill_slow_clients", articles).await?;
    let topic = api::busiest_topic(&db).await?;
    let mut server = Api::start(
        &db,
        &[
            "--max-connections".into(),
            max_connections.to_string(),
            "--header-timeout".into(),
            header_timeout.to_string(),
            "--request-timeout".into(),
            request_timeout.to_string(),
            "--write-timeout".into(),
            write_timeout.to_string(),
        ],
    )
    .await?;
    let addr = server.addr;
    let graphql = server.url("/graphql");
    let feed = api::topic_feed(&topic, 20);

    // the normal client alone (also warms the server up)
    let (alone, failed) =
        api::normal_traffic(&graphql, &feed, 1, Duration::from_secs(5), Duration::from_millis(50)).await;
    failures.extend(failed.into_iter().take(3).map(|f| format!("normal client alone: {f}")));
    let baseline_fds = server.open_fds().unwrap_or(0);
    let sampler = Sampler::start(server.server.pid());

    // Attack rounds: slowloris connections beyond the cap wait in the
    // kernel's queue and get their slot when earlier ones are closed.
    let rounds = (slowloris + slow_bodies + non_readers).div_ceil(max_connections) as u64;
    let attack_time = Duration::from_secs((rounds + 1) * header_timeout + request_timeout.max(write_timeout) + 20);
    let started = Instant::now();
    let deadline = started + attack_time;
    let every = Duration::from_millis(drip_ms);

    // the normal client during the attack: one keep-alive connection
    let normal = {
        let (graphql, feed) = (graphql.clone(), feed.clone());
        let duration = Duration::from_secs(header_timeout.max(request_timeout).max(write_timeout) + header_timeout);
        tokio::spawn(async move { api::normal_traffic(&graphql, &feed, 1, duration, Duration::from_millis(50)).await })
    };
    // a fresh connection every 2 s: how long a new client waits
    let fresh = tokio::spawn(async move {
        let mut waits = Latencies::default();
        let mut failed = Vec::new();
        let end = Instant::now() + Duration::from_secs(header_timeout * (rounds + 1));
        while Instant::now() < end {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(attack_time)
                .build()
                .expect("a client");
            let sent = Instant::now();
            match client.get(format!("http://{addr}/healthz")).send().await {
                Ok(response) if response.status() == 200 => waits.0.push(sent.elapsed()),
                Ok(response) => failed.push(format!("status {}", response.status())),
                Err(error) => failed.push(error.to_string()),
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        (waits, failed)
    });

    let body_head =
        "POST /graphql HTTP/1.1\r\nhost: drill\r\ncontent-type: application/json\r\ncontent-length: 10000\r\n\r\n";
    let slow_body_tasks: Vec<_> = (0..slow_bodies)
        .map(|_| {
            tokio::spawn(dripping(
                addr,
                body_head.to_string(),
                b"{\"query\": \"",
                every,
                deadline,
            ))
        })
        .collect();
    let big_feed = serde_json::to_string(&api::topic_feed(&topic, 100))?;
    let request = format!(
        "POST /graphql HTTP/1.1\r\nhost: drill\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{big_feed}",
        big_feed.len()
    );
    let non_reader_tasks: Vec<_> = (0..non_readers)
        .map(|_| tokio::spawn(never_reading(addr, request.clone(), pipelined, deadline)))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loris_head = "GET /healthz HTTP/1.1\r\nhost: drill\r\n";
    let loris_tasks: Vec<_> = (0..slowloris)
        .map(|_| {
            tokio::spawn(dripping(
                addr,
                loris_head.to_string(),
                b"x-slow: a\r\n",
                every,
                deadline,
            ))
        })
        .collect();

    let loris = collect("slowloris", loris_tasks).await?;
    let bodies = collect("slow body", slow_body_tasks).await?;
    let readers = collect("never reading", non_reader_tasks).await?;
    let (under_attack, failed) = normal.await?;
    failures.extend(
        failed
            .into_iter()
            .take(3)
            .map(|f| format!("normal client under attack: {f}")),
    );
    let (fresh_waits, failed) = fresh.await?;
    failures.extend(failed.into_iter().take(3).map(|f| format!("fresh connection: {f}")));

    // after the attack, the server's descriptors go back to where they were
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after_fds = server.open_fds().unwrap_or(u64::MAX);

    let header = Duration::from_secs(header_timeout);
    let slow_limits = [
        (&loris, header * (rounds as u32 + 1), Some(header)),
        (
            &bodies,
            Duration::from_secs(request_timeout) + header * 2,
            Some(Duration::from_secs(request_timeout)),
        ),
        (
            &readers,
            Duration::from_secs(write_timeout) * 2 + Duration::from_secs(10),
            None,
        ),
    ];
    for (group, latest, earliest) in slow_limits {
        eprintln!(
            "{DRILL}: {}: {} closed by the server after {}..{} s (p50 {} s), {} still open, {} could not connect",
            group.name,
            group.closed.len(),
            secs(group.closed.percentile(0.0)),
            secs(group.closed.max()),
            secs(group.closed.percentile(50.0)),
            group.still_open,
            group.connect_failed.len()
        );
        if group.still_open > 0 {
            failures.push(format!(
                "{}: {} connections still open at the deadline",
                group.name, group.still_open
            ));
        }
        if let Some(error) = group.connect_failed.first() {
            failures.push(format!(
                "{}: {} could not connect: {error}",
                group.name,
                group.connect_failed.len()
            ));
        }
        if group.closed.max() > latest {
            failures.push(format!(
                "{}: a connection was closed after {} s, later than {} s",
                group.name,
                secs(group.closed.max()),
                secs(latest)
            ));
        }
        if let Some(earliest) = earliest
            && !group.closed.is_empty()
            && group.closed.percentile(0.0) < earliest.mul_f64(0.9)
        {
            failures.push(format!(
                "{}: a connection was closed after {} s, before its timeout of {} s",
                group.name,
                secs(group.closed.percentile(0.0)),
                secs(earliest)
            ));
        }
    }
    let not_408 = bodies.statuses.iter().filter(|s| **s != Some(408)).count();
    if not_408 > 0 {
        failures.push(format!("{not_408} slow bodies were not answered 408 before the close"));
    }
    if under_attack.is_empty() {
        failures.push("the normal client got no answer during the attack".into());
    }
    let p99 = under_attack.percentile(99.0);
    if p99 > Duration::from_millis(max_normal_p99_ms) {
        failures.push(format!(
            "normal p99 during the attack {} ms, over {max_normal_p99_ms} ms",
            ms(p99)
        ));
    }
    let peak_fds = sampler.peak_fds();
    // the cap, plus what the process holds anyway (listener, pool, runtime)
    let fd_bound = max_connections as u64 + baseline_fds + 16;
    if peak_fds > fd_bound {
        failures.push(format!(
            "peak open descriptors {peak_fds}, over {fd_bound} (cap + baseline)"
        ));
    }
    if after_fds > baseline_fds + 8 {
        failures.push(format!(
            "{after_fds} open descriptors after the attack, baseline {baseline_fds}"
        ));
    }
    let rss = sampler.peak_rss_mb();
    if rss > max_rss_mb {
        failures.push(format!("server peak RSS {rss} MB, over {max_rss_mb} MB"));
    }
    if !server.alive() {
        failures.push("the server died".into());
    }
    eprintln!(
        "{DRILL}: normal client alone p99 {} ms ({} answers), during the attack p50 {} ms p99 {} ms max {} ms ({} answers); fresh connections waited up to {} s ({} tries); attack {} s",
        ms(alone.percentile(99.0)),
        alone.len(),
        ms(under_attack.percentile(50.0)),
        ms(p99),
        ms(under_attack.max()),
        under_attack.len(),
        secs(fresh_waits.max()),
        fresh_waits.len(),
        secs(started.elapsed())
    );
    drop(sampler);
    drop(server);
    api::drop_database("newsgraph_drill_slow_clients").await?;
    Ok(format!(
        "{} slowloris closed after {}-{} s (header timeout {header_timeout} s, cap {max_connections}), \
         {} slow bodies 408 after {}-{} s (request timeout {request_timeout} s), \
         {} non-readers closed after {}-{} s (write timeout {write_timeout} s); \
         normal p99 {} ms ({} answers, alone {} ms), fresh connections waited ≤ {} s; \
         server fds peak {peak_fds} (baseline {baseline_fds}, {after_fds} after), RSS {rss} MB",
        loris.closed.len(),
        secs(loris.closed.percentile(0.0)),
        secs(loris.closed.max()),
        bodies.closed.len(),
        secs(bodies.closed.percentile(0.0)),
        secs(bodies.closed.max()),
        readers.closed.len(),
        secs(readers.closed.percentile(0.0)),
        secs(readers.closed.max()),
        ms(p99),
        under_attack.len(),
        ms(alone.percentile(99.0)),
        secs(fresh_waits.max()),
    ))
}

#[tokio::main]
async fn main() {
    let mut failures = Vec::new();
    let figures = match run(&mut failures).await {
        Ok(figures) => figures,
        Err(error) => {
            failures.push(format!("{error:#}"));
            "setup failed".to_string()
        }
    };
    verdict(DRILL, &failures, &figures);
}
