//! The api and the worker across a restart of the database server. These
//! stop and start a private PostgreSQL cluster of their own (never the shared
//! server); without initdb they are skipped (`support::missing`).

use newsgraph_shared::queue;
use std::time::{Duration, Instant};

use newsgraph_api::{ApiConfig, AppState};
use newsgraph_drills::pg_cluster::{self, PrivateCluster};
use newsgraph_shared::db;
use newsgraph_shared::jobs::enqueue_recompute;
use newsgraph_shared::scoring::ScoringConfig;
use newsgraph_worker::WorkerOptions;
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// A private cluster with one migrated database, or None (SKIPPED) when
/// initdb is not installed.
async fn cluster_with_database(test: &str) -> Option<(PrivateCluster, PgConnectOptions)> {
    if !pg_cluster::available() {
        crate::support::missing(
            &format!("initdb/pg_ctl (for {test})"),
            &format!("not found in {}", pg_cluster::pg_bin_dir().display()),
        );
        return None;
    }
    let cluster = PrivateCluster::start().expect("a private cluster starts");
    let url = newsgraph_drills::database_url(&cluster.server_url(), "newsgraph_restart");
    assert!(db::create_database_if_missing(&url).await.unwrap());
    let pool = db::connect(&url, 2).await.unwrap();
    db::migrate(&pool).await.unwrap();
    pool.close().await;
    Some((cluster, url.parse().unwrap()))
}

/// `pg_ctl` waits; it runs off the runtime's threads.
fn stop(cluster: &PrivateCluster) {
    tokio::task::block_in_place(|| cluster.stop_server()).expect("pg_ctl stop");
}

fn start(cluster: &PrivateCluster) {
    tokio::task::block_in_place(|| cluster.start_server()).expect("pg_ctl start");
}

/// Polls `ready` every 100 ms; panics after `limit` (a bound for a broken
/// build, not a speed check).
async fn eventually<F: AsyncFn() -> bool>(what: &str, limit: Duration, ready: F) {
    let start = Instant::now();
    while !ready().await {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post(client: &reqwest::Client, url: &str) -> (u16, Option<String>, Value) {
    let response = client
        .post(url)
        .json(&json!({"query": "{ topic(slug: \"climate\") { name } }"}))
        .send()
        .await
        .expect("the api answers");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry_after, response.json().await.unwrap())
}

/// The api on port 0 with its own pool settings (`newsgraph serve`'s).
async fn serve_api(options: &PgConnectOptions, config: ApiConfig) -> (AppState, String) {
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(newsgraph_api::DB_ACQUIRE_TIMEOUT)
        .connect_with(options.clone().options(newsgraph_api::DB_SETTINGS.iter().copied()))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(pool, config);
    tokio::spawn(newsgraph_api::serve(listener, state.clone(), std::future::pending()));
    (state, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_answers_are_not_served_once_the_database_is_gone() {
    let Some((cluster, options)) = cluster_with_database("api cache across a restart").await else {
        return;
    };
    let config = ApiConfig {
        response_cache_ttl: Duration::from_secs(600),
        ..ApiConfig::default()
    };
    let (state, base) = serve_api(&options, config).await;
    assert!(state.events().wait_listening(Duration::from_secs(30)).await);
    let client = reqwest::Client::new();
    let graphql = format!("{base}/graphql");
    let cache = async || {
        let response = client
            .post(&graphql)
            .json(&json!({"query": "{ topic(slug: \"climate\") { name } }"}))
            .send()
            .await
            .unwrap();
        let header = response
            .headers()
            .get("x-newsgraph-cache")
            .map(|v| v.to_str().unwrap().to_string());
        (response.status().as_u16(), header)
    };
    assert_eq!(cache().await, (200, Some("miss".into())));
    assert_eq!(cache().await, (200, Some("hit".into())), "the answer is cached");

    stop(&cluster);
    // The listener sees its connection close when the server stops; it must
    // say so at once, not after a reconnect attempt has waited out the outage.
    eventually(
        "the event listener stops listening",
        Duration::from_secs(5),
        async || !state.events().is_listening(),
    )
    .await;
    let (status, _, body) = post(&client, &graphql).await;
    assert_eq!(status, 503, "no cached answer while the database is away: {body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE", "{body}");

    start(&cluster);
    assert!(
        state.events().wait_listening(Duration::from_secs(30)).await,
        "the listener listens again"
    );
    assert_eq!(
        cache().await,
        (200, Some("miss".into())),
        "answers cached before the outage end when the listener returns"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_down_the_api_answers_service_unavailable_then_serves_again() {
    let Some((cluster, options)) = cluster_with_database("api database restart").await else {
        return;
    };
    let (_, base) = serve_api(&options, ApiConfig::default()).await;
    let client = reqwest::Client::new();
    let graphql = format!("{base}/graphql");
    let readyz = format!("{base}/readyz");

    let (status, _, body) = post(&client, &graphql).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");

    stop(&cluster);
    let (status, retry_after, body) = post(&client, &graphql).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert_eq!(body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE", "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "the database is unavailable; retry shortly"
    );
    assert_eq!(client.get(&readyz).send().await.unwrap().status(), 503);

    start(&cluster);
    eventually("GraphQL answers 200 again", Duration::from_secs(30), async || {
        let (status, _, body) = post(&client, &graphql).await;
        status == 200 && body.get("errors").is_none()
    })
    .await;
    assert_eq!(client.get(&readyz).send().await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_keeps_running_across_a_database_restart_and_finishes_its_jobs() {
    let Some((cluster, options)) = cluster_with_database("worker database restart").await else {
        return;
    };
    // a short acquire timeout: the worker's queue calls fail while the
    // server is down, which ended the worker before it restarted its runs
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(1))
        .connect_with(options)
        .await
        .unwrap();
    let mut worker = WorkerOptions::new(ScoringConfig::default());
    worker.heartbeat = Duration::from_millis(500);
    worker.poll_interval = Duration::from_millis(200);
    let running = tokio::spawn(newsgraph_worker::run(pool.clone(), worker));
    let enqueue = async |id: i64| {
        let mut tx = pool.begin().await.unwrap();
        // the article does not exist: the job finishes at once, which is all this needs
        enqueue_recompute(&mut tx, &[id]).await.unwrap();
        tx.commit().await.unwrap();
    };
    let all_done = async |pool: &PgPool| queue::counts(pool).await.is_ok_and(|counts| counts.all_done());

    enqueue(1).await;
    eventually("the first job is done", Duration::from_secs(30), async || {
        all_done(&pool).await
    })
    .await;

    stop(&cluster);
    // several heartbeats and polls fail meanwhile
    tokio::time::sleep(Duration::from_secs(3)).await;
    start(&cluster);
    enqueue(2).await;
    enqueue(3).await;
    eventually(
        "every job is done after the restart",
        Duration::from_secs(60),
        async || all_done(&pool).await,
    )
    .await;
    assert!(!running.is_finished(), "the worker stopped: {:?}", running.await);
    running.abort();
}
