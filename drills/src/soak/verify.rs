//! The end-of-run checks: what the database holds against what the load
//! tasks were told was accepted.
//!
//! All SQL is in [`read_state`], so a change of where scores or overrides
//! live touches only that function; the checks work on [`DbState`].

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use sqlx::PgPool;

use super::editors::{Action, Target};
use super::ingest::IngestReport;

/// An editor-targeted article's publication as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct Publication {
    pub article_id: i64,
    pub published: bool,
    pub published_by: String,
    pub editor_override: Option<String>,
    pub override_editor: Option<String>,
    pub override_reason: Option<String>,
    pub override_at_set: bool,
    pub heat: Option<i32>,
    pub version: i64,
    /// The worker's own decision in the stored breakdown (what a cleared
    /// override falls back to).
    pub automatic_publish: Option<bool>,
}

/// One `editorial_event` row.
#[derive(Debug, sqlx::FromRow)]
pub struct Event {
    pub article_id: i64,
    pub editor: String,
    pub action: String,
    pub reason: Option<String>,
}

/// What the checks read from the database.
#[derive(Debug, Default)]
pub struct DbState {
    pub publications: Vec<Publication>,
    /// The whole audit log, in id order.
    pub events: Vec<Event>,
    /// Canonical URL -> title, for the URLs asked about.
    pub titles: BTreeMap<String, String>,
    pub articles: i64,
    /// Articles never scored, or last scored before their last change.
    pub stale_scores: i64,
    /// Examples of those: (id, scored_at, updated_at) as text.
    pub stale_examples: Vec<(i64, Option<String>, String)>,
    /// Jobs by status.
    pub jobs: BTreeMap<String, i64>,
}

