//! URL validation and the normalisation that makes the dedupe key.

use url::Url;

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not a valid URL ({0})")]
    Invalid(String),
    #[error("scheme `{0}` is not allowed (only http and https)")]
    Scheme(String),
    #[error("URL has no host")]
    NoHost,
    #[error("URL is {0} bytes long, over the {MAX_URL_BYTES}-byte limit")]
    TooLong(usize),
}

/// Longest URL accepted (as written and as normalised), the limit browsers
/// and sitemaps keep to. Stored URLs are unique keys in btree indexes, whose
/// entries must stay under ~2.7 kB.
pub const MAX_URL_BYTES: usize = 2048;

/// Parses an absolute http(s) URL, refusing every other scheme
/// (`javascript:`, `data:`, `file:` ...).
pub fn parse_http_url(raw: &str) -> Result<Url, UrlError> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_BYTES {
        return Err(UrlError::TooLong(raw.len()));
    }
    let url = Url::parse(raw).map_err(|e| UrlError::Invalid(e.to_string()))?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(UrlError::Scheme(other.to_string())),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NoHost);
    }
    // percent-encoding can make the normalised form several times longer
    if url.as_str().len() > MAX_URL_BYTES {
        return Err(UrlError::TooLong(url.as_str().len()));
    }
    Ok(url)
}

/// Query parameters that only track the click and never change the story.
fn is_tracking_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_")
        || matches!(
            name.as_str(),
            "fbclid" | "gclid" | "ocid" | "cmpid" | "mc_cid" | "mc_eid" | "smid" | "ref" | "cid"
        )
}

/// The dedupe key of an article URL: https, lowercase host without `www.`,
/// no default port, no fragment, no tracking parameters, no trailing slash.
///
/// The same story reached over http or https, with or without `www.` or a
/// tracking suffix, gets one key.
pub fn canonical_key(raw: &str) -> Result<String, UrlError> {
    let url = parse_http_url(raw)?;
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let mut key = String::with_capacity(raw.len());
    key.push_str("https://");
    key.push_str(host);
    if let Some(port) = url.port().filter(|p| *p != 80 && *p != 443) {
        key.push(':');
        key.push_str(&port.to_string());
    }
    let path = url.path();
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { "" };
    key.push_str(path);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !is_tracking_param(name))
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    if !kept.is_empty() {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish();
        key.push('?');
        key.push_str(&query);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_www_fragment_and_trailing_slash_do_not_change_the_key() {
        let a = canonical_key("http://www.Example.com/a/b/#top").unwrap();
        let b = canonical_key("https://example.com/a/b").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, "https://example.com/a/b");
    }

    #[test]
    fn tracking_parameters_are_dropped_but_real_ones_kept() {
        let key = canonical_key("https://example.com/story?id=7&utm_source=rss&fbclid=x").unwrap();
        assert_eq!(key, "https://example.com/story?id=7");
    }

    #[test]
    fn non_http_schemes_are_refused() {
        assert_eq!(
            canonical_key("javascript:alert(1)"),
            Err(UrlError::Scheme("javascript".into()))
        );
        assert!(matches!(canonical_key("not a url"), Err(UrlError::Invalid(_))));
        assert!(matches!(canonical_key("ftp://example.com/x"), Err(UrlError::Scheme(_))));
    }

    #[test]
    fn overlong_urls_are_refused_as_written_and_as_encoded() {
        let path = "a".repeat(MAX_URL_BYTES);
        assert!(matches!(
            canonical_key(&format!("https://e.com/{path}")),
            Err(UrlError::TooLong(_))
        ));
        // 700 characters, but each becomes 9 bytes once percent-encoded
        let encoded = "中".repeat(700);
        assert!(matches!(
            parse_http_url(&format!("https://e.com/{encoded}")),
            Err(UrlError::TooLong(_))
        ));
        assert!(parse_http_url(&format!("https://e.com/{}", "a".repeat(2000))).is_ok());
    }

    #[test]
    fn non_default_ports_are_kept() {
        assert_eq!(
            canonical_key("http://example.com:8080/x").unwrap(),
            "https://example.com:8080/x"
        );
    }
}
