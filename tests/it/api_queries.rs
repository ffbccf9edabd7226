//! Every query field over the newsroom fixture (see `api_support.rs`).

use serde_json::{Value, json};

use crate::api_support::{TestApp, global_id};

const ARTICLE_FIELDS: &str = "
fragment full on Article {
  id slug canonicalUrl category type title excerpt originalUrl webUrl ampUrl cdnAmpUrl publishedAt updatedAt
  locale secured removed source { quality heat published } quality heat published
  publication { published decidedBy override reason editor at scoredAt } scoreBreakdown version createdAt modifiedAt
  provider { id domain name images { url width height } }
  images { url width height isCached }
  topics { slug name }
  related { title provider { domain } }
  relatedBy { title }
}";

fn titles(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn article_by_slug_has_every_source_field_and_its_relations() {
    let app = TestApp::with_newsroom().await;
    let query = format!("query($slug: String!) {{ article(slug: $slug) {{ ...full }} }} {ARTICLE_FIELDS}");
    let data = app.data(&query, json!({"slug": "2026-11-20-ocean-heat"})).await;
    let a = &data["article"];
    assert_eq!(a["id"], app.article_id("https://alpha.example/ocean-heat").await);
    assert_eq!(a["title"], "Ocean heat hits a record");
    assert_eq!(a["canonicalUrl"], "https://alpha.example/ocean-heat");
    assert_eq!(a["webUrl"], "https://alpha.example/ocean-heat");
    assert_eq!(a["originalUrl"], "https://alpha.example/ocean-heat");
    assert_eq!(a["ampUrl"], "https://alpha.example/ocean-heat/amp");
    assert_eq!(a["cdnAmpUrl"], "https://cdn.example/amp/ocean-heat");
    assert_eq!(a["category"], "news");
    assert_eq!(a["type"], "article");
    assert_eq!(a["locale"], "en-us");
    assert_eq!(a["excerpt"], "What happened: ocean heat hits a record.");
    assert_eq!(a["secured"], "opaque==;value==");
    assert_eq!(a["publishedAt"], "2026-11-20T10:00:00+00:00");
    assert_eq!(a["removed"], false);
    assert_eq!(a["source"], json!({"quality": 100, "heat": 90, "published": true}));
    assert_eq!((a["quality"].as_i64(), a["heat"].as_i64()), (Some(150), Some(300)));
    assert_eq!(a["published"], true);
    assert_eq!(a["publication"]["decidedBy"], "WORKER");
    assert_eq!(a["publication"]["override"], Value::Null);
    assert!(a["publication"]["scoredAt"].is_string());
    assert_eq!(a["scoreBreakdown"], Value::Null, "anonymous callers see no breakdown");
    assert_eq!(a["provider"]["domain"], "alpha.example");
    assert_eq!(a["provider"]["name"], "Alpha News");
    assert_eq!(
        a["provider"]["images"],
        json!([{"url": "https://img.example/alpha.example.png", "width": 50, "height": 50}])
    );
    assert_eq!(
        a["images"],
        json!([
            {"url": "https://img.example/ocean-heat-0.jpg", "width": 800, "height": 450, "isCached": true},
            {"url": "https://img.example/ocean-heat-1.jpg", "width": 801, "height": 450, "isCached": true}
        ])
    );
    let topics: Vec<&str> = a["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert_eq!(topics, ["world", "climate", "oceans"], "source order");
    // source order, the unpublished related item absent
    assert_eq!(
        titles(&a["related"]),
        [
            "Climate summit opens",
            "Related coverage only",
            "Markets rally on rate cut"
        ]
    );
    assert_eq!(a["related"][1]["provider"]["domain"], "alpha.example");
    // listed by the summit (published) and the draft (unpublished: absent)
    assert_eq!(titles(&a["relatedBy"]), ["Climate summit opens"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn article_is_found_by_id_and_by_any_form_of_its_web_or_amp_url() {
    let app = TestApp::with_newsroom().await;
    let id = app.article_id("https://beta.example/summit").await;
    let by_id = app
        .data(
            "query($id: ID) { article(id: $id) { title publication { decidedBy override at reason } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(by_id["article"]["title"], "Climate summit opens");
    assert_eq!(
        by_id["article"]["publication"],
        json!({"decidedBy": "EDITOR", "override": "PUBLISH", "at": "2026-11-21T09:00:00+00:00", "reason": null})
    );
    for url in [
        "https://beta.example/summit",
        "http://www.beta.example/summit/?utm_source=x#top",
    ] {
        let data = app
            .data("query($u: String) { article(url: $u) { title } }", json!({"u": url}))
            .await;
        assert_eq!(data["article"]["title"], "Climate summit opens", "{url}");
    }
    let amp = app
        .data(
            "{ article(url: \"http://alpha.example/ocean-heat/amp/\") { title } }",
            json!({}),
        )
        .await;
    assert_eq!(amp["article"]["title"], "Ocean heat hits a record");
    let missing = app
        .data(
            "{ a: article(slug: \"nope\") { title } b: article(url: \"https://nowhere.example/x\") { title } }",
            json!({}),
        )
        .await;
    assert_eq!(missing, json!({"a": null, "b": null}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_fetches_every_type_by_global_id() {
    let app = TestApp::with_newsroom().await;
    let topic: i64 = sqlx::query_scalar("select topic_id from topic where slug = 'climate'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let provider: i64 = sqlx::query_scalar("select provider_id from provider where domain = 'beta.example'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let article = app.article_id("https://beta.example/derby").await;
    let query = "query($a: ID!, $t: ID!, $p: ID!, $none: ID!) {
        a: node(id: $a) { __typename id ... on Article { title } }
        t: node(id: $t) { __typename id ... on Topic { name } }
        p: node(id: $p) { __typename id ... on Provider { domain } }
        none: node(id: $none) { id }
    }";
    let (t, p) = (global_id("Topic", topic), global_id("Provider", provider));
    let data = app
        .data(
            query,
            json!({"a": article, "t": t, "p": p, "none": global_id("Article", 999_999)}),
        )
        .await;
    assert_eq!(
        data["a"],
        json!({"__typename": "Article", "id": article, "title": "Derby ends in a draw"})
    );
    assert_eq!(data["t"], json!({"__typename": "Topic", "id": t, "name": "Climate"}));
    assert_eq!(
        data["p"],
        json!({"__typename": "Provider", "id": p, "domain": "beta.example"})
    );
    assert_eq!(data["none"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_form_a_tree_with_highlights_counts_and_feeds_including_descendants() {
    let app = TestApp::with_newsroom().await;
    let data = app
        .data(
            "{ topics { slug childCount articleCount children { slug children { slug } } }
               topic(slug: \"climate\") {
                 name shortName keywords hashtags images highlight { text textColor backgroundColor }
                 parent { slug parent { slug } } children { slug name articleCount }
                 articleCount childCount
                 articles(orderBy: {field: HEAT}) { totalCount nodes { title } }
               }
               oceans: topic(slug: \"oceans\") { highlight { text } articles { nodes { title } } }
               missing: topic(slug: \"nope\") { slug } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["topics"],
        json!([
            {"slug": "sports", "childCount": 0, "articleCount": 1, "children": []},
            {"slug": "world", "childCount": 2, "articleCount": 8, "children": [
                {"slug": "climate", "children": [{"slug": "oceans"}]},
                {"slug": "economy", "children": []}
            ]}
        ])
    );
    let climate = &data["topic"];
    assert_eq!(climate["name"], "Climate");
    assert_eq!(climate["shortName"], "Cli");
    assert_eq!(climate["keywords"], json!(["climate", "climate-news"]));
    assert_eq!(climate["hashtags"], json!(["#Climate"]));
    assert_eq!(climate["images"], json!(["https://img.example/topics/climate.jpg"]));
    assert_eq!(
        climate["highlight"],
        json!({"text": "Cli", "textColor": "#ffffff", "backgroundColor": "#0a7d3b"})
    );
    assert_eq!(climate["parent"], json!({"slug": "world", "parent": null}));
    assert_eq!(
        climate["children"],
        json!([{"slug": "oceans", "name": "Oceans", "articleCount": 1}])
    );
    // ocean-heat (also in Oceans) and summit; the draft is unpublished
    assert_eq!(climate["articleCount"], 2);
    assert_eq!(climate["childCount"], 1);
    assert_eq!(climate["articles"]["totalCount"], 2);
    assert_eq!(
        titles(&climate["articles"]["nodes"]),
        ["Ocean heat hits a record", "Climate summit opens"]
    );
    assert_eq!(data["oceans"]["highlight"], Value::Null);
    assert_eq!(
        titles(&data["oceans"]["articles"]["nodes"]),
        ["Ocean heat hits a record"]
    );
    assert_eq!(data["missing"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_are_listed_by_domain_with_their_feeds_and_counts() {
    let app = TestApp::with_newsroom().await;
    let data = app
        .data(
            "{ providers(first: 1) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
                 edges { cursor node { domain name articleCount } } }
               provider(domain: \"BETA.example\") {
                 name images { url }
                 articles(orderBy: {field: QUALITY, direction: ASC}) { totalCount nodes { title quality } } }
               none: provider(domain: \"none.example\") { name } }",
            json!({}),
        )
        .await;
    let page = &data["providers"];
    assert_eq!(page["totalCount"], 2);
    assert_eq!(
        page["edges"][0]["node"],
        json!({"domain": "alpha.example", "name": "Alpha News", "articleCount": 5})
    );
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let next = app
        .data(
            "query($c: String) { providers(first: 5, after: $c) { pageInfo { hasNextPage hasPreviousPage } nodes { domain } } }",
            json!({"c": page["pageInfo"]["endCursor"]}),
        )
        .await;
    assert_eq!(next["providers"]["nodes"], json!([{"domain": "beta.example"}]));
    assert_eq!(
        next["providers"]["pageInfo"],
        json!({"hasNextPage": false, "hasPreviousPage": true})
    );
    let back = app
        .data(
            "query($c: String) { providers(last: 5, before: $c) { nodes { domain } } }",
            json!({"c": next["providers"]["pageInfo"]["endCursor"].clone()}),
        )
        .await;
    assert!(back["providers"]["nodes"].is_array());

    let beta = &data["provider"];
    assert_eq!(beta["name"], "Beta Times");
    assert_eq!(beta["images"], json!([{"url": "https://img.example/beta.example.png"}]));
    assert_eq!(beta["articles"]["totalCount"], 5);
    assert_eq!(
        titles(&beta["articles"]["nodes"]),
        [
            "Bakers raise bread prices",
            "Credit unions grow",
            "Derby ends in a draw",
            "Climate summit opens",
            "Unscored but published"
        ],
        "quality ascending, the unscored (null) last"
    );
    assert_eq!(data["none"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_narrows_the_feed() {
    let app = TestApp::with_newsroom().await;
    let climate: i64 = sqlx::query_scalar("select topic_id from topic where slug = 'climate'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let alpha: i64 = sqlx::query_scalar("select provider_id from provider where domain = 'alpha.example'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let query = "query($f: ArticleFilter) { articles(filter: $f, first: 100, orderBy: {field: PUBLISHED_AT}) { totalCount nodes { title } } }";
    let cases = [
        (json!({}), 10),
        (json!({"topic": global_id("Topic", climate)}), 2),
        (json!({"topicSlug": "world"}), 8),
        (json!({"topicSlug": "oceans"}), 1),
        (json!({"provider": global_id("Provider", alpha)}), 5),
        (json!({"providerDomain": "beta.example"}), 5),
        (json!({"published": true}), 10),
        (json!({"published": false}), 0),
        (json!({"publishedAfter": "2026-11-18T00:00:00Z"}), 3),
        (
            json!({"publishedBefore": "2026-11-12T00:00:00Z", "publishedAfter": "2026-11-10T00:00:00Z"}),
            2,
        ),
        (json!({"minQuality": 100}), 3),
        (json!({"minHeat": 250}), 3),
        (json!({"text": "climate summit"}), 1),
        (json!({"text": "\"rate cut\" or derby"}), 2),
        (
            json!({"topicSlug": "world", "providerDomain": "alpha.example", "minHeat": 70}),
            3,
        ),
    ];
    for (filter, expected) in cases {
        let data = app.data(query, json!({"f": filter})).await;
        let feed = &data["articles"];
        assert_eq!(feed["totalCount"], expected, "{filter}: {feed}");
        assert_eq!(feed["nodes"].as_array().unwrap().len(), expected as usize, "{filter}");
    }
    let recent = app
        .data(query, json!({"f": {"publishedAfter": "2026-11-18T00:00:00Z"}}))
        .await;
    assert_eq!(
        titles(&recent["articles"]["nodes"]),
        [
            "Ocean heat hits a record",
            "Climate summit opens",
            "Markets rally on rate cut"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_ranks_title_matches_above_excerpt_matches() {
    let app = TestApp::with_newsroom().await;
    let data = app
        .data(
            "{ search(query: \"climate\", first: 10) { totalCount edges { cursor node { title } } }
               narrowed: search(query: \"climate\", filter: {providerDomain: \"alpha.example\"}) { totalCount } }",
            json!({}),
        )
        .await;
    let hits = &data["search"];
    assert_eq!(hits["totalCount"], 1);
    assert_eq!(hits["edges"][0]["node"]["title"], "Climate summit opens");
    assert_eq!(data["narrowed"]["totalCount"], 0);

    let two = app
        .data("{ search(query: \"heat or markets\", first: 1) { totalCount pageInfo { hasNextPage endCursor } nodes { title } } }", json!({}))
        .await;
    assert_eq!(two["search"]["totalCount"], 2);
    assert_eq!(two["search"]["pageInfo"]["hasNextPage"], true);
    let next = app
        .data(
            "query($c: String) { search(query: \"heat or markets\", first: 5, after: $c) { pageInfo { hasNextPage } nodes { title } } }",
            json!({"c": two["search"]["pageInfo"]["endCursor"]}),
        )
        .await;
    let mut seen = vec![two["search"]["nodes"][0]["title"].as_str().unwrap().to_string()];
    seen.push(next["search"]["nodes"][0]["title"].as_str().unwrap().to_string());
    seen.sort();
    assert_eq!(seen, ["Markets rally on rate cut", "Ocean heat hits a record"]);
    assert_eq!(next["search"]["pageInfo"]["hasNextPage"], false);
}
