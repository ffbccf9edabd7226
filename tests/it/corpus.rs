//! The real Smartable corpus: everything imports, twins merge, fields read
//! back as the files say, and a second import changes nothing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use newsgraph_shared::ingest::{ImportReport, import_paths};
use newsgraph_shared::urls::canonical_key;
use serde_yaml_ng::Value;

use crate::support::{TestDb, corpus_dir};

pub(crate) async fn import(db: &TestDb, paths: &[PathBuf]) -> ImportReport {
    import_paths(&db.pool, paths, |_| {}).await.expect("import runs")
}

pub(crate) fn article_files(corpus: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["_news", "_archive/news"] {
        for entry in std::fs::read_dir(corpus.join(dir)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    files
}

pub(crate) fn slug_of(path: &Path) -> String {
    path.file_stem().unwrap().to_str().unwrap().to_string()
}

/// The front matter as a plain YAML value, read independently of our parser.
pub(crate) fn front_matter(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap().replace("\r\n", "\n");
    let yaml = text.strip_prefix("---\n").unwrap().split("\n---\n").next().unwrap();
    serde_yaml_ng::from_str(yaml).unwrap()
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(|s| s.trim().to_string())
}

fn time(value: &Value, key: &str) -> Option<DateTime<Utc>> {
    text(value, key).map(|s| DateTime::parse_from_rfc3339(&s).unwrap().with_timezone(&Utc))
}

#[tokio::test]
async fn the_whole_corpus_imports_without_failures_and_twins_merge() {
    let Some(corpus) = corpus_dir() else { return };
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let report = import(&db, std::slice::from_ref(&corpus)).await;
    assert_eq!(report.files_failed, 0, "errors: {:?}", report.errors);
    assert!(report.errors.is_empty());
    assert_eq!(
        report.files_read,
        146 + 7 + 17 + 2 + 1,
        "articles, topics, organizations, JSON pages, _config.yml"
    );

    let files = article_files(&corpus);
    assert_eq!(files.len(), 146);
    let slugs: HashSet<String> = files.iter().map(|f| slug_of(f)).collect();
    assert_eq!(slugs.len(), 137, "nine _news/_archive twins share a name");
    let slugs: Vec<String> = slugs.into_iter().collect();
    let stored: i64 = sqlx::query_scalar("select count(*) from article where slug = any($1) and source_kind = 'file'")
        .bind(&slugs)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 137, "every file is one article, twins merged");
    assert_eq!(db.count("select count(*) from topic").await, 7);
    assert_eq!(report.jobs_enqueued as i64, db.queued_jobs().await);
    assert_eq!(
        report.articles_inserted as i64,
        db.count("select count(*) from article").await
    );

    let again = import(&db, &[corpus]).await;
    assert_eq!(
        (again.articles_inserted, again.articles_updated, again.jobs_enqueued),
        (0, 0, 0)
    );
    assert_eq!(again.articles_unchanged, report.articles_inserted);
    assert_eq!((again.relations, again.topics, again.providers), (0, 0, 0));
    assert_eq!(report.jobs_enqueued as i64, db.queued_jobs().await, "no new jobs");
}

#[derive(Debug, sqlx::FromRow)]
struct StoredArticle {
    article_id: i64,
    category: Option<String>,
    r#type: Option<String>,
    title: String,
    excerpt: Option<String>,
    original_url: Option<String>,
    web_url: String,
    amp_url: Option<String>,
    cdn_amp_url: Option<String>,
    published_at: Option<DateTime<Utc>>,
    provider_domain: Option<String>,
    secured: Option<String>,
    removed: bool,
    source_quality: Option<i32>,
    source_heat: Option<i32>,
    source_published: Option<bool>,
}

async fn stored_by(db: &TestDb, column_is: &'static str, value: &str) -> StoredArticle {
    let sql = match column_is {
        "slug" => {
            "select a.*, p.domain as provider_domain from article a left join provider p using (provider_id) where a.slug = $1"
        }
        _ => {
            "select a.*, p.domain as provider_domain from article a left join provider p using (provider_id) where a.canonical_url = $1"
        }
    };
    sqlx::query_as(sql)
        .bind(value)
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("{value}: {e}"))
}

