//! The editor console at `/editor`: one page of our own plain HTML, CSS and
//! JavaScript, compiled into the binary so it works offline and behind
//! firewalls (no CDN, no external fonts). It talks to the API like any
//! other client: GraphQL over `POST /graphql` with the editor's bearer token,
//! and the graphql-transport-ws subscription at `/graphql/ws` for live
//! changes.
//!
//! The script and the style sheet are served as files of their own, so the
//! page's Content-Security-Policy allows nothing but this origin: no inline
//! script or style at all.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

const HTML: &str = include_str!("console.html");
const JS: &str = include_str!("console.js");
const CSS: &str = include_str!("console.css");

/// The page's Content-Security-Policy. `connect-src 'self'` covers
/// `ws://`/`wss://` to this origin as well (CSP level 3).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The console's routes: the page, its script and its style sheet.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/editor", get(|| async { asset("text/html; charset=utf-8", HTML) }))
        .route(
            "/editor/console.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route(
            "/editor/console.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
}

/// One embedded file with the console's security headers. `no-cache`: the
/// browser revalidates, so a new release's script is never mixed with an
/// old page.
fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    let headers: [(HeaderName, HeaderValue); 7] = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ];
    (headers, body)
}