/// Reads everything the checks need. `article_ids`: the editors' articles;
/// `urls`: canonical URLs whose presence (and title) is checked.
pub async fn read_state(pool: &PgPool, article_ids: &[i64], urls: &[String]) -> Result<DbState> {
    let publications = sqlx::query_as(
        "select article_id, published, published_by, editor_override, override_editor, override_reason,
                override_at is not null as override_at_set, heat, version,
                (score_breakdown #>> '{publication,publish}')::bool as automatic_publish
         from article_with_state where article_id = any($1) order by article_id",
    )
    .bind(article_ids)
    .fetch_all(pool)
    .await?;
    let events =
        sqlx::query_as("select article_id, editor, action, reason from editorial_event order by editorial_event_id")
            .fetch_all(pool)
            .await?;
    let titles: Vec<(String, String)> =
        sqlx::query_as("select canonical_url, title from article where canonical_url = any($1)")
            .bind(urls)
            .fetch_all(pool)
            .await?;
    let articles = sqlx::query_scalar("select count(*) from article")
        .fetch_one(pool)
        .await?;
    let stale_examples: Vec<(i64, Option<String>, String)> = sqlx::query_as(
        "select article_id, scored_at::text, updated_at::text from article_with_state
         where scored_at is null or scored_at < updated_at order by article_id",
    )
    .fetch_all(pool)
    .await?;
    let jobs = newsgraph_shared::queue::by_status(pool).await?;
    Ok(DbState {
        publications,
        events,
        titles: titles.into_iter().collect(),
        articles,
        stale_scores: stale_examples.len() as i64,
        stale_examples: stale_examples.into_iter().take(5).collect(),
        jobs: jobs.into_iter().collect(),
    })
}

/// Every editor's last accepted action holds, and the audit log has exactly
/// the accepted actions, in order, and nothing else.
pub fn check_editorial(state: &DbState, targets: &[Target], failures: &mut Vec<String>) {
    let stored: BTreeMap<i64, &Publication> = state.publications.iter().map(|p| (p.article_id, p)).collect();
    let mut logged: BTreeMap<i64, Vec<&Event>> = BTreeMap::new();
    for event in &state.events {
        logged.entry(event.article_id).or_default().push(event);
    }
    let accepted: usize = targets.iter().map(|t| t.accepted.len()).sum();
    if state.events.len() != accepted {
        failures.push(format!(
            "the audit log has {} rows for {accepted} accepted editor actions",
            state.events.len()
        ));
    }
    let ours: BTreeSet<i64> = targets.iter().map(|t| t.article_id).collect();
    if let Some(stranger) = logged.keys().find(|id| !ours.contains(id)) {
        failures.push(format!(
            "the audit log has rows for article {stranger}, which no editor acted on"
        ));
    }
    let mut wrong = Vec::new();
    for target in targets {
        let id = target.article_id;
        let rows = logged.get(&id).map(Vec::as_slice).unwrap_or_default();
        let matches = rows.len() == target.accepted.len()
            && rows.iter().zip(&target.accepted).all(|(row, done)| {
                row.action == done.action.as_str()
                    && row.editor == done.editor
                    && row.reason.as_deref() == Some(&done.reason)
            });
        if !matches {
            wrong.push(format!(
                "article {id}: audit log {:?}, accepted {:?}",
                rows.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
                target.accepted.iter().map(|a| a.action.as_str()).collect::<Vec<_>>()
            ));
        }
        let Some(now) = stored.get(&id) else {
            wrong.push(format!("article {id} is gone"));
            continue;
        };
        if now.version != target.version {
            wrong.push(format!(
                "article {id} is at version {}, its editor last saw {}",
                now.version, target.version
            ));
        }
        let Some(last) = target.accepted.last() else { continue };
        let problem = match last.action {
            Action::Publish | Action::Unpublish => {
                let publish = last.action == Action::Publish;
                let ok = now.published == publish
                    && now.published_by == "editor"
                    && now.editor_override.as_deref() == Some(last.action.as_str())
                    && now.override_editor.as_deref() == Some(&last.editor)
                    && now.override_reason.as_deref() == Some(&last.reason)
                    && now.override_at_set
                    && (publish || now.heat == Some(-1));
                (!ok).then(|| {
                    format!(
                        "last accepted {} by {} ({:?})",
                        last.action.as_str(),
                        last.editor,
                        last.reason
                    )
                })
            }
            Action::Clear => {
                let ok = now.editor_override.is_none()
                    && now.override_editor.is_none()
                    && now.override_reason.is_none()
                    && !now.override_at_set
                    && now.published_by == "worker"
                    && Some(now.published) == now.automatic_publish;
                (!ok).then(|| "last accepted clear_override: the worker's rule should decide".to_string())
            }
        };
        if let Some(problem) = problem {
            wrong.push(format!("article {id}: {problem}, stored {now:?}"));
        }
    }
    if !wrong.is_empty() {
        failures.push(format!(
            "{} editor article(s) disagree with their accepted actions, e.g. {}",
            wrong.len(),
            wrong.iter().take(3).cloned().collect::<Vec<_>>().join(" | ")
        ));
    }
}

/// Every accepted ingest item is stored with its last accepted title, every
/// accepted related item is stored, and nothing of a refused item is.
pub fn check_ingest(state: &DbState, ingest: &IngestReport, failures: &mut Vec<String>) {
    let missing: Vec<&String> = ingest
        .accepted
        .keys()
        .chain(&ingest.related)
        .filter(|url| !state.titles.contains_key(*url))
        .collect();
    if !missing.is_empty() {
        failures.push(format!(
            "{} accepted ingest item(s) missing, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(3)]
        ));
    }
    let wrong_title: Vec<String> = ingest
        .accepted
        .iter()
        .filter_map(|(url, title)| {
            let stored = state.titles.get(url)?;
            (stored != title).then(|| format!("{url}: {stored:?} instead of {title:?}"))
        })
        .collect();
    if !wrong_title.is_empty() {
        failures.push(format!(
            "{} ingested article(s) without their last accepted title, e.g. {}",
            wrong_title.len(),
            wrong_title[0]
        ));
    }
    let stored_refused: Vec<&String> = ingest
        .refused
        .iter()
        .filter(|url| state.titles.contains_key(*url))
        .collect();
    if !stored_refused.is_empty() {
        failures.push(format!("refused ingest item(s) were stored: {stored_refused:?}"));
    }
}

/// After the drain: every article scored since its last change, nothing
/// left in the queue, no job failed.
pub fn check_scoring(state: &DbState, failures: &mut Vec<String>) {
    if state.stale_scores > 0 {
        failures.push(format!(
            "{} article(s) unscored or scored before their last change, e.g. (id, scored_at, updated_at) {:?}",
            state.stale_scores, state.stale_examples
        ));
    }
    let not_done: Vec<String> = state
        .jobs
        .iter()
        .filter(|(status, _)| status.as_str() != "Done")
        .map(|(status, n)| format!("{n} {status}"))
        .collect();
    if !not_done.is_empty() {
        failures.push(format!("jobs not done after the drain: {}", not_done.join(", ")));
    }
}
