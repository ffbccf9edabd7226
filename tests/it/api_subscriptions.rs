//! Subscriptions over WebSocket (graphql-transport-ws) at `/graphql/ws`, fed
//! by LISTEN/NOTIFY: changes made by another process (the real worker
//! binary, a connection outside the server) reach subscribers within a
//! second of their commit; anonymous subscribers hear about published
//! articles only; topics filter; the listener survives losing its connection.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use newsgraph_shared::auth::Role;
use newsgraph_shared::editorial::{self, Action};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::api_mutations::{data_as, token};
use crate::api_support::{TestApp, global_id};
use crate::support::TestDb;

/// A graphql-transport-ws client.
pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    /// Connects and initialises with `payload`; `Err` holds the close reason
    /// when the server refuses.
    pub async fn try_connect(addr: SocketAddr, payload: Value) -> Result<Self, String> {
        let mut request = format!("ws://{addr}/graphql/ws").into_client_request().unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(response.headers()["sec-websocket-protocol"], "graphql-transport-ws");
        let mut client = Self { socket };
        client
            .send(json!({"type": "connection_init", "payload": payload}))
            .await;
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), client.socket.next())
                .await
                .expect("an answer to connection_init")
                .expect("the socket stays open")
                .unwrap();
            match message {
                Message::Text(text) => {
                    let message: Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(message["type"], "connection_ack", "{message}");
                    return Ok(client);
                }
                Message::Close(frame) => return Err(frame.map(|f| f.reason.to_string()).unwrap_or_default()),
                _ => {}
            }
        }
    }

    pub async fn connect(addr: SocketAddr, payload: Value) -> Self {
        Self::try_connect(addr, payload).await.unwrap()
    }

    async fn send(&mut self, message: Value) {
        self.socket.send(Message::text(message.to_string())).await.unwrap();
    }

    pub async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({"id": id, "type": "subscribe", "payload": {"query": query}}))
            .await;
    }

    /// The `data` of the next event within `limit`, or `None`.
    pub async fn next(&mut self, limit: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()??
                .ok()?;
            if let Message::Text(text) = message {
                let message: Value = serde_json::from_str(&text).unwrap();
                match message["type"].as_str() {
                    Some("next") => {
                        assert!(message["payload"].get("errors").is_none(), "{message}");
                        return Some(message["payload"]["data"].clone());
                    }
                    Some("ping") => self.send(json!({"type": "pong"})).await,
                    _ => panic!("unexpected message {message}"),
                }
            }
        }
    }

    /// The next event about the article with this URL within `limit`,
    /// skipping events about others.
    pub async fn next_about(&mut self, field: &str, url: &str, limit: Duration) -> Option<Value> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let data = self.next(left).await?;
            if data[field]["article"]["canonicalUrl"] == url {
                return Some(data[field].clone());
            }
        }
    }
}

/// `newsgraph serve` as a process of its own, with its log output captured.
pub struct Server {
    pub addr: SocketAddr,
    child: Child,
    logs: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

impl Server {
    pub async fn spawn(db: &TestDb, rust_log: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_newsgraph"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", &db.url)
            .env("RUST_LOG", rust_log)
            .env_remove("LOG_FORMAT")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(String::new()));
        let (found, addr) = std::sync::mpsc::channel();
        let captured = logs.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("newsgraph API on http://") {
                    let addr: SocketAddr = rest.split('/').next().unwrap().parse().unwrap();
                    let _ = found.send(addr);
                }
                let mut logs = captured.lock().unwrap();
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        let addr = tokio::task::spawn_blocking(move || addr.recv_timeout(Duration::from_secs(30)))
            .await
            .unwrap()
            .expect("the server starts");
        Self {
            addr,
            child,
            logs,
            reader,
        }
    }

    /// Stops the server; returns everything it logged.
    pub async fn stop(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let reader = self.reader;
        tokio::task::spawn_blocking(move || reader.join().unwrap())
            .await
            .unwrap();
        self.logs.lock().unwrap().clone()
    }
}

