//! Article change notifications over PostgreSQL LISTEN/NOTIFY.
//!
//! Whichever process changes an article (an api process running an editor's
//! mutation, a worker recomputing scores) sends a NOTIFY on [`CHANNEL`] in the
//! same transaction as the change, so listeners hear of it exactly when it
//! commits, and never of a change that rolled back. Every api process keeps
//! one listener and fans the events out to its GraphQL subscribers.
//!
//! A payload is small JSON holding article ids only,
//! `{"rescored":[1,2],"publication":[2]}`: listeners read the articles'
//! current state themselves (they need more than a payload could carry, and
//! the current state is what a subscriber should see). PostgreSQL refuses
//! payloads of 8,000 bytes or more, so long id lists are split over several
//! notifications, sent by one statement.

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

/// The channel article events are sent on.
pub const CHANNEL: &str = "newsgraph_article_events";

/// Largest payload sent (PostgreSQL's limit is 7,999 bytes by default).
pub const MAX_PAYLOAD_BYTES: usize = 7_900;

/// What changed, by article id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleEvents {
    /// Articles whose scores were recomputed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rescored: Vec<i64>,
    /// Articles whose publication changed: published or unpublished, or an
    /// editor's override set or cleared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub publication: Vec<i64>,
}

impl ArticleEvents {
    pub fn is_empty(&self) -> bool {
        self.rescored.is_empty() && self.publication.is_empty()
    }

    /// The payloads that carry these events, each under [`MAX_PAYLOAD_BYTES`].
    pub fn payloads(&self) -> Vec<String> {
        // `{"rescored":[],"publication":[]}`
        const FRAME: usize = 32;
        let mut payloads = Vec::new();
        let mut current = ArticleEvents::default();
        let mut size = FRAME;
        let all = self
            .rescored
            .iter()
            .map(|&id| (false, id))
            .chain(self.publication.iter().map(|&id| (true, id)));
        for (publication, id) in all {
            // the digits, a sign and a comma
            let cost = id.unsigned_abs().checked_ilog10().unwrap_or(0) as usize + 3;
            if size + cost > MAX_PAYLOAD_BYTES && !current.is_empty() {
                payloads.push(serde_json::to_string(&current).expect("ids serialise"));
                current = ArticleEvents::default();
                size = FRAME;
            }
            if publication {
                current.publication.push(id);
            } else {
                current.rescored.push(id);
            }
            size += cost;
        }
        if !current.is_empty() {
            payloads.push(serde_json::to_string(&current).expect("ids serialise"));
        }
        payloads
    }
}

/// Sends the events on the caller's connection (normally the transaction
/// that made the change: PostgreSQL delivers them when it commits). One
/// statement, however many payloads. Nothing is sent for no events.
pub async fn notify(conn: &mut PgConnection, events: &ArticleEvents) -> Result<(), sqlx::Error> {
    let payloads = events.payloads();
    if payloads.is_empty() {
        return Ok(());
    }
    sqlx::query("select pg_notify($1, p) from unnest($2::text[]) p")
        .bind(CHANNEL)
        .bind(&payloads)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_events_are_one_compact_payload() {
        let events = ArticleEvents {
            rescored: vec![1, 22],
            publication: vec![22],
        };
        assert_eq!(events.payloads(), vec![r#"{"rescored":[1,22],"publication":[22]}"#]);
        assert!(ArticleEvents::default().payloads().is_empty());
        let round: ArticleEvents = serde_json::from_str(r#"{"publication":[5]}"#).unwrap();
        assert_eq!(round.publication, vec![5]);
        assert!(round.rescored.is_empty());
    }

    #[test]
    fn long_id_lists_are_split_under_the_payload_limit_and_keep_every_id() {
        let events = ArticleEvents {
            rescored: (0..3_000).map(|i| i64::MAX - i).collect(),
            publication: (1..=1_000).collect(),
        };
        let payloads = events.payloads();
        assert!(payloads.len() > 1);
        let mut back = ArticleEvents::default();
        for payload in &payloads {
            assert!(payload.len() <= MAX_PAYLOAD_BYTES, "{}", payload.len());
            let part: ArticleEvents = serde_json::from_str(payload).unwrap();
            back.rescored.extend(part.rescored);
            back.publication.extend(part.publication);
        }
        assert_eq!(back, events);
        let negative = ArticleEvents {
            rescored: vec![i64::MIN; 2_000],
            publication: vec![],
        };
        assert!(negative.payloads().iter().all(|p| p.len() <= MAX_PAYLOAD_BYTES));
    }
}
