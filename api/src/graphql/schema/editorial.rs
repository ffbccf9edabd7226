//! The audit log in the schema: `EditorialEvent`, its connection, the
//! `editorialHistory` query (and `Article.editorialHistory`), and how
//! editorial errors become GraphQL errors. Editors only.

use crate::graphql::errors::{ErrorCode, coded};
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Json, Object};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use newsgraph_shared::auth::Role;
use newsgraph_shared::editorial::{self, Action, EditorialError, EditorialEvent as EventRow, MAX_HISTORY_PAGE};
use tokio::sync::OnceCell;

use crate::graphql::auth::Caller;
use crate::graphql::db::{RequestContext, request};
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::ArticleSet;
use crate::graphql::schema::article::Article;
use crate::graphql::schema::connection::PageInfo;
use crate::sql;

/// Events per page when `first` is not given.
const DEFAULT_HISTORY_PAGE: i32 = 20;

/// An editorial error as a GraphQL error: `NOT_FOUND`, `CONFLICT` (with
/// `currentVersion` and `expectedVersion` in the extensions),
/// `BAD_USER_INPUT` (with `field`), or `SERVICE_UNAVAILABLE` / `INTERNAL`
/// for a database failure (logged, generic).
pub(crate) fn editorial_error(error: EditorialError) -> async_graphql::Error {
    let message = error.to_string();
    match error {
        EditorialError::NotFound(_) => coded(ErrorCode::NotFound, message),
        EditorialError::Conflict {
            expected,
            current_version,
            ..
        } => {
            let mut e = coded(ErrorCode::Conflict, message);
            if let Some(ext) = e.extensions.as_mut() {
                ext.set("currentVersion", current_version);
                ext.set("expectedVersion", expected);
            }
            e
        }
        EditorialError::InvalidInput { field, .. } => {
            let mut e = coded(ErrorCode::BadUserInput, message);
            if let Some(ext) = e.extensions.as_mut() {
                ext.set("field", field);
            }
            e
        }
        EditorialError::Database(error) => crate::graphql::errors::database_error(error),
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "EditorialAction")]
pub enum EditorialActionKind {
    Publish,
    Unpublish,
    ClearOverride,
    Recompute,
}

impl From<Action> for EditorialActionKind {
    fn from(action: Action) -> Self {
        match action {
            Action::Publish => Self::Publish,
            Action::Unpublish => Self::Unpublish,
            Action::ClearOverride => Self::ClearOverride,
            Action::Recompute => Self::Recompute,
        }
    }
}

/// The articles of events listed together, loaded once for all of them.
#[derive(Default)]
struct EventArticles {
    ids: Vec<i64>,
    loaded: OnceCell<HashMap<i64, Article>>,
}

/// One editor action from the audit log.
pub struct EditorialEvent {
    row: EventRow,
    articles: Arc<EventArticles>,
}

