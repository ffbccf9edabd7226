//! GraphQL over HTTP: the GET and POST handlers, execution with the parse
//! cache and metrics, the response cache for anonymous queries, and the
//! answers' status codes.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Response, ServerError, Value};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;

use super::state::AppState;
use crate::freshness::Dependency;
use crate::graphql::auth::Caller;
use crate::graphql::db::RequestContext;
use crate::graphql::errors::ErrorCode;
use crate::graphql::errors::{self, server_error};
use crate::graphql::visibility::Viewer;
use crate::server::response_cache::{Entry, ResponseCache};

/// Executes one GraphQL request for `viewer`: parse (cached), run, give
/// every error a code, record metrics. `only_queries` refuses mutations
/// (GraphQL over GET).
pub async fn execute(
    state: &AppState,
    request: async_graphql::Request,
    viewer: Viewer,
    only_queries: bool,
) -> Result<Response, ServerError> {
    execute_operation(state, request, viewer, only_queries)
        .await
        .map(|executed| executed.response)
}

/// What one execution gave.
struct Executed {
    response: Response,
    /// The type of the operation that ran (`None` when the document did not
    /// parse or came by persisted-query hash).
    operation: Option<OperationType>,
    /// What the answer shows that a publication change can alter.
    dependencies: Vec<Dependency>,
}

/// [`execute`], also telling what ran and what its answer depends on. A
/// mutation that changed publication records the change (`freshness.rs`)
/// before it answers, so the editor's next anonymous read reflects it.
async fn execute_operation(
    state: &AppState,
    mut request: async_graphql::Request,
    viewer: Viewer,
    only_queries: bool,
) -> Result<Executed, ServerError> {
    let started = Instant::now();
    let mut operation = request.operation_name.clone();
    let mut selected = None;
    // An empty query may be a persisted-query hash: leave it to the schema.
    if !request.query.is_empty() {
        let doc = match state.parse(&request.query) {
            Ok(doc) => doc,
            Err(error) => {
                let response = Response::from_errors(vec![error]);
                crate::server::metrics::record_request(
                    "anonymous".into(),
                    started.elapsed().as_secs_f64(),
                    &response.errors,
                    0,
                );
                return Ok(Executed {
                    response,
                    operation: None,
                    dependencies: Vec::new(),
                });
            }
        };
        selected = match (&doc.operations, request.operation_name.as_deref()) {
            (DocumentOperations::Single(op), _) => Some(op.node.ty),
            (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.iter().next().map(|(name, op)| {
                operation = Some(name.to_string());
                op.node.ty
            }),
            _ => None,
        };
        if only_queries && selected.is_some_and(|ty| ty != OperationType::Query) {
            return Err(server_error(
                ErrorCode::BadRequest,
                "only queries may be sent over GET; use POST",
            ));
        }
        request.set_parsed_query(doc);
    }
    let rc = Arc::new(RequestContext::new(state.inner.pool.clone(), viewer));
    let mut response = state.inner.schema.execute(request.data(rc.clone())).await;
    errors::normalize(&mut response.errors);
    let changed = rc.publication_changes();
    if !changed.is_empty() {
        state
            .inner
            .events
            .publication_changed(&state.inner.pool, &changed)
            .await;
    }
    let statements = rc.statements();
    crate::server::metrics::record_request(
        crate::server::metrics::operation_label(operation.as_deref()),
        started.elapsed().as_secs_f64(),
        &response.errors,
        statements,
    );
    if state.inner.config.report_sql_statements {
        response
            .extensions
            .insert("sqlStatements".to_string(), Value::from(statements));
    }
    Ok(Executed {
        response,
        operation: selected,
        dependencies: rc.dependencies(),
    })
}

fn json_body(response: &Response) -> Vec<u8> {
    serde_json::to_vec(response).unwrap_or_else(|_| {
        b"{\"errors\":[{\"message\":\"internal error\",\"extensions\":{\"code\":\"INTERNAL\"}}]}".to_vec()
    })
}

/// A JSON answer. A 503 (the database could not be reached) says
/// `Retry-After: 1`, so clients and load balancers can tell "retry shortly"
/// from a bad request.
fn json_answer(status: StatusCode, body: impl Into<axum::body::Body>) -> axum::response::Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body.into(),
    )
        .into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

fn json_response(status: StatusCode, response: &Response) -> axum::response::Response {
    json_answer(status, json_body(response))
}

fn error_response(status: StatusCode, error: ServerError) -> axum::response::Response {
    json_response(status, &Response::from_errors(vec![error]))
}

/// The caller of a request (`auth.rs`), or the answer that refuses it: 401
/// `UNAUTHENTICATED` for a bad credential.
async fn caller_of(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<crate::graphql::auth::Caller, axum::response::Response> {
    crate::server::auth::from_headers(&state.inner.pool, headers)
        .await
        .map_err(|refusal| {
            let status = match refusal {
                crate::server::auth::Refusal::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                crate::server::auth::Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                crate::server::auth::Refusal::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let mut response = error_response(status, server_error(refusal.code(), refusal.message()));
            if status == StatusCode::UNAUTHORIZED {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            response
        })
}

pub(super) async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/json") && !content_type.starts_with("application/graphql-response+json") {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            server_error(ErrorCode::BadRequest, "send GraphQL requests as application/json"),
        );
    }
    if body.trim_ascii_start().starts_with(b"[") {
        // A batch would multiply a request's work past the complexity
        // limit; keep-alive and persisted queries make batching unneeded.
        return error_response(
            StatusCode::BAD_REQUEST,
            server_error(
                ErrorCode::BadRequest,
                "batched requests (a JSON array of operations) are not accepted: send one operation per request",
            ),
        );
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                server_error(
                    ErrorCode::BadRequest,
                    format!("the body is not a GraphQL request: {error}"),
                ),
            );
        }
    };
    let caller = match caller_of(&state, &headers).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    respond(&state, request, caller, false).await
}

