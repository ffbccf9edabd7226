//! The response cache of anonymous answers: identical anonymous queries are
//! answered from it, a publication change that commits ends the reuse of
//! the answers that show what it touches (and only those), and editors,
//! errors and mutations never go through it.

use std::time::{Duration, Instant};

use newsgraph_shared::events::ArticleEvents;
use serde_json::{Value, json};

use crate::api_support::TestApp;

const FEED: &str = "{ topic(slug: \"climate\") { articles(first: 10) { nodes { title } } } }";

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
    let app = TestApp::cached().await;
    let (status, cache, first) = app.post_as(FEED, None).await;
    assert_eq!((status, cache.as_deref()), (200, Some("miss")));
    let before = titles(&first);
    assert!(before.contains(&"Ocean heat hits a record".to_string()), "{before:?}");

    let (_, cache, again) = app.post_as(FEED, None).await;
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
    let (_, cache, quiet) = app.post_as(FEED, None).await;
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
    let (status, cache, body) = app.post_as(&unpublish, Some(token.expose())).await;
    assert_eq!((status, cache), (200, None), "{body}");
    assert_eq!(
        body["data"]["unpublishArticle"]["article"]["published"], false,
        "{body}"
    );
    // the process that made the change recorded it before answering: the
    // very next anonymous answer reflects it, without waiting for the
    // notification (which may be being looked up just now: then the answer
    // bypasses the cache)
    let (_, cache, body) = app.post_as(FEED, None).await;
    assert_ne!(cache.as_deref(), Some("hit"));
    let after = titles(&body);
    assert!(
        !after
            .iter()
            .any(|t| t == "Ocean heat hits a record" || t == "Retitled quietly"),
        "{after:?}"
    );
    assert_eq!(after.len(), before.len() - 1);
}

