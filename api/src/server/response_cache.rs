//! A server-side cache of anonymous GraphQL answers.
//!
//! Frontends send the same few queries (a topic's feed, an article page)
//! from many readers at once, and anonymous readers all see the same thing.
//! So the serialized answer of an anonymous query is kept
//! (`serve --response-cache-secs`, default 30 s; 0 turns the cache off) and
//! concurrent identical requests share one execution.
//!
//! Freshness: each entry keeps what its answer depends on and the stamp of
//! when its execution began (`freshness.rs`). Every publication change (an
//! article published or unpublished, by a worker's recompute or an editor's
//! action) sends a notification when it commits; when the listener hears
//! one it records what the change touches, and from then on an entry that
//! shows any of it and began before is not served. So an answer begun after
//! a publication change was heard reflects it, while entries the change
//! does not touch stay warm. Score-only changes (heat and quality moving
//! while workers recompute) and changes that send no notification (a topic
//! definition or an article's text re-imported, say) show once the entry
//! expires, within the time to live. While the listener is not listening
//! (database away, reconnecting) nothing is cached or served from the cache.
//!
//! Only answers without errors to queries (never mutations) from callers
//! without credentials are kept; editors always get a fresh execution.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use sha2::{Digest, Sha256};

use crate::freshness::{Dependency, Freshness, Stamp};

/// Memory the cached answers may take, in bytes.
const CAPACITY_BYTES: u64 = 64 * 1024 * 1024;

/// Cache key: a digest of everything that shapes an anonymous answer.
pub type Key = [u8; 32];

/// A kept answer.
pub struct Entry {
    pub body: Bytes,
    /// When its execution began.
    pub begun: Stamp,
    /// What it shows that a publication change can alter.
    pub dependencies: Box<[Dependency]>,
}

impl Entry {
    /// Whether this answer may be handed to a caller that began at `caller`.
    pub fn holds_for(&self, freshness: &Freshness, caller: Stamp) -> bool {
        freshness.holds(self.begun, &self.dependencies, caller)
    }
}

pub struct ResponseCache {
    entries: moka::future::Cache<Key, Arc<Entry>>,
}

impl ResponseCache {
    /// A cache keeping answers for `ttl`; `None` when `ttl` is zero.
    pub fn new(ttl: Duration) -> Option<Self> {
        if ttl.is_zero() {
            return None;
        }
        let entries = moka::future::Cache::builder()
            .time_to_live(ttl)
            .max_capacity(CAPACITY_BYTES)
            .weigher(|key: &Key, entry: &Arc<Entry>| {
                let size = key.len() + entry.body.len() + entry.dependencies.len() * size_of::<Dependency>();
                u32::try_from(size).unwrap_or(u32::MAX)
            })
            .build();
        Some(Self { entries })
    }

    /// The key of `request`.
    pub fn key(request: &async_graphql::Request) -> Key {
        let mut digest = Sha256::new();
        for part in [
            request.query.as_bytes(),
            request.operation_name.as_deref().unwrap_or("").as_bytes(),
            &serde_json::to_vec(&request.variables).unwrap_or_default(),
            // sorted, so the same extensions always give the same key
            &serde_json::to_vec(&request.extensions.iter().collect::<BTreeMap<_, _>>()).unwrap_or_default(),
        ] {
            digest.update((part.len() as u64).to_le_bytes());
            digest.update(part);
        }
        digest.finalize().into()
    }

    /// The entry under `key`, if there is one.
    pub async fn get(&self, key: &Key) -> Option<Arc<Entry>> {
        self.entries.get(key).await
    }

    /// Drops the entry under `key` (it no longer holds).
    pub async fn remove(&self, key: &Key) {
        self.entries.invalidate(key).await
    }

    /// The entry under `key`: cached, or made by `produce`, which runs once
    /// for all concurrent callers of the same key. `produce` says whether its
    /// answer may be kept (`Ok`) or only handed to those waiting (`Err`).
    pub async fn get_or_produce<E, F>(&self, key: Key, produce: F) -> Result<Arc<Entry>, Arc<E>>
    where
        F: Future<Output = Result<Arc<Entry>, E>>,
        E: Send + Sync + 'static,
    {
        self.entries.try_get_with(key, produce).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, variables: serde_json::Value) -> async_graphql::Request {
        async_graphql::Request::new(query).variables(async_graphql::Variables::from_json(variables))
    }

    #[test]
    fn keys_differ_by_query_name_and_variables() {
        let key = ResponseCache::key(&request("{ a }", serde_json::json!({"x": 1})));
        assert_eq!(key, ResponseCache::key(&request("{ a }", serde_json::json!({"x": 1}))));
        assert_ne!(key, ResponseCache::key(&request("{ b }", serde_json::json!({"x": 1}))));
        assert_ne!(key, ResponseCache::key(&request("{ a }", serde_json::json!({"x": 2}))));
        assert_ne!(
            key,
            ResponseCache::key(&request("{ a }", serde_json::json!({"x": 1})).operation_name("A"))
        );
        // no ambiguity from where one part ends and the next begins
        assert_ne!(
            ResponseCache::key(&request("ab", serde_json::json!({}))),
            ResponseCache::key(&request("a", serde_json::json!({})).operation_name("b"))
        );
    }

    #[test]
    fn a_zero_time_to_live_turns_the_cache_off() {
        assert!(ResponseCache::new(Duration::ZERO).is_none());
        assert!(ResponseCache::new(Duration::from_secs(2)).is_some());
    }
}
