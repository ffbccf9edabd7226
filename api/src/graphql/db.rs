//! Per-request database access: the pool, the viewer, and a count of the
//! SQL statements the request executed (every statement goes through
//! [`RequestContext::exec`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::PgPool;

use crate::graphql::visibility::Viewer;

/// What resolvers know about the request they serve.
pub struct RequestContext {
    pool: PgPool,
    viewer: Viewer,
    statements: AtomicU32,
}

impl RequestContext {
    pub fn new(pool: PgPool, viewer: Viewer) -> Self {
        Self {
            pool,
            viewer,
            statements: AtomicU32::new(0),
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
}

/// The request's context from a resolver's.
pub(crate) fn request<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a RequestContext {
    ctx.data_unchecked::<Arc<RequestContext>>()
}
