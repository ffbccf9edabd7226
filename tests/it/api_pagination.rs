//! Orders, keyset pages in both directions, and pages after rows changed.

use serde_json::{Value, json};

use crate::api_support::TestApp;

const FEED: &str = "query($o: ArticleOrder, $first: Int, $after: String, $last: Int, $before: String) {
  articles(orderBy: $o, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { title } }
  }
}";

fn titles(feed: &Value) -> Vec<String> {
    feed["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_string())
        .collect()
}

/// The visible articles in an order, as PostgreSQL sorts them (NULL values
/// greatest, ties by id in the same direction).
async fn expected(app: &TestApp, column: &str, direction: &str) -> Vec<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select title from article_with_state where published order by {column} {direction}, article_id {direction}"
    )))
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_order_pages_forward_and_backward_through_the_same_sequence() {
    let app = TestApp::with_newsroom().await;
    for (field, column) in [
        ("HEAT", "heat"),
        ("QUALITY", "quality"),
        ("PUBLISHED_AT", "published_at"),
    ] {
        for direction in ["ASC", "DESC"] {
            let order = json!({"field": field, "direction": direction});
            let all = expected(&app, column, &direction.to_lowercase()).await;
            assert_eq!(all.len(), 10);

            let (mut forward, mut after, mut pages) = (Vec::new(), Value::Null, 0);
            loop {
                let data = app.data(FEED, json!({"o": order, "first": 3, "after": after})).await;
                let feed = &data["articles"];
                assert_eq!(feed["totalCount"], 10);
                assert_eq!(feed["pageInfo"]["hasPreviousPage"], pages > 0);
                let edges = feed["edges"].as_array().unwrap();
                assert_eq!(feed["pageInfo"]["startCursor"], edges[0]["cursor"]);
                assert_eq!(feed["pageInfo"]["endCursor"], edges[edges.len() - 1]["cursor"]);
                forward.extend(titles(feed));
                pages += 1;
                if feed["pageInfo"]["hasNextPage"] == false {
                    break;
                }
                after = feed["pageInfo"]["endCursor"].clone();
            }
            assert_eq!(forward, all, "{field} {direction} forward");
            assert_eq!(pages, 4);

            let (mut backward, mut before) = (Vec::new(), Value::Null);
            loop {
                let data = app.data(FEED, json!({"o": order, "last": 3, "before": before})).await;
                let feed = &data["articles"];
                let mut page = titles(feed);
                page.extend(backward);
                backward = page;
                if feed["pageInfo"]["hasPreviousPage"] == false {
                    break;
                }
                assert_eq!(feed["pageInfo"]["hasNextPage"], !before.is_null());
                before = feed["pageInfo"]["startCursor"].clone();
            }
            assert_eq!(backward, all, "{field} {direction} backward");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_order_is_newest_first_and_page_size_defaults_to_twenty() {
    let app = TestApp::with_newsroom().await;
    let data = app.data(FEED, json!({})).await;
    assert_eq!(titles(&data["articles"]), expected(&app, "published_at", "desc").await);
    let empty = app.data(FEED, json!({"first": 0})).await;
    assert_eq!(empty["articles"]["edges"], json!([]));
    assert_eq!(empty["articles"]["pageInfo"]["hasNextPage"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_page_starts_after_the_cursor_even_when_rows_changed_in_between() {
    let app = TestApp::with_newsroom().await;
    let order = json!({"field": "HEAT", "direction": "DESC"});
    let first = app.data(FEED, json!({"o": order, "first": 2})).await;
    // NULL heat sorts first in descending order
    assert_eq!(
        titles(&first["articles"]),
        ["Unscored but published", "Ocean heat hits a record"]
    );
    let cursor = first["articles"]["pageInfo"]["endCursor"].clone();

    let change = |sql: &'static str| sqlx::query(sql).execute(&app.db.pool);
    // the cursor's own row drops far down: it comes again, at its new place
    change(
        "update article_state set heat = 5
         where article_id = (select article_id from article where canonical_url = 'https://alpha.example/ocean-heat')",
    )
    .await
    .unwrap();
    // an unseen row climbs above the cursor: it is not on later pages
    change(
        "update article_state set heat = 400
         where article_id = (select article_id from article where canonical_url = 'https://alpha.example/e1')",
    )
    .await
    .unwrap();
    // an unseen row is unpublished: gone
    change(
        "update article_state set published = false, heat = -1
         where article_id = (select article_id from article where canonical_url = 'https://beta.example/summit')",
    )
    .await
    .unwrap();
    // a new one appears below the cursor: it is on the next page
    change(
        "update article_state set published = true, heat = 275
         where article_id = (select article_id from article where canonical_url = 'https://alpha.example/draft')",
    )
    .await
    .unwrap();

    let next = app.data(FEED, json!({"o": order, "first": 100, "after": cursor})).await;
    assert_eq!(
        titles(&next["articles"]),
        [
            "Unpublished climate draft",
            "Markets rally on rate cut",
            "Derby ends in a draw",
            "Credit unions grow",
            "Port strike delays cargo",
            "Bakers raise bread prices",
            "Related coverage only",
            "Ocean heat hits a record",
        ]
    );
    assert_eq!(next["articles"]["pageInfo"]["hasNextPage"], false);

    // and backwards from the end, in the changed order
    let last = app.data(FEED, json!({"o": order, "last": 2})).await;
    assert_eq!(
        titles(&last["articles"]),
        ["Related coverage only", "Ocean heat hits a record"]
    );
    assert_eq!(last["articles"]["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(last["articles"]["pageInfo"]["hasNextPage"], false);
}

/// A search pages forward with `after` through the ranking PostgreSQL
/// computes over every visible match (ties by id).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_pages_forward_and_backward_through_its_ranking() {
    let app = TestApp::with_newsroom().await;
    let expected: Vec<String> = sqlx::query_scalar(
        "select title from article_with_state
         where published and search @@ websearch_to_tsquery('english', 'happened climate or happened')
         order by ts_rank(search, websearch_to_tsquery('english', 'happened climate or happened')) desc, article_id desc",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(expected.len() >= 8, "{expected:?}");
    let query = "query($first: Int, $after: String) {
      search(query: \"happened climate or happened\", first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { title } }
      }
    }";
    let mut forward = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.data(query, json!({"first": 3, "after": after})).await["search"].clone();
        assert_eq!(page["totalCount"], expected.len());
        forward.extend(titles(&page));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(forward, expected);
}
