//! The upsert rules, on fixtures of our own.

use std::path::Path;

use newsgraph_shared::ingest::{ImportReport, import_paths};

use crate::support::{TestDb, article, write};

async fn import(db: &TestDb, path: &Path) -> ImportReport {
    let report = import_paths(&db.pool, &[path.to_path_buf()], |_| {}).await.unwrap();
    assert_eq!(report.files_failed, 0, "{:?}", report.errors);
    report
}

async fn field(db: &TestDb, sql: &'static str, url: &str) -> Option<String> {
    sqlx::query_scalar(sql).bind(url).fetch_one(&db.pool).await.unwrap()
}

const RELATED: &str = "related:\n  - title: \"Sparse copy with another title\"\n    webUrl: \"http://www.full.example/story/\"\n    quality: 5\n  - title: \"Second\"\n    webUrl: \"https://second.example/s\"\n  - title: \"Self link\"\n    webUrl: \"https://lister.example/l\"\n  - title: \"First again\"\n    webUrl: \"https://full.example/story\"\n  - title: \"Third\"\n    webUrl: \"https://third.example/t\"\n\nsecured:";

#[tokio::test]
async fn a_sparse_related_copy_never_overwrites_or_wipes_a_full_article() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let dir = tempfile::tempdir().unwrap();
    let full = article("Full story", "https://full.example/story").replace(
        "secured:",
        "images:\n  - url: \"https://img.example/1.jpg\"\n    width: 800\n    height: 600\n\nsecured:",
    );
    write(dir.path(), "a/2026-11-20-full-story.md", full);
    write(
        dir.path(),
        "b/2026-11-21-lister.md",
        article("Lister", "https://lister.example/l").replace("secured:", RELATED),
    );
    let report = import(&db, dir.path()).await;
    assert_eq!(report.articles_inserted, 4, "full, lister, second, third");

    let url = "https://full.example/story";
    assert_eq!(
        field(&db, "select title from article where canonical_url = $1", url)
            .await
            .as_deref(),
        Some("Full story")
    );
    assert!(
        field(&db, "select excerpt from article where canonical_url = $1", url)
            .await
            .is_some()
    );
    assert_eq!(
        field(
            &db,
            "select source_quality::text from article where canonical_url = $1",
            url
        )
        .await
        .as_deref(),
        Some("100")
    );
    assert_eq!(db.count("select count(*) from article_image").await, 1);

    // related: source order, self link dropped, repeated URL kept once
    let related: Vec<String> = sqlx::query_scalar(
        "select a.canonical_url from article_relation r join article a on a.article_id = r.related_article_id
         join article p on p.article_id = r.article_id where p.canonical_url = 'https://lister.example/l'
         order by r.position",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        related,
        [
            "https://full.example/story",
            "https://second.example/s",
            "https://third.example/t"
        ]
    );
}

#[tokio::test]
async fn a_later_file_wins_and_absent_fields_never_erase() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let dir = tempfile::tempdir().unwrap();
    let url = "https://twin.example/t";
    let first = article("Twin", url)
        .replace("heat: 90", "heat: 10")
        .replace("published: true", "published: true\nremoved: true");
    let second = article("Twin", url)
        .replace("heat: 90", "heat: 20")
        .replace("excerpt: \"An excerpt about Twin.\"\n", "");
    write(dir.path(), "_archive/news/2026-11-20-twin.md", first);
    write(dir.path(), "_news/2026-11-20-twin.md", second);
    let report = import(&db, dir.path()).await;
    assert_eq!(report.articles_inserted, 1, "twins are one article");
    assert_eq!(report.jobs_enqueued, 1);
    assert_eq!(
        field(
            &db,
            "select source_heat::text from article where canonical_url = $1",
            url
        )
        .await
        .as_deref(),
        Some("20")
    );
    assert_eq!(
        field(&db, "select excerpt from article where canonical_url = $1", url)
            .await
            .as_deref(),
        Some("An excerpt about Twin."),
        "the later twin has no excerpt: the earlier one's stays"
    );
    assert_eq!(
        field(&db, "select removed::text from article where canonical_url = $1", url)
            .await
            .as_deref(),
        Some("true")
    );

    // A later run with a changed title updates, keeps the excerpt, enqueues.
    let dir2 = tempfile::tempdir().unwrap();
    write(
        dir2.path(),
        "2026-11-20-twin.md",
        article("Twin, retitled", url).replace("excerpt: \"An excerpt about Twin, retitled.\"\n", ""),
    );
    let report = import(&db, dir2.path()).await;
    assert_eq!(
        (report.articles_inserted, report.articles_updated, report.jobs_enqueued),
        (0, 1, 1)
    );
    assert_eq!(
        field(&db, "select excerpt from article where canonical_url = $1", url)
            .await
            .as_deref(),
        Some("An excerpt about Twin.")
    );
    assert_eq!(
        db.count("select version from article").await,
        2,
        "the row version moved"
    );
    // the text search follows the new title, and a score write leaves it be
    sqlx::query("update article_state set quality = 50, scored_at = now()")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        db.count("select count(*) from article where search @@ websearch_to_tsquery('english', 'retitled')")
            .await,
        1
    );
    assert_eq!(
        db.count(
            "select count(*) from article
             where search = setweight(to_tsvector('english', title), 'A') ||
                            setweight(to_tsvector('english', coalesce(excerpt, '')), 'B')"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_amp_url_matches_the_article_it_belongs_to() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let dir = tempfile::tempdir().unwrap();
    let with_amp = article("Story", "https://amp.example/story").replace(
        "type: article",
        "ampWebUrl: \"https://amp.example/story.amp\"\ntype: article",
    );
    write(dir.path(), "2026-11-20-story.md", with_amp);
    import(&db, dir.path()).await;

    // Another source knows the story only by its AMP address.
    let dir2 = tempfile::tempdir().unwrap();
    write(
        dir2.path(),
        "2026-11-21-story-amp.md",
        article("Story via AMP", "http://www.amp.example/story.amp"),
    );
    let report = import(&db, dir2.path()).await;
    assert_eq!((report.articles_inserted, report.articles_updated), (0, 1));
    assert_eq!(db.count("select count(*) from article").await, 1);
}

#[tokio::test]
async fn a_changed_related_list_enqueues_its_parent() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let dir = tempfile::tempdir().unwrap();
    let one = "related:\n  - title: \"R1\"\n    webUrl: \"https://r.example/1\"\n\nsecured:";
    write(
        dir.path(),
        "2026-11-20-parent.md",
        article("Parent", "https://p.example/p").replace("secured:", one),
    );
    let first = import(&db, dir.path()).await;
    assert_eq!(
        (first.articles_inserted, first.relations, first.jobs_enqueued),
        (2, 1, 2)
    );

    let two = "related:\n  - title: \"R2\"\n    webUrl: \"https://r.example/2\"\n  - title: \"R1\"\n    webUrl: \"https://r.example/1\"\n\nsecured:";
    write(
        dir.path(),
        "2026-11-20-parent.md",
        article("Parent", "https://p.example/p").replace("secured:", two),
    );
    let second = import(&db, dir.path()).await;
    assert_eq!(
        (
            second.articles_inserted,
            second.articles_updated,
            second.articles_unchanged
        ),
        (1, 1, 1),
        "R2 is new; the parent's list length (a source field) changed; R1 is unchanged"
    );
    assert_eq!(second.relations, 2);
    assert_eq!(
        second.jobs_enqueued, 2,
        "the new related article and the parent whose coverage changed"
    );
}