/// `newsgraph work` as a process of its own.
fn worker(db: &TestDb) -> Child {
    Command::new(env!("CARGO_BIN_EXE_newsgraph"))
        .arg("work")
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Queues a recompute of the article; returns when it has committed.
async fn enqueue(db: &TestDb, url: &str) -> Instant {
    let id = db.article_id(url).await;
    let mut tx = db.pool.begin().await.unwrap();
    newsgraph_shared::jobs::enqueue_recompute(&mut tx, &[id]).await.unwrap();
    tx.commit().await.unwrap();
    Instant::now()
}

/// An editor action on a connection of the test's own (not the server's);
/// returns when it (and its notification) has committed.
async fn act_outside_the_server(db: &TestDb, url: &str, action: Action, reason: &str) -> Instant {
    let article_id = db.article_id(url).await;
    editorial::perform(
        &db.pool,
        editorial::Request {
            article_id,
            editor: "elsewhere",
            action,
            reason: Some(reason),
            expected_version: None,
        },
    )
    .await
    .unwrap();
    Instant::now()
}

/// Makes sure the clients' `articlePublicationChanged` subscriptions are
/// active (a `subscribe` message is not acknowledged): publishes the
/// article, which every one of them hears, until each has heard it; then
/// reads what is left of these changes.
async fn warm_up(clients: &mut [&mut WsClient], db: &TestDb, url: &str) {
    let field = "articlePublicationChanged";
    for client in clients.iter_mut() {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            act_outside_the_server(db, url, Action::Publish, "warm-up").await;
            if client
                .next_about(field, url, Duration::from_millis(500))
                .await
                .is_some()
            {
                break;
            }
            assert!(Instant::now() < deadline, "the subscription never became active");
        }
    }
    for client in clients.iter_mut() {
        while client
            .next_about(field, url, Duration::from_millis(300))
            .await
            .is_some()
        {}
    }
}

const RESCORED: &str = "subscription { articleRescored { kind published article { canonicalUrl quality } } }";
const PUBLICATION: &str = "subscription($t: String) { articlePublicationChanged(topic: $t) { kind published article { canonicalUrl publication { decidedBy } } } }";

