//! Limits against slow and hostile clients: header-read, request and write
//! timeouts, the connection cap, and query shapes refused before they run.
//! Timeouts are configured short; assertions only bound them generously.

use std::net::SocketAddr;
use std::time::Duration;

use newsgraph_api::server::limits::Limits;
use newsgraph_api::{ApiConfig, AppState};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use crate::api_support::TestApp;
use crate::support::TestDb;

/// The API with `limits` over an empty database; stops when the returned
/// sender is dropped.
async fn serve_with(limits: Limits) -> (SocketAddr, TestDb, oneshot::Sender<()>) {
    let db = TestDb::new().await;
    let state = AppState::new(
        db.pool.clone(),
        ApiConfig {
            limits,
            ..ApiConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(newsgraph_api::serve(listener, state, async {
        let _ = stopped.await;
    }));
    (addr, db, stop)
}

/// Reads until the server closes the connection; returns what it sent.
/// Panics if it has not closed within `bound`.
async fn read_until_closed(stream: &mut TcpStream, bound: Duration) -> Vec<u8> {
    let mut received = Vec::new();
    let read = async {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(bound, read)
        .await
        .unwrap_or_else(|_| panic!("the server did not close the connection within {bound:?}"));
    received
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_connection_is_closed_after_the_header_timeout() {
    let (addr, _db, _stop) = serve_with(Limits {
        header_read_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    // a header byte now and then, never the blank line that ends the head
    let drip = async {
        for byte in b"x-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter().cycle() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(15), drip)
        .await
        .expect("the server closed the dripping connection within 15 × the header timeout");

    // a complete request is answered and the idle connection closed after
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(15)).await;
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_is_answered_408_and_the_connection_closed() {
    let (addr, _db, _stop) = serve_with(Limits {
        request_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(
            b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{",
        )
        .await
        .unwrap();
    let drip = tokio::spawn(async move {
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer.write_all(b" ").await.is_err() {
                break;
            }
        }
    });
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), reader.read_to_end(&mut answer))
        .await
        .expect("answered and closed within 15 × the request timeout")
        .ok();
    drip.abort();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"REQUEST_TIMEOUT\""), "{answer}");
}

// With a write timeout far above the test's wait (100 s) this test fails:
// the connection stays open and every answer arrives once the client reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_disconnected_after_the_write_timeout() {
    let (addr, _db, _stop) = serve_with(Limits {
        write_timeout: Duration::from_secs(1),
        header_read_timeout: Duration::from_secs(120),
        ..Limits::default()
    })
    .await;
    // The introspection answer is tens of kB. The client's receive buffer
    // is kept small (it would otherwise grow to tens of MB on loopback), so
    // 3,000 of them fill it and the server's send buffer (4 MB at most), and
    // the server's writes stop making progress.
    let query = "{ __schema { types { name description fields { name description args { name description } } } } }";
    let url = url::Url::parse_with_params("http://x/graphql", &[("query", query)]).unwrap();
    let request = format!(
        "GET {}?{} HTTP/1.1\r\nhost: x\r\n\r\n",
        url.path(),
        url.query().unwrap()
    );
    let requests = 3000;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    stream.write_all(request.repeat(requests).as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    // Had the server kept the connection, reading now would unblock it and
    // every answer would arrive, then the connection would stay open.
    let answer = read_until_closed(&mut stream, Duration::from_secs(30)).await;
    let answered = String::from_utf8_lossy(&answer).matches("HTTP/1.1 200").count();
    assert!(answered > 0, "some answers were written before the buffers filled");
    assert!(
        answered < requests,
        "the server gave up writing: {answered} of {requests} answers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_wait_until_one_closes() {
    let (addr, _db, _stop) = serve_with(Limits {
        max_connections: 1,
        ..Limits::default()
    })
    .await;
    let mut holder = TcpStream::connect(addr).await.unwrap();
    holder.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let waiting = tokio::spawn(async move {
        reqwest::Client::new()
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .map(|r| r.status())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "the second connection is not served while the first holds the only slot"
    );
    drop(holder);
    let status = tokio::time::timeout(Duration::from_secs(15), waiting)
        .await
        .expect("served once the slot is free")
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alias_bombs_fragment_explosions_and_cycles_are_refused_before_running() {
    // the default body limit: the 1,000 aliases are about 50 kB
    let app = TestApp::configured(TestDb::new().await, ApiConfig::default()).await;
    let aliases: Vec<String> = (0..1000)
        .map(|i| format!("a{i}: search(query: \"news\", first: 1) {{ totalCount }}"))
        .collect();
    let body = app.post(&format!("{{ {} }}", aliases.join(" ")), json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "the operation uses 1000 aliases; at most 50 are allowed"
    );
    assert_eq!(body["extensions"]["sqlStatements"], 0, "nothing ran");

    // F0 spreads F1 twice, ... : 2^30 selections; refused without expanding
    let mut explosion = String::from("{ topics { ...F0 } }");
    for level in 0..30 {
        explosion.push_str(&format!(
            " fragment F{level} on Topic {{ ...F{n} ...F{n} }}",
            n = level + 1
        ));
    }
    explosion.push_str(" fragment F30 on Topic { name }");
    let body = tokio::time::timeout(Duration::from_secs(60), app.post(&explosion, json!({})))
        .await
        .expect("answered");
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{body}");

    let cycle = "{ topics { ...A } } fragment A on Topic { name ...B } fragment B on Topic { slug ...A }";
    let body = app.post(cycle, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("spreads itself"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_limits_hold_for_every_transport() {
    // straight into the schema, as WebSocket subscriptions are
    let aliases: Vec<String> = (0..100).map(|i| format!("a{i}: topics {{ slug }}")).collect();
    let response = newsgraph_api::graphql::schema::build()
        .execute(format!("{{ {} }}", aliases.join(" ")))
        .await;
    assert_eq!(response.errors.len(), 1, "{:?}", response.errors);
    assert_eq!(
        newsgraph_api::graphql::errors::code_of(&response.errors[0]),
        Some("QUERY_TOO_COMPLEX")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_oversized_bodies_and_long_query_strings_get_clear_errors() {
    let app = TestApp::new().await;
    let batch = app
        .client
        .post(app.url("/graphql"))
        .json(&json!([{"query": "{ topics { slug } }"}, {"query": "{ topics { name } }"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(batch.status(), 400);
    let body: Value = batch.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    assert!(
        body["errors"][0]["message"].as_str().unwrap().contains("batched"),
        "{body}"
    );

    // TestApp's body limit is 16 KiB
    let huge = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"query": format!("{{ topics {{ slug }} }} # {}", "x".repeat(20_000))}))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    let body: Value = huge.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE", "{body}");
    assert!(
        body["errors"][0]["message"].as_str().unwrap().contains("16384 bytes"),
        "{body}"
    );

    let long = url::Url::parse_with_params(
        &app.url("/graphql"),
        &[("query", format!("{{ topics {{ slug }} }} # {}", "x".repeat(20_000)))],
    )
    .unwrap();
    let response = app.client.get(long).send().await.unwrap();
    assert_eq!(response.status(), 414);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{body}");
}

/// Sends `head` and then `body` in full before it reads anything, as many
/// clients do; returns the answer.
async fn send_everything_then_read(addr: SocketAddr, head: &[u8], body: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let exchange = async {
        // the server may stop reading; what it answered is what matters
        let _ = stream.write_all(head).await;
        let _ = stream.write_all(body).await;
        read_until_closed(&mut stream, Duration::from_secs(30)).await
    };
    let received = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .expect("the exchange ends");
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_sent_before_the_whole_request_was_read_reach_the_client() {
    // Without a lingering close the server's socket resets while the client
    // is still sending, and the client loses the answer; a few rounds make
    // that all but certain to show.
    let (addr, _db, _stop) = serve_with(Limits::default()).await;
    // reqwest (hyper's client) sends the whole body before it reads the
    // answer, and reports a failed send rather than the answer it got
    let client = reqwest::Client::new();
    let body = vec![b' '; 16 << 20];
    for round in 0..5 {
        let response = client
            .post(format!("http://{addr}/graphql"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}: the 16 MB POST lost its answer: {e:?}"));
        assert_eq!(response.status(), 413, "round {round}");
        assert_eq!(
            response.headers().get("connection").map(|v| v.to_str().unwrap()),
            Some("close"),
            "the client is told not to send another request on this connection"
        );
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");
        // the same client's next request goes out on a fresh connection
        let next = client
            .post(format!("http://{addr}/graphql"))
            .json(&json!({"query": "{ topics { slug } }"}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}: the request after a 413 failed: {e:?}"));
        assert_eq!(next.status(), 200, "round {round}");
    }
    let body = vec![b' '; 6 << 20];
    for round in 0..3 {
        let head = format!(
            "POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let answer = send_everything_then_read(addr, head.as_bytes(), &body).await;
        assert!(
            answer.starts_with("HTTP/1.1 413") && answer.contains("PAYLOAD_TOO_LARGE"),
            "round {round}: a 6 MB body gets its 413, not a reset: {:?}",
            &answer[..answer.len().min(300)]
        );

        let line = format!("GET /graphql?query={} HTTP/1.1\r\nhost: x\r\n\r\n", "x".repeat(1 << 20));
        let answer = send_everything_then_read(addr, line.as_bytes(), b"").await;
        assert!(
            answer.starts_with("HTTP/1.1 431") || answer.starts_with("HTTP/1.1 414"),
            "round {round}: a 1 MB request line gets an answer, not a reset: {:?}",
            &answer[..answer.len().min(300)]
        );
    }
}
