//! Ingest pipelines: `ingestArticles` batches of new articles, updates of
//! earlier ones, identical resends and deliberately bad items.
//!
//! Every item's result is predicted: a new URL is `CREATED`, a changed
//! title `UPDATED`, an identical resend `UNCHANGED`, a bad item `ERROR` with
//! the field at fault. The pipelines share a provider, a topic and a pool of
//! related articles that none of them owns, so their transactions create and
//! touch the same rows at the same time.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::client::{Api, Tally};

const INGEST: &str = "mutation($a: [ArticleInput!]!) { ingestArticles(articles: $a) {
    created updated unchanged failed jobsEnqueued
    results { index status canonicalUrl field reason } } }";

/// Related articles every pipeline links to (same content from each).
const SHARED_RELATED: usize = 20;

/// What an ingest task did.
#[derive(Default)]
pub struct IngestReport {
    pub tally: Tally,
    pub batches: u64,
    pub items_accepted: u64,
    pub items_refused: u64,
    /// Canonical URL -> title of the last accepted version.
    pub accepted: BTreeMap<String, String>,
    /// URLs of accepted related items (stored as articles).
    pub related: BTreeSet<String>,
    /// Valid URLs of refused items: nothing of them may be stored.
    pub refused: BTreeSet<String>,
}

