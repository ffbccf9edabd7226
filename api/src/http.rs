//! The HTTP side: routes, request handling for GraphQL over GET and POST,
//! GraphiQL, health, readiness and metrics, and the layers every request
//! passes (request id, tracing, body limit, request timeout).

use crate::errors::ErrorCode;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Response, ServerError, Value};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use lru::LruCache;
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::Caller;
use crate::db::RequestContext;
use crate::errors::{self, server_error};
use crate::response_cache::ResponseCache;
use crate::schema::{self, ApiSchema};
use crate::visibility::Viewer;

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
    pub frontend: crate::frontend::FrontendConfig,
    /// The legacy Smartable pages.
    pub legacy: crate::legacy::LegacyConfig,
    /// How long an anonymous query's answer is reused (`response_cache.rs`);
    /// zero turns the cache off.
    pub response_cache_ttl: Duration,
    /// Connection count and timeouts (slow or hostile clients).
    pub limits: crate::limits::Limits,
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
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    schema: ApiSchema,
    events: Arc<crate::events::Events>,
    config: ApiConfig,
    parsed: Mutex<LruCache<String, ExecutableDocument>>,
    response_cache: Option<ResponseCache>,
    metrics: PrometheusHandle,
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
                metrics: crate::metrics::handle(),
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
    fn parse(&self, query: &str) -> Result<ExecutableDocument, ServerError> {
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
        .map(|(response, _)| response)
}

/// [`execute`], also telling the type of the operation that ran (`None`
/// when the document did not parse or came by persisted-query hash).
async fn execute_operation(
    state: &AppState,
    mut request: async_graphql::Request,
    viewer: Viewer,
    only_queries: bool,
) -> Result<(Response, Option<OperationType>), ServerError> {
    let started = Instant::now();
    let mut operation = request.operation_name.clone();
    let mut selected = None;
    // An empty query may be a persisted-query hash: leave it to the schema.
    if !request.query.is_empty() {
        let doc = match state.parse(&request.query) {
            Ok(doc) => doc,
            Err(error) => {
                let response = Response::from_errors(vec![error]);
                crate::metrics::record_request(
                    "anonymous".into(),
                    started.elapsed().as_secs_f64(),
                    &response.errors,
                    0,
                );
                return Ok((response, None));
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
    let statements = rc.statements();
    crate::metrics::record_request(
        crate::metrics::operation_label(operation.as_deref()),
        started.elapsed().as_secs_f64(),
        &response.errors,
        statements,
    );
    if state.inner.config.report_sql_statements {
        response
            .extensions
            .insert("sqlStatements".to_string(), Value::from(statements));
    }
    Ok((response, selected))
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
async fn caller_of(state: &AppState, headers: &HeaderMap) -> Result<crate::auth::Caller, axum::response::Response> {
    crate::auth::from_headers(&state.inner.pool, headers)
        .await
        .map_err(|refusal| {
            let status = match refusal {
                crate::auth::Refusal::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                crate::auth::Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                crate::auth::Refusal::Internal => StatusCode::INTERNAL_SERVER_ERROR,
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

async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> axum::response::Response {
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

async fn graphql_get(
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
    /// anonymous caller until the data changes.
    shareable: bool,
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
        Ok((response, operation)) => Answer {
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
        },
        Err(error) => Answer {
            status: if only_queries {
                StatusCode::METHOD_NOT_ALLOWED
            } else {
                StatusCode::BAD_REQUEST
            },
            body: json_body(&Response::from_errors(vec![error])).into(),
            shareable: false,
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
    let cache = state
        .inner
        .response_cache
        .as_ref()
        .filter(|_| caller.principal().is_none() && state.inner.events.is_listening());
    let Some(cache) = cache else {
        return run(state, request, caller, only_queries).await.to_response();
    };
    let started = Instant::now();
    let key = ResponseCache::key(state.inner.events.generation(), &request);
    if let Some(body) = cache.get(&key).await {
        crate::metrics::record_cached_answer(request.operation_name.as_deref(), started.elapsed().as_secs_f64());
        return shared_response(body, "hit");
    }
    let produced = cache
        .get_or_produce(key, async {
            let answer = run(state, request, caller, only_queries).await;
            if answer.shareable { Ok(answer.body) } else { Err(answer) }
        })
        .await;
    match produced {
        Ok(body) => shared_response(body, "miss"),
        Err(answer) => answer.to_response(),
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

/// The process is up.
async fn healthz() -> &'static str {
    "ok\n"
}

/// The database answers in time.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let probe = sqlx::query("select 1").execute(&state.inner.pool);
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

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(&state.inner.metrics, &state.inner.pool),
    )
}

/// The API's routes and layers.
pub fn router(state: AppState) -> Router {
    let body_limit = state.inner.config.body_limit;
    let for_frontends = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .merge(crate::legacy::routes(
            state.inner.pool.clone(),
            state.inner.config.legacy.clone(),
        ));
    let request_timeout = state.inner.config.limits.request_timeout;
    let routes = crate::frontend::apply(for_frontends, &state.inner.config.frontend)
        .merge(crate::graphiql::routes())
        .merge(crate::editor_console::routes())
        .route("/graphql/ws", get(crate::ws::graphql_ws))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state);
    crate::limits::apply(routes, body_limit, request_timeout)
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
