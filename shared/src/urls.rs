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
            "fbclid"
                | "gclid"
                | "ocid"
                | "cmpid"
                | "mc_cid"
                | "mc_eid"
                | "smid"
                | "ref"
                | "cid"
                | "traffic_source"
                | "ito"
                | "icid"
                | "ncid"
                | "igshid"
                | "mkt_tok"
                | "_ga"
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

/// A site's own address, Jekyll's `url` + `baseurl`
/// (`https://smartableai.github.io` + `/election`): the base of the site
/// paths (`/assets/images/...`) that definition files and some articles
/// give instead of absolute URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteAddress {
    /// Scheme, host and base path, without a trailing slash.
    prefix: String,
}

impl SiteAddress {
    /// `url` must be an absolute http(s) URL; `baseurl` is a path (`/election`,
    /// `election/`, or empty).
    pub fn new(url: &str, baseurl: &str) -> Result<Self, UrlError> {
        let parsed = parse_http_url(url)?;
        let origin = parsed.as_str().trim_end_matches('/');
        let base = baseurl.trim().trim_matches('/');
        let prefix = if base.is_empty() {
            origin.to_string()
        } else {
            format!("{origin}/{base}")
        };
        Ok(Self { prefix })
    }

    /// The absolute URL of a site path (`/assets/x.jpg`); anything else is
    /// returned as it is.
    pub fn resolve(&self, url: &str) -> String {
        if is_site_path(url) {
            format!("{}{url}", self.prefix)
        } else {
            url.to_string()
        }
    }
}

impl std::fmt::Display for SiteAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.prefix)
    }
}

/// Whether `url` is a path on the source's own site (`/assets/...`), not an
/// absolute or protocol-relative (`//host/...`) URL.
pub fn is_site_path(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_paths_resolve_against_url_and_baseurl() {
        let site = SiteAddress::new("https://smartableai.github.io", "/election").unwrap();
        assert_eq!(
            site.resolve("/assets/images/organizations/thehill.com-50x50.jpg"),
            "https://smartableai.github.io/election/assets/images/organizations/thehill.com-50x50.jpg"
        );
        assert_eq!(site.resolve("https://e.com/a.jpg"), "https://e.com/a.jpg");
        assert_eq!(site.resolve("//e.com/a.jpg"), "//e.com/a.jpg");
        let root = SiteAddress::new("https://news.example/", "").unwrap();
        assert_eq!(root.resolve("/a.jpg"), "https://news.example/a.jpg");
        assert_eq!(
            SiteAddress::new("https://e.com", "blog/").unwrap().to_string(),
            "https://e.com/blog"
        );
        assert!(SiteAddress::new("/election", "").is_err());
    }

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
        // a video player's referral tag, as the Guardian's URLs carry it
        let key =
            canonical_key("https://www.theguardian.com/us-news/2021/jun/26/rally?traffic_source=Connatix").unwrap();
        assert_eq!(key, "https://theguardian.com/us-news/2021/jun/26/rally");
        // a live blog's entry is its own page
        let key = canonical_key("https://www.theguardian.com/live/2020/sep/20/x?page=with:block-5f67").unwrap();
        assert_eq!(key, "https://theguardian.com/live/2020/sep/20/x?page=with%3Ablock-5f67");
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
