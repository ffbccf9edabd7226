//! A whole Smartable site imported as it is: provider logos whatever the
//! order, site paths made absolute, only news pages read as articles, and
//! the AMP identity rule on the real live-blog and tracking shapes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use newsgraph_shared::ingest::{ImportOptions, import_paths_with};
use newsgraph_shared::urls::{SiteAddress, canonical_key};
use serde_yaml_ng::Value;

use crate::corpus::{article_files, front_matter, import};
use crate::corpus_fidelity::site_prefix;
use crate::support::{TestDb, article, corpus_dir, more_corpus_dir, write};

fn domain_of(value: &Value) -> Option<String> {
    value["provider"]["domain"].as_str().map(str::to_ascii_lowercase)
}

fn has_logos(value: &Value) -> bool {
    value["provider"]["images"].as_sequence().is_some_and(|i| !i.is_empty())
}

async fn logos(db: &TestDb, domain: &str) -> Vec<String> {
    sqlx::query_scalar("select i->>'url' from provider, jsonb_array_elements(images) i where domain = $1")
        .bind(domain)
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

/// A real file whose provider ships logos, and another real file that names
/// that provider only in a related item (related items never carry logos).
fn logo_pair(corpus: &Path) -> (PathBuf, PathBuf, String) {
    let files = article_files(corpus);
    let values: Vec<Value> = files.iter().map(|f| front_matter(f)).collect();
    for (i, value) in values.iter().enumerate() {
        let Some(domain) = domain_of(value).filter(|_| has_logos(value)) else {
            continue;
        };
        for (j, other) in values.iter().enumerate() {
            let mentions = other["related"]
                .as_sequence()
                .into_iter()
                .flatten()
                .any(|r| domain_of(r).as_deref() == Some(domain.as_str()));
            if j != i && domain_of(other).as_deref() != Some(domain.as_str()) && mentions {
                return (files[j].clone(), files[i].clone(), domain);
            }
        }
    }
    panic!("the corpus has no such pair");
}

#[tokio::test]
async fn a_providers_logos_are_kept_whichever_file_comes_first() {
    let Some(corpus) = corpus_dir() else { return };
    let (related_only, with_logos, domain) = logo_pair(&corpus);
    let dir = tempfile::tempdir().unwrap();
    // renamed so that the related-only sighting is read first
    std::fs::copy(&related_only, dir.path().join("2000-01-01-related-only.md")).unwrap();
    std::fs::copy(&with_logos, dir.path().join("2000-01-02-with-logos.md")).unwrap();
    let expected: Vec<String> = front_matter(&with_logos)["provider"]["images"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|i| i["url"].as_str().unwrap().to_string())
        .collect();

    let db = TestDb::new().await;

    db.leaves_jobs(); // checks what is written and queued, not the worker
    let report = import(&db, &[dir.path().to_path_buf()]).await;
    assert_eq!(report.files_failed, 0, "{:?}", report.errors);
    assert_eq!(logos(&db, &domain).await, expected, "{domain} after one run");

    // the same in two runs, the related-only file first
    let db = TestDb::new().await;
    db.leaves_jobs();
    import(&db, &[dir.path().join("2000-01-01-related-only.md")]).await;
    assert!(logos(&db, &domain).await.is_empty());
    let second = import(&db, &[dir.path().to_path_buf()]).await;
    assert_eq!(logos(&db, &domain).await, expected, "{domain} after a second run");
    assert_eq!(second.providers_updated, 1);
    let third = import(&db, &[dir.path().to_path_buf()]).await;
    assert_eq!(
        (third.providers, third.providers_updated),
        (0, 0),
        "nothing left to add"
    );
}

#[tokio::test]
async fn definition_file_logos_resolve_against_the_sites_config() {
    let Some(corpus) = corpus_dir() else { return };
    let prefix = site_prefix(&corpus).expect("the corpus has a _config.yml");
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let report = import(&db, std::slice::from_ref(&corpus)).await;
    assert_eq!(report.files_failed, 0, "{:?}", report.errors);
    assert_eq!(report.site_paths_dropped, 0);

    let mut checked = 0;
    for entry in std::fs::read_dir(corpus.join("_data/organizations")).unwrap() {
        let value = front_matter(&entry.unwrap().path());
        let domain = value["domain"].as_str().unwrap().to_ascii_lowercase();
        let stored = logos(&db, &domain).await;
        for image in value["images"].as_sequence().into_iter().flatten() {
            let path = image["url"].as_str().unwrap();
            assert!(path.starts_with('/'), "the definitions ship site paths: {path}");
            let absolute = format!("{prefix}{path}");
            assert!(stored.contains(&absolute), "{domain}: {absolute} not in {stored:?}");
            checked += 1;
        }
    }
    assert!(checked >= 10, "checked {checked} definition logos");
    let relative = db
        .count("select count(*) from provider, jsonb_array_elements(images) i where i->>'url' not like 'http%'")
        .await;
    assert_eq!(relative, 0, "every provider logo is an absolute URL");
    let relative = db
        .count("select count(*) from article_image where url not like 'http%'")
        .await;
    assert_eq!(relative, 0, "every article image is an absolute URL");
}

fn with_site_path_logo(dir: &Path) {
    write(
        dir,
        "_data/organizations/e.example.md",
        "---\nname: E News\ndomain: e.example\nimages:\n  - url: /assets/e-50x50.jpg\n    width: 50\n    height: 50\n---\n",
    );
    write(
        dir,
        "_news/2026-11-20-story.md",
        article("Story", "https://e.example/story").replace(
            "secured:",
            "images:\n  - url: \"/assets/story.jpg\"\n    width: 10\n    height: 10\nsecured:",
        ),
    );
}

#[tokio::test]
async fn without_a_config_site_paths_use_the_setting_or_are_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    with_site_path_logo(dir.path());
    assert!(
        std::fs::read_to_string(dir.path().join("_news/2026-11-20-story.md"))
            .unwrap()
            .contains("/assets/story.jpg"),
        "the fixture has a site path"
    );

    let db = TestDb::new().await;

    db.leaves_jobs(); // checks what is written and queued, not the worker
    let options = ImportOptions {
        site_url: Some(SiteAddress::new("https://news.example/site/", "").unwrap()),
    };
    let report = import_paths_with(&db.pool, &[dir.path().to_path_buf()], &options, |_| {})
        .await
        .unwrap();
    assert_eq!((report.files_failed, report.site_paths_dropped), (0, 0));
    assert_eq!(
        logos(&db, "e.example").await,
        ["https://news.example/site/assets/e-50x50.jpg"]
    );
    let image: String = sqlx::query_scalar("select url from article_image")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(image, "https://news.example/site/assets/story.jpg");

    // a _config.yml in the import wins over the setting for the files below it
    write(
        dir.path(),
        "_config.yml",
        "url: https://own.example\nbaseurl: \"/blog\"\n",
    );
    let db = TestDb::new().await;
    db.leaves_jobs();
    import_paths_with(&db.pool, &[dir.path().to_path_buf()], &options, |_| {})
        .await
        .unwrap();
    assert_eq!(
        logos(&db, "e.example").await,
        ["https://own.example/blog/assets/e-50x50.jpg"]
    );
    std::fs::remove_file(dir.path().join("_config.yml")).unwrap();

    // neither: dropped, counted, named in the summary; the file still imports
    let db = TestDb::new().await;
    db.leaves_jobs();
    let report = import(&db, &[dir.path().to_path_buf()]).await;
    assert_eq!(report.files_failed, 0);
    assert_eq!(report.site_paths_dropped, 2);
    assert!(report.to_string().contains("2 site paths (/...) dropped"), "{report}");
    assert!(logos(&db, "e.example").await.is_empty());
    assert_eq!(db.count("select count(*) from article").await, 1);
}

