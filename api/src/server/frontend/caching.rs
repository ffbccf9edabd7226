//! HTTP caching of GET responses: `Cache-Control`, a strong `ETag` (a hash of
//! the body) and `304 Not Modified` on `If-None-Match`.
//!
//! Only anonymous callers (no `Authorization` header) get shared-cacheable
//! answers: what an editor sees may include unpublished articles, so theirs
//! are `private, no-store`. Every GET answer says `Vary: authorization`, so no
//! cache hands an anonymous copy to an authenticated caller. Responses that
//! already carry `Cache-Control`, that are not `200 OK`, or GraphQL responses
//! with errors are never marked cacheable.
//!
//! The tag is taken of the uncompressed body; [`tag_encoding`] (run outside
//! the compression layer) appends `-gzip`/`-br` to the tag of a compressed
//! response, so each encoding has its own strong validator, and
//! `If-None-Match` accepts any of them.

use std::fmt::Write;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::IgnoredAny;
use sha2::{Digest, Sha256};

/// Largest body that is buffered to be tagged; larger ones pass untagged.
const MAX_TAGGED_BODY: usize = 16 * 1024 * 1024;

/// Default freshness of anonymous GET answers: short, so edits show quickly.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(10);

const ENCODING_SUFFIXES: [(&str, &str); 2] = [("gzip", "-gzip"), ("br", "-br")];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// `max-age` of anonymous GET answers.
    pub max_age: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            max_age: DEFAULT_MAX_AGE,
        }
    }
}

impl CacheConfig {
    fn public_value(&self) -> HeaderValue {
        HeaderValue::from_str(&format!("public, max-age={}", self.max_age.as_secs())).expect("ascii header value")
    }
}

/// Middleware (`axum::middleware::from_fn_with_state(config, conditional_get)`).
pub async fn conditional_get(State(config): State<CacheConfig>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD {
        return next.run(request).await;
    }
    let anonymous = !request.headers().contains_key(header::AUTHORIZATION);
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let mut response = next.run(request).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::CACHE_CONTROL) {
        return response;
    }
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("authorization"));
    if !anonymous {
        set_cache_control(response.headers_mut(), HeaderValue::from_static("private, no-store"));
        return response;
    }
    if method == Method::HEAD {
        set_cache_control(response.headers_mut(), config.public_value());
        return response;
    }

    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_TAGGED_BODY).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(error = %error, "response body could not be read for its ETag");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if is_json(&parts.headers) && has_graphql_errors(&bytes) {
        set_cache_control(&mut parts.headers, HeaderValue::from_static("no-store"));
        return Response::from_parts(parts, Body::from(bytes));
    }
    set_cache_control(&mut parts.headers, config.public_value());
    let tag = etag_of(&bytes);
    if let Some(matched) = if_none_match.as_ref().and_then(|value| matching_tag(value, &tag)) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        let headers = not_modified.headers_mut();
        for name in [
            header::CACHE_CONTROL,
            header::VARY,
            header::CONTENT_LOCATION,
            header::EXPIRES,
        ] {
            for value in parts.headers.get_all(&name) {
                headers.append(name.clone(), value.clone());
            }
        }
        // the client's own tag: it names the encoding of the copy it holds
        headers.insert(header::ETAG, matched);
        return not_modified;
    }
    parts.headers.insert(header::ETAG, tag);
    Response::from_parts(parts, Body::from(bytes))
}

/// Response mapper for outside the compression layer
/// (`axum::middleware::map_response(tag_encoding)`): `"x"` becomes `"x-gzip"`
/// or `"x-br"` when the body was compressed that way.
pub async fn tag_encoding(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let Some(encoding) = headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return response;
    };
    let Some((_, suffix)) = ENCODING_SUFFIXES.iter().find(|(name, _)| *name == encoding) else {
        return response;
    };
    let Some(tag) = headers.get(header::ETAG).and_then(|v| v.to_str().ok()) else {
        return response;
    };
    if let Some(opaque) = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"'))
        && let Ok(value) = HeaderValue::from_str(&format!("\"{opaque}{suffix}\""))
    {
        headers.insert(header::ETAG, value);
    }
    response
}

