//! Limits that keep slow or hostile clients from tying the server up: how
//! many connections it serves at once, how long a client may take to send a
//! request's head, how long a whole request may take, and how long a
//! response write may make no progress. The connection limits are applied
//! by the accept loop ([`crate::server::serve`]); the request timeout and the body
//! limit by [`apply`] around the router.

use crate::graphql::errors::ErrorCode;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use tower_http::limit::RequestBodyLimitLayer;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; further ones wait in the kernel's accept
    /// queue until one closes. WebSocket connections count.
    pub max_connections: usize,
    /// A request's head (request line and headers) must arrive within this
    /// from the moment the server waits for it; an idle keep-alive
    /// connection is closed after it too.
    pub header_read_timeout: Duration,
    /// A request, reading its body included, must be answered within this;
    /// else 408 `REQUEST_TIMEOUT` and the connection closes.
    pub request_timeout: Duration,
    /// A response write that makes no progress for this long (the client
    /// stopped reading) closes the connection.
    pub write_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
        }
    }
}

/// Wraps every route of `router` in the body limit (413
/// `PAYLOAD_TOO_LARGE`) and the request timeout (408 `REQUEST_TIMEOUT`).
pub fn apply(router: Router, body_limit: usize, request_timeout: Duration) -> Router {
    router
        .layer(axum::middleware::from_fn_with_state(
            request_timeout,
            within_request_timeout,
        ))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(axum::middleware::map_response_with_state(body_limit, payload_too_large))
}

async fn within_request_timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%path, ?limit, "request timed out");
            let message = format!("the request was not complete and answered within {limit:?}");
            let mut response = json_error(StatusCode::REQUEST_TIMEOUT, ErrorCode::RequestTimeout, message);
            // its body may be unread: the connection cannot carry another request
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

/// The body limit's 413 (from the layer, or from a handler reading the
/// body) as a GraphQL-style error naming the limit.
async fn payload_too_large(State(limit): State<usize>, response: Response) -> Response {
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    let mut response = json_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!("the request body is larger than the limit of {limit} bytes"),
    );
    // The rest of the body is unread, so the connection closes after this
    // answer (lingering, see crate::server::linger); saying so keeps a client from
    // sending its next request on it.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn json_error(status: StatusCode, code: ErrorCode, message: String) -> Response {
    let body = serde_json::json!({"errors": [{"message": message, "extensions": {"code": code.as_str()}}]});
    (status, axum::Json(body)).into_response()
}
