//! `newsgraph work` as separate processes: a SIGKILL loses no job, and two
//! processes never run the same job twice.

use newsgraph_shared::queue;
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

/// `newsgraph work` on the test database, quiet.
fn work_command(db: &TestDb) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_newsgraph"));
    command
        .arg("work")
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn work(db: &TestDb, drain: bool) -> Child {
    let mut command = work_command(db);
    if drain {
        command.arg("--drain");
    }
    command.spawn().unwrap()
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
    let mut killed_at = Instant::now();
    for _ in 0..5 {
        let mut doomed = work(&db, false);
        let started = Instant::now();
        loop {
            let done = db
                .count("select count(*) from article_with_state where scored_at is not null")
                .await;
            let locked = queue::counts(&db.pool).await.unwrap().in_flight;
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
        killed_at = Instant::now();
        orphans = queue::in_flight_ids(&db.pool, "%").await.unwrap();
        if !orphans.is_empty() {
            break;
        }
    }
    let in_flight = orphans.len();
    let dead_workers = queue::holders_of(&db.pool, &orphans).await.unwrap();
    assert!(in_flight > 0, "the kill left jobs locked to the dead worker");

    let restarted = Instant::now();
    let mut survivor = work(&db, true);
    // Recovery: the dead worker's jobs go back to the queue once its last
    // heartbeat is heartbeat x missed heartbeats (2 s x 3) old, at the next
    // heartbeat of a live worker: 4 to 8 s after the kill.
    let recovery = loop {
        let still_locked = queue::held_by(&db.pool, &orphans, &dead_workers).await.unwrap();
        if still_locked == 0 {
            break killed_at.elapsed();
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(60),
            "the orphaned jobs were never taken over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(wait_exit(&mut survivor, Duration::from_secs(240)).await, 0);
    eprintln!(
        "killed with {in_flight} jobs in flight; orphans back in the queue {recovery:?} after the kill; \
         the new worker finished everything in {:?}",
        restarted.elapsed()
    );
    assert_eq!(
        db.count("select count(*) from article_with_state where scored_at is null")
            .await,
        0,
        "no article unscored"
    );
    assert_eq!(
        queue::counts(&db.pool).await.unwrap().not_done(),
        0,
        "every job completed"
    );
    let orphans_done = queue::done_among(&db.pool, &orphans).await.unwrap();
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
         create trigger record_score_write after update of scored_at on article_state
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
        db.count("select count(*) from article_with_state where scored_at is null")
            .await,
        0
    );
    let twice = db
        .count("select count(*) from (select article_id from score_write group by 1 having count(*) > 1) t")
        .await;
    assert_eq!(twice, 0, "no job ran in both workers");
    assert_eq!(db.count("select count(*) from score_write").await, 4_000);
    let workers = queue::workers_seen(&db.pool).await.unwrap();
    assert_eq!(workers, 2, "both workers took part");
}

/// The ticks of the heat refreshes a process ran, from its JSON log.
fn refresh_ticks(log: &str) -> Vec<i64> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|entry| entry["fields"]["message"] == "heat refresh queued")
        .map(|entry| {
            entry["fields"]["tick"]
                .as_i64()
                .expect("the refresh log line names its tick")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_heat_refresh_runs_once_per_tick_across_processes() {
    let db = TestDb::new().await;
    articles_with_jobs(&db, 50).await;
    let dir = tempfile::tempdir().unwrap();
    let spawn = |name: &str| {
        let log = std::fs::File::create(dir.path().join(name)).unwrap();
        Command::new(env!("CARGO_BIN_EXE_newsgraph"))
            .args(["work", "--heat-refresh-secs", "1"])
            .env("DATABASE_URL", &db.url)
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "newsgraph_worker=info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap()
    };
    let mut processes = [spawn("a.log"), spawn("b.log")];
    tokio::time::sleep(Duration::from_secs(8)).await;
    for process in &mut processes {
        // SIGTERM: a graceful stop
        assert!(
            Command::new("kill")
                .arg(process.id().to_string())
                .status()
                .unwrap()
                .success()
        );
    }
    for process in &mut processes {
        assert_eq!(
            wait_exit(process, Duration::from_secs(30)).await,
            0,
            "a graceful stop exits 0"
        );
    }

    let logs: Vec<String> = ["a.log", "b.log"]
        .iter()
        .map(|name| std::fs::read_to_string(dir.path().join(name)).unwrap())
        .collect();
    for log in &logs {
        assert!(log.contains("worker started"), "both processes ran: {log}");
    }
    let mut ticks: Vec<i64> = logs.iter().flat_map(|log| refresh_ticks(log)).collect();
    let runs = ticks.len();
    ticks.sort_unstable();
    ticks.dedup();
    assert_eq!(runs, ticks.len(), "a tick ran in both processes: {logs:?}");
    // eight seconds at one tick per second: allow for start-up time
    assert!(runs >= 4, "the refresh ran at only {runs} ticks in 8 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_worker_keeps_reading_its_queue_notifications() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    articles_with_jobs(&db, 20).await;
    // Every recompute blocks on these row locks, so all of the worker's job
    // slots stay busy while the notifications below arrive.
    let mut blocker = db.pool.begin().await.unwrap();
    sqlx::query("select article_id from article_state for update")
        .execute(&mut *blocker)
        .await
        .unwrap();
    // 16 job slots for 20 jobs: every slot gets a job, and those jobs'
    // shared recompute waits on the locks
    let mut worker = work_command(&db)
        .env("NEWSGRAPH_WORKER_CONCURRENCY", "16")
        .spawn()
        .unwrap();
    let started = Instant::now();
    while db
        .count("select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'")
        .await
        < 1
        || queue::counts(&db.pool).await.unwrap().in_flight < 16
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the worker's jobs never blocked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // About 20 MB of queue notifications: more than socket buffers hold, so a
    // listener that is not read leaves its server process stuck writing.
    sqlx::query(
        "select pg_notify('apalis::job::insert',
                          json_build_object('job_type', 'elsewhere', 'id', g, 'pad', repeat('x', 4000))::text)
         from generate_series(1, 5000) g",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    // A stuck server process cannot take part in the signal barrier that
    // `drop database ... with (force)` waits for: the drop would hang.
    let scratch = format!("newsgraph_test_{}_scratch", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {scratch}")))
        .execute(&db.pool)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut admin = db.pool.acquire().await.unwrap();
    sqlx::query("set statement_timeout = '20s'")
        .execute(&mut *admin)
        .await
        .unwrap();
    let dropped = sqlx::query(sqlx::AssertSqlSafe(format!("drop database {scratch} with (force)")))
        .execute(&mut *admin)
        .await;
    blocker.rollback().await.unwrap();
    worker.kill().unwrap();
    worker.wait().unwrap();
    dropped.expect("the drop finished: no server process was stuck writing notifications to the worker");
}
