//! Corpus-wide fidelity: every article of both real corpora (the small files
//! and the large ones, imported together as one site) reads back through
//! GraphQL, as an editor, as the files say.
//!
//! The files are read here with a plain YAML/JSON reader, not the importer's
//! parser, and folded by this file's own statement of the documented rules
//! (README "Import"): articles are one when their canonical webUrls match or
//! one's webUrl is the other's AMP URL; occurrences are folded in path
//! order, a top-level occurrence's fields winning and a related copy only
//! filling gaps; an absent field never erases one; text is trimmed (except
//! `secured`); site paths resolve against `_config.yml`; a provider's logos
//! are the union of every occurrence's.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use newsgraph_shared::urls::canonical_key;
use serde_json::{Value, json};

use crate::api_support::TestApp;
use crate::support::{TestDb, corpus_dir, more_corpus_dir};

/// Fields copied as they are (trimmed when text).
const SCALARS: &[&str] = &[
    "title",
    "excerpt",
    "webUrl",
    "originalUrl",
    "ampWebUrl",
    "cdnAmpWebUrl",
    "publishedDateTime",
    "updatedDateTime",
    "category",
    "type",
    "locale",
    "secured",
    "removed",
    "quality",
    "heat",
    "published",
    "provider",
    "images",
    "topics",
];

/// One article as the files say it, folded.
#[derive(Debug, Default, Clone)]
struct Expected {
    fields: serde_json::Map<String, Value>,
    seen_top_level: bool,
    /// Group keys of the related list, in order (top-level lists only).
    related: Option<Vec<usize>>,
}

#[derive(Default)]
struct Model {
    groups: Vec<Expected>,
    by_web: HashMap<String, usize>,
    by_amp: HashMap<String, usize>,
    /// Every logo seen per provider domain, by URL.
    logos: HashMap<String, Vec<Value>>,
    /// Top-level files' groups, with the file, for the per-file report.
    files: Vec<(PathBuf, usize)>,
}

fn key(url: &str) -> String {
    canonical_key(url).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn present(value: &Value, field: &str) -> Option<Value> {
    value.get(field).filter(|v| !v.is_null()).cloned()
}

impl Model {
    fn group_of(&mut self, item: &Value) -> usize {
        let web = key(item["webUrl"].as_str().unwrap());
        let amp = present(item, "ampWebUrl").map(|a| key(a.as_str().unwrap()));
        let found = self
            .by_web
            .get(&web)
            .or_else(|| self.by_amp.get(&web))
            .or_else(|| amp.as_ref().and_then(|a| self.by_web.get(a)))
            .copied();
        let group = found.unwrap_or_else(|| {
            self.groups.push(Expected::default());
            self.groups.len() - 1
        });
        self.by_web.entry(web).or_insert(group);
        if let Some(amp) = amp {
            self.by_amp.entry(amp).or_insert(group);
        }
        group
    }

    fn fold(&mut self, group: usize, item: &Value, top_level: bool) {
        if let Some(provider) = item.get("provider").filter(|p| p.is_object()) {
            let domain = provider["domain"].as_str().unwrap().to_ascii_lowercase();
            let logos = self.logos.entry(domain).or_default();
            for logo in provider.get("images").and_then(Value::as_array).into_iter().flatten() {
                if !logos.iter().any(|l| l["url"] == logo["url"]) {
                    logos.push(logo.clone());
                }
            }
        }
        let expected = &mut self.groups[group];
        let fill_only = expected.seen_top_level && !top_level;
        for field in SCALARS {
            if let Some(value) = present(item, field)
                && (!fill_only || !expected.fields.contains_key(*field))
            {
                expected.fields.insert(field.to_string(), value);
            }
        }
        if !fill_only {
            for field in ["title", "webUrl"] {
                expected.fields.insert(field.to_string(), item[field].clone());
            }
        }
        expected.seen_top_level |= top_level;
    }

    fn fold_top_level(&mut self, item: &Value) -> usize {
        let group = self.group_of(item);
        self.fold(group, item, true);
        if let Some(items) = item.get("related").and_then(Value::as_array) {
            let mut list = Vec::new();
            for related in items {
                // links back to the parent and repeats are dropped unread
                let member = self.group_of(related);
                if member != group && !list.contains(&member) {
                    self.fold(member, related, false);
                    list.push(member);
                }
            }
            self.groups[group].related = Some(list);
        }
        group
    }
}

/// The YAML front matter of an article file as JSON.
fn front_matter(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap().replace("\r\n", "\n");
    let yaml = text.strip_prefix("---\n").unwrap().split("\n---\n").next().unwrap();
    serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Article files and news pages of a site, in the import's path order.
fn site_files(root: &Path, out: &mut Vec<PathBuf>) {
    for entry in walkdir::WalkDir::new(root) {
        let path = entry.unwrap().into_path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let article = name.ends_with(".md")
            && name.as_bytes().get(4) == Some(&b'-')
            && name[..4].chars().all(|c| c.is_ascii_digit())
            && !path.to_str().unwrap().contains("/_data/");
        let news_page = name.ends_with(".json") && path.to_str().unwrap().contains("/api/news/");
        if article || news_page {
            out.push(path);
        }
    }
}

/// The site's address from its `_config.yml`: `url` + `baseurl`.
pub(crate) fn site_prefix(root: &Path) -> Option<String> {
    let config: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(root.join("_config.yml")).ok()?).unwrap();
    let url = config["url"].as_str()?.trim_end_matches('/').to_string();
    let base = config["baseurl"].as_str().unwrap_or("").trim_matches('/');
    Some(if base.is_empty() { url } else { format!("{url}/{base}") })
}

fn text(value: Option<&Value>) -> Value {
    match value {
        Some(Value::String(s)) => Value::String(s.trim().to_string()),
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

fn time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    value
        .and_then(Value::as_str)
        .map(|s| DateTime::parse_from_rfc3339(s.trim()).unwrap().with_timezone(&Utc))
}

fn images(value: Option<&Value>) -> Vec<Value> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|i| {
            json!({"url": i["url"], "width": i.get("width").cloned().unwrap_or(Value::Null),
                        "height": i.get("height").cloned().unwrap_or(Value::Null),
                        "isCached": i.get("isCached").cloned().unwrap_or(Value::Null)})
        })
        .collect()
}

