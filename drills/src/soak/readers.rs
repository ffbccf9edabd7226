//! Anonymous readers: topic feeds (over POST, and over GET with ETag
//! revalidation), article pages by slug, and filtered article lists paged
//! with cursors. Every answer must be a clean 200 (or a 304 to a
//! revalidation), and an anonymous reader must never see an unpublished
//! article.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::client::{Api, Tally};

const TOPIC_FEED: &str = "query TopicFeed($slug: String!, $first: Int) { topic(slug: $slug) { name
    articles(first: $first, orderBy: {field: HEAT}) { pageInfo { hasNextPage endCursor }
      nodes { id slug title excerpt webUrl publishedAt quality heat published
        provider { name domain } images { url width height } topics { slug name }
        related { id title webUrl published provider { name domain } } } } } }";

const ARTICLE_PAGE: &str = "query ArticlePage($slug: String!) { article(slug: $slug) { id slug title excerpt
    webUrl ampUrl publishedAt quality heat published provider { name domain images { url } }
    images { url width height } topics { slug name }
    related { id slug title webUrl publishedAt published provider { name domain } } } }";

const ARTICLE_LIST: &str = "query Articles($filter: ArticleFilter, $order: ArticleOrder, $after: String) {
    articles(filter: $filter, orderBy: $order, first: 20, after: $after) { totalCount
      pageInfo { hasNextPage endCursor } nodes { id slug title quality heat published publishedAt provider { domain } } } }";

/// What the readers pick their requests from.
#[derive(Clone)]
pub struct ReadTargets {
    pub topic_slugs: Vec<String>,
    pub article_slugs: Vec<String>,
    pub provider_domains: Vec<String>,
}

/// One reader: a loop of random reads until `until`, pausing `pause`
/// between requests. Every read is timed.
pub async fn run(base: String, targets: ReadTargets, seed: u64, until: Instant, pause: Duration) -> Tally {
    let api = Api::new(&base);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = Tally::default();
    let mut etags: std::collections::HashMap<String, String> = Default::default();
    while Instant::now() < until {
        match rng.u8(0..4) {
            0 => {
                let slug = &targets.topic_slugs[rng.usize(..targets.topic_slugs.len())];
                let vars = json!({"slug": slug, "first": 20});
                let answer = api.post(None, TOPIC_FEED, vars).await;
                timed(&mut tally, "topic feed", &answer, &["OK"]);
                if let Ok(answer) = &answer {
                    check_visible(
                        &mut tally,
                        "topic feed",
                        &answer.body["data"]["topic"]["articles"]["nodes"],
                    );
                }
            }
            1 => {
                // the same feed over GET, as a CDN or browser would send it
                let slug = targets.topic_slugs[rng.usize(..targets.topic_slugs.len())].clone();
                let vars = json!({"slug": slug, "first": 10});
                let answer = api.get(TOPIC_FEED, vars, etags.get(&slug).map(String::as_str)).await;
                timed(&mut tally, "topic feed (GET)", &answer, &["OK", "NOT_MODIFIED"]);
                if let Ok(answer) = &answer {
                    if answer.status == 200 {
                        check_visible(
                            &mut tally,
                            "topic feed (GET)",
                            &answer.body["data"]["topic"]["articles"]["nodes"],
                        );
                    }
                    if let Some(etag) = &answer.etag {
                        etags.insert(slug, etag.clone());
                    }
                }
            }
            2 => {
                let slug = &targets.article_slugs[rng.usize(..targets.article_slugs.len())];
                let answer = api.post(None, ARTICLE_PAGE, json!({"slug": slug})).await;
                timed(&mut tally, "article page", &answer, &["OK"]);
                if let Ok(answer) = &answer {
                    let article = &answer.body["data"]["article"];
                    if !article.is_null() {
                        check_visible(&mut tally, "article page", &json!([article]));
                        check_visible(&mut tally, "article page related", &article["related"]);
                    }
                }
            }
            _ => list_pages(&api, &targets, &mut rng, &mut tally).await,
        }
        tokio::time::sleep(pause).await;
    }
    tally
}

/// Up to three pages of a filtered list, each after the previous page's
/// end cursor. (Articles may legitimately move between pages while the
/// worker rescores, so pages are not compared with each other.)
async fn list_pages(api: &Api, targets: &ReadTargets, rng: &mut fastrand::Rng, tally: &mut Tally) {
    let mut filter = json!({});
    if rng.bool() {
        filter["providerDomain"] = json!(targets.provider_domains[rng.usize(..targets.provider_domains.len())]);
    }
    if rng.bool() {
        filter["minQuality"] = json!(rng.i32(0..120));
    }
    if rng.u8(0..4) == 0 {
        filter["topicSlug"] = json!(targets.topic_slugs[rng.usize(..targets.topic_slugs.len())]);
    }
    let field = ["HEAT", "QUALITY", "PUBLISHED_AT"][rng.usize(..3)];
    let order = json!({"field": field, "direction": if rng.bool() { "DESC" } else { "ASC" }});
    let mut after = Value::Null;
    for _ in 0..3 {
        let vars = json!({"filter": filter, "order": order, "after": after});
        let answer = api.post(None, ARTICLE_LIST, vars).await;
        if !timed(tally, "article list", &answer, &["OK"]) {
            return;
        }
        let Ok(answer) = answer else { return };
        let articles = &answer.body["data"]["articles"];
        check_visible(tally, "article list", &articles["nodes"]);
        if articles["pageInfo"]["hasNextPage"] != json!(true) {
            return;
        }
        after = articles["pageInfo"]["endCursor"].clone();
    }
}

/// Counts the answer and records its latency.
fn timed(
    tally: &mut Tally,
    what: &str,
    answer: &Result<super::client::Answer, reqwest::Error>,
    expected: &[&str],
) -> bool {
    if let Ok(answer) = answer {
        tally.latencies_ms.push(answer.elapsed.as_secs_f64() * 1000.0);
    }
    tally.count(what, answer, expected)
}

/// Anonymous callers see published articles only.
fn check_visible(tally: &mut Tally, what: &str, nodes: &Value) {
    for node in nodes.as_array().into_iter().flatten() {
        if node["published"] != json!(true) {
            tally.unexpected(format!(
                "{what}: an anonymous reader saw an unpublished article: {node}"
            ));
        }
    }
}