async fn topics_of(db: &TestDb, id: i64) -> Vec<String> {
    sqlx::query_scalar(
        "select t.name from article_topic at join topic t using (topic_id) where at.article_id = $1 order by at.position",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

type ImageRow = (String, Option<i32>, Option<i32>, Option<bool>);

async fn images_of(db: &TestDb, id: i64) -> Vec<ImageRow> {
    sqlx::query_as("select url, width, height, is_cached from article_image where article_id = $1 order by position")
        .bind(id)
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

async fn related_urls_of(db: &TestDb, id: i64) -> Vec<String> {
    sqlx::query_scalar(
        "select a.canonical_url from article_relation r join article a on a.article_id = r.related_article_id
         where r.article_id = $1 order by r.position",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

fn expected_images(value: &Value) -> Vec<ImageRow> {
    value
        .get("images")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|image| {
            (
                text(image, "url").unwrap(),
                image.get("width").and_then(Value::as_i64).map(|v| v as i32),
                image.get("height").and_then(Value::as_i64).map(|v| v as i32),
                image.get("isCached").and_then(Value::as_bool),
            )
        })
        .collect()
}

/// How often each canonical URL occurs anywhere in the corpus (top level and
/// related lists), to know which related items have exactly one source.
fn url_occurrences(files: &[PathBuf]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for file in files {
        let value = front_matter(file);
        let own = canonical_key(&text(&value, "webUrl").unwrap()).unwrap();
        *counts.entry(own).or_default() += 1;
        for item in value.get("related").and_then(Value::as_sequence).into_iter().flatten() {
            *counts
                .entry(canonical_key(&text(item, "webUrl").unwrap()).unwrap())
                .or_default() += 1;
        }
    }
    counts
}

#[tokio::test]
async fn sampled_corpus_files_read_back_field_by_field() {
    let Some(corpus) = corpus_dir() else { return };
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    import(&db, std::slice::from_ref(&corpus)).await;

    let files = article_files(&corpus);
    let occurrences = url_occurrences(&files);
    let json_pages = std::fs::read_to_string(corpus.join("api/news/donald-trump/page/1/index.json")).unwrap()
        + &std::fs::read_to_string(corpus.join("api/news/democratic-voice/page/1/index.json")).unwrap();
    // Files whose article occurs nowhere else at top level: no twin, not on a
    // JSON page, so every field must be exactly this file's.
    let sample: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.starts_with(corpus.join("_news")))
        .filter(|f| !corpus.join("_archive/news").join(f.file_name().unwrap()).exists())
        .filter(|f| !json_pages.contains(&format!("{}.md", slug_of(f))))
        .collect();
    assert!(sample.len() >= 10, "sample of {} files", sample.len());

    let mut related_checked = 0;
    for file in sample {
        let value = front_matter(file);
        let stored = stored_by(&db, "slug", &slug_of(file)).await;
        let at = file.display();
        assert_eq!(Some(stored.title.clone()), text(&value, "title"), "{at}: title");
        assert_eq!(stored.excerpt, text(&value, "excerpt"), "{at}: excerpt");
        assert_eq!(stored.category, text(&value, "category"), "{at}");
        assert_eq!(stored.r#type, text(&value, "type"), "{at}");
        assert_eq!(Some(stored.web_url.clone()), text(&value, "webUrl"), "{at}");
        assert_eq!(stored.original_url, text(&value, "originalUrl"), "{at}");
        assert_eq!(stored.amp_url, text(&value, "ampWebUrl"), "{at}");
        assert_eq!(stored.cdn_amp_url, text(&value, "cdnAmpWebUrl"), "{at}");
        assert_eq!(stored.published_at, time(&value, "publishedDateTime"), "{at}");
        // secured is opaque: byte for byte, untrimmed
        assert_eq!(
            stored.secured.as_deref(),
            value.get("secured").and_then(Value::as_str),
            "{at}"
        );
        assert_eq!(
            stored.source_quality.map(i64::from),
            value.get("quality").and_then(Value::as_i64),
            "{at}"
        );
        assert_eq!(
            stored.source_heat.map(i64::from),
            value.get("heat").and_then(Value::as_i64),
            "{at}"
        );
        assert_eq!(
            stored.source_published,
            value.get("published").and_then(Value::as_bool),
            "{at}"
        );
        assert_eq!(
            stored.removed,
            value.get("removed").and_then(Value::as_bool).unwrap_or(false),
            "{at}"
        );
        let provider = &value["provider"];
        assert_eq!(stored.provider_domain, text(provider, "domain"), "{at}");

        let topics: Vec<String> = value["topics"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        assert_eq!(topics_of(&db, stored.article_id).await, topics, "{at}: topics in order");
        assert_eq!(
            images_of(&db, stored.article_id).await,
            expected_images(&value),
            "{at}: images"
        );

        // related: source order, self-links and repeats dropped; an item
        // whose URL is a listed one's AMP URL (or the other way round) is the
        // same article, a shared AMP URL alone is not
        let own = canonical_key(&stored.web_url).unwrap();
        let own_amp = stored.amp_url.as_deref().map(|u| canonical_key(u).unwrap());
        let mut seen: Vec<(String, Option<String>)> = vec![(own, own_amp)];
        let mut expected: Vec<String> = Vec::new();
        for item in value.get("related").and_then(Value::as_sequence).into_iter().flatten() {
            let url = canonical_key(&text(item, "webUrl").unwrap()).unwrap();
            let amp = text(item, "ampWebUrl").map(|u| canonical_key(&u).unwrap());
            let same = |(web, web_amp): &(String, Option<String>)| {
                *web == url || web_amp.as_ref() == Some(&url) || amp.as_ref() == Some(web)
            };
            if seen.iter().any(same) {
                continue;
            }
            seen.push((url.clone(), amp));
            expected.push(url);
        }
        assert_eq!(
            related_urls_of(&db, stored.article_id).await,
            expected,
            "{at}: related in order"
        );

        // a related item known from this one place carries its own fields
        for item in value.get("related").and_then(Value::as_sequence).into_iter().flatten() {
            let url = canonical_key(&text(item, "webUrl").unwrap()).unwrap();
            let amp = text(item, "ampWebUrl").map(|u| canonical_key(&u).unwrap());
            let single = |key: &String| occurrences.get(key) == Some(&1);
            if !single(&url) || !amp.as_ref().is_none_or(single) {
                continue;
            }
            let related = stored_by(&db, "url", &url).await;
            assert_eq!(Some(related.title.clone()), text(item, "title"), "{at}: related title");
            assert_eq!(related.excerpt, text(item, "excerpt"), "{at}: related excerpt");
            assert_eq!(
                related.published_at,
                time(item, "publishedDateTime"),
                "{at}: related time"
            );
            assert_eq!(
                related.source_quality.map(i64::from),
                item.get("quality").and_then(Value::as_i64)
            );
            assert_eq!(related.provider_domain, text(&item["provider"], "domain"));
            assert_eq!(related.amp_url, text(item, "ampWebUrl"));
            assert_eq!(
                images_of(&db, related.article_id).await,
                expected_images(item),
                "{at}: related images"
            );
            related_checked += 1;
        }
    }
    assert!(related_checked >= 20, "checked {related_checked} related items");
}

#[tokio::test]
async fn json_pages_agree_with_the_markdown_articles_they_share() {
    let Some(corpus) = corpus_dir() else { return };
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let markdown = [corpus.join("_data"), corpus.join("_news"), corpus.join("_archive")];
    import(&db, &markdown).await;

    let pages = corpus.join("api");
    let mut shared = Vec::new();
    for page in [
        "api/news/donald-trump/page/1/index.json",
        "api/news/democratic-voice/page/1/index.json",
    ] {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(corpus.join(page)).unwrap()).unwrap();
        for item in json["value"].as_array().unwrap() {
            let slug = slug_of(Path::new(item["path"].as_str().unwrap()));
            if corpus.join("_news").join(format!("{slug}.md")).exists() {
                shared.push((slug, item.clone()));
            }
        }
    }
    assert!(shared.len() >= 40, "{} shared articles", shared.len());
    let mut before = Vec::new();
    for (slug, _) in &shared {
        let article = stored_by(&db, "slug", slug).await;
        let extras = (
            topics_of(&db, article.article_id).await,
            images_of(&db, article.article_id).await,
        );
        before.push((article, extras));
    }

    let report = import(&db, &[pages]).await;
    assert_eq!(report.files_failed, 0);

    for ((slug, item), (old, (old_topics, old_images))) in shared.iter().zip(before) {
        let new = stored_by(&db, "slug", slug).await;
        assert_eq!(
            new.article_id, old.article_id,
            "{slug}: the page item is the same article"
        );
        // the page says the same as the markdown file...
        assert_eq!(new.title, old.title, "{slug}");
        assert_eq!(new.excerpt, old.excerpt, "{slug}");
        assert_eq!(new.web_url, old.web_url, "{slug}");
        assert_eq!(new.original_url, old.original_url, "{slug}");
        assert_eq!(new.amp_url, old.amp_url, "{slug}");
        assert_eq!(new.cdn_amp_url, old.cdn_amp_url, "{slug}");
        assert_eq!(new.published_at, old.published_at, "{slug}: same instant, other offset");
        assert_eq!(new.provider_domain, old.provider_domain, "{slug}");
        assert_eq!(new.category, old.category, "{slug}");
        assert_eq!(topics_of(&db, new.article_id).await, old_topics, "{slug}");
        assert_eq!(images_of(&db, new.article_id).await, old_images, "{slug}");
        // ...what only the markdown has survives (absent never erases)...
        assert_eq!(new.secured, old.secured, "{slug}");
        assert_eq!(new.source_quality, old.source_quality, "{slug}");
        assert_eq!(new.source_published, old.source_published, "{slug}");
        // ...and the heat snapshot is the later file's
        assert_eq!(new.source_heat.map(i64::from), item["heat"].as_i64(), "{slug}");
    }
    // the pages carry their topics' highlight colours
    let colours: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "select highlight_text_color, highlight_background_color from topic where slug = 'republican-voice'",
    )
    .fetch_optional(&db.pool)
    .await
    .unwrap();
    assert_eq!(colours, Some((Some("#FFFFFF".into()), Some("#FF0000".into()))));
}
