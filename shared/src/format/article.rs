//! Article records from Smartable markdown files and JSON API items.

use std::collections::HashSet;

use serde_yaml_ng::Value;

use super::fields::{Fields, MAX_DOMAIN_CHARS, MAX_EXCERPT_CHARS, MAX_NAME_CHARS, MAX_TITLE_CHARS, clip};
use super::{ParseError, decode_text, markdown};
use crate::domain::{ArticleRecord, Highlight, Image, ProviderRef, SourceKind};
use crate::urls::{MAX_URL_BYTES, UrlError, canonical_key, parse_http_url};

/// Parses one article file. `slug` is the file name without `.md`.
pub fn parse_article_file(bytes: &[u8], slug: &str) -> Result<ArticleRecord, ParseError> {
    let text = decode_text(bytes)?;
    let yaml = markdown::front_matter(&text)?;
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
    let record = article_from_fields(&fields, SourceKind::File, slug)?;
    // A record sent on its own has no site to resolve `/assets/...` against.
    if let Some((field, url)) = record.first_site_path() {
        return Err(ParseError::new(
            field,
            format!(
                "a site path, not an absolute URL: `{}` (send the absolute URL)",
                clip(url)
            ),
        ));
    }
    Ok(record)
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
    parse_yaml_as(yaml, "front matter")
}

/// YAML text to a value; errors name `what` (`front matter`, `file`).
pub(super) fn parse_yaml_as(yaml: &str, what: &str) -> Result<Value, ParseError> {
    super::yaml::from_str(yaml, what)
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

/// Checks an image URL: http(s), or a path on the source's own site
/// (`/assets/...`) as organization definitions ship them; never
/// `javascript:`, `data:` or another scheme.
pub(super) fn check_image_url(raw: &str) -> Result<(), UrlError> {
    if crate::urls::is_site_path(raw) {
        return match raw.len() {
            n if n > MAX_URL_BYTES => Err(UrlError::TooLong(n)),
            _ => Ok(()),
        };
    }
    parse_http_url(raw).map(|_| ())
}

/// Builds a record from a mapping of source keys. Used for top-level
/// articles, JSON API items and (recursively, once) related items.
pub(super) fn article_from_fields(
    fields: &Fields,
    kind: SourceKind,
    slug: Option<String>,
) -> Result<ArticleRecord, ParseError> {
    let title = fields.required_short_text("title", MAX_TITLE_CHARS)?;
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
        category: fields.short_text("category", MAX_NAME_CHARS)?,
        article_type: fields.short_text("type", MAX_NAME_CHARS)?,
        excerpt: fields.short_text("excerpt", MAX_EXCERPT_CHARS)?,
        original_url: optional_url(fields, "originalUrl")?,
        amp_url,
        cdn_amp_url: optional_url(fields, "cdnAmpWebUrl")?,
        published_at: fields.datetime("publishedDateTime")?,
        source_updated_at: fields.datetime("updatedDateTime")?,
        provider,
        locale: fields.short_text("locale", MAX_NAME_CHARS)?,
        secured: fields.string("secured")?,
        removed: fields.bool("removed")?,
        quality: fields.int("quality")?,
        heat: fields.int("heat")?,
        published: fields.bool("published")?,
        images,
        topics: fields.strings("topics", MAX_NAME_CHARS)?,
        highlight: None,
        related: None,
        related_items: None,
    };
    if kind == SourceKind::File
        && let Some(items) = fields.mappings("related")?
    {
        record.related_items = Some(i32::try_from(items.len()).unwrap_or(i32::MAX));
        record.related = Some(related_items(&record, &items)?);
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
        let is_parent = crate::domain::same_article(item, parent);
        if is_parent || !seen.insert(item.canonical_url.as_str()) {
            continue;
        }
        related.push(item.clone());
    }
    Ok(related)
}