#[tokio::test]
async fn events_and_learning_pages_are_skipped_and_counted_not_imported_as_news() {
    let Some(more) = more_corpus_dir() else { return };
    let events: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(more.join("api/events/page/1/index.json")).unwrap()).unwrap();
    let event_urls: Vec<String> = events["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| canonical_key(e["webUrl"].as_str().unwrap()).unwrap())
        .collect();
    assert!(!event_urls.is_empty());

    let db = TestDb::new().await;

    db.leaves_jobs(); // checks what is written and queued, not the worker
    let output = Command::new(env!("CARGO_BIN_EXE_newsgraph"))
        .args(["import", more.to_str().unwrap()])
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("skipped:   2 files: not a news page"),
        "one summary line: {stdout}"
    );
    let stored = db.count("select count(*) from article").await;
    assert!(stored > 500, "the news files import: {stored} articles");
    let as_articles: i64 = sqlx::query_scalar("select count(*) from article where canonical_url = any($1)")
        .bind(&event_urls)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(as_articles, 0, "no event is an article");
    let learning = db
        .count("select count(*) from article where title ilike '%who can vote%'")
        .await;
    assert_eq!(learning, 0, "the learning article is not news");
}

#[tokio::test]
async fn markdown_not_named_like_a_post_is_skipped_with_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", "# notes\n");
    write(dir.path(), "story.md", article("Story", "https://e.example/s"));
    let db = TestDb::new().await;
    let report = import(&db, &[dir.path().to_path_buf()]).await;
    assert_eq!(report.files_read, 0);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].count, 2);
    assert!(
        report
            .to_string()
            .contains("skipped:   2 files: markdown not named YYYY-MM-DD-title.md"),
        "{report}"
    );
}

