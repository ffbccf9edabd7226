//! CORS: browsers on the configured origins may call the API. Reads need no
//! credentials and mutations carry bearer tokens, so cookies are never
//! allowed (`Access-Control-Allow-Credentials` is never sent).

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Which origins may read responses from a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// No cross-origin access (same-origin pages such as GraphiQL still work).
    #[default]
    None,
    /// Any origin (`*`): safe here because no request relies on cookies.
    Any,
    /// Exactly these origins, e.g. `https://news.example`.
    List(Vec<HeaderValue>),
}

impl AllowedOrigins {
    /// Parses a comma-separated list: `*` for any origin, empty for none.
    pub fn parse(text: &str) -> Result<Self, String> {
        let items: Vec<&str> = text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if items.is_empty() {
            return Ok(Self::None);
        }
        if items.contains(&"*") {
            return if items.len() == 1 {
                Ok(Self::Any)
            } else {
                Err("`*` cannot be combined with other origins".into())
            };
        }
        items
            .into_iter()
            .map(|origin| {
                let valid = url::Url::parse(origin)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                    .is_some_and(|u| u.origin().ascii_serialization() == origin);
                if !valid {
                    return Err(format!(
                        "{origin:?} is not an origin (scheme://host[:port], no path or trailing slash)"
                    ));
                }
                HeaderValue::from_str(origin).map_err(|e| format!("{origin:?}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self::List)
    }
}

/// How long browsers may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The CORS layer for `origins`: GET and POST, the headers a GraphQL client
/// sends, `ETag` readable by scripts.
pub fn cors_layer(origins: &AllowedOrigins) -> CorsLayer {
    let allow_origin = match origins {
        AllowedOrigins::None => AllowOrigin::list(Vec::<HeaderValue>::new()),
        AllowedOrigins::Any => AllowOrigin::any(),
        AllowedOrigins::List(list) => AllowOrigin::list(list.clone()),
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::HEAD, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_NONE_MATCH,
            HeaderName::from_static("apollographql-client-name"),
            HeaderName::from_static("apollographql-client-version"),
            HeaderName::from_static("apollo-require-preflight"),
        ])
        .expose_headers([header::ETAG])
        .max_age(PREFLIGHT_MAX_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_from_a_comma_separated_list() {
        assert_eq!(AllowedOrigins::parse("").unwrap(), AllowedOrigins::None);
        assert_eq!(AllowedOrigins::parse(" * ").unwrap(), AllowedOrigins::Any);
        assert_eq!(
            AllowedOrigins::parse("https://a.example, http://localhost:3000").unwrap(),
            AllowedOrigins::List(vec![
                HeaderValue::from_static("https://a.example"),
                HeaderValue::from_static("http://localhost:3000")
            ])
        );
        assert!(AllowedOrigins::parse("https://a.example/").is_err());
        assert!(AllowedOrigins::parse("a.example").is_err());
        assert!(AllowedOrigins::parse("*, https://a.example").is_err());
    }
}
