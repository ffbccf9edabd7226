//! GraphiQL at `/`, served entirely by the binary: the page, its scripts,
//! style sheets, fonts and editor workers are built from GraphiQL's pinned
//! npm packages by `build.rs` and embedded gzip-compressed, so the
//! playground works on a machine with no internet access. The page talks to
//! this origin only (`/graphql`, `/graphql/ws`), which its
//! Content-Security-Policy enforces.
//!
//! Asset names carry a content hash, so they are cached for a year; the page
//! itself is revalidated, so a new release is picked up at once.

use std::io::Read as _;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file of the page, under `/graphiql/`.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub gzip: &'static [u8],
}

mod generated {
    use super::Asset;
    include!(concat!(env!("OUT_DIR"), "/graphiql_assets.rs"));
}

/// The product's icon, also the GraphiQL page's.
const FAVICON: &[u8] = include_bytes!("favicon.ico");

/// Only this origin: Monaco sets inline styles and loads its workers from
/// our own assets; `connect-src 'self'` covers `ws://`/`wss://` to this
/// origin (CSP level 3).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; worker-src 'self'; \
     style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PAGE_CACHE: &str = "no-cache";
const ASSET_CACHE: &str = "public, max-age=31536000, immutable";

/// GraphiQL's routes and the favicon.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/", get(page))
        .route("/graphiql/{*path}", get(asset))
        .route("/favicon.ico", get(favicon))
}

async fn page(request_headers: HeaderMap) -> Response {
    let mut response = compressed(
        &request_headers,
        "text/html; charset=utf-8",
        generated::INDEX_HTML_GZ,
        PAGE_CACHE,
    );
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

async fn asset(Path(path): Path<String>, request_headers: HeaderMap) -> Response {
    match generated::ASSETS.iter().find(|asset| asset.path == path) {
        Some(asset) => compressed(&request_headers, asset.content_type, asset.gzip, ASSET_CACHE),
        None => (StatusCode::NOT_FOUND, "no such GraphiQL asset\n").into_response(),
    }
}

async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/x-icon"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
}

/// The embedded gzip bytes as they are when the client takes gzip (every
/// browser does), else decompressed.
fn compressed(
    request_headers: &HeaderMap,
    content_type: &'static str,
    gzip: &'static [u8],
    cache: &'static str,
) -> Response {
    let common = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        (header::VARY, HeaderValue::from_static("accept-encoding")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    if accepts_gzip(request_headers) {
        let encoding: (HeaderName, HeaderValue) = (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        return (common, [encoding], gzip).into_response();
    }
    let mut plain = Vec::with_capacity(gzip.len() * 4);
    match flate2::read::GzDecoder::new(gzip).read_to_end(&mut plain) {
        Ok(_) => (common, plain).into_response(),
        Err(error) => {
            tracing::error!(%error, "an embedded GraphiQL asset does not decompress");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Whether `Accept-Encoding` lists gzip (or `*`) with a non-zero weight.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|param| {
                param
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn gzip_is_taken_unless_refused() {
        assert!(accepts_gzip(&with("gzip, deflate, br")));
        assert!(accepts_gzip(&with("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0")));
        assert!(!accepts_gzip(&with("br")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn the_page_and_its_assets_are_embedded() {
        let mut page = Vec::new();
        flate2::read::GzDecoder::new(generated::INDEX_HTML_GZ)
            .read_to_end(&mut page)
            .unwrap();
        let page = String::from_utf8(page).unwrap();
        // every script and style sheet the page names is one of ours
        for reference in page.split('"').filter(|part| part.starts_with("/graphiql/")) {
            let path = reference.trim_start_matches("/graphiql/");
            assert!(
                generated::ASSETS.iter().any(|asset| asset.path == path),
                "the page names {reference}, which is not embedded"
            );
        }
        assert!(
            page.contains("/graphiql/assets/"),
            "the page loads no bundled script: {page}"
        );
        assert!(!page.contains("unpkg") && !page.contains("cdn"), "{page}");
    }
}