fn publication_query(topic: Option<&str>) -> String {
    match topic {
        Some(topic) => PUBLICATION
            .replace("($t: String)", "")
            .replace("topic: $t", &format!("topic: \"{topic}\"")),
        None => PUBLICATION.replace("($t: String)", "").replace("(topic: $t)", ""),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_hears_of_changes_committed_by_other_processes_within_a_second() {
    let app = TestApp::with_newsroom().await;
    let db = &app.db;
    newsgraph_shared::queue::delete_all(&db.pool).await.unwrap();
    let editor = token(db, "watcher", Role::Editor).await;
    let mut rescored = WsClient::connect(app.addr, json!({"authorization": format!("Bearer {editor}")})).await;
    rescored.subscribe("r", RESCORED).await;
    let mut published = WsClient::connect(app.addr, json!({"token": editor})).await;
    published.subscribe("p", &publication_query(None)).await;
    let mut work = worker(db);

    // warm-up: the worker is up and both subscriptions are active
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        enqueue(db, "https://beta.example/derby").await;
        let heard = rescored
            .next_about("articleRescored", "https://beta.example/derby", Duration::from_secs(2))
            .await;
        if let Some(first) = heard {
            assert_eq!(first["kind"], "RESCORED");
            break;
        }
        assert!(Instant::now() < deadline, "the worker's recomputes are never heard");
    }
    while rescored.next(Duration::from_millis(300)).await.is_some() {}
    warm_up(&mut [&mut published], db, "https://beta.example/e2").await;

    // a worker's recompute, committed by another process
    let committed_before = enqueue(db, "https://alpha.example/markets").await;
    let event = rescored
        .next_about(
            "articleRescored",
            "https://alpha.example/markets",
            Duration::from_secs(10),
        )
        .await
        .expect("the recompute is heard");
    let elapsed = committed_before.elapsed();
    eprintln!("worker recompute heard {elapsed:?} after its job was queued");
    assert!(event["article"]["quality"].is_number());
    assert!(
        elapsed < Duration::from_secs(1),
        "heard {elapsed:?} after the job was queued (the worker's commit came later still)"
    );

    // an editor's action committed on another connection
    let committed = act_outside_the_server(db, "https://alpha.example/e3", Action::Unpublish, "off").await;
    let event = published
        .next_about(
            "articlePublicationChanged",
            "https://alpha.example/e3",
            Duration::from_secs(10),
        )
        .await
        .expect("the action is heard");
    let elapsed = committed.elapsed();
    eprintln!("editor action heard {elapsed:?} after its commit");
    assert_eq!(event["published"], false);
    assert_eq!(event["article"]["publication"]["decidedBy"], "EDITOR");
    assert!(elapsed < Duration::from_secs(1), "heard {elapsed:?} after the commit");
    work.kill().unwrap();
    work.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_subscribers_hear_about_published_articles_only_and_topics_filter() {
    let app = TestApp::with_newsroom().await;
    let db = &app.db;
    let editor = token(db, "erin", Role::Editor).await;
    let pipeline = token(db, "pipeline", Role::Ingest).await;
    let mut anonymous = WsClient::connect(app.addr, json!({})).await;
    anonymous.subscribe("a", &publication_query(None)).await;
    let mut ingest = WsClient::connect(app.addr, json!({"token": pipeline})).await;
    ingest.subscribe("i", &publication_query(None)).await;
    let mut climate = WsClient::connect(app.addr, json!({})).await;
    climate.subscribe("c", &publication_query(Some("climate"))).await;
    let mut desk = WsClient::connect(app.addr, json!({"token": editor})).await;
    desk.subscribe("e", &publication_query(None)).await;
    warm_up(
        &mut [&mut anonymous, &mut ingest, &mut climate, &mut desk],
        db,
        "https://alpha.example/ocean-heat",
    )
    .await;

    let mutate = |query: &'static str, url: &'static str| {
        let (app, editor) = (&app, editor.clone());
        async move {
            let id = global_id("Article", app.db.article_id(url).await);
            data_as(app, &editor, query, json!({"id": id})).await;
        }
    };
    const UNPUBLISH: &str = "mutation($id: ID!) { unpublishArticle(id: $id, reason: \"hold\") { article { id } } }";
    const PUBLISH: &str = "mutation($id: ID!) { publishArticle(id: $id, reason: \"ok\") { article { id } } }";
    mutate(UNPUBLISH, "https://alpha.example/ocean-heat").await; // World/Climate/Oceans, now unpublished
    mutate(PUBLISH, "https://alpha.example/draft").await; // World/Climate, now published
    mutate(PUBLISH, "https://beta.example/derby").await; // Sports, published

    let field = "articlePublicationChanged";
    let urls = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| e[field]["article"]["canonicalUrl"].as_str().unwrap().to_string())
            .collect()
    };
    let mut desk_events = Vec::new();
    for _ in 0..3 {
        desk_events.push(
            desk.next(Duration::from_secs(10))
                .await
                .expect("editors hear every change"),
        );
    }
    assert_eq!(
        urls(&desk_events),
        [
            "https://alpha.example/ocean-heat",
            "https://alpha.example/draft",
            "https://beta.example/derby"
        ]
    );
    assert_eq!(desk_events[0][field]["published"], false);
    for client in [&mut anonymous, &mut ingest] {
        let mut heard = Vec::new();
        for _ in 0..2 {
            heard.push(
                client
                    .next(Duration::from_secs(10))
                    .await
                    .expect("published changes are heard"),
            );
        }
        assert_eq!(
            urls(&heard),
            ["https://alpha.example/draft", "https://beta.example/derby"],
            "the unpublished article is never mentioned"
        );
        assert!(heard.iter().all(|e| e[field]["published"] == true));
    }
    let heard = climate.next(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        urls(&[heard]),
        ["https://alpha.example/draft"],
        "climate and the topics below it"
    );
    assert!(
        climate.next(Duration::from_millis(500)).await.is_none(),
        "nothing about sports"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_at_connection_init_closes_the_socket_without_showing_the_token() {
    let app = TestApp::new().await;
    let revoked = token(&app.db, "gone", Role::Editor).await;
    newsgraph_shared::auth::revoke_token(&app.db.pool, "gone")
        .await
        .unwrap();
    for payload in [
        json!({"token": revoked}),
        json!({"authorization": format!("Bearer {revoked}")}),
        json!({"authorization": "Basic abc"}),
        json!({"token": 42}),
    ] {
        let reason = WsClient::try_connect(app.addr, payload.clone())
            .await
            .err()
            .expect("refused");
        assert!(reason.starts_with("UNAUTHENTICATED"), "{payload}: {reason}");
        assert!(!reason.contains(&revoked[4..]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_listens_again_after_its_connection_is_killed() {
    let app = TestApp::with_newsroom().await;
    let db = &app.db;
    let editor = token(db, "erin", Role::Editor).await;
    let mut desk = WsClient::connect(app.addr, json!({"token": editor})).await;
    desk.subscribe("e", &publication_query(None)).await;
    assert!(app.state.events().wait_listening(Duration::from_secs(10)).await);
    act_outside_the_server(db, "https://beta.example/derby", Action::Unpublish, "before").await;
    desk.next_about(
        "articlePublicationChanged",
        "https://beta.example/derby",
        Duration::from_secs(10),
    )
    .await
    .expect("heard before the kill");

    let killed: Vec<bool> = sqlx::query_scalar(
        "select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(killed, [true], "one listener connection per process");

    // changes go unheard while it reconnects; keep making them until one is heard
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut heard = None;
    let mut n = 0;
    while heard.is_none() && Instant::now() < deadline {
        n += 1;
        let action = if n % 2 == 1 { Action::Publish } else { Action::Unpublish };
        act_outside_the_server(db, "https://beta.example/derby", action, "after").await;
        heard = desk
            .next_about(
                "articlePublicationChanged",
                "https://beta.example/derby",
                Duration::from_millis(500),
            )
            .await;
    }
    assert!(heard.is_some(), "the listener came back");
}
