//! GraphQL subscriptions over WebSocket at `/graphql/ws`: the
//! graphql-transport-ws protocol (`graphql-transport-ws` subprotocol; the
//! legacy `graphql-ws` one is accepted too).
//!
//! The caller is resolved once, at `connection_init` (see
//! [`crate::server::auth::from_connection_init`]): a bad token closes the connection
//! (code 1002, reason starting with `UNAUTHENTICATED`). WebSockets are not
//! subject to CORS, but no ambient credential (cookie) is ever honoured here,
//! so a page of another site gains nothing by opening one.

use std::sync::Arc;

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::graphql::db::RequestContext;
use crate::server::state::AppState;

pub async fn graphql_ws(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| {
        let schema = state.schema().clone();
        GraphQLWebSocket::new(socket, schema, protocol)
            .on_connection_init(move |payload| async move {
                let pool = state.pool().clone();
                let caller = crate::server::auth::from_connection_init(&pool, &payload, &headers)
                    .await
                    .map_err(|refusal| {
                        async_graphql::Error::new(format!("{}: {}", refusal.code(), refusal.message()))
                    })?;
                let mut data = Data::default();
                data.insert(Arc::new(RequestContext::new(pool, caller.viewer())));
                data.insert(caller);
                data.insert(Arc::clone(state.events()));
                Ok(data)
            })
            .serve()
    })
}
