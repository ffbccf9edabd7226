//! Single-article recomputes that run at the same time share one set-based
//! recompute.
//!
//! Each recompute job would otherwise be its own transaction of four round
//! trips, and on a busy queue the database spends its time on transaction
//! overhead rather than on scoring. Here every job hands its article id to
//! one task, which takes all the ids waiting at that moment, recomputes them
//! together in one transaction (`JobContext::recompute`) and tells each job
//! how its article fared. No job waits for a timer: an idle worker's job is
//! recomputed alone and at once; under load the ids that arrive while one
//! recompute runs make up the next.
//!
//! One recompute runs at a time: two concurrent transactions over
//! overlapping articles could deadlock on their row locks.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use newsgraph_shared::rescore;

use crate::JobContext;

/// Most articles recomputed in one transaction.
const MAX_ARTICLES: usize = 500;

/// What one job learns: its article was scored, or it no longer exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scored {
    Done,
    Missing,
}

type Reply = oneshot::Sender<Result<Scored, Arc<sqlx::Error>>>;

/// The handle jobs send their article ids to; cheap to clone.
#[derive(Clone)]
pub struct Coalescer {
    requests: mpsc::UnboundedSender<(i64, Reply)>,
}

impl Coalescer {
    /// Starts the task that recomputes on `context`; it ends when the last
    /// handle is dropped.
    pub fn start(context: Arc<JobContext>) -> Self {
        let (requests, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(context, receiver));
        Self { requests }
    }

    /// Recomputes `article_id` together with whatever else is waiting.
    pub async fn recompute(&self, article_id: i64) -> Result<Scored, Arc<sqlx::Error>> {
        let (reply, answer) = oneshot::channel();
        self.requests.send((article_id, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Arc<sqlx::Error> {
    Arc::new(sqlx::Error::WorkerCrashed)
}

async fn run(context: Arc<JobContext>, mut receiver: mpsc::UnboundedReceiver<(i64, Reply)>) {
    let mut waiting = Vec::with_capacity(MAX_ARTICLES);
    while receiver.recv_many(&mut waiting, MAX_ARTICLES).await > 0 {
        let mut ids: Vec<i64> = waiting.iter().map(|(id, _)| *id).collect();
        // sorted and unique: the same article asked twice is scored once
        ids.sort_unstable();
        ids.dedup();
        let result = rescore::run(&context.pool, &ids, &context.scoring, rescore::FollowUps::Now)
            .await
            .map_err(Arc::new);
        for (id, reply) in waiting.drain(..) {
            let answer = match &result {
                Ok(outcome) if outcome.missing.contains(&id) => Ok(Scored::Missing),
                Ok(_) => Ok(Scored::Done),
                Err(error) => Err(error.clone()),
            };
            // a job that timed out no longer listens; nothing to tell it
            let _ = reply.send(answer);
        }
    }
}
