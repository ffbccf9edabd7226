//! A light read of an article file or JSON page: only the URLs that identify
//! its articles. The import's first pass needs nothing else, and skipping the
//! other fields makes that pass much cheaper than a full parse.

use serde::Deserialize;

use super::{ParseError, decode_text, markdown};
use crate::urls::canonical_key;

/// The identity of one article: its canonical URL key and AMP key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleKey {
    pub canonical_url: String,
    pub amp_key: Option<String>,
}

#[derive(Deserialize)]
struct Urls {
    #[serde(rename = "webUrl")]
    web_url: String,
    #[serde(rename = "ampWebUrl")]
    amp_web_url: Option<String>,
    related: Option<Vec<Urls>>,
}

#[derive(Deserialize)]
struct Page {
    value: Vec<Urls>,
}

fn keys_of(urls: &Urls, keys: &mut Vec<ArticleKey>) -> Result<(), ParseError> {
    let canonical_url = canonical_key(&urls.web_url).map_err(|e| ParseError::new("webUrl", e.to_string()))?;
    let amp_key = urls.amp_web_url.as_deref().and_then(|amp| canonical_key(amp).ok());
    keys.push(ArticleKey { canonical_url, amp_key });
    for related in urls.related.iter().flatten() {
        keys_of(related, keys)?;
    }
    Ok(())
}

/// The keys of an article file: its own first, then its related items'.
/// An error here means "read it fully to find out what is wrong".
pub fn article_file_keys(bytes: &[u8]) -> Result<Vec<ArticleKey>, ParseError> {
    let text = decode_text(bytes)?;
    let yaml = markdown::front_matter(&text)?;
    let urls: Urls = super::yaml::from_str(yaml, "front matter")?;
    let mut keys = Vec::new();
    keys_of(&urls, &mut keys)?;
    Ok(keys)
}

/// The keys of every item of a JSON API page.
pub fn json_page_keys(bytes: &[u8]) -> Result<Vec<ArticleKey>, ParseError> {
    let page: Page = serde_json::from_str(&decode_text(bytes)?).map_err(|e| ParseError::new("file", e.to_string()))?;
    let mut keys = Vec::new();
    for item in &page.value {
        keys_of(item, &mut keys)?;
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_list_the_article_then_its_related_items() {
        let text = "---\ntitle: T\nwebUrl: \"http://www.e.com/a/\"\nampWebUrl: \"https://e.com/a.amp\"\nrelated:\n  - title: R\n    webUrl: \"https://r.com/1\"\n---\n";
        let keys = article_file_keys(text.as_bytes()).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].canonical_url, "https://e.com/a");
        assert_eq!(keys[0].amp_key.as_deref(), Some("https://e.com/a.amp"));
        assert_eq!(keys[1].canonical_url, "https://r.com/1");
    }

    #[test]
    fn what_the_light_read_cannot_place_is_an_error() {
        assert!(article_file_keys(b"---\ntitle: no url\n---\n").is_err());
        assert!(json_page_keys(b"{\"value\":[{\"title\":\"x\"}]}").is_err());
    }
}
