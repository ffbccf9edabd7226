//! Editor actions: one transaction each (article, audit row, recompute job),
//! optimistic concurrency, overrides against the real worker and against
//! concurrent recomputes.

use newsgraph_shared::queue;
use std::str::FromStr;

use newsgraph_shared::auth::{self, Role};
use newsgraph_shared::editorial::{self, EditorialError, PublicationState};
use newsgraph_shared::ingest::import_paths;
use newsgraph_shared::jobs::{RECOMPUTE_ARTICLE_QUEUE, enqueue_recompute};
use newsgraph_shared::rescore;
use newsgraph_shared::scoring::ScoringConfig;

use crate::support::editor::{clear_override, publish, request_recompute, unpublish};
use crate::support::{TestDb, article, drain_jobs, write};

/// Imports our small article files (titles and URLs), with no job left
/// queued; returns their ids in the given order.
async fn articles(db: &TestDb, stories: &[(&str, &str)]) -> Vec<i64> {
    let dir = tempfile::tempdir().unwrap();
    for (n, (title, url)) in stories.iter().enumerate() {
        write(dir.path(), &format!("2026-11-20-story-{n}.md"), article(title, url));
    }
    import_paths(&db.pool, &[dir.path().to_path_buf()], |_| {})
        .await
        .unwrap();
    queue::delete_all(&db.pool).await.unwrap();
    let mut ids = Vec::new();
    for (_, url) in stories {
        ids.push(
            sqlx::query_scalar("select article_id from article where web_url = $1")
                .bind(url)
                .fetch_one(&db.pool)
                .await
                .unwrap(),
        );
    }
    ids
}

async fn one_article(db: &TestDb) -> i64 {
    articles(
        db,
        &[("A perfectly ordinary story about the harbour", "https://o.example/1")],
    )
    .await[0]
}