fn set_cache_control(headers: &mut HeaderMap, value: HeaderValue) {
    headers.insert(header::CACHE_CONTROL, value);
}

/// `"<32 hex digits>"`: the first 128 bits of the body's SHA-256.
pub fn etag_of(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in &digest[..16] {
        let _ = write!(tag, "{byte:02x}");
    }
    tag.push('"');
    HeaderValue::from_str(&tag).expect("hex is a valid header value")
}

/// The entity tag of `if_none_match` that matches `tag` (weak comparison, as
/// `If-None-Match` asks, ignoring an encoding suffix), or `*`'s stand-in.
fn matching_tag(if_none_match: &HeaderValue, tag: &HeaderValue) -> Option<HeaderValue> {
    let text = if_none_match.to_str().ok()?;
    let ours = tag.to_str().ok()?.trim_matches('"');
    if text.trim() == "*" {
        return Some(tag.clone());
    }
    text.split(',').map(str::trim).find_map(|candidate| {
        let opaque = candidate.strip_prefix("W/").unwrap_or(candidate);
        let opaque = opaque.strip_prefix('"')?.strip_suffix('"')?;
        let base = ENCODING_SUFFIXES
            .iter()
            .find_map(|(_, suffix)| opaque.strip_suffix(suffix))
            .unwrap_or(opaque);
        (base == ours).then(|| HeaderValue::from_str(candidate).ok()).flatten()
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("application/graphql-response+json"))
}

#[derive(Deserialize)]
struct GraphqlProbe {
    #[serde(default)]
    errors: Option<Vec<IgnoredAny>>,
}

impl GraphqlProbe {
    fn failed(&self) -> bool {
        self.errors.as_ref().is_some_and(|e| !e.is_empty())
    }
}

/// Whether a JSON body is a GraphQL response (or batch) with errors, such as
/// `PersistedQueryNotFound`, which must not be served from a cache.
fn has_graphql_errors(body: &[u8]) -> bool {
    let batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if batch {
        serde_json::from_slice::<Vec<GraphqlProbe>>(body).is_ok_and(|all| all.iter().any(GraphqlProbe::failed))
    } else {
        serde_json::from_slice::<GraphqlProbe>(body).is_ok_and(|one| one.failed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_match_weakly_and_across_encodings() {
        let tag = etag_of(b"body");
        let opaque = tag.to_str().unwrap().trim_matches('"').to_string();
        assert_eq!(tag.to_str().unwrap().len(), 34);
        let hit = |header: &str| matching_tag(&HeaderValue::from_str(header).unwrap(), &tag);
        assert_eq!(hit(&format!("\"{opaque}\"")).unwrap(), tag);
        assert!(hit(&format!("\"other\", W/\"{opaque}\"")).is_some());
        assert_eq!(
            hit(&format!("\"{opaque}-br\"")).unwrap().to_str().unwrap(),
            format!("\"{opaque}-br\"")
        );
        assert!(hit("*").is_some());
        assert!(hit("\"other\"").is_none());
        assert!(hit(&format!("\"{opaque}-zz\"")).is_none());
        assert!(hit(&opaque).is_none(), "unquoted tags are malformed");
    }

    #[test]
    fn graphql_errors_are_recognised() {
        assert!(has_graphql_errors(
            br#"{"data":null,"errors":[{"message":"PersistedQueryNotFound"}]}"#
        ));
        assert!(has_graphql_errors(br#"[{"data":{}},{"errors":[{"message":"x"}]}]"#));
        assert!(!has_graphql_errors(br#"{"data":{"errors":[1]}}"#));
        assert!(!has_graphql_errors(br#"{"page":1,"value":[],"nextPage":null}"#));
        assert!(!has_graphql_errors(b"not json"));
    }
}
