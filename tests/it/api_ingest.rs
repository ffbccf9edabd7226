//! `ingestArticles`: the importer's rules over GraphQL, per-item results, a
//! bad item never blocking the good ones, roles and the batch cap.

use newsgraph_api::{ApiConfig, AppState};
use newsgraph_shared::auth::Role;
use serde_json::{Value, json};

use crate::api_mutations::{codes, send, token};
use crate::api_support::TestApp;
use crate::support::TestDb;

const INGEST: &str = "mutation($a: [ArticleInput!]!) { ingestArticles(articles: $a) {
    created updated unchanged failed jobsEnqueued
    results { index status articleId canonicalUrl field reason } } }";

fn story(n: u32, title: &str) -> Value {
    json!({
        "slug": format!("2026-11-20-pipeline-{n}"),
        "title": title,
        "webUrl": format!("https://www.pipeline.example/story-{n}?utm_source=feed"),
        "excerpt": "An excerpt.",
        "publishedDateTime": "2026-11-20T10:00:00Z",
        "provider": {"domain": "Pipeline.example", "name": "Pipeline Post"},
        "topics": ["World", "Harbours"],
        "images": [{"url": "https://img.pipeline.example/1.jpg", "width": 1200, "height": 630}],
        "quality": 120,
    })
}

