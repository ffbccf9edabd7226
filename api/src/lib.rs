//! newsgraph GraphQL API: an axum + async-graphql server over the shared
//! core, in three layers: `graphql/` (the schema and what it resolves
//! with; it knows nothing of HTTP), `server/` (HTTP: routes, state,
//! execution over GET/POST and WebSocket, caches, limits, the pages it
//! serves), and `sql/` (every statement the api runs). `server` uses
//! `graphql`, both use `sql`; nothing points back up.
//!
//! ```no_run
//! # async fn run(pool: sqlx::PgPool) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let state = newsgraph_api::AppState::new(pool, newsgraph_api::ApiConfig::default());
//! newsgraph_api::serve(listener, state, std::future::pending()).await
//! # }
//! ```

pub mod events;
pub mod freshness;
pub mod graphql;
pub mod server;
pub mod sql;

use std::future::Future;

pub use graphql::schema::{ApiSchema, sdl};
pub use graphql::visibility::Viewer;
pub use server::{ApiConfig, AppState, execute, router};

/// PostgreSQL settings for the API's connections (see
/// `newsgraph_shared::db::connect_with_settings`). API statements are short
/// index walks: a parallel plan's worker start-up, or JIT compilation of a
/// plan whose estimate looks large, would cost more than the whole statement.
pub const DB_SETTINGS: &[(&str, &str)] = &[("max_parallel_workers_per_gather", "0"), ("jit", "off")];

/// How long a request waits for one of the API pool's connections. API
/// statements take milliseconds, so a longer wait means the database is away
/// (or hopelessly overloaded); the caller then gets `SERVICE_UNAVAILABLE`
/// promptly, and can retry, instead of a request that hangs through an outage.
pub const DB_ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1_500);

/// Serves the API on `listener` until `shutdown` completes, then finishes
/// the requests in flight. Starts the process's article event listener
/// (subscriptions) and stops it on the way out. Connections are limited as
/// `ApiConfig::limits` says (see [`server::serve::serve_connections`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let events = state.events().start(state.pool());
    let limits = state.config().limits.clone();
    let served = server::serve::serve_connections(listener, router(state), &limits, shutdown).await;
    if let Some(events) = events {
        events.abort();
    }
    served
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler installs");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing requests in flight");
}
