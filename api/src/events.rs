//! Article changes for GraphQL subscriptions: ONE PostgreSQL listener per
//! api process, fanned out to every subscriber through a broadcast channel.
//!
//! Whichever process changes an article (an api process's editorial
//! mutation, a worker's recompute) sends a NOTIFY in its transaction
//! (`newsgraph_shared::events`), so subscribers of every api process hear of
//! changes made anywhere, when they commit. For each notification the
//! listener loads the articles once (with their topics and the topics above
//! them) — only while somebody subscribes — and broadcasts one
//! [`ArticleChange`] per article; each subscription filters by kind, topic
//! and its viewer's visibility in memory.
//!
//! The listener holds a connection of its own (not one of the API pool's).
//! When it loses it (a database restart, a terminated backend) it says at
//! once that it no longer listens (the response cache stops serving), then
//! reconnects with backoff and listens again; notifications sent while it was
//! away are lost, as NOTIFY is not durable. A subscriber that falls more than
//! [`BUFFER`] changes behind skips the oldest (logged).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use newsgraph_shared::events::{ArticleEvents, CHANNEL};
use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio::sync::{broadcast, watch};

use crate::freshness::Freshness;
use crate::sql::article::ArticleRow;

/// Changes buffered per subscriber.
pub const BUFFER: usize = 4_096;

/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Published or unpublished, or an editor's override set or cleared.
    Publication,
    /// Scores recomputed.
    Rescored,
}

/// One article that changed, as it is now.
#[derive(Debug)]
pub struct ArticleChange {
    pub kind: ChangeKind,
    pub row: ArticleRow,
    /// Slugs of the article's topics and of every topic above them.
    pub topic_slugs: Vec<String>,
    /// When this process heard of the change.
    pub received_at: DateTime<Utc>,
}

impl ArticleChange {
    /// Whether the change is in `topic` (by slug; any topic when `None`).
    pub fn in_topic(&self, topic: Option<&str>) -> bool {
        topic.is_none_or(|topic| self.topic_slugs.iter().any(|slug| slug == topic))
    }
}