/// The `field` of every object in the list `list`.
fn field_of_each(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].as_str().unwrap().to_string())
        .collect()
}

fn check(mismatches: &mut Vec<String>, what: String, got: Value, expected: Value) {
    if got != expected {
        mismatches.push(format!("{what}: GraphQL says {got}, the files {expected}"));
    }
}

const FIELDS: &str = "slug canonicalUrl category type title excerpt originalUrl webUrl ampUrl cdnAmpUrl
    publishedAt updatedAt locale secured removed source { quality heat published }
    provider { domain name images { url width height } }
    images { url width height isCached } topics { name } related { canonicalUrl }";

#[tokio::test]
async fn every_article_of_both_corpora_reads_back_through_graphql_as_the_files_say() {
    let (Some(small), Some(large)) = (corpus_dir(), more_corpus_dir()) else {
        return;
    };
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let report = crate::corpus::import(&db, &[small.clone(), large.clone()]).await;
    assert_eq!(report.files_failed, 0, "{:?}", report.errors);
    let app = TestApp::over(db).await;

    // The model, folded in the import's order (paths sorted).
    let mut paths = Vec::new();
    site_files(&small, &mut paths);
    site_files(&large, &mut paths);
    paths.sort();
    let mut model = Model::default();
    let mut related_items = 0;
    for path in &paths {
        if path.extension().unwrap() == "json" {
            let page: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            for item in page["value"].as_array().unwrap() {
                let mut item = item.clone();
                // a page item's category is the first of its `categories`
                if let Some(first) = item.get("categories").and_then(|c| c.get(0)).cloned() {
                    item["category"] = first;
                }
                model.fold_top_level(&item);
            }
        } else {
            let value: Value = serde_json::to_value(front_matter(path)).unwrap();
            related_items += value.get("related").and_then(Value::as_array).map_or(0, Vec::len);
            let group = model.fold_top_level(&value);
            model.files.push((path.clone(), group));
        }
    }
    assert!(model.files.len() >= 151, "{} article files", model.files.len());
    assert!(related_items >= 1_200, "{related_items} related items in the files");

    let prefix = site_prefix(&small).expect("the first corpus has a _config.yml");
    let absolute = |url: &str| {
        if url.starts_with('/') && !url.starts_with("//") {
            format!("{prefix}{url}")
        } else {
            url.to_string()
        }
    };
    // Every group reachable from a file (the files' own articles and every
    // related item) is checked; GraphQL answers are fetched in batches.
    let mut wanted: Vec<usize> = Vec::new();
    let mut listed = HashSet::new();
    for (_, group) in &model.files {
        if listed.insert(*group) {
            wanted.push(*group);
        }
        for member in model.groups[*group].related.iter().flatten() {
            if listed.insert(*member) {
                wanted.push(*member);
            }
        }
    }
    let url_of = |group: usize| key(model.groups[group].fields["webUrl"].as_str().unwrap());
    let mut answers: HashMap<usize, Value> = HashMap::new();
    for chunk in wanted.chunks(40) {
        let query: String = chunk
            .iter()
            .enumerate()
            .map(|(i, group)| format!("a{i}: article(url: {}) {{ {FIELDS} }}\n", json!(url_of(*group))))
            .collect();
        let data = app.as_editor(&format!("{{ {query} }}"), json!({})).await;
        for (i, group) in chunk.iter().enumerate() {
            answers.insert(*group, data[format!("a{i}")].clone());
        }
    }

    let mut mismatches: Vec<String> = Vec::new();
    let file_of: HashMap<usize, &PathBuf> = model.files.iter().map(|(p, g)| (*g, p)).collect();
    for group in &wanted {
        let expected = &model.groups[*group];
        let got = &answers[group];
        let f = &expected.fields;
        let at = match file_of.get(group) {
            Some(path) => path.display().to_string(),
            None => format!("related item {}", f["webUrl"]),
        };
        assert!(!got.is_null(), "{at}: no article for {}", url_of(*group));
        for (field, ours) in [
            ("title", "title"),
            ("excerpt", "excerpt"),
            ("category", "category"),
            ("type", "type"),
            ("originalUrl", "originalUrl"),
            ("webUrl", "webUrl"),
            ("ampWebUrl", "ampUrl"),
            ("cdnAmpWebUrl", "cdnAmpUrl"),
            ("locale", "locale"),
        ] {
            check(
                &mut mismatches,
                format!("{at}: {field}"),
                got[ours].clone(),
                text(f.get(field)),
            );
        }
        check(
            &mut mismatches,
            format!("{at}: secured"),
            got["secured"].clone(),
            f.get("secured").cloned().unwrap_or(Value::Null),
        );
        for (field, ours) in [("publishedDateTime", "publishedAt"), ("updatedDateTime", "updatedAt")] {
            let got_time = got[ours]
                .as_str()
                .map(|s| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc));
            check(
                &mut mismatches,
                format!("{at}: {field}"),
                json!(got_time),
                json!(time(f.get(field))),
            );
        }
        check(
            &mut mismatches,
            format!("{at}: removed"),
            got["removed"].clone(),
            f.get("removed").cloned().unwrap_or(json!(false)),
        );
        for field in ["quality", "heat", "published"] {
            check(
                &mut mismatches,
                format!("{at}: source {field}"),
                got["source"][field].clone(),
                f.get(field).cloned().unwrap_or(Value::Null),
            );
        }
        let image_list: Vec<Value> = images(f.get("images"))
            .into_iter()
            .map(|mut i| {
                i["url"] = json!(absolute(i["url"].as_str().unwrap()));
                i
            })
            .collect();
        check(
            &mut mismatches,
            format!("{at}: images"),
            got["images"].clone(),
            json!(image_list),
        );
        let mut topics: Vec<String> = Vec::new();
        for topic in f.get("topics").and_then(Value::as_array).into_iter().flatten() {
            let name = topic.as_str().unwrap().trim().to_string();
            if !topics.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
                topics.push(name);
            }
        }
        let got_topics = field_of_each(&got["topics"], "name");
        check(
            &mut mismatches,
            format!("{at}: topics in order"),
            json!(got_topics),
            json!(topics),
        );

        match f.get("provider") {
            Some(provider) => {
                let domain = provider["domain"].as_str().unwrap().to_ascii_lowercase();
                check(
                    &mut mismatches,
                    format!("{at}: provider domain"),
                    got["provider"]["domain"].clone(),
                    json!(domain),
                );
                // every logo any file gave this provider, absolute
                let got_logos = field_of_each(&got["provider"]["images"], "url");
                for logo in model.logos.get(&domain).into_iter().flatten() {
                    let url = absolute(logo["url"].as_str().unwrap());
                    if !got_logos.contains(&url) {
                        mismatches.push(format!("{at}: provider {domain} lacks logo {url}"));
                    }
                }
                if let Some(relative) = got_logos.iter().find(|u| !u.starts_with("http")) {
                    mismatches.push(format!("{at}: provider {domain} serves a site path {relative}"));
                }
            }
            None => check(
                &mut mismatches,
                format!("{at}: provider"),
                got["provider"].clone(),
                Value::Null,
            ),
        }

        let related: Vec<String> = expected.related.iter().flatten().map(|g| url_of(*g)).collect();
        let got_related = field_of_each(&got["related"], "canonicalUrl");
        check(
            &mut mismatches,
            format!("{at}: related in order"),
            json!(got_related),
            json!(related),
        );
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches over {} articles:\n{}",
        mismatches.len(),
        wanted.len(),
        mismatches[..mismatches.len().min(30)].join("\n")
    );
    assert!(wanted.len() >= 900, "checked {} articles", wanted.len());

    // A second import of the same site changes nothing and queues nothing.
    let queued = app.db.queued_jobs().await;
    let again = crate::corpus::import(&app.db, &[small, large]).await;
    assert_eq!(again.files_failed, 0);
    assert_eq!(
        (again.articles_inserted, again.articles_updated, again.relations),
        (0, 0, 0),
        "{again}"
    );
    assert_eq!(
        (again.topics, again.providers, again.providers_updated),
        (0, 0, 0),
        "{again}"
    );
    assert_eq!(again.jobs_enqueued, 0);
    assert_eq!(app.db.queued_jobs().await, queued, "no new jobs");
}
