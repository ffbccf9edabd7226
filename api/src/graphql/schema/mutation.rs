//! Editor mutations: publish, unpublish, clear an override, request a
//! recompute. Each is ONE transaction: the article, its `editorial_event`
//! audit row, the recompute job(s) and the NOTIFY that feeds subscriptions
//! commit together, or nothing does (`editorial::perform` keeps that).

use async_graphql::{Context, ID, MergedObject, Object, SimpleObject};
use newsgraph_shared::auth::Role;
use newsgraph_shared::editorial::{self, Action};

use crate::graphql::auth::Caller;
use crate::graphql::db::request;
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::ArticleSet;
use crate::graphql::schema::article::Article;
use crate::graphql::schema::editorial::{EditorialEvent, editorial_error};
use crate::graphql::schema::ingest::IngestMutation;
use crate::sql;

/// The mutation root.
#[derive(MergedObject, Default)]
pub struct Mutation(EditorialMutation, IngestMutation);

/// What an editorial mutation did.
#[derive(SimpleObject)]
pub struct EditorialPayload {
    /// The article after the action (what the worker will recompute).
    pub article: Option<Article>,
    /// The audit row written.
    pub event: EditorialEvent,
    /// Whether `published` changed.
    pub publication_changed: bool,
    /// Recompute jobs queued: the article's, and its related articles' when
    /// `published` changed.
    pub jobs_enqueued: i32,
}

#[derive(Default)]
pub struct EditorialMutation;

#[Object]
impl EditorialMutation {
    /// Publishes the article whatever the worker's rule says, until the
    /// override is cleared (editor role). `reason` is required;
    /// `expectedVersion` (the article's `version`) refuses the action with
    /// `CONFLICT` when the article changed meanwhile.
    async fn publish_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
        expected_version: Option<i64>,
    ) -> async_graphql::Result<EditorialPayload> {
        act(ctx, Action::Publish, &id, Some(&reason), expected_version).await
    }

    /// Unpublishes the article whatever the worker's rule says, until the
    /// override is cleared (editor role). `reason` is required.
    async fn unpublish_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
        expected_version: Option<i64>,
    ) -> async_graphql::Result<EditorialPayload> {
        act(ctx, Action::Unpublish, &id, Some(&reason), expected_version).await
    }

    /// Hands the decision back to the worker: removes the override, applies
    /// the worker's last automatic decision and queues a recompute (editor
    /// role).
    async fn clear_publication_override(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
        expected_version: Option<i64>,
    ) -> async_graphql::Result<EditorialPayload> {
        act(ctx, Action::ClearOverride, &id, reason.as_deref(), expected_version).await
    }

    /// Queues a recompute of the article's scores and automatic decision
    /// (editor role; recorded in the audit log, the article is not written).
    async fn recompute_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<EditorialPayload> {
        act(ctx, Action::Recompute, &id, reason.as_deref(), None).await
    }
}

async fn act(
    ctx: &Context<'_>,
    action: Action,
    id: &ID,
    reason: Option<&str>,
    expected_version: Option<i64>,
) -> async_graphql::Result<EditorialPayload> {
    let principal = Caller::of(ctx).require(Role::Editor)?;
    let article_id = ids::decode_as(id, Kind::Article)?;
    let rc = request(ctx);
    let action_request = editorial::Request {
        article_id,
        editor: &principal.name,
        action,
        reason,
        expected_version,
    };
    let outcome = editorial::perform(rc.exec(), action_request)
        .await
        .map_err(editorial_error)?;
    if outcome.publication_changed {
        rc.changed_publication(article_id);
    }
    let article = sql::article::by_ids(rc, &[article_id], Default::default())
        .await?
        .pop()
        .map(|row| ArticleSet::wrap(vec![row]).remove(0));
    Ok(EditorialPayload {
        article,
        event: EditorialEvent::wrap(vec![outcome.event]).remove(0),
        publication_changed: outcome.publication_changed,
        jobs_enqueued: i32::try_from(outcome.jobs_enqueued).unwrap_or(i32::MAX),
    })
}
