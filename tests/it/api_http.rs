//! The HTTP surface: routes, GET rules, limits, request ids, metrics.

use std::time::Duration;

use newsgraph_api::{ApiConfig, AppState};
use serde_json::{Value, json};

use crate::api_support::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_graphiql_and_request_ids() {
    let app = TestApp::new().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(
        health.headers().contains_key("x-request-id"),
        "every response carries a request id"
    );
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let graphiql = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
    let given = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "abc-123", "a caller's id is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_when_the_database_does_not_answer() {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy("postgres://postgres@127.0.0.1:1/nothing")
        .unwrap();
    let state = AppState::new(
        pool,
        ApiConfig {
            ready_timeout: Duration::from_millis(300),
            ..ApiConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(newsgraph_api::serve(listener, state, std::future::pending()));
    let client = reqwest::Client::new();
    let ready = client.get(format!("http://{addr}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let health = client.get(format!("http://{addr}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the process is up all the same");
}

fn get_url(app: &TestApp, query: &str) -> String {
    url::Url::parse_with_params(&app.url("/graphql"), &[("query", query)])
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_serves_queries_and_refuses_mutations() {
    let app = TestApp::new().await;
    let ok = app
        .client
        .get(get_url(&app, "query Roots { topics { slug } }"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap()["data"], json!({"topics": []}));

    let mutation = app
        .client
        .get(get_url(&app, "mutation { publish(id: \"x\") { id } }"))
        .send()
        .await
        .unwrap();
    assert_eq!(mutation.status(), 405);
    let body: Value = mutation.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");

    let none = app.client.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(none.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_bodies_are_refused() {
    let app = TestApp::new().await;
    let huge = format!("{{ topics {{ slug }} }} # {}", "x".repeat(20_000));
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"query": huge}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    let garbage = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    let body: Value = garbage.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");

    let text = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body("{ topics { slug } }")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_operation_errors_by_code_and_pool_usage() {
    let app = TestApp::new().await;
    app.data("query ApiMetricsProbe { topics { slug } }", json!({})).await;
    app.error_codes(
        "query ApiMetricsBad { articles(first: 1000) { totalCount } }",
        json!({}),
    )
    .await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "newsgraph_api_requests_total{operation=\"ApiMetricsProbe\"}",
        "newsgraph_api_request_seconds_bucket{operation=\"ApiMetricsProbe\"",
        "newsgraph_api_errors_total{code=\"BAD_USER_INPUT\"}",
        "newsgraph_api_db_pool_connections{state=\"idle\"}",
        "newsgraph_api_db_pool_max_connections",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiqls_introspection_query_is_answered() {
    // GraphiQL 4 (graphql-js 16) nests `ofType` nine levels deep; the depth
    // limit must not refuse it, or the playground has no docs or completion.
    let app = TestApp::new().await;
    let query = include_str!("../../api/tests/introspection.graphql");
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&serde_json::json!({"query": query, "operationName": "IntrospectionQuery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    let types = body["data"]["__schema"]["types"].as_array().expect("types");
    assert!(types.iter().any(|t| t["name"] == "Article"), "{body}");
}
