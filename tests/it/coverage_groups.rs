//! The lead rule on the real queue: one published lead per coverage group,
//! groups that settle (chains, cycles, ties, changes), editors who win, and
//! `Article.lead` in GraphQL.

use newsgraph_shared::queue;
use std::path::Path;

use newsgraph_shared::ingest::import_paths;
use newsgraph_shared::jobs::enqueue_recompute;
use newsgraph_shared::scoring::{ScoringConfig, ScoringPreset};
use serde_json::{Value, json};

use crate::api_support::TestApp;
use crate::support::{TestDb, drain_jobs, write};

/// One article file: its slug (also its URL), the quality its source
/// shipped, when it was published, and the slugs it lists as related.
struct Story {
    slug: &'static str,
    quality: i32,
    at: &'static str,
    related: &'static [&'static str],
}

fn url(slug: &str) -> String {
    format!("https://groups.example/{slug}")
}

impl Story {
    fn file(&self) -> String {
        let related: String = self
            .related
            .iter()
            .map(|slug| format!("  - title: \"Related {slug}\"\n    webUrl: \"{}\"\n", url(slug)))
            .collect();
        let related = if related.is_empty() {
            String::new()
        } else {
            format!("related:\n{related}\n")
        };
        format!(
            "---\ncategory: news\ntitle: \"The story called {slug}\"\nexcerpt: \"What {slug} says.\"\n\
             publishedDateTime: {at}\nwebUrl: \"{url}\"\ntype: article\nquality: {quality}\nheat: 1\npublished: true\n\n\
             provider:\n  name: {slug} press\n  domain: {slug}.example\n\ntopics:\n  - World\n\n{related}\
             secured: \"opaque==\"\n---\n\n",
            slug = self.slug,
            at = self.at,
            url = url(self.slug),
            quality = self.quality,
        )
    }
}

async fn import(db: &TestDb, stories: &[Story]) {
    let dir = tempfile::tempdir().unwrap();
    for story in stories {
        write(dir.path(), &format!("_news/2026-11-20-{}.md", story.slug), story.file());
    }
    import_dir(db, dir.path()).await;
}

async fn import_dir(db: &TestDb, dir: &Path) {
    let report = import_paths(&db.pool, &[dir.to_path_buf()], |_| {}).await.unwrap();
    assert_eq!(report.files_failed, 0, "{:?}", report.errors);
}

fn smartable() -> ScoringConfig {
    ScoringPreset::Smartable.config()
}

#[derive(Debug, sqlx::FromRow)]
struct State {
    published: bool,
    published_by: String,
    reasons: Value,
}

async fn state(db: &TestDb, slug: &str) -> State {
    sqlx::query_as(
        "select s.published, s.published_by, s.score_breakdown->'publication'->'reasons' as reasons
         from article a join article_state s using (article_id) where a.canonical_url = $1",
    )
    .bind(url(slug))
    .fetch_one(&db.pool)
    .await
    .unwrap_or_else(|e| panic!("{slug}: {e}"))
}