fn provider_from_fields(fields: &Fields) -> Result<ProviderRef, ParseError> {
    let domain = fields
        .required_short_text("domain", MAX_DOMAIN_CHARS)?
        .to_ascii_lowercase();
    let name = fields
        .short_text("name", MAX_NAME_CHARS)?
        .unwrap_or_else(|| domain.clone());
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
            let url = item.required_text("url")?;
            check_image_url(&url).map_err(|e| url_error(item, "url", &url, e))?;
            Ok(Image {
                url,
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
    let Some(topic_name) = highlight.short_text("text", MAX_NAME_CHARS)? else {
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
            parse_article_file(b"\x00\x01\x02garbage", "s").unwrap_err().field,
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

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        bom.then_some(0xFEFF)
            .into_iter()
            .chain(text.encode_utf16())
            .flat_map(|u| if big_endian { u.to_be_bytes() } else { u.to_le_bytes() })
            .collect()
    }

    #[test]
    fn utf16_with_a_byte_order_mark_reads_like_utf8() {
        let plain = parse_article_file(FULL.as_bytes(), "s").unwrap();
        assert_eq!(parse_article_file(&utf16(FULL, false, true), "s").unwrap(), plain);
        assert_eq!(parse_article_file(&utf16(FULL, true, true), "s").unwrap(), plain);
        let crlf = FULL.replace('\n', "\r\n");
        assert_eq!(parse_article_file(&utf16(&crlf, false, true), "s").unwrap(), plain);
    }

    #[test]
    fn encodings_that_would_need_guessing_are_refused_with_the_reason() {
        for big_endian in [false, true] {
            let err = parse_article_file(&utf16(FULL, big_endian, false), "s").unwrap_err();
            assert_eq!(err.field, "file");
            assert!(err.reason.contains("UTF-16 text without a byte-order mark"), "{err}");
        }
        let latin1: Vec<u8> = FULL
            .replace("Senate", "S\u{e9}nat")
            .chars()
            .map(|c| c as u32 as u8)
            .collect();
        let err = parse_article_file(&latin1, "s").unwrap_err();
        assert_eq!(err.field, "file");
        assert!(err.reason.contains("invalid byte 0xE9 at offset 30, line 3"), "{err}");
        let odd = [utf16(FULL, false, true), vec![b'x']].concat();
        assert!(
            parse_article_file(&odd, "s")
                .unwrap_err()
                .reason
                .contains("odd number of bytes")
        );
    }

    #[test]
    fn values_too_long_for_their_field_are_refused_naming_it() {
        let long = |n: usize| (0..n).map(|i| format!("w{i} ")).collect::<String>();
        let with = |from: &str, to: &str| error_of(&FULL.replace(from, to));
        let err = with("\"  Senate passes the bill \"", &long(2_000));
        assert_eq!(err.field, "title");
        assert!(err.reason.contains("longer than the 1000-character limit"), "{err}");
        assert_eq!(with("  - Election", &format!("  - {}", long(100))).field, "topics[0]");
        assert_eq!(with("It passed.", &long(10_000)).field, "excerpt");
        assert_eq!(with("Example.com", &"e".repeat(300)).field, "provider.domain");
        let err = with(
            "https://www.example.com/a\"\nwebUrl",
            &format!("https://e.com/{}\"\nwebUrl", "a".repeat(3_000)),
        );
        assert_eq!(err.field, "originalUrl");
        assert!(err.reason.contains("over the 2048-byte limit"), "{err}");
    }

    #[test]
    fn image_urls_must_be_http_or_a_site_path() {
        let with = |url: &str| FULL.replace("https://img.example.com/1.jpg", url);
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "//evil.example/x.jpg",
        ] {
            let err = error_of(&with(bad));
            assert_eq!(err.field, "images[0].url", "{bad}");
        }
        assert!(parse_article_file(with("/assets/images/a.jpg").as_bytes(), "s").is_ok());
    }
}
