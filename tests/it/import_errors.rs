//! Bad files: one clear error each, and every good file still imported.

use newsgraph_shared::ingest::import_paths;

use crate::support::{TestDb, article, write};

/// A YAML "billion laughs": nine levels of nine-fold aliases.
fn alias_bomb() -> String {
    let mut yaml =
        String::from("---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (name, prev) in ('b'..='i').zip('a'..='h') {
        let refs = vec![format!("*{prev}"); 9].join(",");
        yaml.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    yaml.push_str("title: \"Bomb\"\nwebUrl: \"https://bomb.example/x\"\n---\n");
    yaml
}

#[tokio::test]
async fn each_broken_file_gets_one_clear_error_and_good_files_still_import() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for n in 1..=3 {
        write(
            root,
            &format!("_news/2026-11-2{n}-good-{n}.md"),
            article(&format!("Good story {n}"), &format!("https://good.example/{n}")),
        );
    }
    let good = article("Broken", "https://broken.example/x");
    let broken: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "2026-01-01-no-front-matter.md",
            b"title: \"No front matter\"\n".to_vec(),
            "front matter",
            "missing",
        ),
        (
            "2026-01-02-invalid-yaml.md",
            b"---\ntitle: [unclosed\nwebUrl: x\n---\n".to_vec(),
            "front matter",
            "invalid YAML",
        ),
        (
            "2026-01-03-missing-title.md",
            good.replace("title: \"Broken\"\n", "").into_bytes(),
            "title",
            "missing",
        ),
        (
            "2026-01-04-bad-date.md",
            good.replace("2026-11-20T10:00:00Z", "2026-02-30T25:00:00Z")
                .into_bytes(),
            "publishedDateTime",
            "not a date-time",
        ),
        (
            "2026-01-05-javascript-url.md",
            good.replace(
                "webUrl: \"https://broken.example/x\"",
                "webUrl: \"javascript:alert(1)\"",
            )
            .into_bytes(),
            "webUrl",
            "scheme `javascript`",
        ),
        (
            "2026-01-06-quality-as-string.md",
            good.replace("quality: 100", "quality: \"very high\"").into_bytes(),
            "quality",
            "expected a whole number, found a string",
        ),
        (
            "2026-01-07-huge.md",
            {
                let mut big = good.clone().into_bytes();
                big.resize(5 * 1024 * 1024, b'x');
                big
            },
            "file",
            "larger than",
        ),
        (
            "2026-01-08-binary.md",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
            "file",
            "UTF-8",
        ),
        (
            "2026-01-09-alias-bomb.md",
            alias_bomb().into_bytes(),
            "front matter",
            "invalid YAML",
        ),
        ("2026-01-10-empty.md", Vec::new(), "file", "empty"),
    ];
    for (name, contents, _, _) in &broken {
        write(root, &format!("_news/{name}"), contents);
    }

    let report = import_paths(&db.pool, &[root.to_path_buf()], |_| {}).await.unwrap();
    assert_eq!(report.files_read, 13);
    assert_eq!(report.files_failed, broken.len());
    assert_eq!(
        report.errors.len(),
        broken.len(),
        "one error per broken file: {:#?}",
        report.errors
    );
    for (name, _, field, reason) in &broken {
        let error = report
            .errors
            .iter()
            .find(|e| e.path.ends_with(name))
            .unwrap_or_else(|| panic!("no error for {name}"));
        assert_eq!(error.field, *field, "{name}: {error}");
        assert!(error.reason.contains(reason), "{name}: {error}");
        let line = error.to_string();
        assert!(
            line.starts_with(&error.path) && line.contains(&format!(": {field}: ")),
            "{line}"
        );
    }
    assert_eq!(report.articles_inserted, 3, "every good file imported");
    assert_eq!(db.count("select count(*) from article").await, 3);

    // Fix one file: the next run imports just that one.
    write(
        root,
        "_news/2026-01-03-missing-title.md",
        article("Now with a title", "https://fixed.example/x"),
    );
    let rerun = import_paths(&db.pool, &[root.to_path_buf()], |_| {}).await.unwrap();
    assert_eq!(rerun.files_failed, broken.len() - 1);
    assert_eq!(
        (
            rerun.articles_inserted,
            rerun.articles_updated,
            rerun.articles_unchanged
        ),
        (1, 0, 3)
    );
    assert_eq!(rerun.jobs_enqueued, 1);
}

