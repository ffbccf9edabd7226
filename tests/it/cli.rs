//! The `newsgraph` binary as users run it: output shape and exit statuses.

use std::process::Command;

use crate::support::{TestDb, article, newsgraph, url_for, write};

#[tokio::test]
async fn import_json_prints_one_object_and_exits_by_outcome() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "2026-11-20-good.md",
        article("Good", "https://good.example/g"),
    );
    let path = dir.path().to_str().unwrap();

    let ok = newsgraph(&db.url, &["import", "--json", path]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let stdout = String::from_utf8(ok.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "exactly one JSON object: {stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let mut keys: Vec<&str> = report.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "articles_inserted",
            "articles_unchanged",
            "articles_updated",
            "errors",
            "files_failed",
            "files_read",
            "jobs_enqueued",
            "providers",
            "providers_updated",
            "relations",
            "site_paths_dropped",
            "site_paths_dropped_in",
            "skipped",
            "topics"
        ]
    );
    assert_eq!(report["articles_inserted"], 1);

    write(dir.path(), "2026-11-21-bad.md", "---\ntitle: \"No URL\"\n---\n");
    let failed = newsgraph(&db.url, &["import", "--json", path]);
    assert_eq!(failed.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(report["files_failed"], 1);
    assert_eq!(report["errors"][0]["field"], "webUrl");
    assert!(
        report["errors"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("2026-11-21-bad.md")
    );
    let stderr = String::from_utf8(failed.stderr).unwrap();
    assert!(
        stderr.contains("2026-11-21-bad.md: webUrl: missing (required)"),
        "{stderr}"
    );

    let human = newsgraph(&db.url, &["import", path]);
    assert_eq!(human.status.code(), Some(1));
    let summary = String::from_utf8(human.stdout).unwrap();
    assert!(summary.contains("files:     2 read, 1 failed"), "{summary}");
    assert!(summary.contains("0 inserted, 0 updated, 1 unchanged"), "{summary}");
}

#[test]
fn fatal_errors_exit_2_with_one_line() {
    let unreachable = newsgraph("postgres://postgres@127.0.0.1:1/nothing", &["import", "."]);
    assert_eq!(unreachable.status.code(), Some(2));
    let stderr = String::from_utf8(unreachable.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot reach the database at 127.0.0.1:1"), "{stderr}");

    let no_paths = newsgraph("postgres://postgres@127.0.0.1:1/nothing", &["import"]);
    assert_eq!(no_paths.status.code(), Some(2));

    let missing = newsgraph("postgres://postgres@127.0.0.1:1/nothing", &["import", "/no/such/dir"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[tokio::test]
async fn dev_creates_migrates_and_loads_demo_data_once() {
    // dev creates its database itself: use a fresh name and drop it after.
    let name = format!("newsgraph_dev_test_{}", std::process::id());
    let url = url_for(&name);
    let first = newsgraph(&url, &["dev", "--demo-articles", "40", "--no-serve"]);
    let stderr = String::from_utf8_lossy(&first.stderr).to_string();
    let result = std::panic::catch_unwind(|| {
        assert_eq!(first.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("created database"), "{stderr}");
        assert!(stderr.contains("demo data loaded: "), "{stderr}");
        let second = newsgraph(&url, &["dev", "--demo-articles", "40", "--no-serve"]);
        assert_eq!(second.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&second.stderr).contains("demo data not loaded"));
    });
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let articles: i64 = sqlx::query_scalar("select count(*) from article where source_kind = 'file'")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    let admin = sqlx::PgPool::connect(&url_for("postgres")).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "drop database if exists {name} with (force)"
    )))
    .execute(&admin)
    .await
    .unwrap();
    result.unwrap();
    assert_eq!(
        articles,
        40 + 6,
        "40 article files and the feed page's story for each of the 6 topics"
    );
}

#[tokio::test]
async fn a_worker_with_an_out_of_range_weight_refuses_to_start() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "scoring.json", r#"{"weights": {"provider": -3}}"#);
    let refused = newsgraph(
        &db.url,
        &["work", "--drain", "--scoring-config", config.to_str().unwrap()],
    );
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert!(
        stderr.contains("scoring configuration is invalid") && stderr.contains("weights.provider"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[tokio::test]
async fn logs_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let db = TestDb::new().await;
    let output = Command::new(env!("CARGO_BIN_EXE_newsgraph"))
        .args(["work", "--drain"])
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("worker started"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "an escape code in a pipe: {stderr:?}");
}

#[tokio::test]
async fn work_drain_ends_with_one_line_saying_what_it_ran() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    for (i, name) in ["a", "b", "c"].iter().enumerate() {
        write(
            dir.path(),
            &format!("2026-11-2{i}-{name}.md"),
            article(name, &format!("https://drain.example/{name}")),
        );
    }
    let imported = newsgraph(&db.url, &["import", dir.path().to_str().unwrap()]);
    assert_eq!(imported.status.code(), Some(0));
    let queued = db.queued_jobs().await;
    assert!(queued >= 3, "{queued} jobs queued");

    let drained = newsgraph(&db.url, &["work", "--drain"]);
    assert_eq!(drained.status.code(), Some(0));
    let stdout = String::from_utf8(drained.stdout).unwrap();
    let last = stdout.trim().lines().last().unwrap_or_default();
    let ran: i64 = last
        .strip_prefix("drained: ran ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary line: {stdout:?}"));
    let done = newsgraph_shared::queue::counts(&db.pool).await.unwrap().done;
    assert_eq!(ran, done, "{last}");
    assert!(ran >= queued, "{last}");
    assert!(last.contains("(0 failed) in ") && last.ends_with(" s"), "{last}");
}

/// Both corpus directories as they are (news files, an events page, a
/// learning article, definition files): the binary exits 0, counts what is
/// not news as skipped, and a second run changes nothing and queues nothing.
#[tokio::test]
async fn a_copy_of_the_real_repository_imports_with_exit_0_and_a_second_run_changes_nothing() {
    let (Some(small), Some(large)) = (crate::support::corpus_dir(), crate::support::more_corpus_dir()) else {
        return;
    };
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let paths = [small.to_str().unwrap(), large.to_str().unwrap()];
    let run = |db: &TestDb| {
        let output = newsgraph(&db.url, &["import", "--json", paths[0], paths[1]]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let first = run(&db);
    assert_eq!(first["files_failed"], 0, "{first}");
    assert!(first["articles_inserted"].as_i64().unwrap() > 1_000, "{first}");
    let skipped = first["skipped"].to_string();
    assert!(
        skipped.contains("not a news page"),
        "the events and learning files: {skipped}"
    );
    let queued = db.queued_jobs().await;
    assert_eq!(first["jobs_enqueued"].as_i64(), Some(queued));

    let second = run(&db);
    for field in [
        "articles_inserted",
        "articles_updated",
        "relations",
        "topics",
        "providers",
        "providers_updated",
        "jobs_enqueued",
    ] {
        assert_eq!(second[field], 0, "{field} in {second}");
    }
    assert_eq!(second["articles_unchanged"], first["articles_inserted"], "{second}");
    assert_eq!(db.queued_jobs().await, queued, "no new jobs");
}
