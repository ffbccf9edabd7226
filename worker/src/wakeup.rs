//! Wake-ups for the queues: one LISTEN connection per process, read all the
//! time, whatever the workers are doing.
//!
//! apalis-postgres's own `with_pubsub` reads its LISTEN connection only when
//! the worker asks for more jobs. While every slot is busy it stops reading;
//! PostgreSQL then blocks in a socket write to that connection, stops
//! trimming the server-wide notification queue behind it, and cannot answer
//! the signal barriers that `drop database ... with (force)` and similar
//! commands wait for, so those hang until the worker is idle again. Here a
//! task drains the notifications as they arrive and keeps only "this queue
//! has news" per queue: many inserts while busy become one wake-up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use apalis::prelude::{PollSnapshot, PollStrategy};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The channel the queue's insert trigger notifies.
const CHANNEL: &str = "apalis::job::insert";

/// Wakes a worker when its queue got a job; a [`PollStrategy`] for
/// `poll_with_strategy`. Clones share the wake-ups: a restarted worker takes
/// over from the one it replaces.
#[derive(Clone)]
pub struct QueueWakeup {
    receiver: Arc<Mutex<mpsc::Receiver<()>>>,
}

impl PollStrategy for QueueWakeup {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let mut receiver = self.receiver.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        receiver.poll_recv(cx)
    }
}

/// Starts the listener task for `queues`; returns one wake-up per queue, in
/// the same order, and the task (to abort when the workers stop).
pub fn listen(pool: PgPool, queues: &[&str]) -> (Vec<QueueWakeup>, JoinHandle<()>) {
    let mut senders = HashMap::new();
    let mut wakeups = Vec::new();
    for queue in queues {
        // capacity 1: a pending wake-up already covers every later insert
        let (sender, receiver) = mpsc::channel(1);
        senders.insert((*queue).to_string(), sender);
        wakeups.push(QueueWakeup {
            receiver: Arc::new(Mutex::new(receiver)),
        });
    }
    (wakeups, tokio::spawn(run(pool, senders)))
}

async fn run(pool: PgPool, senders: HashMap<String, mpsc::Sender<()>>) {
    loop {
        let Err(error) = listen_until_error(&pool, &senders).await;
        tracing::warn!(%error, "queue wake-up listener failed; reconnecting in 1 s (the poll fallback covers the gap)");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn listen_until_error(
    pool: &PgPool,
    senders: &HashMap<String, mpsc::Sender<()>>,
) -> Result<std::convert::Infallible, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    // inserts may have arrived while (re)connecting
    wake_all(senders);
    loop {
        // `try_recv` yields None when the connection dropped and was re-established
        let Some(notification) = listener.try_recv().await? else {
            wake_all(senders);
            continue;
        };
        // the trigger sends {"job_type": ..., "id": ...}
        let Ok(event) = serde_json::from_str::<serde_json::Value>(notification.payload()) else {
            continue;
        };
        if let Some(sender) = event["job_type"].as_str().and_then(|queue| senders.get(queue)) {
            // full means a wake-up is already pending: nothing to add
            let _ = sender.try_send(());
        }
    }
}

fn wake_all(senders: &HashMap<String, mpsc::Sender<()>>) {
    for sender in senders.values() {
        let _ = sender.try_send(());
    }
}
