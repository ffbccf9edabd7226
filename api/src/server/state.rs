//! The server's state: its settings, the schema, the pool, the parse cache
//! and the response cache, shared by every request handler.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::ServerError;
use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;

use crate::graphql::errors::{ErrorCode, server_error};
use crate::graphql::schema::{self, ApiSchema};
use crate::server::response_cache::ResponseCache;

/// Settings of the API server.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest request body accepted, in bytes (larger: 413).
    pub body_limit: usize,
    /// Adds `extensions.sqlStatements` (statements the request executed) to
    /// GraphQL responses; for tests and diagnosis.
    pub report_sql_statements: bool,
    /// How long `/readyz` waits for the database.
    pub ready_timeout: Duration,
    /// CORS, caching and compression of GraphQL and the legacy pages.
    pub frontend: crate::server::frontend::FrontendConfig,
    /// The legacy Smartable pages.
    pub legacy: crate::server::legacy::LegacyConfig,
    /// How long an anonymous query's answer is reused (`response_cache.rs`);
    /// zero turns the cache off.
    pub response_cache_ttl: Duration,
    /// Connection count and timeouts (slow or hostile clients).
    pub limits: crate::server::limits::Limits,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024,
            report_sql_statements: false,
            ready_timeout: Duration::from_secs(2),
            frontend: Default::default(),
            legacy: Default::default(),
            response_cache_ttl: Duration::ZERO,
            limits: Default::default(),
        }
    }
}

/// Parsed documents are kept by query text: clients send the same few
/// queries over and over, and parsing is a good part of a small request.
const PARSED_CACHE_ENTRIES: usize = 256;
/// Longer query texts are parsed every time instead of cached.
const PARSED_CACHE_MAX_QUERY: usize = 16 * 1024;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) pool: PgPool,
    pub(crate) schema: ApiSchema,
    pub(crate) events: Arc<crate::events::Events>,
    pub(crate) config: ApiConfig,
    pub(crate) parsed: Mutex<LruCache<String, ExecutableDocument>>,
    pub(crate) response_cache: Option<ResponseCache>,
    pub(crate) metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(pool: PgPool, config: ApiConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                schema: schema::build(),
                events: Arc::new(crate::events::Events::new()),
                response_cache: ResponseCache::new(config.response_cache_ttl),
                config,
                parsed: Mutex::new(LruCache::new(
                    NonZeroUsize::new(PARSED_CACHE_ENTRIES).expect("non-zero"),
                )),
                metrics: crate::server::metrics::handle(),
            }),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    pub fn config(&self) -> &ApiConfig {
        &self.inner.config
    }

    pub fn schema(&self) -> &ApiSchema {
        &self.inner.schema
    }

    /// The process's article changes (subscriptions); `serve` starts its
    /// listener.
    pub fn events(&self) -> &Arc<crate::events::Events> {
        &self.inner.events
    }

    /// The parsed document of a query text, from the cache when it is there.
    pub(crate) fn parse(&self, query: &str) -> Result<ExecutableDocument, ServerError> {
        let cacheable = query.len() <= PARSED_CACHE_MAX_QUERY;
        if cacheable {
            let mut cache = self.inner.parsed.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(doc) = cache.get(query) {
                return Ok(doc.clone());
            }
        }
        let doc = async_graphql::parser::parse_query(query)
            .map_err(|e| server_error(ErrorCode::ParseFailed, e.to_string()))?;
        if cacheable {
            let mut cache = self.inner.parsed.lock().unwrap_or_else(|e| e.into_inner());
            cache.put(query.to_string(), doc.clone());
        }
        Ok(doc)
    }
}