/// Sends `events` as a worker would (on another connection), and waits
/// until the app has recorded `changes` more publication changes.
async fn notify_and_wait(app: &TestApp, events: ArticleEvents, changes: u64) {
    let before = app.state.events().freshness().latest();
    let mut conn = app.db.pool.acquire().await.unwrap();
    newsgraph_shared::events::notify(&mut conn, &events).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let freshness = app.state.events().freshness();
    while freshness.latest() < before + changes || freshness.begin().is_none() {
        assert!(Instant::now() < deadline, "the notification was never heard");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Publishes or unpublishes the article at `url` as a worker's recompute
/// would: the state row and a publication notification.
async fn set_published(app: &TestApp, url: &str, published: bool) {
    let id = app.db.article_id(url).await;
    sqlx::query("update article_state set published = $2 where article_id = $1")
        .bind(id)
        .bind(published)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let events = ArticleEvents {
        publication: vec![id],
        ..Default::default()
    };
    notify_and_wait(app, events, 1).await;
}

/// Workers recompute continuously; a score-only change must not end the
/// reuse of cached answers, a publication change must.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_publication_changes_end_the_reuse_of_cached_answers() {
    let app = TestApp::cached().await;
    let (_, cache, first) = app.post_as(FEED, None).await;
    assert_eq!(cache.as_deref(), Some("miss"));
    let ocean = app.db.article_id("https://alpha.example/ocean-heat").await;
    let before = app.state.events().freshness().latest();
    // sent in this order, so heard in this order
    let rescored = ArticleEvents {
        rescored: vec![ocean],
        ..Default::default()
    };
    let mut conn = app.db.pool.acquire().await.unwrap();
    newsgraph_shared::events::notify(&mut conn, &rescored).await.unwrap();
    drop(conn);
    let publication = ArticleEvents {
        publication: vec![ocean],
        ..Default::default()
    };
    notify_and_wait(&app, publication, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        app.state.events().freshness().latest(),
        before + 1,
        "only the publication change is recorded"
    );
    let (_, cache, again) = app.post_as(FEED, None).await;
    assert_eq!((cache.as_deref(), again), (Some("miss"), first));
}

const ECONOMY: &str = "{ topic(slug: \"economy\") { articles(first: 10) { nodes { title } } } }";
const DRAFT: &str = "https://alpha.example/draft";

fn page(slug: &str) -> String {
    format!("{{ article(slug: \"{slug}\") {{ title published related {{ title }} }} }}")
}

async fn slug_of(app: &TestApp, url: &str) -> String {
    sqlx::query_scalar("select slug from article where canonical_url = $1")
        .bind(url)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Asks each query and checks whether it came from the cache.
async fn expect_cache(app: &TestApp, expected: &[(&str, &str)]) -> Vec<Value> {
    let mut bodies = Vec::new();
    for (query, outcome) in expected {
        let (status, cache, body) = app.post_as(query, None).await;
        assert_eq!((status, cache.as_deref()), (200, Some(*outcome)), "{query}: {body}");
        bodies.push(body);
    }
    bodies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_answer_ends_when_an_article_joins_or_leaves_that_feed_and_not_for_an_unrelated_one() {
    let app = TestApp::cached().await;
    let derby = page(&slug_of(&app, "https://beta.example/derby").await);
    expect_cache(&app, &[(FEED, "miss"), (ECONOMY, "miss"), (&derby, "miss")]).await;
    expect_cache(&app, &[(FEED, "hit"), (ECONOMY, "hit"), (&derby, "hit")]).await;

    // the climate draft is published: it joins the climate feed, and
    // nothing else cached shows it
    set_published(&app, DRAFT, true).await;
    let bodies = expect_cache(&app, &[(FEED, "miss"), (ECONOMY, "hit"), (&derby, "hit")]).await;
    assert!(
        titles(&bodies[0]).contains(&"Unpublished climate draft".to_string()),
        "{}",
        bodies[0]
    );

    // and leaves it again
    set_published(&app, DRAFT, false).await;
    let bodies = expect_cache(&app, &[(FEED, "miss"), (ECONOMY, "hit"), (&derby, "hit")]).await;
    assert!(
        !titles(&bodies[0]).contains(&"Unpublished climate draft".to_string()),
        "{}",
        bodies[0]
    );

    // an economy article leaving ends the economy feed, not the climate one
    set_published(&app, "https://alpha.example/e1", false).await;
    let bodies = expect_cache(&app, &[(FEED, "hit"), (ECONOMY, "miss")]).await;
    assert!(
        !titles(&bodies[1]).contains(&"Exporters count the cost".to_string()),
        "{}",
        bodies[1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_page_ends_when_that_article_or_one_it_lists_changes_and_not_for_an_unrelated_publication() {
    let app = TestApp::cached().await;
    let derby = page(&slug_of(&app, "https://beta.example/derby").await);
    let ocean = page(&slug_of(&app, "https://alpha.example/ocean-heat").await);
    let markets = page(&slug_of(&app, "https://alpha.example/markets").await);
    expect_cache(&app, &[(&derby, "miss"), (&ocean, "miss"), (&markets, "miss")]).await;

    // the derby article is unpublished: its page ends (and is now empty),
    // the others stay
    set_published(&app, "https://beta.example/derby", false).await;
    let bodies = expect_cache(&app, &[(&derby, "miss"), (&ocean, "hit"), (&markets, "hit")]).await;
    assert_eq!(bodies[0]["data"]["article"], Value::Null, "{}", bodies[0]);
    // published again, the page that said "not found" ends too
    set_published(&app, "https://beta.example/derby", true).await;
    let bodies = expect_cache(&app, &[(&derby, "miss"), (&ocean, "hit")]).await;
    assert_eq!(bodies[0]["data"]["article"]["published"], true, "{}", bodies[0]);

    // an article the ocean page lists as related leaves: the ocean page
    // ends, the markets page (which does not list it) stays
    set_published(&app, "https://beta.example/summit", false).await;
    let bodies = expect_cache(&app, &[(&ocean, "miss"), (&markets, "hit"), (&derby, "hit")]).await;
    let related = bodies[0]["data"]["article"]["related"].to_string();
    assert!(!related.contains("Climate summit opens"), "{related}");
}

/// A notification that cannot be read, or a listener that reconnects, may
/// hide any change: every cached answer ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_notification_ends_every_cached_answer() {
    let app = TestApp::cached().await;
    let derby = page(&slug_of(&app, "https://beta.example/derby").await);
    expect_cache(&app, &[(FEED, "miss"), (&derby, "miss")]).await;
    let before = app.state.events().freshness().latest();
    sqlx::query("select pg_notify($1, 'not json')")
        .bind(newsgraph_shared::events::CHANNEL)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.state.events().freshness().latest() == before {
        assert!(Instant::now() < deadline, "the notification was never heard");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    expect_cache(&app, &[(FEED, "miss"), (&derby, "miss")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_errors_and_mutations_never_go_through_the_cache() {
    let app = TestApp::cached().await;
    let (token, _) = newsgraph_shared::auth::create_token(&app.db.pool, "erin", newsgraph_shared::auth::Role::Editor)
        .await
        .unwrap();
    let token = token.expose();
    let editor_feed = "{ articles(first: 50, filter: {published: false}) { nodes { title } } }";
    for _ in 0..2 {
        let (status, cache, body) = app.post_as(editor_feed, Some(token)).await;
        assert_eq!((status, cache), (200, None), "{body}");
        assert!(!body["data"]["articles"]["nodes"].as_array().unwrap().is_empty());
    }
    // the same text anonymously is a different answer (no unpublished articles)
    let (_, cache, anonymous) = app.post_as(editor_feed, None).await;
    assert_eq!(cache.as_deref(), Some("miss"));
    assert_eq!(anonymous["data"]["articles"]["nodes"], json!([]));

    let broken = "{ article(id: \"not-an-id\") { title } }";
    for _ in 0..2 {
        let (_, cache, body) = app.post_as(broken, None).await;
        assert_eq!(cache, None);
        assert!(body["errors"].is_array(), "{body}");
    }
    let mutation = "mutation { publishArticle(id: \"QXJ0aWNsZTox\", reason: \"x\") { article { published } } }";
    for _ in 0..2 {
        let (_, cache, body) = app.post_as(mutation, None).await;
        assert_eq!(cache, None);
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{body}");
    }
}