/// What the pipeline expects of one item.
enum Expect {
    Accepted { url: String, status: &'static str },
    Refused { field: &'static str, url: Option<String> },
}

/// One pipeline `client`: a batch of `batch` items every `every` until `until`.
pub async fn run(
    base: String,
    client: usize,
    token: String,
    seed: u64,
    batch: usize,
    until: Instant,
    every: Duration,
) -> IngestReport {
    let api = Api::new(&base);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut report = IngestReport::default();
    // the last accepted version of each of our articles
    let mut stored: Vec<(String, Value)> = Vec::new();
    let mut next = 0usize;
    while Instant::now() < until {
        let started = Instant::now();
        let mut items = Vec::new();
        let mut expects = Vec::new();
        let mut in_batch = BTreeSet::new();
        for _ in 0..batch {
            next += 1;
            let roll = rng.u8(0..100);
            if roll < 25 && !stored.is_empty() {
                let pick = rng.usize(..stored.len());
                let (url, item) = &mut stored[pick];
                if !in_batch.insert(url.clone()) {
                    continue;
                }
                if roll < 5 {
                    items.push(item.clone());
                    expects.push(Expect::Accepted {
                        url: url.clone(),
                        status: "UNCHANGED",
                    });
                } else {
                    item["title"] = json!(format!("Soak story {client}-{next} (revised)"));
                    items.push(item.clone());
                    expects.push(Expect::Accepted {
                        url: url.clone(),
                        status: "UPDATED",
                    });
                }
            } else if roll >= 94 {
                let (item, field, url) = bad_item(client, next, rng.u8(0..3));
                items.push(item);
                expects.push(Expect::Refused { field, url });
            } else {
                let item = new_item(client, next, &mut rng);
                let url = item["webUrl"].as_str().expect("a URL").to_string();
                in_batch.insert(url.clone());
                stored.push((url.clone(), item.clone()));
                items.push(item);
                expects.push(Expect::Accepted { url, status: "CREATED" });
            }
        }
        let answer = api.post(Some(&token), INGEST, json!({"a": items})).await;
        report.batches += 1;
        let what = format!("ingestArticles batch {} of pipeline {client}", report.batches);
        if report.tally.count(&what, &answer, &["OK"]) {
            let body = &answer.as_ref().expect("counted as OK").body;
            check_results(&mut report, &what, &body["data"]["ingestArticles"], &items, &expects);
        }
        // an item not accepted must not be updated or resent as if stored
        stored.retain(|(url, _)| report.accepted.contains_key(url));
        if let Some(rest) = every.checked_sub(started.elapsed()) {
            tokio::time::sleep(rest).await;
        }
    }
    report
}

fn check_results(report: &mut IngestReport, what: &str, payload: &Value, items: &[Value], expects: &[Expect]) {
    let results = payload["results"].as_array().cloned().unwrap_or_default();
    if results.len() != expects.len() {
        report
            .tally
            .unexpected(format!("{what}: {} results for {} items", results.len(), expects.len()));
        return;
    }
    for (index, ((result, expect), item)) in results.iter().zip(expects).zip(items).enumerate() {
        let status = result["status"].as_str().unwrap_or_default();
        match expect {
            Expect::Accepted { url, status: wanted } => {
                if status == *wanted && result["canonicalUrl"] == json!(url) && result["index"] == json!(index) {
                    report.items_accepted += 1;
                    let title = item["title"].as_str().unwrap_or_default().to_string();
                    report.accepted.insert(url.clone(), title);
                    for related in item["related"].as_array().into_iter().flatten() {
                        if let Some(url) = related["webUrl"].as_str() {
                            report.related.insert(url.to_string());
                        }
                    }
                } else {
                    report
                        .tally
                        .unexpected(format!("{what}: item {index} ({url}) expected {wanted}, got {result}"));
                }
            }
            Expect::Refused { field, url } => {
                if status == "ERROR" && result["field"] == json!(field) {
                    report.items_refused += 1;
                    if let Some(url) = url {
                        report.refused.insert(url.clone());
                    }
                } else {
                    report
                        .tally
                        .unexpected(format!("{what}: item {index} expected ERROR on {field}, got {result}"));
                }
            }
        }
    }
}

/// A new article of pipeline `client`, sometimes with related coverage
/// (its own new related article, and one of the shared ones).
fn new_item(client: usize, n: usize, rng: &mut fastrand::Rng) -> Value {
    let desk = ["Economy", "Climate", "Soak Desk"][rng.usize(..3)];
    let published = Utc::now() - chrono::Duration::minutes(rng.i64(1..600));
    let mut item = json!({
        "slug": format!("{}-soak-{client}-{n}", published.format("%Y-%m-%d")),
        "title": format!("Soak story {client}-{n}"),
        "webUrl": format!("https://soak-wire.example/c{client}/story-{n}"),
        "excerpt": format!("What the soak pipeline {client} reports as story {n}."),
        "publishedDateTime": published.to_rfc3339_opts(SecondsFormat::Secs, true),
        "provider": {"domain": "soak-wire.example", "name": "Soak Wire"},
        "topics": ["World", desk],
        "images": [{"url": format!("https://img.soak-wire.example/{client}-{n}.jpg"), "width": 1200, "height": 630}],
    });
    if rng.u8(0..3) == 0 {
        let shared = rng.usize(..SHARED_RELATED);
        item["related"] = json!([
            {"title": format!("Soak follow-up {client}-{n}"),
             "webUrl": format!("https://soak-related.example/c{client}/follow-up-{n}"),
             "provider": {"domain": "soak-related.example", "name": "Soak Related"}},
            {"title": format!("Soak background {shared}"),
             "webUrl": format!("https://soak-related.example/shared/background-{shared}"),
             "publishedDateTime": "2026-11-01T08:00:00Z",
             "provider": {"domain": "soak-related.example", "name": "Soak Related"}},
        ]);
    }
    item
}

/// A bad item: the field that must be named in its `ERROR`, and the valid
/// URL (if it has one) that must not be stored.
fn bad_item(client: usize, n: usize, kind: u8) -> (Value, &'static str, Option<String>) {
    let mut item = json!({
        "title": format!("Soak bad item {client}-{n}"),
        "publishedDateTime": "2026-11-20T10:00:00Z",
        "provider": {"domain": "soak-wire.example"},
    });
    match kind {
        0 => {
            item["webUrl"] = json!(format!("ftp://soak-bad.example/c{client}/{n}"));
            (item, "webUrl", None)
        }
        1 => {
            let url = format!("https://soak-bad.example/c{client}/date-{n}");
            item["webUrl"] = json!(url);
            item["publishedDateTime"] = json!("2026-02-30T10:00:00Z");
            (item, "publishedDateTime", Some(url))
        }
        _ => {
            let url = format!("https://soak-bad.example/c{client}/related-{n}");
            item["webUrl"] = json!(url);
            item["related"] = json!([{"title": "Bad related", "webUrl": "javascript:alert(1)"}]);
            (item, "related[0].webUrl", Some(url))
        }
    }
}
