//! Prometheus metrics of the API: requests and latency by GraphQL
//! operation, errors by code, SQL statements per request, pool usage.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use async_graphql::ServerError;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;

use crate::graphql::errors::code_of;

/// Seconds, from well under a millisecond to seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Operation names are chosen by clients: past this many distinct ones,
/// new names are counted as `other`.
const MAX_OPERATION_NAMES: usize = 200;

/// The process's Prometheus recorder, installed on first use. When another
/// recorder is installed already (a test process running several servers
/// shares one), this returns a handle of a recorder of its own.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = || {
                PrometheusBuilder::new()
                    .set_buckets(LATENCY_BUCKETS)
                    .expect("non-empty buckets")
            };
            builder().install_recorder().unwrap_or_else(|error| {
                tracing::warn!(%error, "a metrics recorder is installed already; API metrics go there");
                builder().build_recorder().handle()
            })
        })
        .clone()
}

/// A label for the operation: its name if it has a sane one, bounded in number.
pub fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Some(name) =
        name.filter(|n| !n.is_empty() && n.len() <= 64 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    else {
        return "anonymous".to_string();
    };
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
        seen.insert(name.to_string());
        name.to_string()
    } else {
        "other".to_string()
    }
}

/// Records one GraphQL request.
pub fn record_request(operation: String, seconds: f64, errors: &[ServerError], statements: u32) {
    counter!("newsgraph_api_requests_total", "operation" => operation.clone()).increment(1);
    histogram!("newsgraph_api_request_seconds", "operation" => operation).record(seconds);
    histogram!("newsgraph_api_sql_statements_per_request").record(f64::from(statements));
    for error in errors {
        let code = code_of(error).unwrap_or("UNKNOWN").to_string();
        counter!("newsgraph_api_errors_total", "code" => code).increment(1);
    }
}

/// Records one GraphQL request answered from the response cache.
pub fn record_cached_answer(operation: Option<&str>, seconds: f64) {
    let operation = operation_label(operation);
    counter!("newsgraph_api_response_cache_hits_total").increment(1);
    counter!("newsgraph_api_requests_total", "operation" => operation.clone()).increment(1);
    histogram!("newsgraph_api_request_seconds", "operation" => operation).record(seconds);
}

/// The metrics text, with the pool's gauges read now.
pub fn render(handle: &PrometheusHandle, pool: &PgPool) -> String {
    let size = pool.size();
    let idle = pool.num_idle() as u32;
    gauge!("newsgraph_api_db_pool_connections", "state" => "idle").set(f64::from(idle));
    gauge!("newsgraph_api_db_pool_connections", "state" => "in_use").set(f64::from(size.saturating_sub(idle)));
    gauge!("newsgraph_api_db_pool_max_connections").set(f64::from(pool.options().get_max_connections()));
    handle.render()
}
