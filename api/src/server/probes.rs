//! Health, readiness and metrics endpoints for operators and load balancers.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::state::AppState;

/// The process is up.
pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

/// The database answers in time.
pub(super) async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let probe = crate::sql::probes::ping(&state.inner.pool);
    match tokio::time::timeout(state.inner.config.ready_timeout, probe).await {
        Ok(Ok(_)) => (StatusCode::OK, "ready\n"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the database failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer in time");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

pub(super) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::server::metrics::render(&state.inner.metrics, &state.inner.pool),
    )
}
