//! Subscriptions: article publication changes and rescores, optionally of one
//! topic (and the topics below it), fed by `crate::events`. Anonymous
//! subscribers (and ingest tokens) only hear about articles that are
//! published when the change reaches the server; editors hear about all.

use crate::graphql::errors::{ErrorCode, coded};
use std::sync::Arc;

use async_graphql::futures_util::stream::{self, Stream};
use async_graphql::{Context, Enum, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;

use crate::events::{ArticleChange, ChangeKind, Events};
use crate::graphql::auth::Caller;
use crate::graphql::loaders::ArticleSet;
use crate::graphql::schema::article::Article;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ArticleChangeKind {
    /// Published or unpublished, or an editor's override set or cleared.
    Publication,
    /// Quality, heat and the automatic decision recomputed.
    Rescored,
}

/// An article that changed, as it is now.
#[derive(SimpleObject)]
pub struct ArticleChangeEvent {
    pub kind: ArticleChangeKind,
    pub article: Article,
    /// Whether the article is published now.
    pub published: bool,
    /// When this server heard of the change (right after its commit).
    pub received_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Articles published or unpublished, or whose editor override was set or
    /// cleared, by anyone (any api process's editors, any worker). `topic`:
    /// a topic slug; articles of the topic or of any topic below it.
    async fn article_publication_changed(
        &self,
        ctx: &Context<'_>,
        topic: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = ArticleChangeEvent> + use<>> {
        changes(ctx, ChangeKind::Publication, topic)
    }

    /// Articles whose scores a worker recomputed. `topic` as above.
    async fn article_rescored(
        &self,
        ctx: &Context<'_>,
        topic: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = ArticleChangeEvent> + use<>> {
        changes(ctx, ChangeKind::Rescored, topic)
    }
}

fn changes(
    ctx: &Context<'_>,
    kind: ChangeKind,
    topic: Option<String>,
) -> async_graphql::Result<impl Stream<Item = ArticleChangeEvent> + use<>> {
    let events = ctx.data_opt::<Arc<Events>>().ok_or_else(|| {
        coded(
            ErrorCode::Internal,
            "subscriptions are served over WebSocket at /graphql/ws",
        )
    })?;
    let viewer = Caller::of(ctx).viewer();
    let topic = topic.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let receiver = events.subscribe();
    let wanted = move |change: &ArticleChange| {
        change.kind == kind && viewer.sees_article(change.row.published) && change.in_topic(topic.as_deref())
    };
    Ok(stream::unfold(
        (receiver, wanted),
        |(mut receiver, wanted)| async move {
            loop {
                match receiver.recv().await {
                    Ok(change) if wanted(&change) => {
                        let event = ArticleChangeEvent {
                            kind: match change.kind {
                                ChangeKind::Publication => ArticleChangeKind::Publication,
                                ChangeKind::Rescored => ArticleChangeKind::Rescored,
                            },
                            published: change.row.published,
                            received_at: change.received_at,
                            article: ArticleSet::wrap(vec![change.row.clone()]).remove(0),
                        };
                        return Some((event, (receiver, wanted)));
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "a subscriber fell behind; it misses the oldest changes");
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    ))
}