/// The API with a body limit large enough for full batches.
async fn app() -> TestApp {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what ingest writes and queues, not the worker
    let mut app = TestApp::over(db).await;
    let state = AppState::new(
        app.db.pool.clone(),
        ApiConfig {
            body_limit: 4 * 1024 * 1024,
            ..ApiConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    app.addr = listener.local_addr().unwrap();
    tokio::spawn(newsgraph_api::serve(listener, state, std::future::pending()));
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_item_gets_a_result_and_a_bad_item_never_blocks_the_good_ones() {
    let app = app().await;
    let db = &app.db;
    let pipeline = token(db, "pipeline", Role::Ingest).await;
    let mut bad_url = story(2, "Bad URL");
    bad_url["webUrl"] = json!("javascript:alert(1)");
    let mut bad_date = story(3, "Bad date");
    bad_date["publishedDateTime"] = json!("2026-02-30T10:00:00Z");
    let mut bad_related = story(4, "Bad related");
    bad_related["related"] = json!([{"title": "R", "webUrl": "ftp://nope"}]);
    let mut with_related = story(5, "With related coverage");
    with_related["related"] = json!([
        {"title": "Harbour strike spreads", "webUrl": "https://other.example/strike",
         "provider": {"domain": "other.example"}},
        {"title": "Self link", "webUrl": "https://pipeline.example/story-5"}
    ]);
    let batch = json!([
        story(1, "Harbour reopens"),
        bad_url,
        bad_date,
        bad_related,
        with_related
    ]);
    let (status, body) = send(&app, Some(&pipeline), INGEST, json!({"a": batch})).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body:#}");
    let payload = &body["data"]["ingestArticles"];
    let results = payload["results"].as_array().unwrap();
    let statuses: Vec<&str> = results.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["CREATED", "ERROR", "ERROR", "ERROR", "CREATED"]);
    assert_eq!(results[1]["field"], "webUrl");
    assert_eq!(results[2]["field"], "publishedDateTime");
    assert_eq!(results[3]["field"], "related[0].webUrl");
    assert!(
        results[1]["reason"].as_str().unwrap().contains("javascript"),
        "{}",
        results[1]
    );
    assert!(results[1]["articleId"].is_null());
    assert_eq!(results[0]["canonicalUrl"], "https://pipeline.example/story-1");
    assert_eq!(
        (payload["created"].as_i64(), payload["failed"].as_i64()),
        (Some(2), Some(3))
    );
    // the good ones are stored under the importer's rules, with their jobs
    assert_eq!(
        db.count("select count(*) from article").await,
        3,
        "2 items + 1 related article"
    );
    assert_eq!(payload["jobsEnqueued"], 3);
    assert_eq!(db.queued_jobs().await, 3);
    let (slug, provider, topics): (String, String, i64) = sqlx::query_as(
        "select a.slug, p.domain, (select count(*) from article_topic t where t.article_id = a.article_id)
         from article a join provider p using (provider_id) where a.canonical_url = 'https://pipeline.example/story-1'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (slug.as_str(), provider.as_str(), topics),
        ("2026-11-20-pipeline-1", "pipeline.example", 2)
    );
    assert_eq!(
        db.count("select count(*) from article_relation").await,
        1,
        "related coverage linked, the self link dropped"
    );
    assert_eq!(db.count("select count(*) from topic where slug = 'harbours'").await, 1);

    // the same batch again: nothing new, no job; a changed item updates
    let mut changed = story(1, "Harbour reopens after the storm");
    changed["excerpt"] = json!(null);
    let mut relinked = story(5, "With related coverage");
    relinked["related"] = json!([{"title": "Another angle", "webUrl": "https://third.example/angle"}]);
    let again = json!([changed, relinked, story(6, "Brand new")]);
    let jobs_before = db.queued_jobs().await;
    let (_, body) = send(&app, Some(&pipeline), INGEST, json!({"a": again})).await;
    let payload = &body["data"]["ingestArticles"];
    let statuses: Vec<&str> = payload["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["UPDATED", "UPDATED", "CREATED"], "{body:#}");
    let (title, excerpt): (String, Option<String>) =
        sqlx::query_as("select title, excerpt from article where canonical_url = 'https://pipeline.example/story-1'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(title, "Harbour reopens after the storm");
    assert_eq!(
        excerpt.as_deref(),
        Some("An excerpt."),
        "an absent field never erases a stored one"
    );
    let related: Vec<String> = sqlx::query_scalar(
        "select r.canonical_url from article_relation l join article r on r.article_id = l.related_article_id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        related,
        ["https://third.example/angle"],
        "a related list is replaced like an import's"
    );
    assert_eq!(
        db.queued_jobs().await,
        jobs_before + 4,
        "the updated, the relinked, the new and the new related article"
    );

    let (_, body) = send(
        &app,
        Some(&pipeline),
        INGEST,
        json!({"a": [story(1, "Harbour reopens after the storm")]}),
    )
    .await;
    assert_eq!(body["data"]["ingestArticles"]["results"][0]["status"], "UNCHANGED");
    assert_eq!(body["data"]["ingestArticles"]["jobsEnqueued"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_needs_the_ingest_or_admin_role_and_caps_the_batch() {
    let app = app().await;
    let db = &app.db;
    let editor = token(db, "erin", Role::Editor).await;
    let admin = token(db, "root", Role::Admin).await;
    let pipeline = token(db, "pipeline", Role::Ingest).await;
    let batch = json!([story(1, "Harbour reopens")]);
    let (_, body) = send(&app, None, INGEST, json!({"a": batch})).await;
    assert_eq!(codes(&body), ["UNAUTHENTICATED"]);
    let (_, body) = send(&app, Some(&editor), INGEST, json!({"a": batch})).await;
    assert_eq!(codes(&body), ["FORBIDDEN"]);
    assert_eq!(db.count("select count(*) from article").await, 0, "nothing written");
    assert_eq!(db.queued_jobs().await, 0);
    let (_, body) = send(&app, Some(&admin), INGEST, json!({"a": batch})).await;
    assert_eq!(body["data"]["ingestArticles"]["created"], 1, "{body:#}");

    let too_many: Vec<Value> = (0..501).map(|n| story(n, "Many")).collect();
    let (_, body) = send(&app, Some(&pipeline), INGEST, json!({"a": too_many})).await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body:#}");
    assert_eq!(db.count("select count(*) from article").await, 1);
    let full: Vec<Value> = (0..500).map(|n| story(n + 10, "Many stories")).collect();
    let (_, body) = send(&app, Some(&pipeline), INGEST, json!({"a": full})).await;
    assert_eq!(body["data"]["ingestArticles"]["created"], 500, "{}", body["errors"]);
}
