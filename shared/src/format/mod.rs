//! Parsers for the Smartable formats: article markdown files with YAML front
//! matter, JSON API pages, and topic / organization definition files.
//!
//! Parsing is strict about types and lenient about presence: an absent key is
//! simply "not said", a key with the wrong type is an error naming the field.

mod article;
mod definitions;
mod fields;
mod json_page;
mod keys;
mod markdown;

pub use article::{parse_article_file, parse_article_json};
pub use definitions::{parse_organization_file, parse_topic_file};
pub use json_page::parse_json_page;
pub use keys::{ArticleKey, article_file_keys, json_page_keys};

/// Largest file the parsers accept. Real article files reach a few hundred
/// KB; anything this big is not an article.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// What is wrong with one input file: the field (or `file`, `front matter`)
/// and a human reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ParseError {
    pub field: String,
    pub reason: String,
}

impl ParseError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Decodes file bytes as UTF-8 text: strips a byte-order mark, refuses
/// binary content with the offset of the first bad byte.
pub fn decode_text(bytes: &[u8]) -> Result<&str, ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::new("file", "file is empty"));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ParseError::new(
            "file",
            format!("not UTF-8 text (invalid byte at offset {})", e.valid_up_to()),
        )
    })?;
    if text.contains('\0') {
        return Err(ParseError::new("file", "binary content (NUL byte)"));
    }
    if text.trim().is_empty() {
        return Err(ParseError::new("file", "file has only whitespace"));
    }
    Ok(text)
}
