//! Editorial mutations over real HTTP with bearer tokens: every role against
//! every mutation, nothing written when refused, audit rows named after the
//! token, version conflicts, overrides against the real worker, editor
//! queries, CSRF rules, and tokens kept out of the server's logs.

use newsgraph_shared::queue;
use std::time::Duration;

use newsgraph_shared::auth::{self, Role};
use serde_json::{Value, json};

use crate::api_support::{TestApp, global_id};
use newsgraph_shared::scoring::ScoringConfig;

use crate::support::{TestDb, drain_jobs};

/// A new token with this role; returns the token.
pub async fn token(db: &TestDb, name: &str, role: Role) -> String {
    let (token, _) = auth::create_token(&db.pool, name, role).await.unwrap();
    token.expose().to_string()
}

/// POSTs a query with an optional bearer token; returns status and body.
pub async fn send(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// A request that must succeed; returns `data`.
pub async fn data_as(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let (status, body) = send(app, Some(token), query, variables).await;
    assert_eq!(status, 200, "{body:#}");
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    body["data"].clone()
}

/// The codes of a response's errors.
pub fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected errors: {body:#}"))
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or("-").to_string())
        .collect()
}

/// Everything a mutation could write: the article rows, the audit log, the queue.
async fn written(db: &TestDb) -> (String, i64, i64) {
    let articles: String = sqlx::query_scalar("select string_agg(a::text, E'\\n' order by article_id) from article a")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    (
        articles,
        db.count("select count(*) from editorial_event").await,
        queue::counts(&db.pool).await.unwrap().total,
    )
}

const PUBLISH: &str =
    "mutation($id: ID!, $v: Int) { publishArticle(id: $id, reason: \"checked\", expectedVersion: $v) {
    article { id published version publication { decidedBy override reason editor } } event { editor action reason }
    publicationChanged jobsEnqueued } }";
const UNPUBLISH: &str =
    "mutation($id: ID!, $v: Int) { unpublishArticle(id: $id, reason: \"legal hold\", expectedVersion: $v) {
    article { id published version publication { decidedBy override reason editor } } event { editor action reason }
    publicationChanged jobsEnqueued } }";
const CLEAR: &str = "mutation($id: ID!, $v: Int) { clearPublicationOverride(id: $id, expectedVersion: $v) {
    article { id published version publication { decidedBy override } } event { editor action }
    publicationChanged jobsEnqueued } }";
