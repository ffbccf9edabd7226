//! Automatic Persisted Queries (Apollo's protocol): a client sends the
//! SHA-256 of its query, and the full query only the first time, so repeat
//! queries fit in a short, cacheable GET URL.

use async_graphql::extensions::apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage};

/// Queries remembered per process unless configured otherwise.
pub const DEFAULT_APQ_CAPACITY: usize = 1024;

/// The extension to add to the schema builder
/// (`Schema::build(..).extension(persisted_queries(n))`), remembering the
/// `capacity` most recently used queries (at least one).
pub fn persisted_queries(capacity: usize) -> ApolloPersistedQueries<LruCacheStorage> {
    ApolloPersistedQueries::new(LruCacheStorage::new(capacity.max(1)))
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Request, Schema, Value};

    use super::*;

    struct Query;

    #[Object]
    impl Query {
        async fn answer(&self) -> i32 {
            42
        }
    }

    fn with_hash(query: &str, hash: &str) -> Request {
        let mut request = Request::new(query);
        request.extensions.insert(
            "persistedQuery".into(),
            Value::from_json(serde_json::json!({"version": 1, "sha256Hash": hash})).unwrap(),
        );
        request
    }

    #[tokio::test]
    async fn a_query_is_remembered_by_its_hash_after_one_full_request() {
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(persisted_queries(8))
            .finish();
        let query = "{ answer }";
        let hash = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(query));
        let unknown = schema.execute(with_hash("", &hash)).await;
        assert_eq!(unknown.errors[0].message, "PersistedQueryNotFound");
        let full = schema.execute(with_hash(query, &hash)).await;
        assert!(full.errors.is_empty(), "{:?}", full.errors);
        let by_hash = schema.execute(with_hash("", &hash)).await;
        assert!(by_hash.errors.is_empty(), "{:?}", by_hash.errors);
        assert_eq!(by_hash.data.into_json().unwrap(), serde_json::json!({"answer": 42}));
        let wrong = schema.execute(with_hash(query, "0000")).await;
        assert!(
            !wrong.errors.is_empty(),
            "a hash that does not match the query is refused"
        );
    }
}
