//! Per-request database access: the pool, the viewer, a count of the SQL
//! statements the request executed (every statement goes through
//! [`RequestContext::exec`]), what the answer depends on (for the response
//! cache, `freshness.rs`) and the publication changes the request made.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::PgPool;

use crate::freshness::Dependency;
use crate::graphql::visibility::Viewer;

/// What resolvers know about the request they serve.
pub struct RequestContext {
    pool: PgPool,
    viewer: Viewer,
    statements: AtomicU32,
    dependencies: Mutex<Vec<Dependency>>,
    publication_changed: Mutex<Vec<i64>>,
}

impl RequestContext {
    pub fn new(pool: PgPool, viewer: Viewer) -> Self {
        Self {
            pool,
            viewer,
            statements: AtomicU32::new(0),
            dependencies: Mutex::default(),
            publication_changed: Mutex::default(),
        }
    }

    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// The pool to run one statement on; counts it.
    pub(crate) fn exec(&self) -> &PgPool {
        self.statements.fetch_add(1, Ordering::Relaxed);
        &self.pool
    }

    /// Statements executed so far by this request.
    pub fn statements(&self) -> u32 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Records that the answer shows `dependencies` (the SQL functions that
    /// read visible articles call this; see `freshness.rs`).
    pub(crate) fn depends_on(&self, dependencies: impl IntoIterator<Item = Dependency>) {
        lock(&self.dependencies).extend(dependencies);
    }

    /// What the answer depends on, each once.
    pub fn dependencies(&self) -> Vec<Dependency> {
        let mut dependencies = lock(&self.dependencies).clone();
        dependencies.sort_unstable();
        dependencies.dedup();
        dependencies
    }

    /// Records that this request changed the article's publication.
    pub(crate) fn changed_publication(&self, article_id: i64) {
        lock(&self.publication_changed).push(article_id);
    }

    /// The articles whose publication this request changed.
    pub fn publication_changes(&self) -> Vec<i64> {
        lock(&self.publication_changed).clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The request's context from a resolver's.
pub(crate) fn request<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a RequestContext {
    ctx.data_unchecked::<Arc<RequestContext>>()
}