#[tokio::test]
async fn definition_files_enrich_topics_and_providers() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "_news/2026-11-20-a.md", article("A", "https://a.example/a"));
    write(
        dir.path(),
        "_data/topics/01-climate.yaml",
        "taxonomy: topic\n_id: climate\nname: Climate\nshortname: Clim\nparent: World\nkeywords:\n  - warming\nhashtags:\n  - \"#Climate\"\nimages:\n",
    );
    write(
        dir.path(),
        "_data/organizations/harborgazette.example.md",
        "---\ntaxonomy: organization\n_id: harborgazette.example\nname: The Harbor Gazette\ndomain: harborgazette.example\nimages:\n  - url: /logo.jpg\n    width: 50\n    height: 50\n---\n",
    );
    let report = import(&db, dir.path()).await;
    assert_eq!(
        (report.topics, report.providers),
        (2, 1),
        "World and Climate, one provider"
    );
    let parent: Option<String> = sqlx::query_scalar(
        "select p.slug from topic t join topic p on p.topic_id = t.parent_topic_id where t.slug = 'climate'",
    )
    .fetch_optional(&db.pool)
    .await
    .unwrap();
    assert_eq!(parent.as_deref(), Some("world"));
    let name: String = sqlx::query_scalar("select name from provider where domain = 'harborgazette.example'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(name, "The Harbor Gazette", "the definition file names the provider");
    let again = import(&db, dir.path()).await;
    assert_eq!((again.topics, again.providers, again.articles_unchanged), (0, 0, 1));
}

#[tokio::test]
async fn every_article_has_a_state_row_whose_published_time_follows_the_article() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let dir = tempfile::tempdir().unwrap();
    let url = "https://moved.example/m";
    write(dir.path(), "2026-11-20-moved.md", article("Moved", url));
    write(
        dir.path(),
        "2026-11-21-lister.md",
        article("Lister", "https://lister.example/l").replace("secured:", RELATED),
    );
    import(&db, dir.path()).await;
    assert_eq!(
        db.count(
            "select count(*) from article a left join article_state s using (article_id) where s.article_id is null"
        )
        .await,
        0,
        "imported and related-only articles all have their state row"
    );
    assert!(db.count("select count(*) from article_state").await >= 5);

    // The source moves the publication time: the feed's copy follows.
    let dir2 = tempfile::tempdir().unwrap();
    write(
        dir2.path(),
        "2026-11-20-moved.md",
        article("Moved", url).replace("2026-11-20T10:00:00Z", "2026-11-22T08:30:00Z"),
    );
    import(&db, dir2.path()).await;
    assert_eq!(
        field(
            &db,
            "select s.published_at::text from article a join article_state s using (article_id)
             where a.canonical_url = $1 and s.published_at = a.published_at",
            url
        )
        .await
        .as_deref(),
        Some("2026-11-22 08:30:00+00")
    );
    // And so does a direct edit of the article.
    sqlx::query("update article set published_at = '2026-11-23T00:00:00Z' where canonical_url = $1")
        .bind(url)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        db.count(
            "select count(*) from article a join article_state s using (article_id)
             where s.published_at is distinct from a.published_at"
        )
        .await,
        0
    );
    assert_eq!(
        field(
            &db,
            "select published_at::text from article_with_state where canonical_url = $1",
            url
        )
        .await
        .as_deref(),
        Some("2026-11-23 00:00:00+00")
    );
}
