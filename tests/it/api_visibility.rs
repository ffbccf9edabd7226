//! Anonymous callers see published articles only; editors see everything.

use serde_json::{Value, json};

use crate::api_support::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpublished_articles_do_not_exist_for_anonymous_callers() {
    let app = TestApp::with_newsroom().await;
    let draft = app.article_id("https://alpha.example/draft").await;
    let hidden = app.article_id("https://beta.example/r-hidden").await;
    let query = "query($draft: ID!, $hidden: ID!) {
        bySlug: article(slug: \"2026-11-21-draft\") { title }
        byUrl: article(url: \"https://alpha.example/draft\") { title }
        byId: article(id: $draft) { title }
        node(id: $hidden) { id }
        articles(first: 100, filter: {published: false}) { totalCount nodes { title } }
        all: articles(first: 100) { totalCount nodes { title } }
        search(query: \"draft\") { totalCount }
        topic(slug: \"climate\") { articleCount articles { totalCount } }
        provider(domain: \"alpha.example\") { articleCount articles(first: 100) { totalCount } }
        markets: article(url: \"https://alpha.example/markets\") { related { title } }
        ocean: article(url: \"https://alpha.example/ocean-heat\") { related { title } relatedBy { title } }
    }";
    let data = app.data(query, json!({"draft": draft, "hidden": hidden})).await;
    for key in ["bySlug", "byUrl", "byId", "node"] {
        assert_eq!(data[key], Value::Null, "{key}");
    }
    assert_eq!(data["articles"]["totalCount"], 0);
    let all: Vec<&str> = data["all"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(data["all"]["totalCount"], 10);
    assert!(!all.iter().any(|t| t.contains("draft")), "{all:?}");
    assert_eq!(data["search"]["totalCount"], 0);
    assert_eq!(data["topic"], json!({"articleCount": 2, "articles": {"totalCount": 2}}));
    assert_eq!(
        data["provider"],
        json!({"articleCount": 5, "articles": {"totalCount": 5}})
    );
    assert_eq!(
        data["markets"]["related"],
        json!([]),
        "its only related item is the draft"
    );
    let related = data["ocean"]["related"].as_array().unwrap();
    assert!(related.iter().all(|r| r["title"] != "Hidden related draft"));
    assert_eq!(data["ocean"]["relatedBy"], json!([{"title": "Climate summit opens"}]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_see_unpublished_articles_breakdowns_and_reasons() {
    let app = TestApp::with_newsroom().await;
    let data = app
        .as_editor(
            "{ draft: article(slug: \"2026-11-21-draft\") { title published scoreBreakdown }
               summit: article(url: \"https://beta.example/summit\") { publication { reason editor } }
               unpublished: articles(filter: {published: false}) { totalCount }
               all: articles { totalCount }
               topic(slug: \"climate\") { articleCount }
               ocean: article(url: \"https://alpha.example/ocean-heat\") { related { title } relatedBy { title } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["draft"],
        json!({"title": "Unpublished climate draft", "published": false, "scoreBreakdown": {"quality": 40}})
    );
    assert_eq!(
        data["summit"]["publication"],
        json!({"reason": "verified by the desk", "editor": "erin"})
    );
    assert_eq!(data["unpublished"]["totalCount"], 2);
    assert_eq!(data["all"]["totalCount"], 12);
    assert_eq!(data["topic"]["articleCount"], 3);
    assert_eq!(data["ocean"]["related"].as_array().unwrap().len(), 4);
    assert_eq!(data["ocean"]["relatedBy"].as_array().unwrap().len(), 2);
}

/// With the response cache on, every shape of anonymous answer that can
/// show the draft follows its publication at once: the answer after an
/// editor's publish shows it, the one after the unpublish no longer does,
/// while an answer that cannot show it stays cached through both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_anonymous_answers_of_every_shape_follow_a_publication_change_at_once() {
    let app = TestApp::cached().await;
    let draft = app.article_id("https://alpha.example/draft").await;
    let (token, _) = newsgraph_shared::auth::create_token(&app.db.pool, "erin", newsgraph_shared::auth::Role::Editor)
        .await
        .unwrap();
    let by_id = format!("{{ article(id: \"{draft}\") {{ title }} }}");
    let node = format!("{{ node(id: \"{draft}\") {{ id }} }}");
    let shapes = [
        "{ article(slug: \"2026-11-21-draft\") { title } }",
        "{ article(url: \"https://alpha.example/draft\") { title } }",
        &by_id,
        &node,
        "{ articles(first: 100) { totalCount nodes { title } } }",
        "{ search(query: \"draft\") { totalCount nodes { title } } }",
        "{ topic(slug: \"climate\") { articleCount articles { totalCount nodes { title } } } }",
        "{ provider(domain: \"alpha.example\") { articleCount articles(first: 100) { nodes { title } } } }",
        "{ article(url: \"https://alpha.example/markets\") { related { title } } }",
        "{ article(url: \"https://alpha.example/ocean-heat\") { relatedBy { title } lead { title } } }",
    ];
    let unrelated = "{ topic(slug: \"sports\") { articles { nodes { title } } } }";
    let mut hidden = Vec::new();
    for query in shapes.iter().copied().chain([unrelated]) {
        let (_, cache, body) = app.post_as(query, None).await;
        assert_eq!(cache.as_deref(), Some("miss"), "{query}");
        let (_, cache, again) = app.post_as(query, None).await;
        assert_eq!((cache.as_deref(), &again), (Some("hit"), &body), "{query}");
        hidden.push(body);
    }
    let unrelated_answer = hidden.pop().unwrap();

    for (action, shown) in [("publishArticle", true), ("unpublishArticle", false)] {
        let mutation = format!("mutation {{ {action}(id: \"{draft}\", reason: \"desk\") {{ publicationChanged }} }}");
        let recorded = app.state.events().freshness().latest();
        let (status, _, body) = app.post_as(&mutation, Some(token.expose())).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"][action]["publicationChanged"], true, "{body}");
        for (query, before) in shapes.iter().zip(&hidden) {
            let (_, cache, body) = app.post_as(query, None).await;
            assert_ne!(cache.as_deref(), Some("hit"), "{action}: {query}");
            assert_eq!(&body != before, shown, "{action}: {query}: {body}");
        }
        // once the notification is heard too (while it is being looked up,
        // answers bypass the cache), the unrelated answer is still cached
        let freshness = app.state.events().freshness();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while freshness.latest() < recorded + 2 || freshness.begin().is_none() {
            assert!(std::time::Instant::now() < deadline, "the notification was never heard");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let (_, cache, body) = app.post_as(unrelated, None).await;
        assert_eq!(
            (cache.as_deref(), body),
            (Some("hit"), unrelated_answer.clone()),
            "{action}"
        );
    }
}

/// Anonymous searches read the published articles' own vectors; a new
/// title, a publication and an unpublication reach them with the write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_search_follows_text_and_publication_changes() {
    let app = TestApp::with_newsroom().await;
    let search = |word: &str| format!("{{ search(query: \"{word}\") {{ totalCount nodes {{ title }} }} }}");
    let derby = app.db.article_id("https://beta.example/derby").await;
    assert_eq!(app.data(&search("derby"), json!({})).await["search"]["totalCount"], 1);

    sqlx::query(
        "update article set title = 'Rivals share the points', excerpt = 'A late equaliser.' where article_id = $1",
    )
    .bind(derby)
    .execute(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(app.data(&search("derby"), json!({})).await["search"]["totalCount"], 0);
    let found = app.data(&search("rivals"), json!({})).await;
    assert_eq!(found["search"]["nodes"], json!([{"title": "Rivals share the points"}]));

    for (published, count) in [(false, 0), (true, 1)] {
        sqlx::query("update article_state set published = $2 where article_id = $1")
            .bind(derby)
            .bind(published)
            .execute(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(
            app.data(&search("rivals"), json!({})).await["search"]["totalCount"],
            count
        );
    }
    // editors search unpublished articles too
    let editor = app
        .as_editor("{ search(query: \"draft\") { totalCount } }", json!({}))
        .await;
    assert_eq!(editor["search"]["totalCount"], 2, "the two drafts: {editor}");
}
