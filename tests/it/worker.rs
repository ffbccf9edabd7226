//! The worker against the real queue: scores, publication, overrides.

use newsgraph_shared::queue;
use std::time::Duration;

use chrono::{DateTime, Utc};
use newsgraph_shared::ingest::import_paths;
use newsgraph_shared::jobs::enqueue_recompute;
use newsgraph_shared::rescore::{self, FollowUps, RecomputeTx};
use newsgraph_shared::scoring::{PublicationInput, Rival, ScoringConfig, automatic_decision};
use newsgraph_worker::WorkerOptions;

use crate::support::{TestDb, article, corpus_dir, drain_jobs, write};

/// Imports one article file of ours.
async fn import_article(db: &TestDb, file_name: &str, title: &str, url: &str) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), file_name, article(title, url));
    import_paths(&db.pool, &[dir.path().to_path_buf()], |_| {})
        .await
        .unwrap();
}

/// Imports one article into an empty database; returns its id.
async fn import_only_article(db: &TestDb, file_name: &str, title: &str, url: &str) -> i64 {
    import_article(db, file_name, title, url).await;
    sqlx::query_scalar("select article_id from article")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// Imports `count` articles of ours (titles and URLs numbered under `host`)
/// and empties the queue of their import jobs.
async fn import_stories(db: &TestDb, count: usize, host: &str) {
    let dir = tempfile::tempdir().unwrap();
    for n in 0..count {
        write(
            dir.path(),
            &format!("2026-11-2{}-s{n}.md", n % 7),
            article(
                &format!("Story number {n} about the harbour"),
                &format!("https://{host}/{n}"),
            ),
        );
    }
    import_paths(&db.pool, &[dir.path().to_path_buf()], |_| {})
        .await
        .unwrap();
    queue::delete_all(&db.pool).await.unwrap();
}

#[derive(sqlx::FromRow)]
struct Scored {
    article_id: i64,
    quality: Option<i32>,
    heat: Option<i32>,
    has_breakdown: bool,
    scored_at: Option<DateTime<Utc>>,
    published: bool,
    provider_domain: Option<String>,
    published_at: Option<DateTime<Utc>>,
    removed: bool,
    rival_slug: Option<String>,
    rival_quality: Option<i32>,
    rival_published_at: Option<DateTime<Utc>>,
}

/// Every article with the best of its neighbours in either direction
/// (highest quality, then earliest, then lowest id), not removed.
async fn scored(db: &TestDb) -> Vec<Scored> {
    sqlx::query_as(
        "select a.article_id, a.quality, a.heat, a.score_breakdown is not null as has_breakdown, a.scored_at,
                a.published, p.domain as provider_domain, a.published_at, a.removed,
                best.slug as rival_slug, best.quality as rival_quality, best.published_at as rival_published_at
         from article_with_state a left join provider p using (provider_id)
         left join lateral (
             select n.slug, n.quality, n.published_at from article_with_state n
             where n.article_id in (select related_article_id from article_relation where article_id = a.article_id
                                    union select article_id from article_relation where related_article_id = a.article_id)
               and not n.removed and n.quality is not null
             order by n.quality desc, n.published_at nulls last, n.article_id limit 1
         ) best on true
         order by a.article_id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_drain_every_corpus_article_is_scored_by_the_rule() {
    let Some(corpus) = corpus_dir() else { return };
    let db = TestDb::new().await;
    import_paths(&db.pool, &[corpus], |_| {}).await.unwrap();
    drain_jobs(&db, &ScoringConfig::default()).await;

    let config = ScoringConfig::default();
    let rows = scored(&db).await;
    assert!(rows.len() > 500);
    let mut published = 0;
    for row in &rows {
        let id = row.article_id;
        assert!(row.scored_at.is_some() && row.has_breakdown, "{id} unscored");
        let quality = row.quality.unwrap_or_else(|| panic!("{id} has no quality"));
        let heat = row.heat.unwrap();
        let rule = automatic_decision(
            PublicationInput {
                quality,
                provider_domain: row.provider_domain.clone(),
                published_at: row.published_at,
                now: row.scored_at.unwrap(),
                removed: row.removed,
                rival: row.rival_slug.clone().map(|slug| Rival {
                    slug,
                    quality: row.rival_quality.unwrap(),
                    published_at: row.rival_published_at,
                }),
            },
            &config,
        );
        assert_eq!(
            row.published, rule.publish,
            "{id}: published must be the rule's answer ({:?})",
            rule.reasons
        );
        assert_eq!(heat == -1, !row.published, "{id}: heat -1 exactly while unpublished");
        published += usize::from(row.published);
    }
    assert!(published > 0);
    let removed: Vec<&Scored> = rows.iter().filter(|r| r.removed).collect();
    assert!(
        !removed.is_empty() && removed.iter().all(|r| !r.published),
        "tombstones are never published"
    );
    assert_eq!(
        queue::counts(&db.pool).await.unwrap().not_done(),
        0,
        "nothing left behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_override_survives_recomputes_and_clearing_it_restores_the_rule() {
    let db = TestDb::new().await;
    import_article(
        &db,
        "2026-11-20-story.md",
        "A perfectly ordinary story about the harbour",
        "https://o.example/1",
    )
    .await;
    drain_jobs(&db, &ScoringConfig::default()).await;
    let (id, automatic): (i64, bool) = sqlx::query_as("select article_id, published from article_with_state")
        .fetch_one(&db.pool)
        .await
        .unwrap();

    let forced = if automatic { "unpublish" } else { "publish" };
    sqlx::query("update article_state set editor_override = $1, override_editor = 'test', override_at = now()")
        .bind(forced)
        .execute(&db.pool)
        .await
        .unwrap();
    for _ in 0..3 {
        let mut tx = db.pool.begin().await.unwrap();
        enqueue_recompute(&mut tx, &[id]).await.unwrap();
        tx.commit().await.unwrap();
        drain_jobs(&db, &ScoringConfig::default()).await;
        let (published, by, heat): (bool, String, i32) =
            sqlx::query_as("select published, published_by, heat from article_with_state")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!((published, by.as_str()), (!automatic, "editor"), "the override wins");
        assert_eq!(heat == -1, !published);
    }

    sqlx::query("update article_state set editor_override = null, override_editor = null, override_at = null")
        .execute(&db.pool)
        .await
        .unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    enqueue_recompute(&mut tx, &[id]).await.unwrap();
    tx.commit().await.unwrap();
    drain_jobs(&db, &ScoringConfig::default()).await;
    let (published, by): (bool, String) = sqlx::query_as("select published, published_by from article_with_state")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        (published, by.as_str()),
        (automatic, "worker"),
        "the rule decides again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_payloads_and_deleted_articles_do_not_stop_the_worker() {
    let db = TestDb::new().await;
    import_article(
        &db,
        "2026-11-20-kept.md",
        "A story that stays around",
        "https://k.example/1",
    )
    .await;
    // A payload of the wrong shape and a job for an article that is gone,
    // queued before the good job.
    queue::delete_all(&db.pool).await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let bad = apalis::prelude::TaskBuilder::new(br#"{"something":"else"}"#.to_vec()).build();
    apalis_postgres::queries::push_tasks(&mut *conn, newsgraph_shared::jobs::RECOMPUTE_ARTICLE_QUEUE, vec![bad])
        .await
        .unwrap();
    enqueue_recompute(&mut conn, &[987_654]).await.unwrap();
    let id: i64 = sqlx::query_scalar("select article_id from article")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    enqueue_recompute(&mut conn, &[id]).await.unwrap();
    drop(conn);

    drain_jobs(&db, &ScoringConfig::default()).await;
    let scored: bool = sqlx::query_scalar("select scored_at is not null from article_with_state")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(scored, "the good job ran after the bad ones");
    assert_eq!(queue::counts(&db.pool).await.unwrap().done, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rescore_all_batches_cover_every_article() {
    let db = TestDb::new().await;
    import_stories(&db, 25, "s.example").await;

    let mut conn = db.pool.acquire().await.unwrap();
    let batches = rescore::id_ranges(&mut conn, 10, None).await.unwrap();
    assert_eq!(batches.len(), 3, "25 articles in batches of 10");
    newsgraph_shared::jobs::enqueue_batches(&mut conn, &batches)
        .await
        .unwrap();
    drop(conn);
    drain_jobs(&db, &ScoringConfig::default()).await;
    assert_eq!(
        db.count("select count(*) from article_with_state where scored_at is null")
            .await,
        0
    );
}

/// Single-article jobs that run at the same time share one recompute
/// transaction; `scored_at` is the transaction's start, so one value per
/// shared recompute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_recompute_jobs_share_one_transaction() {
    let db = TestDb::new().await;
    let articles = 300;
    import_stories(&db, articles, "c.example").await;
    let ids: Vec<i64> = sqlx::query_scalar("select article_id from article")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(ids.len(), articles);
    let mut conn = db.pool.acquire().await.unwrap();
    enqueue_recompute(&mut conn, &ids).await.unwrap();
    drop(conn);

    drain_jobs(&db, &ScoringConfig::default()).await;
    assert_eq!(
        db.count("select count(*) from article_with_state where scored_at is null")
            .await,
        0
    );
    assert_eq!(queue::counts(&db.pool).await.unwrap().done, articles as i64);
    let transactions = db
        .count("select count(distinct scored_at) from article_with_state")
        .await;
    assert!(
        transactions * 4 < articles as i64,
        "{articles} jobs took {transactions} recompute transactions"
    );
}

/// A heat refresh recomputes the recent window only, even where the window's
/// articles lie far apart among older ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heat_refresh_recomputes_only_the_recent_window() {
    let db = TestDb::new().await;
    import_stories(&db, 40, "h.example").await;
    // every tenth article is recent and published; the rest are a month old
    sqlx::raw_sql(
        "update article set published_at = case when article_id % 10 = 0 then now() - interval '1 hour'
                                                 else now() - interval '30 days' end;
         update article_state set published = article_id % 10 = 0, scored_at = null;",
    )
    .execute(&db.pool)
    .await
    .unwrap();

    let queued = newsgraph_worker::schedule::refresh_heat(&db.pool, Duration::from_secs(7 * 24 * 3600))
        .await
        .unwrap();
    assert!(queued >= 1);
    drain_jobs(&db, &ScoringConfig::default()).await;
    let recent = db.count("select count(*) from article where article_id % 10 = 0").await;
    assert!(recent >= 3, "{recent} recent articles");
    assert_eq!(
        db.count("select count(*) from article_with_state where scored_at is not null")
            .await,
        recent,
        "only the recent window was recomputed"
    );
    assert_eq!(
        db.count("select count(*) from article_with_state where scored_at is not null and article_id % 10 <> 0")
            .await,
        0
    );
}

#[tokio::test]
async fn each_periodic_tick_is_claimed_by_exactly_one_process() {
    let db = TestDb::new().await;
    let claim = |worker: &'static str, tick: i64| {
        let pool = db.pool.clone();
        async move {
            newsgraph_worker::schedule::claim(&pool, "heat-refresh", tick, worker)
                .await
                .unwrap()
        }
    };
    let (a, b) = tokio::join!(claim("a", 7), claim("b", 7));
    assert!(a ^ b, "exactly one of two claimants wins tick 7");
    assert!(!claim("c", 7).await, "a tick is never run twice");
    assert!(!claim("c", 6).await, "nor an older one");
    assert!(claim("c", 8).await, "the next tick is claimable again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_written_during_recomputes_is_never_lost() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let id = import_only_article(
        &db,
        "2026-11-20-raced.md",
        "A story everybody keeps changing",
        "https://race.example/1",
    )
    .await;
    let config = ScoringConfig::default();

    for round in 0..1_000 {
        let decision = if round % 2 == 0 { "unpublish" } else { "publish" };
        let recompute = async {
            rescore::run(&db.pool, &[id], &config, FollowUps::Queue).await.unwrap();
        };
        let editor = async {
            sqlx::query(
                "update article_state set editor_override = $2, override_editor = 'race', override_at = now(),
                                    published = ($2 = 'publish'), published_by = 'editor'
                 where article_id = $1",
            )
            .bind(id)
            .bind(decision)
            .execute(&db.pool)
            .await
            .unwrap();
        };
        tokio::join!(recompute, editor, async {
            // a second recompute racing the first
            rescore::run(&db.pool, &[id], &config, FollowUps::Queue).await.unwrap();
        });
        let (published, by): (bool, String) = sqlx::query_as("select published, published_by from article_with_state")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(
            (published, by.as_str()),
            (decision == "publish", "editor"),
            "round {round}, after the race"
        );
        // And later recomputes keep it.
        rescore::run(&db.pool, &[id], &config, FollowUps::Queue).await.unwrap();
        let (published, by): (bool, String) = sqlx::query_as("select published, published_by from article_with_state")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(
            (published, by.as_str()),
            (decision == "publish", "editor"),
            "round {round}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_recompute_never_overwrites_a_newer_one() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let id = import_only_article(
        &db,
        "2026-11-20-revised.md",
        "A story that gets a new title",
        "https://revised.example/1",
    )
    .await;
    let config = ScoringConfig::default();
    // A long batch begins (its scored_at will be this moment)...
    let mut older = RecomputeTx::begin(&db.pool, &config).await.unwrap();
    // ...the article changes and the change's own recompute runs...
    sqlx::query("update article set title = 'A story with a new title', updated_at = now() where article_id = $1")
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap();
    rescore::run(&db.pool, &[id], &config, FollowUps::Queue).await.unwrap();
    let newest: DateTime<Utc> = sqlx::query_scalar("select scored_at from article_with_state")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    // ...then the batch gets to the article.
    older.recompute(&[id]).await.unwrap();
    older.commit(FollowUps::Queue).await.unwrap();
    let (scored_at, updated_at): (DateTime<Utc>, DateTime<Utc>) =
        sqlx::query_as("select scored_at, updated_at from article_with_state")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(scored_at, newest, "the newer recompute's write stays");
    assert!(scored_at >= updated_at, "scored after the last change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_job_is_retried_with_growing_delays() {
    let db = TestDb::new().await;
    import_article(
        &db,
        "2026-11-20-flaky.md",
        "A story behind a flaky database",
        "https://flaky.example/1",
    )
    .await;
    // The first three scoring writes fail. A sequence counts the attempts:
    // unlike a table, it is not rolled back with the failed transactions.
    sqlx::raw_sql(
        "create sequence attempt;
         create function flaky() returns trigger language plpgsql as $$
         begin
             if nextval('attempt') <= 3 then raise exception 'transient failure'; end if;
             return new;
         end $$;
         create trigger flaky before update of scored_at on article_state for each row execute function flaky();",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let started = std::time::Instant::now();
    drain_jobs(&db, &ScoringConfig::default()).await;
    let elapsed = started.elapsed();
    assert_eq!(
        db.count("select count(*) from article_with_state where scored_at is not null")
            .await,
        1,
        "it succeeded in the end"
    );
    assert_eq!(queue::counts(&db.pool).await.unwrap().done, 1);
    assert_eq!(
        db.count("select last_value from attempt").await,
        4,
        "three failures, then success"
    );
    // 200 ms, 400 ms, 800 ms between attempts (±30 % jitter): not at once.
    assert!(
        elapsed >= Duration::from_millis(900),
        "retried after {elapsed:?}: no backoff"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_serves_prometheus_metrics() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let db = TestDb::new().await;

    db.leaves_jobs(); // checks what is written and queued, not the worker
    import_article(
        &db,
        "2026-11-20-counted.md",
        "A story that gets counted",
        "https://m.example/1",
    )
    .await;

    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut options = WorkerOptions::new(ScoringConfig::default());
    options.metrics_addr = Some(addr);
    let worker = tokio::spawn(newsgraph_worker::run(db.pool.clone(), options));
    let started = std::time::Instant::now();
    while db
        .count("select count(*) from article_with_state where scored_at is null")
        .await
        > 0
    {
        assert!(started.elapsed() < Duration::from_secs(30), "the job never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    worker.abort();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(r#"newsgraph_jobs_total{job_type="recompute_article",outcome="done"} 1"#),
        "{response}"
    );
    assert!(response.contains("newsgraph_job_run_seconds_bucket"), "{response}");
    assert!(
        response.contains("newsgraph_job_queue_wait_seconds_bucket"),
        "{response}"
    );
}