async fn published(db: &TestDb) -> Vec<String> {
    sqlx::query_scalar(
        "select substr(a.canonical_url, length('https://groups.example/') + 1) from article a
         join article_state s using (article_id) where s.published order by 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

/// Every article's id, for re-queueing a whole group.
async fn all_ids(db: &TestDb) -> Vec<i64> {
    sqlx::query_scalar("select article_id from article order by article_id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

async fn requeue(db: &TestDb, ids: &[i64]) {
    let mut tx = db.pool.begin().await.unwrap();
    enqueue_recompute(&mut tx, ids).await.unwrap();
    tx.commit().await.unwrap();
}

const DAY0: &str = "2026-11-20T10:00:00Z";

/// A chain c1 -> c2 -> c3 -> c4 (each lists the next) and a cycle
/// y1 -> y2 -> y3 -> y1.
fn chain_and_cycle() -> Vec<Story> {
    vec![
        Story {
            slug: "c1",
            quality: 100,
            at: DAY0,
            related: &["c2"],
        },
        Story {
            slug: "c2",
            quality: 120,
            at: DAY0,
            related: &["c3"],
        },
        Story {
            slug: "c3",
            quality: 140,
            at: DAY0,
            related: &["c4"],
        },
        Story {
            slug: "c4",
            quality: 130,
            at: DAY0,
            related: &[],
        },
        Story {
            slug: "y1",
            quality: 90,
            at: DAY0,
            related: &["y2"],
        },
        Story {
            slug: "y2",
            quality: 95,
            at: DAY0,
            related: &["y3"],
        },
        Story {
            slug: "y3",
            quality: 80,
            at: DAY0,
            related: &["y1"],
        },
    ]
}

fn reason(state: &State) -> &str {
    state.reasons[0].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chains_and_cycles_settle_on_the_best_of_each_group_without_ping_pong() {
    let db = TestDb::new().await;
    import(&db, &chain_and_cycle()).await;
    let jobs = drain_jobs(&db, &smartable()).await;

    // c3 leads c2 (its list) and c4 (which it lists); c2 outranks c1.
    // In the cycle y2 outranks both of its neighbours.
    assert_eq!(published(&db).await, ["c3", "y2"]);
    let c1 = state(&db, "c1").await;
    assert!(
        reason(&c1).starts_with("not the lead: 2026-11-20-c2 has quality 120"),
        "{c1:?}"
    );
    assert!(reason(&state(&db, "c4").await).contains("2026-11-20-c3 has quality 140"));
    assert!(reason(&state(&db, "y3").await).contains("2026-11-20-y2 has quality 95"));
    // 7 import jobs; follow-ups only where a first quality could change a
    // neighbour's lead. A ping-pong would run until the drain timed out.
    assert!(jobs <= 2 * 7, "{jobs} jobs for 7 articles");

    // Recomputing everything again changes nothing and queues nothing more.
    requeue(&db, &all_ids(&db).await).await;
    assert_eq!(drain_jobs(&db, &smartable()).await, 7);
    assert_eq!(published(&db).await, ["c3", "y2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lead_rule_holds_in_the_default_profile_too() {
    let db = TestDb::new().await;
    import(&db, &chain_and_cycle()).await;
    drain_jobs(&db, &ScoringConfig::default()).await;
    let bad: Vec<(String, String)> = sqlx::query_as(
        "select a.slug, n.slug from article_with_state a
         join article_relation r on r.article_id = a.article_id or r.related_article_id = a.article_id
         join article_with_state n on n.article_id in (r.article_id, r.related_article_id) and n.article_id <> a.article_id
         where a.published and n.quality > a.quality and not n.removed",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(bad.is_empty(), "published although outranked: {bad:?}");
    assert!(!published(&db).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tie_goes_to_the_article_published_a_day_earlier() {
    let db = TestDb::new().await;
    import(
        &db,
        &[
            // a day apart: the earlier one leads
            Story {
                slug: "early",
                quality: 125,
                at: "2026-11-18T10:00:00Z",
                related: &[],
            },
            Story {
                slug: "late",
                quality: 125,
                at: "2026-11-20T10:00:00Z",
                related: &["early"],
            },
            // the same day: both keep their own decision
            Story {
                slug: "morning",
                quality: 125,
                at: "2026-11-20T08:00:00Z",
                related: &["evening"],
            },
            Story {
                slug: "evening",
                quality: 125,
                at: "2026-11-20T20:00:00Z",
                related: &["morning"],
            },
        ],
    )
    .await;
    drain_jobs(&db, &smartable()).await;
    assert_eq!(published(&db).await, ["early", "evening", "morning"]);
    assert_eq!(
        reason(&state(&db, "late").await),
        "not the lead: 2026-11-20-early has the same quality 125 and was published 48 hours earlier"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_quality_moves_the_lead_and_the_group_settles() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let stories = |a_quality| {
        [
            Story {
                slug: "a",
                quality: a_quality,
                at: DAY0,
                related: &["b"],
            },
            Story {
                slug: "b",
                quality: 120,
                at: DAY0,
                related: &[],
            },
        ]
    };
    for story in stories(100) {
        write(dir.path(), &format!("2026-11-20-{}.md", story.slug), story.file());
    }
    import_dir(&db, dir.path()).await;
    drain_jobs(&db, &smartable()).await;
    assert_eq!(published(&db).await, ["b"]);

    // The source raises a's quality: a's recompute recomputes b too, in
    // the same transaction, whose lead it took.
    write(dir.path(), "2026-11-20-a.md", stories(150)[0].file());
    import_dir(&db, dir.path()).await;
    let jobs = drain_jobs(&db, &smartable()).await;
    assert_eq!(published(&db).await, ["a"]);
    assert_eq!(jobs, 1, "a's job, which recomputed b as well");
    assert_eq!(
        reason(&state(&db, "b").await),
        "not the lead: 2026-11-20-a has quality 150"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_who_publishes_a_non_lead_wins_over_every_recompute_of_the_group() {
    let db = TestDb::new().await;
    import(&db, &chain_and_cycle()).await;
    drain_jobs(&db, &smartable()).await;
    let c1: i64 = sqlx::query_scalar("select article_id from article where canonical_url = $1")
        .bind(url("c1"))
        .fetch_one(&db.pool)
        .await
        .unwrap();
    crate::support::editor::publish(&db.pool, c1, "erin", "the better write-up", None)
        .await
        .unwrap();
    for _ in 0..3 {
        requeue(&db, &all_ids(&db).await).await;
        drain_jobs(&db, &smartable()).await;
        let c1 = state(&db, "c1").await;
        assert!(c1.published && c1.published_by == "editor", "{c1:?}");
        // The rules alone would still hold it back, and say why.
        assert!(reason(&c1).starts_with("not the lead:"), "{c1:?}");
    }
    assert_eq!(published(&db).await, ["c1", "c3", "y2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_who_takes_down_a_lead_hands_the_group_to_the_next_best() {
    let db = TestDb::new().await;
    import(&db, &chain_and_cycle()).await;
    drain_jobs(&db, &smartable()).await;
    let c3: i64 = sqlx::query_scalar("select article_id from article where canonical_url = $1")
        .bind(url("c3"))
        .fetch_one(&db.pool)
        .await
        .unwrap();
    crate::support::editor::unpublish(&db.pool, c3, "erin", "wrong", None)
        .await
        .unwrap();
    drain_jobs(&db, &smartable()).await;
    // Without c3, c2 (over c1) and c4 lead their neighbourhoods.
    assert_eq!(published(&db).await, ["c2", "c4", "y2"]);
    // Handed back, c3 leads again.
    crate::support::editor::clear_override(&db.pool, c3, "erin", None)
        .await
        .unwrap();
    drain_jobs(&db, &smartable()).await;
    assert_eq!(published(&db).await, ["c3", "y2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_links_a_held_back_article_to_its_lead() {
    let db = TestDb::new().await;
    let mut stories = chain_and_cycle();
    // A group below Smartable's floor (65): nothing of it is published.
    stories.push(Story {
        slug: "z1",
        quality: 50,
        at: DAY0,
        related: &["z2"],
    });
    stories.push(Story {
        slug: "z2",
        quality: 60,
        at: DAY0,
        related: &[],
    });
    import(&db, &stories).await;
    drain_jobs(&db, &smartable()).await;
    let app = TestApp::over(db).await;
    let query = "query($slug: String) { article(slug: $slug) { slug lead { slug } publication { automaticReasons } } }";
    let ask = |slug: &str| json!({ "slug": format!("2026-11-20-{slug}") });

    let c2 = app.as_editor(query, ask("c2")).await;
    assert_eq!(c2["article"]["lead"]["slug"], "2026-11-20-c3");
    assert_eq!(
        c2["article"]["publication"]["automaticReasons"],
        json!(["not the lead: 2026-11-20-c3 has quality 140"])
    );
    // c1's own outranker (c2) is held back; its group's published lead is none.
    let c1 = app.as_editor(query, ask("c1")).await;
    assert_eq!(c1["article"]["lead"], Value::Null);
    let y3 = app.as_editor(query, ask("y3")).await;
    assert_eq!(y3["article"]["lead"]["slug"], "2026-11-20-y2");
    let z1 = app.as_editor(query, ask("z1")).await;
    assert_eq!(z1["article"]["lead"], Value::Null, "no lead is published");

    // Anonymous readers: the lead itself, no reasons (editorial detail).
    let c3 = app.data(query, ask("c3")).await;
    assert_eq!(c3["article"]["lead"]["slug"], "2026-11-20-c3", "a lead leads itself");
    assert_eq!(c3["article"]["publication"]["automaticReasons"], Value::Null);
    assert_eq!(app.data(query, ask("c2")).await["article"], Value::Null, "held back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_its_source_removes_hands_the_group_on() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let a = Story {
        slug: "a",
        quality: 100,
        at: DAY0,
        related: &["b"],
    };
    let b = Story {
        slug: "b",
        quality: 120,
        at: DAY0,
        related: &[],
    };
    write(dir.path(), "2026-11-20-a.md", a.file());
    write(dir.path(), "2026-11-20-b.md", b.file());
    import_dir(&db, dir.path()).await;
    drain_jobs(&db, &smartable()).await;
    assert_eq!(published(&db).await, ["b"]);

    // The source withdraws b: the import queues a as well, which now leads.
    let removed = b.file().replace("published: true", "removed: true\npublished: false");
    write(dir.path(), "2026-11-20-b.md", removed);
    import_dir(&db, dir.path()).await;
    let waiting = queue::counts(&db.pool).await.unwrap().pending;
    assert_eq!(waiting, 2, "b and its neighbour a");
    drain_jobs(&db, &smartable()).await;
    assert_eq!(published(&db).await, ["a"]);
}
