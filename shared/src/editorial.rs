//! Editor actions on an article's publication, and the audit log they write.
//!
//! Each action is ONE transaction: lock the article row (`for update`), check
//! the caller's `expected_version`, write the article, append an
//! `editorial_event` (editor = the token's name, action, reason, state before
//! and after), and queue the article's recompute job. A conflict or a bad
//! input rolls everything back: nothing is written.
//!
//! The same transaction sends the NOTIFY the API processes learn of the
//! change from ([`perform`]): no caller has to remember it.
//!
//! The override columns live in `article_state`, beside `published`: they are
//! what the worker reads in its own write statement (`crate::rescore`), so a
//! publish or unpublish holds through any number of recomputes until
//! a `ClearOverride` action hands the decision back to the worker.
//!
//! `version` is bumped by every write of the article's own data (import,
//! these actions); the worker's recomputes do not bump it, so a recompute
//! running between an editor's read and their action causes no conflict.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use crate::error_code::ErrorCode;
use crate::events::{self, ArticleEvents};
use crate::{jobs, rescore};

/// Longest reason accepted, in characters.
pub const MAX_REASON_LEN: usize = 2_000;

/// Largest page of [`editorial_history`].
pub const MAX_HISTORY_PAGE: i64 = 500;

/// What an editor did. The names are the `editorial_event.action` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Publish,
    Unpublish,
    ClearOverride,
    Recompute,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Publish => "publish",
            Action::Unpublish => "unpublish",
            Action::ClearOverride => "clear_override",
            Action::Recompute => "recompute",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Action {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "publish" => Ok(Action::Publish),
            "unpublish" => Ok(Action::Unpublish),
            "clear_override" => Ok(Action::ClearOverride),
            "recompute" => Ok(Action::Recompute),
            other => Err(format!("unknown editorial action {other:?}")),
        }
    }
}

impl TryFrom<String> for Action {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

/// An article's publication state: what the audit log records before and
/// after each action, and what the actions return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PublicationState {
    pub article_id: i64,
    pub published: bool,
    /// `worker` or `editor`.
    pub published_by: String,
    /// `publish`, `unpublish`, or none (the worker decides).
    pub editor_override: Option<String>,
    pub override_editor: Option<String>,
    pub override_reason: Option<String>,
    pub override_at: Option<DateTime<Utc>>,
    /// -1 while unpublished; `None` until first scored.
    pub heat: Option<i32>,
    /// The source withdrew the article (a tombstone): it cannot be published.
    pub removed: bool,
    pub version: i64,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct EditorialEvent {
    pub editorial_event_id: i64,
    pub article_id: i64,
    /// The name of the token that acted.
    pub editor: String,
    #[sqlx(try_from = "String")]
    pub action: Action,
    pub reason: Option<String>,
    /// A [`PublicationState`] as JSON (kept as JSON: old rows keep the shape
    /// they were written with).
    #[sqlx(json)]
    pub before_state: serde_json::Value,
    #[sqlx(json)]
    pub after_state: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// What an action did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The audit row written.
    pub event: EditorialEvent,
    /// The article's state after the action (also in `event.after_state`).
    pub state: PublicationState,
    /// Whether `published` changed with this action (listeners may want to
    /// hear about it).
    pub publication_changed: bool,
    /// Recompute jobs queued: the article's own, plus one per related article
    /// when `published` changed (their coverage changed with it).
    pub jobs_enqueued: usize,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    pub events: Vec<EditorialEvent>,
    /// More (older) events follow the last one.
    pub has_next_page: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EditorialError {
    #[error("article {0} not found")]
    NotFound(i64),
    #[error("article {article_id} has changed: expected version {expected}, it is at version {current_version}")]
    Conflict {
        article_id: i64,
        expected: i64,
        current_version: i64,
    },
    #[error("{field}: {message}")]
    InvalidInput { field: &'static str, message: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl EditorialError {
    /// The code clients see for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            EditorialError::NotFound(_) => ErrorCode::NotFound,
            EditorialError::Conflict { .. } => ErrorCode::Conflict,
            EditorialError::InvalidInput { .. } => ErrorCode::BadUserInput,
            EditorialError::Database(error) => ErrorCode::of_database(error),
        }
    }
}

pub type Result<T, E = EditorialError> = std::result::Result<T, E>;

/// Reads an article's [`PublicationState`].
macro_rules! read_state {
    () => {
        "select article_id, published, published_by, editor_override, override_editor, override_reason,
       override_at, heat, removed, version
from article_with_state where article_id = $1"
    };
}

/// Reads the state and locks both rows behind it, the article's and then
/// its state row's (the view's order, which is also the order imports lock
/// them in).
const LOCK: &str = concat!(read_state!(), " for update");

/// An editorial write of the article's state row (`$1` is the article) with
/// the article's version bumped in the same statement; returns the
/// [`PublicationState`] after it.
macro_rules! state_write {
    ($set:literal) => {
        concat!(
            "with state as (
    update article_state set ",
            $set,
            "
    where article_id = $1
    returning article_id, published, published_by, editor_override, override_editor, override_reason,
              override_at, heat
), bumped as (
    update article set version = version + 1 where article_id = $1 returning article_id, removed, version
)
select state.*, bumped.removed, bumped.version from state join bumped using (article_id)"
        )
    };
}

