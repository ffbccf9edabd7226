//! No N+1: the topic feed runs a small, constant number of SQL statements.

use newsgraph_shared::ingest::import_paths;
use serde_json::json;

use crate::api_support::{Story, TestApp};
use crate::support::{TestDb, write};

/// The topic feed query of the benchmark.
pub const TOPIC_FEED: &str = "query TopicFeed($slug: String!, $first: Int) {
  topic(slug: $slug) {
    name
    articles(first: $first, orderBy: {field: HEAT}) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        id slug title excerpt webUrl publishedAt quality heat
        provider { name domain }
        images { url width height }
        topics { slug name }
        related { id title webUrl provider { name domain } }
      } }
    }
  }
}";

/// 60 articles in topic Feed (and its child Sub), each with images, two
/// topics and five related articles of other providers.
async fn feed_fixture(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "_data/topics/feed.yaml",
        "taxonomy: topic\n_id: feed\nname: Feed\n",
    );
    write(
        dir.path(),
        "_data/topics/sub.yaml",
        "taxonomy: topic\n_id: sub\nname: Sub\nparent: Feed\n",
    );
    let n = 60;
    let titles: Vec<String> = (0..n).map(|i| format!("Story number {i}")).collect();
    let urls: Vec<String> = (0..n).map(|i| format!("https://p{}.example/s{i}", i % 6)).collect();
    let providers: Vec<(String, String)> = (0..6)
        .map(|p| (format!("Provider {p}"), format!("p{p}.example")))
        .collect();
    for i in 0..n {
        let related = (1..=5)
            .map(|k| {
                let j = (i + k) % n;
                (titles[j].clone(), urls[j].clone(), providers[j % 6].1.clone())
            })
            .collect();
        let provider = &providers[i % 6];
        Story {
            title: &titles[i],
            url: &urls[i],
            day: 1 + (i % 28) as u32,
            provider: (&provider.0, &provider.1),
            topics: if i % 2 == 0 { &["Feed", "Sub"] } else { &["Sub"] },
            images: 1 + i % 2,
            amp: false,
            related,
        }
        .write_to(dir.path());
    }
    let report = import_paths(&db.pool, &[dir.path().to_path_buf()], |_| {})
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    sqlx::query(
        "update article_state set published = true, quality = 100, heat = article_id::int % 37, scored_at = now()",
    )
    .execute(&db.pool)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_topic_feed_runs_the_same_few_statements_for_5_or_50_articles() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    feed_fixture(&db).await;
    let app = TestApp::over(db).await;
    let mut counts = Vec::new();
    for first in [5, 20, 50] {
        let body = app.post(TOPIC_FEED, json!({"slug": "feed", "first": first})).await;
        assert!(body.get("errors").is_none(), "{body}");
        let edges = body["data"]["topic"]["articles"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first);
        for edge in edges {
            let node = &edge["node"];
            assert!(node["provider"]["domain"].is_string());
            assert!(!node["images"].as_array().unwrap().is_empty());
            assert!(!node["topics"].as_array().unwrap().is_empty());
            let related = node["related"].as_array().unwrap();
            assert_eq!(related.len(), 5);
            assert!(related.iter().all(|r| r["provider"]["domain"].is_string()));
        }
        counts.push(body["extensions"]["sqlStatements"].as_u64().unwrap());
    }
    // the topic; the page with its providers, images and topics; the
    // related articles with their providers
    assert_eq!(counts, [3, 3, 3], "statements per request for 5, 20, 50 articles");
}

/// Relations carried by the page's statement are chosen from the query's
/// selection, through fragments and inline fragments too; where two
/// selections of one list differ (aliases), each still gets what it asked
/// for, the rest loaded as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relations_carried_with_a_page_follow_fragments_and_aliases() {
    let db = TestDb::new().await;
    db.leaves_jobs();
    feed_fixture(&db).await;
    let app = TestApp::over(db).await;
    let query = "query($slug: String!) {
      topic(slug: $slug) { articles(first: 10) { nodes { ...Card } } }
    }
    fragment Card on Article {
      title
      ... on Article { provider { domain } images { url } }
      topics { slug }
      withProvider: related { title provider { domain } }
      plain: related { title }
    }";
    let body = app.post(query, json!({"slug": "feed"})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let nodes = body["data"]["topic"]["articles"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 10);
    for node in nodes {
        assert!(node["provider"]["domain"].is_string(), "{node}");
        assert!(!node["images"].as_array().unwrap().is_empty(), "{node}");
        assert!(!node["topics"].as_array().unwrap().is_empty(), "{node}");
        let with_provider = node["withProvider"].as_array().unwrap();
        assert_eq!(with_provider.len(), 5);
        assert!(
            with_provider.iter().all(|r| r["provider"]["domain"].is_string()),
            "{node}"
        );
        let titles = |list: &serde_json::Value| {
            list.as_array()
                .unwrap()
                .iter()
                .map(|r| r["title"].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(titles(&node["plain"]), titles(&node["withProvider"]));
    }
    // the topic, the page with its relations, the related articles (once for
    // both aliases), and at most one more for the related articles'
    // providers if the alias without them loaded the list first
    let statements = body["extensions"]["sqlStatements"].as_u64().unwrap();
    assert!((3..=4).contains(&statements), "{statements} statements");
}
