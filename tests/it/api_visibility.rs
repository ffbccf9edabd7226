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
