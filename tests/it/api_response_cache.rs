//! The response cache of anonymous answers: identical anonymous queries are
//! answered from it, an article change that commits ends the reuse, and
//! editors, errors and mutations never go through it.

use std::time::{Duration, Instant};

use newsgraph_api::ApiConfig;
use serde_json::{Value, json};

use crate::api_support::{TestApp, newsroom};
use crate::support::TestDb;

const FEED: &str = "{ topic(slug: \"climate\") { articles(first: 10) { nodes { title } } } }";

/// An app whose anonymous answers are reused for a minute (so only an
/// article event can end the reuse within the test), listening for events.
async fn cached_app() -> TestApp {
    let db = TestDb::new().await;
    newsroom(&db).await;
    let app = TestApp::configured(
        db,
        ApiConfig {
            response_cache_ttl: Duration::from_secs(60),
            ..ApiConfig::default()
        },
    )
    .await;
    assert!(
        app.state.events().wait_listening(Duration::from_secs(10)).await,
        "the article event listener listens"
    );
    app
}

/// POSTs `query` with `token` (if any): (status, x-newsgraph-cache, body).
async fn post(app: &TestApp, query: &str, token: Option<&str>) -> (u16, Option<String>, Value) {
    let mut request = app.client.post(app.url("/graphql")).json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("x-newsgraph-cache")
        .map(|v| v.to_str().unwrap().to_string());
    (status, cache, response.json().await.unwrap())
}

fn titles(body: &Value) -> Vec<String> {
    body["data"]["topic"]["articles"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_anonymous_queries_are_answered_from_the_cache_until_an_article_changes() {
    let app = cached_app().await;
    let (status, cache, first) = post(&app, FEED, None).await;
    assert_eq!((status, cache.as_deref()), (200, Some("miss")));
    let before = titles(&first);
    assert!(before.contains(&"Ocean heat hits a record".to_string()), "{before:?}");

    let (_, cache, again) = post(&app, FEED, None).await;
    assert_eq!(cache.as_deref(), Some("hit"));
    assert_eq!(again, first, "a hit is the same answer");

    // A change that sends no notification is not seen while the entry lives:
    // this is what proves the hits above were not executions.
    sqlx::query(
        "update article set title = 'Retitled quietly' where canonical_url = 'https://alpha.example/ocean-heat'",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    let (_, cache, quiet) = post(&app, FEED, None).await;
    assert_eq!((cache.as_deref(), titles(&quiet)), (Some("hit"), before.clone()));

    // An editor's action commits with a notification: the next anonymous
    // answer is executed again and shows the change.
    let ocean = app.article_id("https://alpha.example/ocean-heat").await;
    let (token, _) = newsgraph_shared::auth::create_token(&app.db.pool, "erin", newsgraph_shared::auth::Role::Editor)
        .await
        .unwrap();
    let unpublish = format!(
        "mutation {{ unpublishArticle(id: \"{ocean}\", reason: \"Checking the figures\") {{ article {{ published }} }} }}"
    );
    let (status, cache, body) = post(&app, &unpublish, Some(token.expose())).await;
    assert_eq!((status, cache), (200, None), "{body}");
    assert_eq!(
        body["data"]["unpublishArticle"]["article"]["published"], false,
        "{body}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        let (_, cache, body) = post(&app, FEED, None).await;
        if cache.as_deref() == Some("miss") {
            break titles(&body);
        }
        assert!(Instant::now() < deadline, "the change never reached the cache");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        !after
            .iter()
            .any(|t| t == "Ocean heat hits a record" || t == "Retitled quietly"),
        "{after:?}"
    );
    assert_eq!(after.len(), before.len() - 1);
}

/// Workers recompute continuously; a score-only change must not end the
/// reuse of every cached answer, a publication change must.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_publication_changes_end_the_reuse_of_cached_answers() {
    let app = cached_app().await;
    let (_, cache, first) = post(&app, FEED, None).await;
    assert_eq!(cache.as_deref(), Some("miss"));
    let ocean: i64 = sqlx::query_scalar("select article_id from article where canonical_url = $1")
        .bind("https://alpha.example/ocean-heat")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let notify = |events: newsgraph_shared::events::ArticleEvents| {
        let pool = app.db.pool.clone();
        async move {
            let mut conn = pool.acquire().await.unwrap();
            newsgraph_shared::events::notify(&mut conn, &events).await.unwrap();
        }
    };
    let before = app.state.events().generation();
    // sent in this order, so heard in this order
    notify(newsgraph_shared::events::ArticleEvents {
        rescored: vec![ocean],
        ..Default::default()
    })
    .await;
    notify(newsgraph_shared::events::ArticleEvents {
        publication: vec![ocean],
        ..Default::default()
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.state.events().generation() == before {
        assert!(Instant::now() < deadline, "the notifications were never heard");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        app.state.events().generation(),
        before + 1,
        "only the publication change starts a new generation"
    );
    let (_, cache, again) = post(&app, FEED, None).await;
    assert_eq!((cache.as_deref(), again), (Some("miss"), first));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_errors_and_mutations_never_go_through_the_cache() {
    let app = cached_app().await;
    let (token, _) = newsgraph_shared::auth::create_token(&app.db.pool, "erin", newsgraph_shared::auth::Role::Editor)
        .await
        .unwrap();
    let token = token.expose();
    let editor_feed = "{ articles(first: 50, filter: {published: false}) { nodes { title } } }";
    for _ in 0..2 {
        let (status, cache, body) = post(&app, editor_feed, Some(token)).await;
        assert_eq!((status, cache), (200, None), "{body}");
        assert!(!body["data"]["articles"]["nodes"].as_array().unwrap().is_empty());
    }
    // the same text anonymously is a different answer (no unpublished articles)
    let (_, cache, anonymous) = post(&app, editor_feed, None).await;
    assert_eq!(cache.as_deref(), Some("miss"));
    assert_eq!(anonymous["data"]["articles"]["nodes"], json!([]));

    let broken = "{ article(id: \"not-an-id\") { title } }";
    for _ in 0..2 {
        let (_, cache, body) = post(&app, broken, None).await;
        assert_eq!(cache, None);
        assert!(body["errors"].is_array(), "{body}");
    }
    let mutation = "mutation { publishArticle(id: \"QXJ0aWNsZTox\", reason: \"x\") { article { published } } }";
    for _ in 0..2 {
        let (_, cache, body) = post(&app, mutation, None).await;
        assert_eq!(cache, None);
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{body}");
    }
}
