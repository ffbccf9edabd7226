//! Every error has `extensions.code`; bad input is `BAD_USER_INPUT`, never a 500.

use serde_json::json;

use crate::api_support::{TestApp, global_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_ids_are_bad_user_input() {
    let app = TestApp::new().await;
    for id in ["", "not base64!", "QXJ0aWNsZQ==", "Rm9vOjE=", "QXJ0aWNsZTotNQ=="] {
        let codes = app
            .error_codes("query($id: ID!) { node(id: $id) { id } }", json!({"id": id}))
            .await;
        assert_eq!(codes, ["BAD_USER_INPUT"], "{id:?}");
    }
    let topic_id = global_id("Topic", 1);
    for (query, vars) in [
        ("query($id: ID) { article(id: $id) { id } }", json!({"id": topic_id})),
        (
            "query($id: ID) { articles(filter: {topic: $id}) { totalCount } }",
            json!({"id": "garbage"}),
        ),
        (
            "query($id: ID) { articles(filter: {provider: $id}) { totalCount } }",
            json!({"id": topic_id}),
        ),
        (
            "{ article(slug: \"a\", url: \"https://x.example/a\") { id } }",
            json!({}),
        ),
        ("{ article { id } }", json!({})),
        ("{ article(url: \"javascript:alert(1)\") { id } }", json!({})),
        ("{ search(query: \"  \") { totalCount } }", json!({})),
        (
            "{ articles(filter: {publishedAfter: \"2026-02-01T00:00:00Z\", publishedBefore: \"2026-01-01T00:00:00Z\"}) { totalCount } }",
            json!({}),
        ),
    ] {
        assert_eq!(app.error_codes(query, vars).await, ["BAD_USER_INPUT"], "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_or_foreign_cursors_are_bad_user_input() {
    let app = TestApp::with_newsroom().await;
    let page = app
        .data(
            "{ articles(first: 1, orderBy: {field: HEAT}) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let heat_cursor = page["articles"]["pageInfo"]["endCursor"].clone();
    let query = "query($c: String, $o: ArticleOrder) { articles(first: 2, after: $c, orderBy: $o) { totalCount } }";
    for (cursor, order) in [
        (json!("%%%"), json!(null)),
        (json!("eyJrIjoiaGVhdCJ9"), json!({"field": "HEAT"})),
        (heat_cursor.clone(), json!({"field": "QUALITY"})),
    ] {
        assert_eq!(
            app.error_codes(query, json!({"c": cursor, "o": order})).await,
            ["BAD_USER_INPUT"],
            "{cursor}"
        );
    }
    let providers = "query($c: String) { providers(after: $c) { totalCount } }";
    assert_eq!(
        app.error_codes(providers, json!({"c": heat_cursor})).await,
        ["BAD_USER_INPUT"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_sizes_are_bounded_and_directions_exclusive() {
    let app = TestApp::new().await;
    for args in [
        "first: 101",
        "first: -1",
        "last: 1000",
        "first: 2, last: 2",
        "first: 2, before: \"x\"",
        "last: 2, after: \"x\"",
    ] {
        let query = format!("{{ articles({args}) {{ totalCount }} }}");
        assert_eq!(app.error_codes(&query, json!({})).await, ["BAD_USER_INPUT"], "{args}");
    }
    assert_eq!(
        app.error_codes("{ providers(first: 500) { totalCount } }", json!({}))
            .await,
        ["BAD_USER_INPUT"]
    );
    let ok = app.data("{ articles(first: 100) { totalCount } }", json!({})).await;
    assert_eq!(ok["articles"]["totalCount"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_deep_or_too_complex_queries_are_refused_before_running() {
    let app = TestApp::new().await;
    let mut deep = String::from("title");
    for _ in 0..12 {
        deep = format!("related {{ {deep} }}");
    }
    let query = format!("{{ article(slug: \"x\") {{ {deep} }} }}");
    let body = app.post(&query, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{body}");
    assert_eq!(body["extensions"]["sqlStatements"], 0, "nothing ran");

    let complex = "{ articles(first: 100) { nodes { relatedBy { relatedBy { title } } } } }";
    assert_eq!(app.error_codes(complex, json!({})).await, ["QUERY_TOO_COMPLEX"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syntax_and_schema_errors_have_their_own_codes() {
    let app = TestApp::new().await;
    assert_eq!(
        app.error_codes("{ articles {", json!({})).await,
        ["GRAPHQL_PARSE_FAILED"]
    );
    let codes = app.error_codes("{ articles { nope } }", json!({})).await;
    assert!(codes.iter().all(|c| c == "GRAPHQL_VALIDATION_FAILED"), "{codes:?}");
    let codes = app
        .error_codes(
            "query($n: Int) { articles(first: $n) { totalCount } }",
            json!({"n": "ten"}),
        )
        .await;
    assert!(codes.iter().all(|c| c == "GRAPHQL_VALIDATION_FAILED"), "{codes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_failure_is_a_generic_internal_error() {
    let app = TestApp::new().await;
    sqlx::query("alter table topic rename to topic_gone")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let body = app.post("{ topics { slug } }", json!({})).await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "INTERNAL");
    assert_eq!(error["message"], "internal error", "no detail leaks: {error}");
}