impl EditorialEvent {
    /// Events listed together share one load of their articles.
    pub(crate) fn wrap(rows: Vec<EventRow>) -> Vec<Self> {
        let mut ids: Vec<i64> = rows.iter().map(|r| r.article_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let articles = Arc::new(EventArticles {
            ids,
            ..Default::default()
        });
        rows.into_iter()
            .map(|row| Self {
                row,
                articles: articles.clone(),
            })
            .collect()
    }
}

#[Object]
impl EditorialEvent {
    /// The event's number in the audit log (increasing).
    async fn id(&self) -> ID {
        ID(self.row.editorial_event_id.to_string())
    }
    /// The global id of the article acted on.
    async fn article_id(&self) -> ID {
        ids::encode(Kind::Article, self.row.article_id)
    }
    /// The article acted on, as it is now.
    async fn article(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&Article>> {
        let rc = request(ctx);
        let map = self
            .articles
            .loaded
            .get_or_try_init(|| async {
                let rows = sql::article::by_ids(rc, &self.articles.ids, Default::default()).await?;
                Ok::<_, crate::graphql::errors::ApiError>(
                    ArticleSet::wrap(rows)
                        .into_iter()
                        .map(|a| (a.row.article_id, a))
                        .collect(),
                )
            })
            .await?;
        Ok(map.get(&self.row.article_id))
    }
    /// The name of the token that acted.
    async fn editor(&self) -> &str {
        &self.row.editor
    }
    async fn action(&self) -> EditorialActionKind {
        self.row.action.into()
    }
    async fn reason(&self) -> Option<&str> {
        self.row.reason.as_deref()
    }
    /// The article's publication state before the action.
    async fn before(&self) -> Json<&serde_json::Value> {
        Json(&self.row.before_state)
    }
    /// The article's publication state after the action.
    async fn after(&self) -> Json<&serde_json::Value> {
        Json(&self.row.after_state)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
}

pub struct EditorialEventEdge {
    node: EditorialEvent,
}

#[Object]
impl EditorialEventEdge {
    async fn cursor(&self) -> String {
        encode_cursor(self.node.row.editorial_event_id)
    }
    async fn node(&self) -> &EditorialEvent {
        &self.node
    }
}

/// A page of the audit log, newest first.
pub struct EditorialEventConnection {
    edges: Vec<EditorialEventEdge>,
    has_next: bool,
    has_previous: bool,
    article_id: Option<i64>,
}

#[Object]
impl EditorialEventConnection {
    async fn edges(&self) -> &[EditorialEventEdge] {
        &self.edges
    }
    async fn nodes(&self) -> Vec<&EditorialEvent> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next,
            has_previous_page: self.has_previous,
            start_cursor: self.edges.first().map(|e| encode_cursor(e.node.row.editorial_event_id)),
            end_cursor: self.edges.last().map(|e| encode_cursor(e.node.row.editorial_event_id)),
        }
    }
    /// Events over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        editorial::editorial_history_count(request(ctx).exec(), self.article_id)
            .await
            .map_err(editorial_error)
    }
}

fn encode_cursor(id: i64) -> String {
    STANDARD.encode(format!("EditorialEvent:{id}"))
}

fn decode_cursor(cursor: &str) -> async_graphql::Result<i64> {
    STANDARD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("EditorialEvent:")?.parse().ok())
        .ok_or_else(|| coded(ErrorCode::BadUserInput, "`after` is not a cursor of this connection"))
}

/// A page of the audit log (of one article, or overall) for an editor.
pub(crate) async fn history(
    ctx: &Context<'_>,
    article_id: Option<i64>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<EditorialEventConnection> {
    Caller::of(ctx).require(Role::Editor)?;
    let rc: &RequestContext = request(ctx);
    let first = first.unwrap_or(DEFAULT_HISTORY_PAGE);
    if !(0..=MAX_HISTORY_PAGE).contains(&i64::from(first)) {
        return Err(coded(
            ErrorCode::BadUserInput,
            format!("`first` must be between 0 and {MAX_HISTORY_PAGE}, not {first}"),
        ));
    }
    let after = after.as_deref().map(decode_cursor).transpose()?;
    let page = editorial::editorial_history(rc.exec(), article_id, i64::from(first), after)
        .await
        .map_err(editorial_error)?;
    Ok(EditorialEventConnection {
        edges: EditorialEvent::wrap(page.events)
            .into_iter()
            .map(|node| EditorialEventEdge { node })
            .collect(),
        has_next: page.has_next_page,
        has_previous: after.is_some(),
        article_id,
    })
}

/// Audit log queries of the root.
#[derive(Default)]
pub struct EditorialQuery;

#[Object]
impl EditorialQuery {
    /// The audit log, newest first: of one article (`articleId`) or of all
    /// (editors only; `UNAUTHENTICATED` without a token, `FORBIDDEN` for
    /// other roles). At most 500 per page, 20 by default.
    #[graphql(complexity = "first.unwrap_or(DEFAULT_HISTORY_PAGE).clamp(1, 500) as usize * child_complexity + 1")]
    async fn editorial_history(
        &self,
        ctx: &Context<'_>,
        article_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<EditorialEventConnection> {
        let article_id = article_id.map(|id| ids::decode_as(&id, Kind::Article)).transpose()?;
        history(ctx, article_id, first, after).await
    }
}