/// Sets the override; `published` is the override itself. Heat follows the
/// worker's rule (-1 while unpublished); on publish it is the last computed
/// "heat if published" until the queued recompute refreshes it.
const OVERRIDE: &str = state_write!(
    "editor_override = $2, override_editor = $3, override_reason = $4, override_at = now(),
        published = ($2 = 'publish'), published_by = 'editor',
        heat = case when $2 = 'unpublish' then -1
                    when published then heat
                    else coalesce((score_breakdown #>> '{heat,if_published}')::int, heat) end"
);

/// Removes the override; `published` becomes the worker's last automatic
/// decision (from the stored breakdown; unpublished if never scored), and the
/// queued recompute decides again from current data.
const CLEAR: &str = state_write!(
    "editor_override = null, override_editor = null, override_reason = null, override_at = null,
        published = coalesce((score_breakdown #>> '{publication,publish}')::bool, false),
        published_by = 'worker',
        heat = case when coalesce((score_breakdown #>> '{publication,publish}')::bool, false)
                    then coalesce((score_breakdown #>> '{heat,if_published}')::int, heat)
                    else -1 end"
);

const INSERT_EVENT: &str = "insert into editorial_event (article_id, editor, action, reason, before_state, after_state)
values ($1, $2, $3, $4, $5, $6)
returning editorial_event_id, article_id, editor, action, reason, before_state, after_state, created_at";

/// One editor action, as [`perform`] takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    pub article_id: i64,
    /// The acting token's name (recorded as the editor).
    pub editor: &'a str,
    pub action: Action,
    /// Required (non-blank) for publish and unpublish; recorded when given
    /// for the others.
    pub reason: Option<&'a str>,
    /// When given, the action is refused with `Conflict` unless the article
    /// is at this version.
    pub expected_version: Option<i64>,
}

/// Performs the action in a transaction of its own: the article's state,
/// its audit row, the recompute jobs (the article, and its coverage group
/// when its eligibility changed) and the NOTIFY that tells the API
/// processes (their response caches and subscriptions) commit together, or
/// nothing does. Every action but a recompute request notifies.
pub async fn perform(pool: &PgPool, request: Request<'_>) -> Result<Outcome> {
    let mut tx = pool.begin().await?;
    // an error drops (rolls back) the transaction
    let outcome = act(&mut tx, &request).await?;
    if request.action != Action::Recompute {
        let changed = ArticleEvents {
            publication: vec![request.article_id],
            ..ArticleEvents::default()
        };
        events::notify(&mut tx, &changed).await?;
    }
    tx.commit().await?;
    tracing::info!(
        article_id = request.article_id,
        editor = request.editor,
        action = request.action.as_str(),
        version = outcome.state.version,
        published = outcome.state.published,
        "editorial action"
    );
    Ok(outcome)
}

/// The action's writes on `perform`'s transaction.
async fn act(conn: &mut PgConnection, request: &Request<'_>) -> Result<Outcome> {
    let Request {
        article_id,
        editor,
        action,
        reason,
        expected_version,
    } = *request;
    if editor.trim().is_empty() {
        return Err(EditorialError::InvalidInput {
            field: "editor",
            message: "the acting editor's name is required".into(),
        });
    }
    let reason = match (action, reason.map(str::trim)) {
        (Action::Publish | Action::Unpublish, None | Some("")) => {
            return Err(EditorialError::InvalidInput {
                field: "reason",
                message: "a reason is required to publish or unpublish".into(),
            });
        }
        (_, Some("")) => None,
        (_, reason) => reason,
    };
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_LEN) {
        return Err(EditorialError::InvalidInput {
            field: "reason",
            message: format!("at most {MAX_REASON_LEN} characters"),
        });
    }
    let before: PublicationState = sqlx::query_as(LOCK)
        .bind(article_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(EditorialError::NotFound(article_id))?;
    if let Some(expected) = expected_version
        && expected != before.version
    {
        return Err(EditorialError::Conflict {
            article_id,
            expected,
            current_version: before.version,
        });
    }
    if action == Action::Publish && before.removed {
        return Err(EditorialError::InvalidInput {
            field: "id",
            message: format!("article {article_id} was removed by its source and cannot be published"),
        });
    }
    let after: PublicationState = match action {
        Action::Publish | Action::Unpublish => {
            sqlx::query_as(OVERRIDE)
                .bind(article_id)
                .bind(action.as_str())
                .bind(editor)
                .bind(reason)
                .fetch_one(&mut *conn)
                .await?
        }
        Action::ClearOverride => sqlx::query_as(CLEAR).bind(article_id).fetch_one(&mut *conn).await?,
        Action::Recompute => before.clone(),
    };
    let event: EditorialEvent = sqlx::query_as(INSERT_EVENT)
        .bind(article_id)
        .bind(editor)
        .bind(action.as_str())
        .bind(reason)
        .bind(Json(&before))
        .bind(Json(&after))
        .fetch_one(&mut *conn)
        .await?;
    let publication_changed = before.published != after.published;
    let mut to_recompute = vec![article_id];
    // The articles of its coverage group: an article taken down by an
    // editor no longer holds them back (and one handed back does again).
    if publication_changed || before.editor_override != after.editor_override {
        to_recompute.extend(
            rescore::related_of(&mut *conn, &[article_id])
                .await?
                .into_iter()
                .filter(|&id| id != article_id),
        );
    }
    let jobs_enqueued = jobs::enqueue_recompute(&mut *conn, &to_recompute).await?;
    Ok(Outcome {
        event,
        state: after,
        publication_changed,
        jobs_enqueued,
    })
}

/// The publication state of an article, without locking it.
pub async fn publication_state(pool: &PgPool, article_id: i64) -> Result<PublicationState> {
    sqlx::query_as(read_state!())
        .bind(article_id)
        .fetch_optional(pool)
        .await?
        .ok_or(EditorialError::NotFound(article_id))
}

/// The audit log, newest first: of one article, or of all of them. `after`
/// is the `editorial_event_id` of the last event of the previous page (the
/// cursor); `first` is the page size, 0 to [`MAX_HISTORY_PAGE`].
pub async fn editorial_history(
    pool: &PgPool,
    article_id: Option<i64>,
    first: i64,
    after: Option<i64>,
) -> Result<HistoryPage> {
    if !(0..=MAX_HISTORY_PAGE).contains(&first) {
        return Err(EditorialError::InvalidInput {
            field: "first",
            message: format!("must be between 0 and {MAX_HISTORY_PAGE}"),
        });
    }
    // Two statements, so that each uses its index: (article_id, id desc) or
    // the primary key.
    let query = match article_id {
        Some(_) => sqlx::query_as(
            "select editorial_event_id, article_id, editor, action, reason, before_state, after_state, created_at
             from editorial_event
             where article_id = $1 and ($2::bigint is null or editorial_event_id < $2)
             order by editorial_event_id desc
             limit $3",
        ),
        None => sqlx::query_as(
            "select editorial_event_id, article_id, editor, action, reason, before_state, after_state, created_at
             from editorial_event
             where $1::bigint is null and ($2::bigint is null or editorial_event_id < $2)
             order by editorial_event_id desc
             limit $3",
        ),
    };
    let mut events: Vec<EditorialEvent> = query
        .bind(article_id)
        .bind(after)
        .bind(first + 1)
        .fetch_all(pool)
        .await?;
    let has_next_page = events.len() as i64 > first;
    events.truncate(usize::try_from(first).unwrap_or_default());
    Ok(HistoryPage { events, has_next_page })
}

/// How many events the audit log holds: of one article, or overall (a
/// connection's `totalCount`).
pub async fn editorial_history_count(pool: &PgPool, article_id: Option<i64>) -> Result<i64> {
    let count = match article_id {
        Some(id) => {
            sqlx::query_scalar("select count(*) from editorial_event where article_id = $1")
                .bind(id)
                .fetch_one(pool)
                .await?
        }
        None => {
            sqlx::query_scalar("select count(*) from editorial_event")
                .fetch_one(pool)
                .await?
        }
    };
    Ok(count)
}
