//! Article records from Smartable markdown files and JSON API items.

use std::collections::HashSet;

use serde_yaml_ng::Value;

use super::fields::{Fields, clip};
use super::{ParseError, decode_text, markdown};
use crate::domain::{ArticleRecord, Highlight, Image, ProviderRef, SourceKind};
use crate::urls::{UrlError, canonical_key, parse_http_url};

/// Parses one article file. `slug` is the file name without `.md`.
pub fn parse_article_file(bytes: &[u8], slug: &str) -> Result<ArticleRecord, ParseError> {
    let text = decode_text(bytes)?;
    let yaml = markdown::front_matter(text)?;
    let value = parse_yaml(yaml)?;
    let fields = Fields::root(&value, "front matter")?;
    article_from_fields(&fields, SourceKind::File, Some(slug.to_string()))
}

/// Parses one article given as a JSON object with the keys of an article
/// file's front matter (`title`, `webUrl`, `publishedDateTime`, `provider`,
/// `related`, ...), under the same rules: the ingest mutation's records.
/// Errors name the field's path within the object (`related[0].webUrl`).
pub fn parse_article_json(item: &serde_json::Value, slug: Option<String>) -> Result<ArticleRecord, ParseError> {
    let value: Value =
        serde_yaml_ng::to_value(item).map_err(|e| ParseError::new("article", format!("unreadable value: {e}")))?;
    let fields = Fields::root(&value, "article")?;
    article_from_fields(&fields, SourceKind::File, slug)
}

/// YAML text to a value. serde_yaml_ng refuses alias "billion laughs"
/// expansions and over-deep nesting with an error instead of exhausting memory.
pub(super) fn parse_yaml(yaml: &str) -> Result<Value, ParseError> {
    if yaml.trim().is_empty() {
        return Err(ParseError::new(
            "front matter",
            "empty: no keys between the `---` lines",
        ));
    }
    serde_yaml_ng::from_str(yaml).map_err(|e| ParseError::new("front matter", format!("invalid YAML: {e}")))
}

fn url_error(fields: &Fields, key: &str, raw: &str, err: UrlError) -> ParseError {
    ParseError::new(fields.path(key), format!("{err}: `{}`", clip(raw)))
}

/// An optional URL field, validated as http(s).
fn optional_url(fields: &Fields, key: &str) -> Result<Option<String>, ParseError> {
    let Some(raw) = fields.text(key)? else { return Ok(None) };
    parse_http_url(&raw).map_err(|e| url_error(fields, key, &raw, e))?;
    Ok(Some(raw))
}

/// Builds a record from a mapping of source keys. Used for top-level
/// articles, JSON API items and (recursively, once) related items.
pub(super) fn article_from_fields(
    fields: &Fields,
    kind: SourceKind,
    slug: Option<String>,
) -> Result<ArticleRecord, ParseError> {
    let title = fields.required_text("title")?;
    let web_url = fields.required_text("webUrl")?;
    let canonical_url = canonical_key(&web_url).map_err(|e| url_error(fields, "webUrl", &web_url, e))?;
    let amp_url = optional_url(fields, "ampWebUrl")?;
    // already validated as http(s), so the key always exists
    let amp_key = amp_url.as_deref().and_then(|url| canonical_key(url).ok());

    let provider = fields
        .mapping("provider")?
        .map(|p| provider_from_fields(&p))
        .transpose()?;
    let images = fields
        .mappings("images")?
        .map(|items| images_from_fields(&items))
        .transpose()?;

    let mut record = ArticleRecord {
        kind,
        slug,
        canonical_url,
        amp_key,
        title,
        web_url,
        category: fields.text("category")?,
        article_type: fields.text("type")?,
        excerpt: fields.text("excerpt")?,
        original_url: optional_url(fields, "originalUrl")?,
        amp_url,
        cdn_amp_url: optional_url(fields, "cdnAmpWebUrl")?,
        published_at: fields.datetime("publishedDateTime")?,
        source_updated_at: fields.datetime("updatedDateTime")?,
        provider,
        locale: fields.text("locale")?,
        secured: fields.string("secured")?,
        removed: fields.bool("removed")?,
        quality: fields.int("quality")?,
        heat: fields.int("heat")?,
        published: fields.bool("published")?,
        images,
        topics: fields.strings("topics")?,
        highlight: None,
        related: None,
    };
    if kind == SourceKind::File {
        record.related = fields
            .mappings("related")?
            .map(|items| related_items(&record, &items))
            .transpose()?;
    }
    Ok(record)
}

/// Related items in source order, without links back to the parent and
/// without repeats of a URL already listed (the first one is kept).
fn related_items(parent: &ArticleRecord, items: &[Fields]) -> Result<Vec<ArticleRecord>, ParseError> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut related = Vec::with_capacity(items.len());
    let parsed = items
        .iter()
        .map(|item| article_from_fields(item, SourceKind::Related, None))
        .collect::<Result<Vec<_>, _>>()?;
    for item in &parsed {
        let is_parent = item.canonical_url == parent.canonical_url
            || (item.amp_key.is_some() && item.amp_key == parent.amp_key)
            || parent.amp_key.as_deref() == Some(item.canonical_url.as_str());
        if is_parent || !seen.insert(item.canonical_url.as_str()) {
            continue;
        }
        related.push(item.clone());
    }
    Ok(related)
}

fn provider_from_fields(fields: &Fields) -> Result<ProviderRef, ParseError> {
    let domain = fields.required_text("domain")?.to_ascii_lowercase();
    let name = fields.text("name")?.unwrap_or_else(|| domain.clone());
    let images = fields
        .mappings("images")?
        .map(|items| images_from_fields(&items))
        .transpose()?;
    Ok(ProviderRef { domain, name, images })
}

