//! `newsgraph work` as separate processes: a SIGKILL loses no job, and two
//! processes never run the same job twice.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::TestDb;

/// Creates `n` bare articles and one recompute job for each.
async fn articles_with_jobs(db: &TestDb, n: i64) {
    sqlx::query(
        "insert into article (slug, canonical_url, title, web_url, published_at)
         select 'bulk-' || g, 'https://bulk.example/' || g, 'Bulk story number ' || g || ' about the harbour',
                'https://bulk.example/' || g, now() - make_interval(hours => (g % 100)::int)
         from generate_series(1, $1::int) g",
    )
    .bind(n)
    .execute(&db.pool)
    .await
    .unwrap();
    let ids: Vec<i64> = sqlx::query_scalar("select article_id from article")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    newsgraph_shared::jobs::enqueue_recompute(&mut tx, &ids).await.unwrap();
    tx.commit().await.unwrap();
}

fn work(db: &TestDb, drain: bool) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_newsgraph"));
    command
        .arg("work")
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "error");
    if drain {
        command.arg("--drain");
    }
    command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
}

async fn wait_exit(child: &mut Child, limit: Duration) -> i32 {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(
            started.elapsed() < limit,
            "work --drain did not finish within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_loses_no_job() {
    let db = TestDb::new().await;
    articles_with_jobs(&db, 20_000).await;

    // Kill a worker mid-run: some work done, far from all, a batch of jobs
    // locked. A kill that lands between two batches leaves no orphan; then
    // start another one and kill again.
    let mut orphans: Vec<String> = Vec::new();
    for _ in 0..5 {
        let mut doomed = work(&db, false);
        let started = Instant::now();
        loop {
            let done = db
                .count("select count(*) from article where scored_at is not null")
                .await;
            let locked = db
                .count("select count(*) from apalis.jobs where status in ('Queued', 'Running')")
                .await;
            if done >= 1_000 && locked > 0 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the worker never got going"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        doomed.kill().unwrap(); // SIGKILL
        doomed.wait().unwrap();
        orphans = sqlx::query_scalar("select id from apalis.jobs where status in ('Queued', 'Running')")
            .fetch_all(&db.pool)
            .await
            .unwrap();
        if !orphans.is_empty() {
            break;
        }
    }
    let in_flight = orphans.len();
    assert!(in_flight > 0, "the kill left jobs locked to the dead worker");

    let restarted = Instant::now();
    let mut survivor = work(&db, true);
    assert_eq!(wait_exit(&mut survivor, Duration::from_secs(240)).await, 0);
    eprintln!(
        "killed with {in_flight} jobs in flight; the new worker finished everything in {:?}",
        restarted.elapsed()
    );
    assert_eq!(
        db.count("select count(*) from article where scored_at is null").await,
        0,
        "no article unscored"
    );
    assert_eq!(
        db.count("select count(*) from apalis.jobs where status <> 'Done'")
            .await,
        0,
        "every job completed"
    );
    let orphans_done: i64 =
        sqlx::query_scalar("select count(*) from apalis.jobs where id = any($1) and status = 'Done'")
            .bind(&orphans)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        orphans_done,
        orphans.len() as i64,
        "the dead worker's jobs were taken over"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_never_run_the_same_job() {
    let db = TestDb::new().await;
    // Every scoring write is recorded: a job run twice would score its
    // article twice.
    sqlx::raw_sql(
        "create table score_write (article_id bigint not null);
         create function record_score_write() returns trigger language plpgsql as
             $$ begin insert into score_write values (new.article_id); return new; end $$;
         create trigger record_score_write after update of scored_at on article
             for each row execute function record_score_write();",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    articles_with_jobs(&db, 4_000).await;

    let (mut a, mut b) = (work(&db, true), work(&db, true));
    assert_eq!(wait_exit(&mut a, Duration::from_secs(120)).await, 0);
    assert_eq!(wait_exit(&mut b, Duration::from_secs(120)).await, 0);

    assert_eq!(
        db.count("select count(*) from article where scored_at is null").await,
        0
    );
    let twice = db
        .count("select count(*) from (select article_id from score_write group by 1 having count(*) > 1) t")
        .await;
    assert_eq!(twice, 0, "no job ran in both workers");
    assert_eq!(db.count("select count(*) from score_write").await, 4_000);
    let workers: i64 = db.count("select count(distinct lock_by) from apalis.jobs").await;
    assert_eq!(workers, 2, "both workers took part");
}
