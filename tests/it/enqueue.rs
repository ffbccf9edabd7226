//! Article writes and their recompute jobs commit together or not at all.

use newsgraph_shared::queue;
use std::time::Duration;

use newsgraph_shared::ingest::import_paths;
use newsgraph_shared::jobs::{RECOMPUTE_ARTICLE_QUEUE, RecomputeArticle, enqueue_recompute};
use sqlx::postgres::PgListener;

use crate::support::{TestDb, article, write};

#[tokio::test]
async fn committed_imports_leave_one_decodable_job_per_changed_article() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let dir = tempfile::tempdir().unwrap();
    for n in 0..5 {
        write(
            dir.path(),
            &format!("2026-11-2{n}-s{n}.md"),
            article(&format!("Story {n}"), &format!("https://s.example/{n}")),
        );
    }
    let report = import_paths(&db.pool, &[dir.path().to_path_buf()], |_| {})
        .await
        .unwrap();
    assert_eq!(report.jobs_enqueued, 5);

    let payloads = queue::payloads(&db.pool, RECOMPUTE_ARTICLE_QUEUE, true).await.unwrap();
    let mut ids: Vec<i64> = payloads
        .iter()
        .map(|p| serde_json::from_slice::<RecomputeArticle>(p).unwrap().article_id)
        .collect();
    ids.sort();
    let mut articles: Vec<i64> = sqlx::query_scalar("select article_id from article")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    articles.sort();
    assert_eq!(ids, articles);
}

#[tokio::test]
async fn a_batch_that_fails_at_commit_leaves_neither_articles_nor_jobs() {
    let db = TestDb::new().await;
    // A deferred trigger fails the transaction at commit time, after both the
    // article rows and the jobs were written inside it.
    sqlx::raw_sql(
        "create function refuse_commit() returns trigger language plpgsql as
             $$ begin raise exception 'commit refused by test'; end $$;
         create constraint trigger refuse_jobs after insert on apalis.jobs
             deferrable initially deferred for each row execute function refuse_commit();",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for n in 0..3 {
        write(
            dir.path(),
            &format!("2026-11-2{n}-s{n}.md"),
            article(&format!("Story {n}"), &format!("https://s.example/{n}")),
        );
    }
    let error = import_paths(&db.pool, &[dir.path().to_path_buf()], |_| {})
        .await
        .unwrap_err();
    assert!(error.to_string().contains("commit refused by test"), "{error}");
    assert_eq!(db.count("select count(*) from article").await, 0);
    assert_eq!(db.queued_jobs().await, 0);
    assert_eq!(
        db.count("select count(*) from provider").await,
        0,
        "nothing of the batch is left"
    );
}

#[tokio::test]
async fn a_job_pushed_late_in_a_long_transaction_still_wakes_listeners() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let mut listener = PgListener::connect_with(&db.pool).await.unwrap();
    listener.listen("apalis::job::insert").await.unwrap();

    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("select 1").execute(&mut *tx).await.unwrap();
    // The transaction's now() is now 1.5 s behind the wall clock.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    enqueue_recompute(&mut tx, &[42]).await.unwrap();
    tx.commit().await.unwrap();

    let note = tokio::time::timeout(Duration::from_secs(2), listener.recv())
        .await
        .expect("the queue's NOTIFY arrives")
        .unwrap();
    assert!(note.payload().contains(RECOMPUTE_ARTICLE_QUEUE), "{}", note.payload());
}