pub(super) fn images_from_fields(items: &[Fields]) -> Result<Vec<Image>, ParseError> {
    items
        .iter()
        .map(|item| {
            Ok(Image {
                url: item.required_text("url")?,
                width: item.int("width")?,
                height: item.int("height")?,
                is_cached: item.bool("isCached")?,
            })
        })
        .collect()
}

/// The highlight a JSON API item carries (`{text,textColor,backgroundColor}`).
pub(super) fn highlight_from_fields(fields: &Fields) -> Result<Option<Highlight>, ParseError> {
    let Some(highlight) = fields.mapping("highlight")? else {
        return Ok(None);
    };
    let Some(topic_name) = highlight.text("text")? else {
        return Ok(None);
    };
    Ok(Some(Highlight {
        topic_name,
        text_color: highlight.text("textColor")?,
        background_color: highlight.text("backgroundColor")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = "---\ncategory: news\ntitle: \"  Senate passes the bill \"\nexcerpt: \"It passed.\\n    \\n\"\npublishedDateTime: 2020-09-05T21:26:00Z\noriginalUrl: \"https://www.example.com/a\"\nwebUrl: \"https://www.example.com/a\"\nampWebUrl: \"https://www.example.com/a.amp\"\ntype: article\nquality: 150\nheat: -1\npublished: false\nremoved: true\n\nprovider:\n  name: Example News\n  domain: Example.com\n\ntopics:\n  - Election\n  - Donald Trump\n\nimages:\n  - url: \"https://img.example.com/1.jpg\"\n    width: 1050\n    height: 550\n    isCached: true\n\nrelated:\n  - title: \"Self link\"\n    webUrl: \"http://example.com/a/\"\n  - title: \"Other story\"\n    webUrl: \"https://other.example/b\"\n    quality: 90\n  - title: \"Other story again\"\n    webUrl: \"https://other.example/b\"\n\nsecured: \"abc==;def==\"\n---\n\n";

    #[test]
    fn a_full_file_reads_into_a_record() {
        let record = parse_article_file(FULL.as_bytes(), "2020-09-05-senate").unwrap();
        assert_eq!(record.title, "Senate passes the bill");
        assert_eq!(record.excerpt.as_deref(), Some("It passed."));
        assert_eq!(record.canonical_url, "https://example.com/a");
        assert_eq!(record.heat, Some(-1));
        assert_eq!(record.removed, Some(true));
        assert_eq!(record.provider.as_ref().unwrap().domain, "example.com");
        assert_eq!(
            record.topics.as_deref(),
            Some(&["Election".to_string(), "Donald Trump".to_string()][..])
        );
        assert_eq!(record.images.as_ref().unwrap()[0].width, Some(1050));
        assert_eq!(record.secured.as_deref(), Some("abc==;def=="));
        let related = record.related.unwrap();
        assert_eq!(related.len(), 1, "self link and repeated URL are dropped");
        assert_eq!(related[0].title, "Other story");
        assert_eq!(related[0].kind, SourceKind::Related);
    }

    #[test]
    fn crlf_files_read_like_lf_files() {
        let crlf = FULL.replace('\n', "\r\n");
        let a = parse_article_file(FULL.as_bytes(), "s").unwrap();
        let b = parse_article_file(crlf.as_bytes(), "s").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn absent_optional_keys_stay_absent() {
        let minimal = "---\ntitle: T\nwebUrl: https://example.com/x\n---\n";
        let record = parse_article_file(minimal.as_bytes(), "s").unwrap();
        assert_eq!(record.quality, None);
        assert_eq!(record.images, None);
        assert_eq!(record.related, None);
        assert_eq!(record.published, None);
    }

    fn error_of(text: &str) -> ParseError {
        parse_article_file(text.as_bytes(), "s").unwrap_err()
    }

    #[test]
    fn bad_input_names_the_field() {
        assert_eq!(error_of("---\nwebUrl: https://e.com/x\n---\n").field, "title");
        assert_eq!(
            error_of("---\ntitle: T\nwebUrl: javascript:alert(1)\n---\n").field,
            "webUrl"
        );
        assert_eq!(
            error_of("---\ntitle: T\nwebUrl: https://e.com/x\nquality: high\n---\n").field,
            "quality"
        );
        assert_eq!(
            error_of("---\ntitle: T\nwebUrl: https://e.com/x\npublishedDateTime: 2020-02-30T00:00:00Z\n---\n").field,
            "publishedDateTime"
        );
        assert_eq!(
            error_of("---\ntitle: T\nwebUrl: https://e.com/x\nrelated:\n  - title: R\n    webUrl: ftp://x\n---\n")
                .field,
            "related[0].webUrl"
        );
        assert_eq!(error_of("---\ntitle: [unclosed\n---\n").field, "front matter");
        assert_eq!(error_of("no front matter").field, "front matter");
        assert_eq!(error_of("").field, "file");
        assert_eq!(
            parse_article_file(b"\xff\xfe\x00garbage", "s").unwrap_err().field,
            "file"
        );
    }

    #[test]
    fn alias_bombs_are_refused_not_expanded() {
        let mut bomb =
            String::from("---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (i, prev) in ('b'..='j').zip('a'..='i') {
            bomb.push_str(&format!(
                "{i}: &{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
        }
        bomb.push_str("title: T\nwebUrl: https://e.com/x\n---\n");
        let err = error_of(&bomb);
        assert_eq!(err.field, "front matter");
    }
}
