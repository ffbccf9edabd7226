//! Automatic Persisted Queries (Apollo's protocol): a client sends the
//! SHA-256 of its query, and the full query only the first time, so repeat
//! queries fit in a short, cacheable GET URL.
//!
//! Only documents whose operations are all queries are remembered. A GET
//! that names a hash could otherwise run a mutation persisted earlier over
//! POST, past the server's "queries only over GET" rule (the hash-only
//! request carries no query text to check). A mutation sent with its hash
//! still runs; it is just never found by hash alone.

use async_graphql::extensions::apollo_persisted_queries::{ApolloPersistedQueries, CacheStorage, LruCacheStorage};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};

/// Queries each api process remembers.
pub const DEFAULT_APQ_CAPACITY: usize = 1024;

/// The extension to add to the schema builder
/// (`Schema::build(..).extension(persisted_queries(n))`), remembering the
/// `capacity` most recently used queries (at least one).
pub fn persisted_queries(capacity: usize) -> ApolloPersistedQueries<QueriesOnly> {
    ApolloPersistedQueries::new(QueriesOnly(LruCacheStorage::new(capacity.max(1))))
}

/// An LRU of parsed documents that refuses to store anything but queries.
#[derive(Clone)]
pub struct QueriesOnly(LruCacheStorage);

#[async_trait::async_trait]
impl CacheStorage for QueriesOnly {
    async fn get(&self, key: String) -> Option<ExecutableDocument> {
        self.0.get(key).await
    }

    async fn set(&self, key: String, query: ExecutableDocument) {
        if only_queries(&query) {
            self.0.set(key, query).await;
        }
    }
}

fn only_queries(document: &ExecutableDocument) -> bool {
    match &document.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Query,
        DocumentOperations::Multiple(ops) => ops.values().all(|op| op.node.ty == OperationType::Query),
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptySubscription, Object, Request, Schema, Value};

    use super::*;

    struct Query;

    #[Object]
    impl Query {
        async fn answer(&self) -> i32 {
            42
        }
    }

    struct Mutation;

    #[Object]
    impl Mutation {
        async fn touch(&self) -> bool {
            true
        }
    }

    fn hash_of(query: &str) -> String {
        format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(query))
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
        let schema = Schema::build(Query, Mutation, EmptySubscription)
            .extension(persisted_queries(8))
            .finish();
        let query = "{ answer }";
        let hash = hash_of(query);
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

    #[tokio::test]
    async fn a_mutation_runs_with_its_text_but_is_never_found_by_hash_alone() {
        let schema = Schema::build(Query, Mutation, EmptySubscription)
            .extension(persisted_queries(8))
            .finish();
        let mutation = "mutation { touch }";
        let hash = hash_of(mutation);
        let full = schema.execute(with_hash(mutation, &hash)).await;
        assert!(full.errors.is_empty(), "{:?}", full.errors);
        let by_hash = schema.execute(with_hash("", &hash)).await;
        assert_eq!(by_hash.errors[0].message, "PersistedQueryNotFound");
        let mixed = "query A { answer } mutation B { touch }";
        let _ = schema
            .execute(with_hash(mixed, &hash_of(mixed)).operation_name("A"))
            .await;
        let by_hash = schema.execute(with_hash("", &hash_of(mixed)).operation_name("B")).await;
        assert_eq!(by_hash.errors[0].message, "PersistedQueryNotFound");
    }
}
