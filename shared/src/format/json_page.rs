//! Smartable JSON API pages: `{"page": N, "value": [...], "nextPage": M}`.

use serde_yaml_ng::Value;

use super::article::{article_from_fields, highlight_from_fields};
use super::fields::{Fields, MAX_NAME_CHARS};
use super::{ParseError, decode_text};
use crate::domain::{ArticleRecord, SourceKind};

/// Parses a JSON API page into its article records. Each item's slug comes
/// from its `path` (`_news/2021-04-07-some-title.md` -> `2021-04-07-some-title`).
pub fn parse_json_page(bytes: &[u8]) -> Result<Vec<ArticleRecord>, ParseError> {
    let text = decode_text(bytes)?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| ParseError::new("file", format!("invalid JSON: {e}")))?;
    // One value model for both formats keeps a single set of field rules.
    let value: Value =
        serde_yaml_ng::to_value(&json).map_err(|e| ParseError::new("file", format!("unreadable JSON value: {e}")))?;
    let page = Fields::root(&value, "page")?;
    let items = page
        .mappings("value")?
        .ok_or_else(|| ParseError::new("value", "missing (required)"))?;
    items
        .iter()
        .map(|item| {
            let slug = item.text("path")?.map(|path| slug_from_path(&path));
            let mut record = article_from_fields(item, SourceKind::File, slug)?;
            record.category = item
                .strings("categories", MAX_NAME_CHARS)?
                .and_then(|c| c.into_iter().next());
            record.highlight = highlight_from_fields(item)?;
            Ok(record)
        })
        .collect()
}

fn slug_from_path(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.strip_suffix(".md").unwrap_or(name).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_items_become_records_with_slug_category_and_highlight() {
        let page = r##"{"page":1,"value":[{"path":"_news/2021-04-07-a-story.md","title":"A story","excerpt":"x","webUrl":"https://e.com/a","originalUrl":"https://e.com/a","highlight":{"text":"Republican Voice","textColor":"#FFFFFF","backgroundColor":"#FF0000"},"heat":132,"images":[{"url":"https://i.e.com/1.jpg","width":1280,"height":720,"title":null,"attribution":null,"isCached":true}],"type":"article","ampWebUrl":null,"publishedDateTime":"2021-04-06T12:30:00-07:00","updatedDateTime":null,"provider":{"name":"E","domain":"e.com","images":null,"publishers":null,"authors":null},"locale":"en-us","categories":["news"],"topics":["Election"]}],"nextPage":2}"##;
        let records = parse_json_page(page.replace('\n', "\r\n").as_bytes()).unwrap();
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!(r.slug.as_deref(), Some("2021-04-07-a-story"));
        assert_eq!(r.category.as_deref(), Some("news"));
        assert_eq!(r.amp_url, None);
        assert_eq!(r.quality, None);
        assert_eq!(r.published_at.unwrap().to_rfc3339(), "2021-04-06T19:30:00+00:00");
        let highlight = r.highlight.as_ref().unwrap();
        assert_eq!(highlight.topic_name, "Republican Voice");
        assert_eq!(highlight.background_color.as_deref(), Some("#FF0000"));
    }

    #[test]
    fn an_item_error_names_its_index() {
        let page = r#"{"page":1,"value":[{"title":"ok","webUrl":"https://e.com/a"},{"title":"bad","webUrl":"https://e.com/b","heat":"hot"}]}"#;
        assert_eq!(parse_json_page(page.as_bytes()).unwrap_err().field, "value[1].heat");
        assert_eq!(parse_json_page(b"{\"page\":1").unwrap_err().field, "file");
    }
}