/// Article ids of the recompute jobs queued, oldest first.
async fn queued_recomputes(db: &TestDb) -> Vec<i64> {
    let payloads = queue::payloads(&db.pool, RECOMPUTE_ARTICLE_QUEUE, false).await.unwrap();
    payloads
        .iter()
        .map(|p| {
            serde_json::from_slice::<serde_json::Value>(p).unwrap()["article_id"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

async fn events(db: &TestDb) -> i64 {
    db.count("select count(*) from editorial_event").await
}

async fn state(db: &TestDb, id: i64) -> PublicationState {
    editorial::publication_state(&db.pool, id).await.unwrap()
}

/// The whole row as text: to prove that nothing at all was written.
async fn row(db: &TestDb, id: i64) -> String {
    sqlx::query_scalar("select a::text from article a where article_id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn each_action_writes_one_audit_row_with_before_and_after_and_queues_one_job() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let id = one_article(&db).await;
    let (_, token) = auth::create_token(&db.pool, "desk-alice", Role::Editor).await.unwrap();
    let editor = token.name.as_str();
    let start = state(&db, id).await;
    assert_eq!((start.published, start.editor_override.as_deref()), (false, None));

    // publish
    let published = publish(&db.pool, id, editor, "  Breaking news  ", Some(start.version))
        .await
        .unwrap();
    let s = &published.state;
    assert!(s.published && published.publication_changed);
    assert_eq!(
        (
            s.published_by.as_str(),
            s.editor_override.as_deref(),
            s.override_editor.as_deref()
        ),
        ("editor", Some("publish"), Some(editor))
    );
    assert_eq!(s.override_reason.as_deref(), Some("Breaking news"), "reason trimmed");
    assert!(s.override_at.is_some());
    assert_eq!(s.version, start.version + 1);
    assert_eq!(state(&db, id).await, *s, "what is returned is what is stored");
    let e = &published.event;
    assert_eq!((e.article_id, e.editor.as_str()), (id, editor));
    assert_eq!(
        (e.action.as_str(), e.reason.as_deref()),
        ("publish", Some("Breaking news"))
    );
    assert_eq!(e.before_state, serde_json::to_value(&start).unwrap());
    assert_eq!(e.after_state, serde_json::to_value(s).unwrap());
    assert_eq!(e.before_state["published"], false);
    assert_eq!(e.after_state["editor_override"], "publish");
    assert_eq!((events(&db).await, queued_recomputes(&db).await), (1, vec![id]));
    assert_eq!(published.jobs_enqueued, 1);

    // unpublish
    let unpublished = unpublish(&db.pool, id, editor, "Legal asked us to", None)
        .await
        .unwrap();
    let s = &unpublished.state;
    assert_eq!((s.published, s.heat), (false, Some(-1)), "heat is -1 while unpublished");
    assert_eq!(s.editor_override.as_deref(), Some("unpublish"));
    assert_eq!(s.version, start.version + 2);
    assert_eq!(unpublished.event.before_state, published.event.after_state);
    assert_eq!((events(&db).await, queued_recomputes(&db).await), (2, vec![id, id]));

    // clear: the worker decides again (never scored: unpublished)
    let cleared = clear_override(&db.pool, id, editor, Some(start.version + 2))
        .await
        .unwrap();
    let s = &cleared.state;
    assert_eq!(
        (s.editor_override.as_deref(), s.override_editor.as_deref()),
        (None, None)
    );
    assert_eq!((s.override_reason.as_deref(), s.override_at), (None, None));
    assert_eq!((s.published, s.published_by.as_str()), (false, "worker"));
    assert_eq!(s.version, start.version + 3);
    assert_eq!(
        (cleared.event.action.as_str(), cleared.event.reason.as_deref()),
        ("clear_override", None)
    );
    assert_eq!(cleared.event.before_state["editor_override"], "unpublish");
    assert_eq!(cleared.event.after_state["editor_override"], serde_json::Value::Null);
    assert_eq!((events(&db).await, queued_recomputes(&db).await.len()), (3, 3));

    // recompute: an audit row and a job; the article is not written
    let before = row(&db, id).await;
    let recompute = request_recompute(&db.pool, id, editor, Some(start.version + 3))
        .await
        .unwrap();
    assert_eq!(recompute.event.before_state, recompute.event.after_state);
    assert_eq!(recompute.state.version, start.version + 3, "no version bump");
    assert_eq!(row(&db, id).await, before);
    assert_eq!((events(&db).await, queued_recomputes(&db).await.len()), (4, 4));

    let editors: Vec<String> = sqlx::query_scalar("select distinct editor from editorial_event")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(editors, [editor], "every row names the token");
    let failed = sqlx::query("delete from editorial_event").execute(&db.pool).await;
    assert!(failed.is_err(), "the audit log is append-only");
}

#[tokio::test]
async fn a_stale_expected_version_conflicts_and_writes_nothing() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let id = one_article(&db).await;
    let version = state(&db, id).await.version;
    publish(&db.pool, id, "first", "Seen first", Some(version))
        .await
        .unwrap();
    let (rows_before, events_before, jobs_before) =
        (row(&db, id).await, events(&db).await, queued_recomputes(&db).await);

    let attempts = [
        unpublish(&db.pool, id, "second", "Seen the old version", Some(version)).await,
        publish(&db.pool, id, "second", "Seen the old version", Some(version)).await,
        clear_override(&db.pool, id, "second", Some(version)).await,
        request_recompute(&db.pool, id, "second", Some(version + 7)).await,
    ];
    for attempt in attempts {
        let error = attempt.unwrap_err();
        assert_eq!(error.code(), "CONFLICT");
        let EditorialError::Conflict {
            current_version,
            expected,
            ..
        } = error
        else {
            unreachable!()
        };
        assert_eq!(current_version, version + 1);
        assert!(expected == version || expected == version + 7);
        assert!(error_message_mentions_versions(current_version, expected));
    }
    assert_eq!(row(&db, id).await, rows_before, "article untouched");
    assert_eq!(events(&db).await, events_before, "no audit row");
    assert_eq!(queued_recomputes(&db).await, jobs_before, "no job");

    // With the current version it goes through.
    unpublish(&db.pool, id, "second", "Seen the new version", Some(version + 1))
        .await
        .unwrap();
}

fn error_message_mentions_versions(current: i64, expected: i64) -> bool {
    let message = EditorialError::Conflict {
        article_id: 1,
        expected,
        current_version: current,
    }
    .to_string();
    message.contains(&format!("expected version {expected}")) && message.contains(&format!("version {current}"))
}

#[tokio::test]
async fn bad_input_and_unknown_articles_write_nothing() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let id = one_article(&db).await;
    let before = row(&db, id).await;
    for reason in ["", "   \n"] {
        for error in [
            publish(&db.pool, id, "ed", reason, None).await.unwrap_err(),
            unpublish(&db.pool, id, "ed", reason, None).await.unwrap_err(),
        ] {
            assert_eq!(error.code(), "BAD_USER_INPUT");
            assert!(error.to_string().starts_with("reason: a reason is required"), "{error}");
        }
    }
    let too_long = "x".repeat(editorial::MAX_REASON_LEN + 1);
    assert_eq!(
        publish(&db.pool, id, "ed", &too_long, None).await.unwrap_err().code(),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        clear_override(&db.pool, id, " ", None).await.unwrap_err().code(),
        "BAD_USER_INPUT",
        "an editor name is required"
    );
    let missing = id + 1_000;
    for error in [
        publish(&db.pool, missing, "ed", "Why not", None).await.unwrap_err(),
        unpublish(&db.pool, missing, "ed", "Why not", Some(1))
            .await
            .unwrap_err(),
        clear_override(&db.pool, missing, "ed", None).await.unwrap_err(),
        request_recompute(&db.pool, missing, "ed", None).await.unwrap_err(),
    ] {
        assert!(matches!(error, EditorialError::NotFound(m) if m == missing), "{error}");
        assert_eq!(error.code(), "NOT_FOUND");
    }
    assert_eq!(row(&db, id).await, before);
    assert_eq!((events(&db).await, queued_recomputes(&db).await.len()), (0, 0));

    // A tombstone is never published, not even by an editor; unpublishing it is fine.
    sqlx::query("update article set removed = true where article_id = $1")
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap();
    let refused = publish(&db.pool, id, "ed", "Bring it back", None).await.unwrap_err();
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert!(refused.to_string().contains("removed by its source"), "{refused}");
    assert_eq!(events(&db).await, 0);
    unpublish(&db.pool, id, "ed", "Withdrawn", None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_override_survives_worker_recomputes_and_clearing_it_restores_the_rule() {
    let db = TestDb::new().await;
    let id = one_article(&db).await;
    let mut tx = db.pool.begin().await.unwrap();
    enqueue_recompute(&mut tx, &[id]).await.unwrap();
    tx.commit().await.unwrap();
    drain_jobs(&db, &ScoringConfig::default()).await;
    let automatic = state(&db, id).await;
    assert_eq!(automatic.published_by, "worker");

    let outcome = if automatic.published {
        unpublish(&db.pool, id, "desk", "Not this one", Some(automatic.version)).await
    } else {
        publish(&db.pool, id, "desk", "This one matters", Some(automatic.version)).await
    }
    .unwrap();
    assert_eq!(outcome.state.published, !automatic.published);
    for round in 0..3 {
        // the action's own job, then further recomputes
        drain_jobs(&db, &ScoringConfig::default()).await;
        let s = state(&db, id).await;
        assert_eq!(
            (s.published, s.published_by.as_str()),
            (!automatic.published, "editor"),
            "round {round}"
        );
        assert_eq!(s.heat == Some(-1), !s.published, "heat follows the final state");
        assert_eq!(s.version, automatic.version + 1, "recomputes do not bump the version");
        let mut tx = db.pool.begin().await.unwrap();
        enqueue_recompute(&mut tx, &[id]).await.unwrap();
        tx.commit().await.unwrap();
    }
    drain_jobs(&db, &ScoringConfig::default()).await;

    clear_override(&db.pool, id, "desk", Some(automatic.version + 1))
        .await
        .unwrap();
    drain_jobs(&db, &ScoringConfig::default()).await;
    let s = state(&db, id).await;
    assert_eq!(
        (s.published, s.published_by.as_str()),
        (automatic.published, "worker"),
        "the rule decides again"
    );
    assert_eq!(s.heat == Some(-1), !s.published);
    assert_eq!(queue::counts(&db.pool).await.unwrap().not_done(), 0, "every job ran");
}

#[tokio::test]
async fn a_publication_change_also_queues_the_related_articles() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let ids = articles(
        &db,
        &[
            ("The main story about the harbour", "https://a.example/1"),
            ("Coverage of it elsewhere", "https://b.example/2"),
            ("More coverage of the same story", "https://c.example/3"),
        ],
    )
    .await;
    sqlx::query(
        "insert into article_relation (article_id, related_article_id, position) values ($1, $2, 0), ($3, $1, 0)",
    )
    .bind(ids[0])
    .bind(ids[1])
    .bind(ids[2])
    .execute(&db.pool)
    .await
    .unwrap();

    let published = publish(&db.pool, ids[0], "desk", "Front page", None).await.unwrap();
    assert!(published.publication_changed);
    let mut queued = queued_recomputes(&db).await;
    queued.sort_unstable();
    assert_eq!(queued, ids, "the article and its related articles, both directions");
    assert_eq!(published.jobs_enqueued, 3);

    // Same state again: only the article's own job.
    let again = publish(&db.pool, ids[0], "desk", "Still front page", None)
        .await
        .unwrap();
    assert!(!again.publication_changed);
    assert_eq!(again.jobs_enqueued, 1);
    assert_eq!(queued_recomputes(&db).await.len(), 4);
}

#[tokio::test]
async fn history_lists_events_newest_first_per_article_and_overall() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let ids = articles(
        &db,
        &[
            ("One story", "https://h.example/1"),
            ("Another story", "https://h.example/2"),
        ],
    )
    .await;
    publish(&db.pool, ids[0], "a", "first", None).await.unwrap();
    publish(&db.pool, ids[1], "b", "second", None).await.unwrap();
    unpublish(&db.pool, ids[0], "a", "third", None).await.unwrap();
    clear_override(&db.pool, ids[0], "c", None).await.unwrap();
    request_recompute(&db.pool, ids[1], "d", None).await.unwrap();

    let all = editorial::editorial_history(&db.pool, None, 10, None).await.unwrap();
    let actions: Vec<(String, &str)> = all
        .events
        .iter()
        .map(|e| (e.editor.clone(), e.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("d".to_string(), "recompute"),
            ("c".into(), "clear_override"),
            ("a".into(), "unpublish"),
            ("b".into(), "publish"),
            ("a".into(), "publish"),
        ]
    );
    assert!(!all.has_next_page);

    let first = editorial::editorial_history(&db.pool, Some(ids[0]), 2, None)
        .await
        .unwrap();
    assert_eq!(
        first.events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["clear_override", "unpublish"]
    );
    assert!(first.has_next_page);
    let cursor = first.events.last().unwrap().editorial_event_id;
    let rest = editorial::editorial_history(&db.pool, Some(ids[0]), 2, Some(cursor))
        .await
        .unwrap();
    assert_eq!(
        rest.events.iter().map(|e| e.reason.as_deref()).collect::<Vec<_>>(),
        [Some("first")]
    );
    assert!(!rest.has_next_page);

    let page = editorial::editorial_history(&db.pool, None, 2, Some(all.events[1].editorial_event_id))
        .await
        .unwrap();
    assert_eq!(
        page.events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["unpublish", "publish"]
    );
    assert!(page.has_next_page);

    assert_eq!(editorial::editorial_history_count(&db.pool, None).await.unwrap(), 5);
    assert_eq!(
        editorial::editorial_history_count(&db.pool, Some(ids[0]))
            .await
            .unwrap(),
        3
    );
    assert!(
        editorial::editorial_history(&db.pool, None, 0, None)
            .await
            .unwrap()
            .events
            .is_empty()
    );
    assert_eq!(
        editorial::editorial_history(&db.pool, None, editorial::MAX_HISTORY_PAGE + 1, None)
            .await
            .unwrap_err()
            .code(),
        "BAD_USER_INPUT"
    );
}

/// Issue 3's "Race" acceptance point, through the editorial functions:
/// 1,000 rounds of an editor override committed while two recomputes of the
/// same article (the worker's transaction: settings, recompute, follow-up
/// jobs) run concurrently. The override is never lost, and later recomputes
/// keep it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn override_survives_concurrent_recomputes() {
    const ROUNDS: i64 = 1_000;
    let setup = std::time::Instant::now();
    let mut db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let id = one_article(&db).await;
    // Commits without waiting for the WAL flush: durability is not what this
    // test is about, and a thousand synchronous commits take half a minute on
    // a busy disk.
    let options = sqlx::postgres::PgConnectOptions::from_str(&db.url)
        .unwrap()
        .options([("synchronous_commit", "off")]);
    db.pool = sqlx::PgPool::connect_with(options).await.unwrap();
    let config = ScoringConfig::default();
    let worker_recompute = || async {
        rescore::run(&db.pool, &[id], &config, rescore::FollowUps::Queue)
            .await
            .unwrap();
    };
    let start = state(&db, id).await.version;
    let started = std::time::Instant::now();

    for round in 0..ROUNDS {
        let publishing = round % 2 == 1;
        let version = start + round;
        let editor = async {
            // the version read before the race: concurrent recomputes must not make it stale
            let outcome = if publishing {
                publish(&db.pool, id, "race", "round", Some(version)).await
            } else {
                unpublish(&db.pool, id, "race", "round", Some(version)).await
            };
            outcome.unwrap_or_else(|e| panic!("round {round}: {e}"))
        };
        let (outcome, (), ()) = tokio::join!(editor, worker_recompute(), worker_recompute());
        assert_eq!(outcome.state.published, publishing, "round {round}");
        let s = state(&db, id).await;
        assert_eq!(
            (s.published, s.published_by.as_str(), s.version),
            (publishing, "editor", version + 1),
            "round {round}, after the race"
        );
        assert_eq!(s.heat.is_some_and(|h| h == -1), !publishing, "round {round}");
        if round % 10 == 0 {
            // and a later recompute keeps it
            worker_recompute().await;
            let s = state(&db, id).await;
            assert_eq!(
                (s.published, s.published_by.as_str()),
                (publishing, "editor"),
                "round {round}, recomputed later"
            );
        }
    }
    assert_eq!(events(&db).await, ROUNDS, "one audit row per action");
    assert_eq!(queued_recomputes(&db).await.len() as i64, ROUNDS, "one job per action");
    eprintln!(
        "setup {:?}, {ROUNDS} rounds in {:?}",
        started - setup,
        started.elapsed()
    );
}

#[tokio::test]
async fn an_action_and_its_notification_commit_together_and_a_refused_one_sends_nothing() {
    let db = TestDb::new().await;
    db.leaves_jobs(); // checks what is written and queued, not the worker
    let id = one_article(&db).await;
    let before = row(&db, id).await;
    let mut listener = sqlx::postgres::PgListener::connect_with(&db.pool).await.unwrap();
    listener.listen(newsgraph_shared::events::CHANNEL).await.unwrap();
    let quiet = std::time::Duration::from_millis(500);

    // refused: nothing written, nothing queued, nothing heard
    let refused = unpublish(&db.pool, id, "desk", "  ", None).await.unwrap_err();
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(row(&db, id).await, before);
    assert_eq!((events(&db).await, queued_recomputes(&db).await.len()), (0, 0));
    assert!(
        tokio::time::timeout(quiet, listener.recv()).await.is_err(),
        "a refused action notified"
    );

    // done: the change, its audit row, its job and its notification
    let outcome = unpublish(&db.pool, id, "desk", "Pending legal review", None)
        .await
        .unwrap();
    assert_eq!(outcome.state.editor_override.as_deref(), Some("unpublish"));
    assert_eq!((events(&db).await, queued_recomputes(&db).await), (1, vec![id]));
    let heard = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
        .await
        .expect("the action notified")
        .unwrap();
    let payload: serde_json::Value = serde_json::from_str(heard.payload()).unwrap();
    assert_eq!(payload["publication"], serde_json::json!([id]), "{payload}");

    // a recompute request changes no publication: queued, not notified
    request_recompute(&db.pool, id, "desk", None).await.unwrap();
    assert!(
        tokio::time::timeout(quiet, listener.recv()).await.is_err(),
        "a recompute request notified"
    );
}
