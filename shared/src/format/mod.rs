//! Parsers for the Smartable formats: article markdown files with YAML front
//! matter, JSON API pages, and topic / organization definition files.
//!
//! Parsing is strict about types and lenient about presence: an absent key is
//! simply "not said", a key with the wrong type is an error naming the field.

use std::borrow::Cow;

mod article;
mod definitions;
mod fields;
mod json_page;
mod keys;
mod markdown;
mod yaml;

pub use article::{parse_article_file, parse_article_json};
pub use definitions::{parse_organization_file, parse_site_config, parse_topic_file};
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

/// Decodes file bytes as text. UTF-8 is the format's encoding (a byte-order
/// mark is stripped); UTF-16 is read too when a byte-order mark says which
/// byte order it is, as editors on Windows write it. Anything else -- Latin-1,
/// UTF-16 without a mark, binary content -- is refused rather than guessed
/// at, with the offset and line of the first bad byte.
pub fn decode_text(bytes: &[u8]) -> Result<Cow<'_, str>, ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::new("file", "file is empty"));
    }
    let text = if let Some(units) = bytes.strip_prefix(b"\xFF\xFE") {
        Cow::Owned(decode_utf16(units, u16::from_le_bytes, "UTF-16LE")?)
    } else if let Some(units) = bytes.strip_prefix(b"\xFE\xFF") {
        Cow::Owned(decode_utf16(units, u16::from_be_bytes, "UTF-16BE")?)
    } else {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        Cow::Borrowed(std::str::from_utf8(bytes).map_err(|e| {
            let at = e.valid_up_to();
            ParseError::new(
                "file",
                format!(
                    "not UTF-8 text (invalid byte 0x{:02X} at offset {at}, line {}); save it as UTF-8",
                    bytes[at],
                    bytes[..at].iter().filter(|b| **b == b'\n').count() + 1
                ),
            )
        })?)
    };
    if text.contains('\0') {
        let reason = if looks_like_utf16(bytes) {
            "UTF-16 text without a byte-order mark (its byte order is unknown); save it as UTF-8"
        } else {
            "binary content (NUL byte)"
        };
        return Err(ParseError::new("file", reason));
    }
    if text.trim().is_empty() {
        return Err(ParseError::new("file", "file has only whitespace"));
    }
    Ok(text)
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16, name: &str) -> Result<String, ParseError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(ParseError::new(
            "file",
            format!("{name} text with an odd number of bytes (truncated?)"),
        ));
    }
    char::decode_utf16(bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]])))
        .enumerate()
        .map(|(i, unit)| {
            unit.map_err(|_| {
                ParseError::new(
                    "file",
                    format!("not {name} text (unpaired surrogate at offset {})", 2 + 2 * i),
                )
            })
        })
        .collect()
}

/// ASCII text in UTF-16 has a NUL in every other byte, on the same side.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    let pairs: Vec<&[u8]> = bytes.chunks_exact(2).take(32).collect();
    !pairs.is_empty() && (pairs.iter().all(|p| p[0] == 0 && p[1] != 0) || pairs.iter().all(|p| p[0] != 0 && p[1] == 0))
}