const RECOMPUTE: &str = "mutation($id: ID!) { recomputeArticle(id: $id) {
    article { id version } event { editor action } jobsEnqueued } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_against_every_mutation_and_nothing_written_when_refused() {
    let app = TestApp::with_newsroom().await;
    let db = &app.db;
    let draft = db.article_id("https://alpha.example/draft").await;
    let id = global_id("Article", draft);
    let tokens = [
        (None, "anonymous", "UNAUTHENTICATED"),
        (Some(token(db, "pipeline", Role::Ingest).await), "pipeline", "FORBIDDEN"),
        (Some(token(db, "erin", Role::Editor).await), "erin", ""),
        (Some(token(db, "root", Role::Admin).await), "root", ""),
    ];
    let mutations = [
        ("publishArticle", PUBLISH, "publish"),
        ("unpublishArticle", UNPUBLISH, "unpublish"),
        ("clearPublicationOverride", CLEAR, "clear_override"),
        ("recomputeArticle", RECOMPUTE, "recompute"),
    ];
    for (token, name, refused_with) in &tokens {
        let name = *name;
        for (field, query, action) in mutations {
            let before = written(db).await;
            let (status, body) = send(&app, token.as_deref(), query, json!({"id": id})).await;
            assert_eq!(status, 200, "{body:#}");
            if refused_with.is_empty() {
                assert!(body.get("errors").is_none(), "{name} {field}: {body:#}");
                let payload = &body["data"][field];
                assert_eq!(payload["event"]["editor"], name, "the audit row names the token");
                assert_eq!(payload["event"]["action"], action.to_uppercase());
                assert_eq!(payload["article"]["id"], id);
                let after = written(db).await;
                assert_eq!(after.1, before.1 + 1, "{name} {field}: one audit row");
                assert!(after.2 > before.2, "{name} {field}: a recompute job");
                let (editor, logged_action): (String, String) = sqlx::query_as(
                    "select editor, action from editorial_event order by editorial_event_id desc limit 1",
                )
                .fetch_one(&db.pool)
                .await
                .unwrap();
                assert_eq!((editor.as_str(), logged_action.as_str()), (name, action));
            } else {
                assert_eq!(codes(&body), vec![refused_with.to_string()], "{name} {field}: {body:#}");
                assert!(body["data"].is_null() || body["data"][field].is_null());
                assert_eq!(written(db).await, before, "{name} {field}: nothing written");
                let message = body["errors"][0]["message"].as_str().unwrap();
                if let Some(token) = token {
                    assert!(!message.contains(&token[4..]), "no token in messages");
                }
            }
        }
    }
    // the effects, as an editor sees them
    let editor = tokens[2].0.as_deref().unwrap();
    let data = data_as(&app, editor, PUBLISH, json!({"id": id})).await;
    let article = &data["publishArticle"]["article"];
    assert_eq!(article["published"], true);
    assert_eq!(article["publication"]["decidedBy"], "EDITOR");
    assert_eq!(article["publication"]["override"], "PUBLISH");
    assert_eq!(article["publication"]["reason"], "checked");
    assert_eq!(article["publication"]["editor"], "erin");
    assert_eq!(data["publishArticle"]["publicationChanged"], true);
    let data = data_as(&app, editor, UNPUBLISH, json!({"id": id})).await;
    assert_eq!(data["unpublishArticle"]["article"]["published"], false);
    assert_eq!(data["unpublishArticle"]["event"]["reason"], "legal hold");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_revoked_and_malformed_credentials_are_refused_with_401() {
    let app = TestApp::with_newsroom().await;
    let db = &app.db;
    let id = global_id("Article", db.article_id("https://alpha.example/draft").await);
    let revoked = token(db, "gone", Role::Editor).await;
    auth::revoke_token(&db.pool, "gone").await.unwrap();
    let unknown = format!("ngt_{}", "ab".repeat(32));
    let before = written(db).await;
    for header in [
        format!("Bearer {revoked}"),
        format!("Bearer {unknown}"),
        "Bearer not-a-token".to_string(),
        "Basic dXNlcjpwYXNz".to_string(),
    ] {
        for query in [PUBLISH, "{ articles { totalCount } }"] {
            let response = app
                .client
                .post(app.url("/graphql"))
                .header("authorization", &header)
                .json(&json!({"query": query, "variables": {"id": id}}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 401, "{header}");
            assert!(
                response.headers()["www-authenticate"]
                    .to_str()
                    .unwrap()
                    .starts_with("Bearer")
            );
            let body: Value = response.json().await.unwrap();
            assert_eq!(codes(&body), vec!["UNAUTHENTICATED"]);
            let text = body.to_string();
            assert!(!text.contains(&revoked[4..]) && !text.contains(&unknown[4..]), "{text}");
        }
    }
    let response = app
        .client
        .get(app.url("/graphql?query=%7Barticles%7BtotalCount%7D%7D"))
        .header("authorization", format!("Bearer {unknown}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "GET too");
    assert_eq!(written(db).await, before, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_expected_version_conflicts_with_the_current_version_in_the_extensions() {
    let app = TestApp::with_newsroom().await;
    let db = &app.db;
    let editor = token(db, "erin", Role::Editor).await;
    let id = global_id("Article", db.article_id("https://beta.example/derby").await);
    let version = data_as(
        &app,
        &editor,
        "query($id: ID!) { article(id: $id) { version } }",
        json!({"id": id}),
    )
    .await["article"]["version"]
        .as_i64()
        .unwrap();
    let data = data_as(&app, &editor, UNPUBLISH, json!({"id": id, "v": version})).await;
    assert_eq!(data["unpublishArticle"]["article"]["version"], version + 1);

    let before = written(db).await;
    for query in [PUBLISH, UNPUBLISH, CLEAR] {
        let (_, body) = send(&app, Some(&editor), query, json!({"id": id, "v": version})).await;
        assert_eq!(codes(&body), vec!["CONFLICT"], "{body:#}");
        let extensions = &body["errors"][0]["extensions"];
        assert_eq!(extensions["currentVersion"], version + 1);
        assert_eq!(extensions["expectedVersion"], version);
    }
    assert_eq!(written(db).await, before, "a conflict writes nothing");

    // other refusals: unknown article, malformed id, blank reason
    let (_, body) = send(
        &app,
        Some(&editor),
        PUBLISH,
        json!({"id": global_id("Article", 999_999)}),
    )
    .await;
    assert_eq!(codes(&body), vec!["NOT_FOUND"]);
    let (_, body) = send(&app, Some(&editor), PUBLISH, json!({"id": "nope"})).await;
    assert_eq!(codes(&body), vec!["BAD_USER_INPUT"]);
    let (_, body) = send(
        &app,
        Some(&editor),
        "mutation($id: ID!) { publishArticle(id: $id, reason: \"  \") { article { id } } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(codes(&body), vec!["BAD_USER_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "reason");
    assert_eq!(written(db).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_set_over_the_api_survives_worker_recomputes_and_clearing_restores_the_rule() {
    let app = TestApp::with_newsroom().await;
    let db = &app.db;
    let editor = token(db, "desk", Role::Editor).await;
    let id = db.article_id("https://beta.example/derby").await;
    let gid = global_id("Article", id);
    drain_jobs(db, &ScoringConfig::default()).await;
    let state = "query($id: ID!) { article(id: $id) { published version publication { decidedBy override } } }";
    let automatic = data_as(&app, &editor, state, json!({"id": gid})).await["article"].clone();
    assert_eq!(automatic["publication"]["decidedBy"], "WORKER");
    let published = automatic["published"].as_bool().unwrap();
    let flip = if published { UNPUBLISH } else { PUBLISH };
    data_as(&app, &editor, flip, json!({"id": gid, "v": automatic["version"]})).await;
    for round in 0..3 {
        drain_jobs(db, &ScoringConfig::default()).await;
        let now = data_as(&app, &editor, state, json!({"id": gid})).await["article"].clone();
        assert_eq!(now["published"], !published, "round {round}: the override holds");
        assert_eq!(now["publication"]["decidedBy"], "EDITOR");
        data_as(&app, &editor, RECOMPUTE, json!({"id": gid})).await;
    }
    drain_jobs(db, &ScoringConfig::default()).await;
    data_as(&app, &editor, CLEAR, json!({"id": gid})).await;
    drain_jobs(db, &ScoringConfig::default()).await;
    let now = data_as(&app, &editor, state, json!({"id": gid})).await["article"].clone();
    assert_eq!(now["published"], published, "the rule decides again");
    assert_eq!(now["publication"]["decidedBy"], "WORKER");
    assert!(now["publication"]["override"].is_null());
    let actions: Vec<String> =
        sqlx::query_scalar("select action from editorial_event where article_id = $1 order by editorial_event_id")
            .bind(id)
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(actions.len(), 5, "{actions:?}");
    assert_eq!(queue::counts(&db.pool).await.unwrap().not_done(), 0, "every job ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_filter_unpublished_and_overridden_articles_and_read_the_history() {
    let app = TestApp::with_newsroom().await;
    let db = &app.db;
    let editor = token(db, "erin", Role::Editor).await;
    let pipeline = token(db, "pipeline", Role::Ingest).await;
    let feed = "query($f: ArticleFilter) { articles(filter: $f, first: 50) { totalCount nodes { canonicalUrl scoreBreakdown } } }";
    let urls = |data: &Value| -> Vec<String> {
        data["articles"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["canonicalUrl"].as_str().unwrap().to_string())
            .collect()
    };
    let unpublished = data_as(&app, &editor, feed, json!({"f": {"published": false}})).await;
    let mut got = urls(&unpublished);
    got.sort();
    assert_eq!(got, ["https://alpha.example/draft", "https://beta.example/r-hidden"]);
    assert!(
        unpublished["articles"]["nodes"][0]["scoreBreakdown"]["quality"].is_number(),
        "{unpublished:#}"
    );
    for anonymous_or_ingest in [None, Some(pipeline.as_str())] {
        let (_, body) = send(&app, anonymous_or_ingest, feed, json!({"f": {"published": false}})).await;
        assert_eq!(body["data"]["articles"]["totalCount"], 0, "{body:#}");
        let (_, body) = send(&app, anonymous_or_ingest, feed, json!({"f": {}})).await;
        assert!(
            body["data"]["articles"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["scoreBreakdown"].is_null()),
            "breakdowns are for editors"
        );
    }
    let overridden = data_as(&app, &editor, feed, json!({"f": {"overridden": true}})).await;
    let mut got = urls(&overridden);
    got.sort();
    assert_eq!(got, ["https://beta.example/summit", "https://beta.example/unscored"]);
    let not_overridden = data_as(&app, &editor, feed, json!({"f": {"overridden": false}})).await;
    assert_eq!(not_overridden["articles"]["totalCount"], 10);

    // history: newest first, per article and overall, paged, with totalCount
    let draft = global_id("Article", db.article_id("https://alpha.example/draft").await);
    let derby = global_id("Article", db.article_id("https://beta.example/derby").await);
    data_as(&app, &editor, PUBLISH, json!({"id": draft})).await;
    data_as(&app, &editor, UNPUBLISH, json!({"id": derby})).await;
    data_as(&app, &editor, UNPUBLISH, json!({"id": draft})).await;
    let history = "query($a: ID, $after: String) { editorialHistory(articleId: $a, first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { action editor reason article { canonicalUrl } before after } } }";
    let page = data_as(&app, &editor, history, json!({})).await["editorialHistory"].clone();
    assert_eq!(page["totalCount"], 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["nodes"][0]["action"], "UNPUBLISH");
    assert_eq!(
        page["nodes"][0]["article"]["canonicalUrl"],
        "https://alpha.example/draft"
    );
    assert_eq!(page["nodes"][0]["before"]["published"], true);
    assert_eq!(page["nodes"][0]["after"]["published"], false);
    assert_eq!(
        page["nodes"][1]["article"]["canonicalUrl"],
        "https://beta.example/derby"
    );
    let next = data_as(&app, &editor, history, json!({"after": page["pageInfo"]["endCursor"]})).await;
    assert_eq!(next["editorialHistory"]["nodes"][0]["action"], "PUBLISH");
    assert_eq!(next["editorialHistory"]["pageInfo"]["hasNextPage"], false);
    let one = data_as(&app, &editor, history, json!({"a": draft})).await;
    assert_eq!(one["editorialHistory"]["totalCount"], 2);
    let on_article = data_as(
        &app,
        &editor,
        "query($id: ID!) { article(id: $id) { editorialHistory(first: 10) { totalCount nodes { action editor } } } }",
        json!({"id": draft}),
    )
    .await;
    assert_eq!(on_article["article"]["editorialHistory"]["totalCount"], 2);
    assert_eq!(
        on_article["article"]["editorialHistory"]["nodes"][1]["action"],
        "PUBLISH"
    );
    let (_, body) = send(&app, None, history, json!({})).await;
    assert_eq!(codes(&body), vec!["UNAUTHENTICATED"]);
    let (_, body) = send(&app, Some(&pipeline), history, json!({})).await;
    assert_eq!(codes(&body), vec!["FORBIDDEN"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changes_need_a_json_post_so_simple_cross_site_requests_cannot_make_them() {
    let app = TestApp::with_newsroom().await;
    let db = &app.db;
    let editor = token(db, "erin", Role::Editor).await;
    let id = global_id("Article", db.article_id("https://beta.example/derby").await);
    let before = written(db).await;
    let mutation = format!("mutation {{ unpublishArticle(id: \"{id}\", reason: \"x\") {{ article {{ id }} }} }}");
    let body = json!({"query": mutation}).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&editor)
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{content_type}");
    }
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&editor)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415, "no content type");
    let url = url::Url::parse_with_params(&app.url("/graphql"), &[("query", mutation.as_str())]).unwrap();
    let response = app.client.get(url).bearer_auth(&editor).send().await.unwrap();
    assert_eq!(response.status(), 405, "no mutation over GET");
    assert_eq!(written(db).await, before, "nothing written");
}

/// The real binary with debug logs: a valid token, a revoked one and a
/// WebSocket token never reach its log output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_never_appear_in_the_server_logs() {
    let db = TestDb::new().await;
    crate::api_support::newsroom(&db).await;
    let editor = token(&db, "erin", Role::Editor).await;
    let revoked = token(&db, "gone", Role::Editor).await;
    auth::revoke_token(&db.pool, "gone").await.unwrap();
    let ws_token = token(&db, "watcher", Role::Admin).await;
    let server = crate::api_subscriptions::Server::spawn(&db, "debug").await;
    let client = reqwest::Client::new();
    let url = format!("http://{}/graphql", server.addr);
    let draft = global_id("Article", db.article_id("https://alpha.example/draft").await);
    for (token, query) in [
        (&editor, PUBLISH.to_string()),
        (&editor, "{ articles { totalCount } }".to_string()),
        (&editor, "{ broken".to_string()),
        (&revoked, PUBLISH.to_string()),
    ] {
        let _ = client
            .post(&url)
            .bearer_auth(token)
            .json(&json!({"query": query, "variables": {"id": draft}}))
            .send()
            .await
            .unwrap();
    }
    let _ = client
        .get(format!("{url}?query=%7Barticles%7BtotalCount%7D%7D"))
        .bearer_auth(&editor)
        .send()
        .await
        .unwrap();
    let mut ws = crate::api_subscriptions::WsClient::connect(server.addr, json!({"token": ws_token})).await;
    ws.subscribe("1", "subscription { articlePublicationChanged { article { id } } }")
        .await;
    drop(ws);
    let _ = crate::api_subscriptions::WsClient::try_connect(
        server.addr,
        json!({"authorization": format!("Bearer {revoked}")}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let logs = server.stop().await;
    assert!(logs.contains("erin"), "the logs were captured at debug level:\n{logs}");
    for token in [&editor, &revoked, &ws_token] {
        assert!(!logs.contains(&token[4..]), "a token leaked into the logs:\n{logs}");
    }
}