/// Every webUrl (canonical) of the corpus with the AMP URL it names.
fn amp_groups(corpus: &Path) -> HashMap<String, Vec<(String, Value)>> {
    let mut groups: HashMap<String, Vec<(String, Value)>> = HashMap::new();
    for file in article_files(corpus) {
        let value = front_matter(&file);
        let items = std::iter::once(value.clone()).chain(value["related"].as_sequence().cloned().into_iter().flatten());
        for item in items {
            let (Some(web), Some(amp)) = (item["webUrl"].as_str(), item["ampWebUrl"].as_str()) else {
                continue;
            };
            let entry = groups.entry(canonical_key(amp).unwrap()).or_default();
            if !entry.iter().any(|(raw, _)| raw == web) {
                entry.push((web.to_string(), item.clone()));
            }
        }
    }
    groups
}

#[tokio::test]
async fn different_web_urls_sharing_an_amp_url_stay_different_articles() {
    let (Some(small), Some(large)) = (corpus_dir(), more_corpus_dir()) else {
        return;
    };
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    import(&db, &[small.clone(), large.clone()]).await;

    let (mut distinct, mut tracking) = (0, 0);
    let mut groups = amp_groups(&small);
    for (amp, entries) in amp_groups(&large) {
        groups.entry(amp).or_default().extend(entries);
    }
    for (amp, entries) in groups {
        let mut keys: Vec<String> = entries.iter().map(|(w, _)| canonical_key(w).unwrap()).collect();
        keys.sort();
        keys.dedup();
        if entries.len() < 2 {
            continue;
        }
        if keys.len() == 1 {
            // webUrls that differ only by a tracking parameter: one article
            let stored: i64 = sqlx::query_scalar("select count(*) from article where canonical_url = $1")
                .bind(&keys[0])
                .fetch_one(&db.pool)
                .await
                .unwrap();
            assert_eq!(stored, 1, "{amp}: {entries:?}");
            tracking += 1;
            continue;
        }
        // a live blog's entries (and rewritten stories) under one AMP page:
        // each webUrl is its own article, with its own excerpt
        for (web, item) in &entries {
            let key = canonical_key(web).unwrap();
            let (excerpt, title): (Option<String>, String) =
                sqlx::query_as("select excerpt, title from article where canonical_url = $1")
                    .bind(&key)
                    .fetch_optional(&db.pool)
                    .await
                    .unwrap()
                    .unwrap_or_else(|| panic!("{web} (AMP {amp}) was merged away"));
            assert_eq!(title, item["title"].as_str().unwrap().trim(), "{web}");
            if let Some(own) = item["excerpt"].as_str() {
                assert_eq!(excerpt.as_deref(), Some(own.trim()), "{web}");
            }
        }
        distinct += 1;
    }
    assert!(distinct >= 3, "{distinct} AMP URLs shared by different webUrls");
    assert!(tracking >= 1, "{tracking} AMP URLs shared by tracking variants");
}

#[tokio::test]
async fn a_copy_that_only_knows_the_amp_page_joins_its_article() {
    let dir = tempfile::tempdir().unwrap();
    let own = article("Story", "https://e.example/story").replace(
        "webUrl: \"https://e.example/story\"",
        "webUrl: \"https://e.example/story\"\nampWebUrl: \"https://amp.e.example/story\"",
    );
    let copy = article("Other story", "https://e.example/other").replace(
        "secured:",
        "related:\n  - title: \"Story\"\n    webUrl: \"https://amp.e.example/story\"\nsecured:",
    );
    write(dir.path(), "2026-11-20-story.md", own);
    write(dir.path(), "2026-11-21-other.md", copy);
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    import(&db, &[dir.path().to_path_buf()]).await;
    assert_eq!(db.count("select count(*) from article").await, 2);
    let linked: String = sqlx::query_scalar(
        "select a.canonical_url from article_relation r join article a on a.article_id = r.related_article_id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(linked, "https://e.example/story");
}
