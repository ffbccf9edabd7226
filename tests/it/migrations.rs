//! Upgrades of databases that already hold data: a migration keeps what the
//! earlier schema held.

use std::borrow::Cow;

use crate::support::TestDb;

/// The migration that moved scores, publication and overrides into
/// `article_state`.
const ARTICLE_STATE: i64 = 20261127000005;

type StateRow = (
    String,
    Option<i32>,
    Option<i32>,
    bool,
    String,
    Option<String>,
    Option<String>,
    i32,
    Option<String>,
);

#[tokio::test]
async fn moving_the_article_state_out_keeps_scores_publication_and_overrides() {
    let db = TestDb::unmigrated().await;
    let mut earlier = sqlx::migrate!("./migrations");
    earlier.migrations = Cow::Owned(
        earlier
            .migrations
            .iter()
            .filter(|m| m.version < ARTICLE_STATE)
            .cloned()
            .collect(),
    );
    earlier.run(&db.pool).await.unwrap();
    sqlx::raw_sql(
        "insert into article (slug, canonical_url, title, web_url, published_at, quality, heat, score_breakdown,
                              scored_at, published, published_by, editor_override, override_editor,
                              override_reason, override_at, editor_boost)
         values ('2026-11-20-held', 'https://held.example/h', 'Held by an editor', 'https://held.example/h',
                 '2026-11-20T10:00:00Z', 41, 312, '{\"quality\": {\"total\": 41}}', '2026-11-21T00:00:00Z',
                 true, 'editor', 'publish', 'erin', 'verified by the desk', '2026-11-21T09:00:00Z', 5),
                ('2026-11-20-plain', 'https://plain.example/p', 'Plain', 'https://plain.example/p',
                 '2026-11-19T10:00:00Z', 20, -1, null, null, false, 'worker', null, null, null, null, 0);",
    )
    .execute(&db.pool)
    .await
    .unwrap();

    newsgraph_shared::db::migrate(&db.pool).await.unwrap();

    let rows: Vec<StateRow> = sqlx::query_as(
        "select slug, quality, heat, published, published_by, editor_override, override_reason, editor_boost,
                published_at::text
         from article_with_state order by slug",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                "2026-11-20-held".to_string(),
                Some(41),
                Some(312),
                true,
                "editor".to_string(),
                Some("publish".to_string()),
                Some("verified by the desk".to_string()),
                5,
                Some("2026-11-20 10:00:00+00".to_string()),
            ),
            (
                "2026-11-20-plain".to_string(),
                Some(20),
                Some(-1),
                false,
                "worker".to_string(),
                None,
                None,
                0,
                Some("2026-11-19 10:00:00+00".to_string()),
            ),
        ]
    );
    assert_eq!(
        db.count(
            "select count(*) from article_state
             where score_breakdown = '{\"quality\": {\"total\": 41}}' and override_editor = 'erin'
               and scored_at = '2026-11-21T00:00:00Z' and override_at = '2026-11-21T09:00:00Z'"
        )
        .await,
        1
    );
    assert_eq!(
        db.count(
            "select count(*) from information_schema.columns
             where table_name = 'article' and column_name in ('quality', 'heat', 'published', 'editor_override')"
        )
        .await,
        0,
        "the state columns left the article table"
    );
}
