//! The API's routes and the layers every request passes (request id,
//! tracing, body limit, request timeout).

use axum::Router;
use axum::http::Request;
use axum::routing::get;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use super::state::AppState;

use super::execute::{graphql_get, graphql_post};
use super::probes::{healthz, metrics, readyz};

/// The API's routes and layers.
pub fn router(state: AppState) -> Router {
    let body_limit = state.inner.config.body_limit;
    let for_frontends = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .merge(crate::server::legacy::routes(
            state.inner.pool.clone(),
            state.inner.config.legacy.clone(),
        ));
    let request_timeout = state.inner.config.limits.request_timeout;
    let routes = crate::server::frontend::apply(for_frontends, &state.inner.config.frontend)
        .merge(crate::server::graphiql::routes())
        .merge(crate::server::editor_console::routes())
        .route("/graphql/ws", get(crate::server::ws::graphql_ws))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state);
    crate::server::limits::apply(routes, body_limit, request_timeout)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}
