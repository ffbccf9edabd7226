//! `newsgraph dev` as a newcomer runs it: one command gives a served API
//! whose demo data is scored, and a taken port names the way out.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::TestDb;

/// A running `newsgraph dev` over a test database, stopped with SIGTERM
/// (`stop`) or killed when dropped.
pub struct Dev {
    child: std::process::Child,
    /// What it printed up to its "Ctrl-C" line.
    pub printed: Vec<String>,
    /// The GraphiQL address it printed (`http://ADDR/`).
    pub base_url: String,
    pub started: Instant,
}

impl Dev {
    /// Starts `dev` with `demo_articles` demo articles on a free port and
    /// waits for its ready lines.
    pub async fn start(db: &TestDb, demo_articles: usize) -> Self {
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_newsgraph"))
            .args([
                "dev",
                "--bind",
                "127.0.0.1:0",
                "--demo-articles",
                &demo_articles.to_string(),
            ])
            .env("DATABASE_URL", &db.url)
            .env("RUST_LOG", "warn")
            .env_remove("CARGO")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let printed = tokio::task::spawn_blocking(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let done = line.starts_with("Ctrl-C");
                lines.push(line);
                if done {
                    break;
                }
            }
            lines
        })
        .await
        .unwrap();
        let base_url = printed
            .iter()
            .find_map(|l| l.trim().strip_prefix("GraphiQL:"))
            .unwrap_or_else(|| panic!("no GraphiQL address in {printed:#?}"))
            .trim()
            .to_string();
        Self {
            child,
            printed,
            base_url,
            started,
        }
    }

    /// Waits until the built-in worker has scored every article.
    pub async fn wait_until_scored(&self, db: &TestDb) {
        let waiting = Instant::now();
        while db
            .count("select count(*) from article_state where scored_at is null")
            .await
            > 0
        {
            assert!(waiting.elapsed() < Duration::from_secs(90), "scoring never finished");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGTERM, then the exit status must be success.
    pub fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "dev stops cleanly on SIGTERM: {status}");
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_serves_scored_demo_data_with_held_back_coverage() {
    let db = TestDb::new().await;
    let dev = Dev::start(&db, 120).await;
    let text = dev.printed.join("\n");
    assert!(text.contains("/editor"), "{text}");
    assert!(
        text.contains("newsgraph token create --name my-name --role editor"),
        "{text}"
    );

    // Anonymous readers see published articles once the built-in worker
    // has scored them: no second command needed.
    let client = reqwest::Client::new();
    let query = json!({ "query": "{ articles(first: 3) { totalCount nodes { title lead { title } } } }" });
    let total = loop {
        let answer: Value = client
            .post(format!("{}graphql", dev.base_url))
            .json(&query)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let total = answer["data"]["articles"]["totalCount"].as_i64().unwrap_or(0);
        if total > 0 || dev.started.elapsed() > Duration::from_secs(60) {
            break total;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(total > 0, "no published article a minute after the start");
    eprintln!(
        "dev: {total} published articles served {:?} after the start",
        dev.started.elapsed()
    );
    // The lead rule holds some coverage back, and some demo files are removed.
    dev.wait_until_scored(&db).await;
    let held: i64 = db
        .count(
            "select count(*) from article_state
             where not published and score_breakdown->'publication'->>'reasons' like '%not the lead%'",
        )
        .await;
    assert!(held > 0, "no held-back coverage in the demo data");
    let refused: i64 = db
        .count(
            "select count(*) from article_state
             where not published and score_breakdown->'publication'->>'reasons' like '%below the publish threshold%'",
        )
        .await;
    assert!(refused > 0, "no demo article refused by the publication rule");
    assert!(db.count("select count(*) from article where removed").await > 0);
    // every demo topic has its feed highlight, every logo an absolute URL
    assert_eq!(
        db.count("select count(*) from topic where highlight_background_color is null")
            .await,
        0
    );
    assert_eq!(
        db.count(
            "select count(*) from provider, jsonb_array_elements(coalesce(images, '[]')) i
             where i->>'url' not like 'https://%'"
        )
        .await,
        0
    );
    dev.stop();
}

#[tokio::test]
async fn dev_names_the_way_out_when_its_port_is_taken() {
    let db = TestDb::new().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_newsgraph"))
        .args(["dev", "--bind", &addr])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "a fatal error");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("{addr} is taken")), "{stderr}");
    assert!(stderr.contains("--bind ADDR or NEWSGRAPH_BIND"), "{stderr}");
    // Nothing was loaded: the port is checked first.
    assert_eq!(db.count("select count(*) from article").await, 0);
}