pub(super) async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> axum::response::Response {
    // the body limit holds for a query sent in the URL too
    let limit = state.inner.config.body_limit;
    if let Some(query) = &query
        && query.len() > limit
    {
        return error_response(
            StatusCode::URI_TOO_LONG,
            server_error(
                ErrorCode::BadRequest,
                format!(
                    "the query string is {} bytes; at most {limit} are accepted (use POST for larger requests)",
                    query.len()
                ),
            ),
        );
    }
    let request = match async_graphql::http::parse_query_string(query.as_deref().unwrap_or("")) {
        Ok(request) => request,
        Err(error) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                server_error(ErrorCode::BadRequest, format!("bad GraphQL GET request: {error}")),
            );
        }
    };
    if request.query.is_empty() && request.extensions.is_empty() {
        return error_response(
            StatusCode::BAD_REQUEST,
            server_error(ErrorCode::BadRequest, "no `query` parameter"),
        );
    }
    let caller = match caller_of(&state, &headers).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    respond(&state, request, caller, true).await
}

/// One GraphQL answer, serialized, before it becomes an HTTP response.
struct Answer {
    status: StatusCode,
    body: Bytes,
    /// An answer without errors to an anonymous query: the same for every
    /// anonymous caller until what it shows changes.
    shareable: bool,
    /// What it shows that a publication change can alter.
    dependencies: Vec<Dependency>,
}

impl Answer {
    fn to_response(&self) -> axum::response::Response {
        let mut response = json_answer(self.status, self.body.clone());
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}

/// Runs `request` for `caller` and serializes the answer. A refused
/// operation is 400, or 405 over GET (`only_queries`).
async fn run(state: &AppState, request: async_graphql::Request, caller: Caller, only_queries: bool) -> Answer {
    let anonymous = caller.principal().is_none();
    let viewer = caller.viewer();
    match execute_operation(state, request.data(caller), viewer, only_queries).await {
        Ok(Executed {
            response,
            operation,
            dependencies,
        }) => Answer {
            // the database is away: 503, so clients and balancers retry
            status: if response
                .errors
                .iter()
                .any(|error| errors::has_code(error, ErrorCode::ServiceUnavailable))
            {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            },
            body: json_body(&response).into(),
            shareable: anonymous && response.errors.is_empty() && operation == Some(OperationType::Query),
            dependencies,
        },
        Err(error) => Answer {
            status: if only_queries {
                StatusCode::METHOD_NOT_ALLOWED
            } else {
                StatusCode::BAD_REQUEST
            },
            body: json_body(&Response::from_errors(vec![error])).into(),
            shareable: false,
            dependencies: Vec::new(),
        },
    }
}

/// The HTTP answer to a GraphQL request: from the response cache for
/// anonymous callers when it can be (`response_cache.rs`), else executed.
async fn respond(
    state: &AppState,
    request: async_graphql::Request,
    caller: Caller,
    only_queries: bool,
) -> axum::response::Response {
    let events = &state.inner.events;
    let cache = state
        .inner
        .response_cache
        .as_ref()
        .filter(|_| caller.principal().is_none() && events.is_listening());
    let (Some(cache), Some(begun)) = (cache, events.freshness().begin()) else {
        return run(state, request, caller, only_queries).await.to_response();
    };
    let freshness = events.freshness();
    let started = Instant::now();
    let key = ResponseCache::key(&request);
    if let Some(entry) = cache.get(&key).await {
        if entry.holds_for(freshness, begun) {
            crate::server::metrics::record_cached_answer(
                request.operation_name.as_deref(),
                started.elapsed().as_secs_f64(),
            );
            return shared_response(entry.body.clone(), "hit");
        }
        cache.remove(&key).await;
    }
    // Only the caller that produces the entry hands its request over; the
    // others keep theirs, in case the entry they waited for began before a
    // change they must see.
    let mut unsent = Some((request, caller));
    let produced = cache
        .get_or_produce(key, async {
            let (request, caller) = unsent.take().expect("produced once");
            let begun = freshness.begin().unwrap_or(begun);
            let answer = run(state, request, caller, only_queries).await;
            if answer.shareable {
                Ok(Arc::new(Entry {
                    body: answer.body,
                    begun,
                    dependencies: answer.dependencies.into(),
                }))
            } else {
                Err(answer)
            }
        })
        .await;
    match (produced, unsent) {
        // the producer's own answer, or one that holds for this caller
        (Ok(entry), None) => shared_response(entry.body.clone(), "miss"),
        (Ok(entry), Some(_)) if entry.holds_for(freshness, begun) => shared_response(entry.body.clone(), "miss"),
        (Err(answer), None) => answer.to_response(),
        // waited for an answer that does not hold for this caller: its own
        (_, Some((request, caller))) => run(state, request, caller, only_queries).await.to_response(),
    }
}

/// A cached (or just cached) answer; `x-newsgraph-cache` says which.
fn shared_response(body: Bytes, outcome: &'static str) -> axum::response::Response {
    let mut response = json_answer(StatusCode::OK, body);
    response.headers_mut().insert(
        header::HeaderName::from_static("x-newsgraph-cache"),
        HeaderValue::from_static(outcome),
    );
    response
}