#[tokio::test]
async fn a_broken_related_item_names_its_index() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let text = article("Parent", "https://parent.example/p").replace(
        "secured:",
        "related:\n  - title: \"Fine\"\n    webUrl: \"https://r.example/1\"\n  - title: \"Bad\"\n    webUrl: \"https://r.example/2\"\n    quality: lots\n\nsecured:",
    );
    write(dir.path(), "_news/2026-11-20-parent.md", text);
    let report = import_paths(&db.pool, &[dir.path().to_path_buf()], |_| {})
        .await
        .unwrap();
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].field, "related[1].quality");
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    std::iter::once(0xFEFF)
        .chain(text.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// Values the database cannot index (a URL or topic name of kilobytes, an
/// excerpt past the search vector's 1 MB) used to abort the whole run with a
/// database error; now each is one file's error. UTF-16 with a byte-order
/// mark imports like UTF-8.
#[tokio::test]
async fn oversized_values_and_unsafe_image_urls_are_one_files_error_and_utf16_imports() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let good = article("Good", "https://good.example/x");
    write(root, "_news/2026-11-20-good.md", &good);
    write(
        root,
        "_news/2026-11-20-utf16.md",
        utf16le_with_bom(&article("Good", "https://utf16.example/x")),
    );
    let long_words: String = (0..60_000).map(|i| format!("w{i} ")).collect();
    let long_url = format!("https://long.example/{}", "ab".repeat(3_000));
    let broken: Vec<(&str, String, &str, &str)> = vec![
        (
            "2026-01-01-long-url.md",
            good.replace("https://good.example/x", &long_url),
            "webUrl",
            "2048-byte limit",
        ),
        (
            "2026-01-02-long-topic.md",
            good.replace("https://good.example/x", "https://topic.example/x")
                .replace("  - Climate", &format!("  - {}", &long_words[..5_000])),
            "topics[1]",
            "200-character limit",
        ),
        (
            "2026-01-03-long-excerpt.md",
            good.replace("https://good.example/x", "https://excerpt.example/x")
                .replace("An excerpt about Good.", &long_words),
            "excerpt",
            "20000-character limit",
        ),
        (
            "2026-01-04-script-image.md",
            good.replace("https://good.example/x", "https://image.example/x")
                .replace("secured:", "images:\n  - url: \"javascript:alert(1)\"\n\nsecured:"),
            "images[0].url",
            "scheme `javascript`",
        ),
    ];
    for (name, contents, _, _) in &broken {
        write(root, &format!("_news/{name}"), contents);
    }
    write(root, "_news/2026-01-05-utf16-no-bom.md", &utf16le_with_bom(&good)[2..]);

    let report = import_paths(&db.pool, &[root.to_path_buf()], |_| {}).await.unwrap();
    assert_eq!(report.errors.len(), broken.len() + 1, "{:#?}", report.errors);
    for (name, _, field, reason) in &broken {
        let error = report.errors.iter().find(|e| e.path.ends_with(name)).unwrap();
        assert_eq!(error.field, *field, "{error}");
        assert!(error.reason.contains(reason), "{error}");
    }
    let no_bom = report
        .errors
        .iter()
        .find(|e| e.path.ends_with("utf16-no-bom.md"))
        .unwrap();
    assert!(
        no_bom.reason.contains("UTF-16 text without a byte-order mark"),
        "{no_bom}"
    );
    assert_eq!(report.articles_inserted, 2);
    let titles: Vec<(String, Option<String>)> =
        sqlx::query_as("select title, excerpt from article order by canonical_url")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(titles[0], titles[1], "the UTF-16 copy stores the same text");
}

#[tokio::test]
async fn a_symlink_loop_is_one_clear_error_and_the_rest_still_imports() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "_news/2026-11-20-beside-the-loop.md",
        article("Beside the loop", "https://loop.example/1"),
    );
    // _news/again -> _news: following it would walk _news forever
    std::os::unix::fs::symlink(root.join("_news"), root.join("_news/again")).unwrap();
    // and a link to nowhere
    std::os::unix::fs::symlink(root.join("gone"), root.join("_news/dangling")).unwrap();

    let report = import_paths(&db.pool, &[root.to_path_buf()], |_| {}).await.unwrap();
    assert_eq!(report.articles_inserted, 1, "{report:?}");
    assert_eq!((report.files_read, report.files_failed), (3, 2), "{:?}", report.errors);
    let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("_news/again: file: symlink loop: leads back to") && e.ends_with("_news")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("_news/dangling: file: cannot read:")),
        "{errors:?}"
    );
    assert_eq!(
        db.count("select count(*) from article where canonical_url = 'https://loop.example/1'")
            .await,
        1
    );
}