/// The process's article changes.
pub struct Events {
    sender: broadcast::Sender<Arc<ArticleChange>>,
    listening: watch::Sender<bool>,
    started: AtomicBool,
    /// What changed when, for cached anonymous answers: each publication
    /// change heard (an article published or unpublished, an editor's
    /// override) with what it touches, and a change of everything when the
    /// listener (re)connects and may have missed some. Score-only changes
    /// (a recompute that moved heat or quality, not publication) are not
    /// recorded: they arrive continuously while workers run, and answers
    /// show them once they expire.
    freshness: Freshness,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(BUFFER).0,
            listening: watch::channel(false).0,
            started: AtomicBool::new(false),
            freshness: Freshness::default(),
        }
    }

    /// Changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ArticleChange>> {
        self.sender.subscribe()
    }

    /// Whether the listener is connected and listening.
    pub fn is_listening(&self) -> bool {
        *self.listening.borrow()
    }

    /// What changed when (see the field).
    pub fn freshness(&self) -> &Freshness {
        &self.freshness
    }

    /// Records a publication change of these articles with what it touches,
    /// looked up in the database (if that fails, everything counts as
    /// changed). Nothing cached is trusted until it is recorded. The
    /// listener calls this for every notification; a process that made the
    /// change itself calls it before it answers, so its next answers reflect
    /// the change without waiting for the notification.
    pub async fn publication_changed(&self, pool: &PgPool, ids: &[i64]) {
        let _pending = self.freshness.looking_up();
        match crate::sql::events::publication_dependencies(pool, ids).await {
            Ok(dependencies) => self.freshness.changed(dependencies),
            Err(error) => {
                tracing::warn!(%error, "could not look up what a publication change touches; every cached answer ends");
                self.freshness.changed_everything();
            }
        }
    }

    /// Waits until the listener listens (or `limit` passes); true if it does.
    pub async fn wait_listening(&self, limit: Duration) -> bool {
        let mut listening = self.listening.subscribe();
        tokio::time::timeout(limit, listening.wait_for(|l| *l)).await.is_ok()
    }

    /// Starts the listener on a connection of its own, made with `pool`'s
    /// settings; once per process (later calls do nothing and return `None`).
    /// The task runs until aborted.
    pub fn start(self: &Arc<Self>, pool: &PgPool) -> Option<tokio::task::JoinHandle<()>> {
        if self.started.swap(true, Ordering::SeqCst) {
            return None;
        }
        Some(tokio::spawn(listen(Arc::clone(self), pool.clone())))
    }

    /// Takes in one notification: records a publication change, then
    /// hands its articles to the subscribers.
    async fn receive(&self, pool: &PgPool, payload: &str) {
        let events: ArticleEvents = match serde_json::from_str(payload) {
            Ok(events) => events,
            Err(error) => {
                // whatever it was, answers cached before it may be stale
                self.freshness.changed_everything();
                tracing::warn!(%error, "ignoring an article event that does not parse");
                return;
            }
        };
        if !events.publication.is_empty() {
            self.publication_changed(pool, &events.publication).await;
        }
        self.dispatch(pool, &events).await
    }

    /// Loads and broadcasts the articles of one notification.
    async fn dispatch(&self, pool: &PgPool, events: &ArticleEvents) {
        if self.sender.receiver_count() == 0 {
            return;
        }
        let mut ids: Vec<i64> = events.publication.iter().chain(&events.rescored).copied().collect();
        ids.sort_unstable();
        ids.dedup();
        let articles = match crate::sql::events::changed_articles(pool, &ids).await {
            Ok(articles) => articles,
            Err(error) => {
                tracing::warn!(%error, "could not load the articles of an event; subscribers miss it");
                return;
            }
        };
        let received_at = Utc::now();
        for article in articles {
            let id = article.row.article_id;
            let kinds = [
                (ChangeKind::Publication, events.publication.contains(&id)),
                (ChangeKind::Rescored, events.rescored.contains(&id)),
            ];
            for (kind, _) in kinds.into_iter().filter(|(_, hit)| *hit) {
                // no receiver left is not an error
                let _ = self.sender.send(Arc::new(ArticleChange {
                    kind,
                    row: article.row.clone(),
                    topic_slugs: article.topic_slugs.clone(),
                    received_at,
                }));
            }
        }
    }
}

/// The listener loop: connect, LISTEN, dispatch; reconnect after failures.
async fn listen(events: Arc<Events>, pool: PgPool) {
    // One connection, not taken from the API's pool, kept as long as it lives.
    let own = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .max_lifetime(None)
        .idle_timeout(None)
        // a failed attempt comes back soon, to the loop's own backoff
        .acquire_timeout(Duration::from_secs(2))
        .connect_lazy_with((*pool.connect_options()).clone());
    let mut backoff = Duration::from_millis(100);
    loop {
        match PgListener::connect_with(&own).await {
            Ok(mut listener) => {
                listener.ignore_pool_close_event(true);
                // we reconnect ourselves, after saying we no longer listen
                listener.eager_reconnect(false);
                match listener.listen(CHANNEL).await {
                    Ok(()) => {
                        tracing::info!(channel = CHANNEL, "listening for article events");
                        events.freshness.changed_everything();
                        events.listening.send_replace(true);
                        backoff = Duration::from_millis(100);
                        loop {
                            match listener.try_recv().await {
                                Ok(Some(notification)) => events.receive(&pool, notification.payload()).await,
                                // The connection is gone. Stop listening at once: a
                                // reconnect may wait out a whole outage, and until it
                                // is back nobody may trust answers cached under it.
                                Ok(None) => {
                                    tracing::warn!("article event listener lost its connection");
                                    break;
                                }
                                Err(error) => {
                                    tracing::warn!(%error, "article event listener lost its connection");
                                    break;
                                }
                            }
                        }
                    }
                    Err(error) => tracing::warn!(%error, "could not LISTEN for article events"),
                }
            }
            Err(error) => tracing::warn!(%error, "article event listener cannot connect"),
        }
        events.listening.send_replace(false);
        events.freshness.changed_everything();
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
