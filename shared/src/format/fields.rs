//! Typed access to the keys of a YAML mapping, with errors that name the
//! field's full path (`related[3].provider.domain`).

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde_yaml_ng::{Mapping, Value};

use super::ParseError;

/// Longest title: a headline, not a body (real ones stay under 200).
pub const MAX_TITLE_CHARS: usize = 1_000;
/// Longest excerpt. Title and excerpt feed the search vector, which
/// PostgreSQL caps at 1 MB.
pub const MAX_EXCERPT_CHARS: usize = 20_000;
/// Longest label: topic, provider and category names. Topic names become
/// unique slugs, which must stay small enough for their btree index.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest domain name (DNS's own limit); domains are unique keys too.
pub const MAX_DOMAIN_CHARS: usize = 253;

fn check_length(text: &str, max_chars: usize) -> Result<(), String> {
    // bytes bound chars from above: most values never need counting
    if text.len() <= max_chars {
        return Ok(());
    }
    match text.chars().count() {
        n if n > max_chars => Err(format!("{n} characters is longer than the {max_chars}-character limit")),
        _ => Ok(()),
    }
}

/// A mapping plus the path that leads to it, for error messages.
pub struct Fields<'a> {
    map: &'a Mapping,
    path: String,
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

impl<'a> Fields<'a> {
    pub fn root(value: &'a Value, what: &str) -> Result<Self, ParseError> {
        match value {
            Value::Mapping(map) => Ok(Self {
                map,
                path: String::new(),
            }),
            other => Err(ParseError::new(
                what,
                format!("expected a mapping of keys, found {}", type_name(other)),
            )),
        }
    }

    pub fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn error(&self, key: &str, reason: impl Into<String>) -> ParseError {
        ParseError::new(self.path(key), reason)
    }

    /// The value under `key`; an explicit `null`/`~` counts as absent.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => Some(value),
        }
    }

    pub fn string(&self, key: &str) -> Result<Option<String>, ParseError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            // an unquoted `title: 2020` is still text
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(self.error(key, format!("expected a string, found {}", type_name(other)))),
        }
    }

    /// A string with surrounding whitespace removed; blank counts as absent.
    pub fn text(&self, key: &str) -> Result<Option<String>, ParseError> {
        Ok(self
            .string(key)?
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()))
    }

    pub fn required_text(&self, key: &str) -> Result<String, ParseError> {
        self.text(key)?.ok_or_else(|| self.error(key, "missing (required)"))
    }

    /// `text` of at most `max_chars` characters.
    pub fn short_text(&self, key: &str, max_chars: usize) -> Result<Option<String>, ParseError> {
        let text = self.text(key)?;
        if let Some(text) = &text {
            check_length(text, max_chars).map_err(|reason| self.error(key, reason))?;
        }
        Ok(text)
    }

    pub fn required_short_text(&self, key: &str, max_chars: usize) -> Result<String, ParseError> {
        self.short_text(key, max_chars)?
            .ok_or_else(|| self.error(key, "missing (required)"))
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ParseError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.error(key, format!("expected true or false, found {}", type_name(other)))),
        }
    }

    pub fn int(&self, key: &str) -> Result<Option<i32>, ParseError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64().and_then(|v| i32::try_from(v).ok()) {
                Some(v) => Ok(Some(v)),
                None => Err(self.error(key, format!("expected a whole number in 32-bit range, found {n}"))),
            },
            Some(other) => Err(self.error(key, format!("expected a whole number, found {}", type_name(other)))),
        }
    }

    /// A timestamp: RFC 3339 with `Z` or an offset, or a naive date-time
    /// taken as UTC.
    pub fn datetime(&self, key: &str) -> Result<Option<DateTime<Utc>>, ParseError> {
        let Some(raw) = self.text(key)? else { return Ok(None) };
        parse_datetime(&raw).map(Some).ok_or_else(|| {
            self.error(
                key,
                format!("not a date-time: `{}` (expected e.g. 2020-09-05T21:26:00Z)", clip(&raw)),
            )
        })
    }

    pub fn mapping(&self, key: &str) -> Result<Option<Fields<'a>>, ParseError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Mapping(map)) => Ok(Some(Fields {
                map,
                path: self.path(key),
            })),
            Some(other) => Err(self.error(key, format!("expected a mapping, found {}", type_name(other)))),
        }
    }

    /// A list whose items are mappings, each with its indexed path.
    pub fn mappings(&self, key: &str) -> Result<Option<Vec<Fields<'a>>>, ParseError> {
        let Some(items) = self.sequence(key)? else {
            return Ok(None);
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = format!("{}[{i}]", self.path(key));
                match item {
                    Value::Mapping(map) => Ok(Fields { map, path }),
                    other => Err(ParseError::new(
                        path,
                        format!("expected a mapping, found {}", type_name(other)),
                    )),
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A list of strings of at most `max_chars` characters each (blank
    /// items dropped).
    pub fn strings(&self, key: &str, max_chars: usize) -> Result<Option<Vec<String>>, ParseError> {
        let Some(items) = self.sequence(key)? else {
            return Ok(None);
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                Value::String(s) if s.trim().is_empty() => None,
                Value::String(s) => Some(
                    check_length(s.trim(), max_chars)
                        .map(|()| s.trim().to_string())
                        .map_err(|reason| ParseError::new(format!("{}[{i}]", self.path(key)), reason)),
                ),
                Value::Null => None,
                other => Some(Err(ParseError::new(
                    format!("{}[{i}]", self.path(key)),
                    format!("expected a string, found {}", type_name(other)),
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn sequence(&self, key: &str) -> Result<Option<&'a Vec<Value>>, ParseError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Sequence(items)) => Ok(Some(items)),
            Some(other) => Err(self.error(key, format!("expected a list, found {}", type_name(other)))),
        }
    }
}

pub fn parse_datetime(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::<FixedOffset>::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc));
    }
    // YAML 1.1 also allows a space instead of `T` and `+00:00` style offsets.
    for format in [
        "%Y-%m-%d %H:%M:%S%.f %:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(at) = DateTime::parse_from_str(raw, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(at.and_utc());
        }
    }
    None
}

/// Quotes at most 60 characters of a bad value in an error message.
pub fn clip(raw: &str) -> String {
    match raw.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &raw[..cut]),
        None => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_with_z_offsets_and_spaces_parse_to_the_same_instant() {
        let z = parse_datetime("2021-04-06T19:30:00Z").unwrap();
        assert_eq!(parse_datetime("2021-04-06T12:30:00-07:00"), Some(z));
        assert_eq!(parse_datetime("2021-04-06 19:30:00 +00:00"), Some(z));
        assert_eq!(parse_datetime("2021-04-06T19:30:00"), Some(z));
        assert_eq!(parse_datetime("yesterday"), None);
        assert_eq!(parse_datetime("2021-13-45T99:00:00Z"), None);
    }

    #[test]
    fn wrong_types_name_the_full_path() {
        let value: Value = serde_yaml_ng::from_str("provider:\n  name: [7]\nquality: high\n").unwrap();
        let root = Fields::root(&value, "front matter").unwrap();
        let err = root.int("quality").unwrap_err();
        assert_eq!(err.field, "quality");
        assert!(err.reason.contains("found a string"));
        let provider = root.mapping("provider").unwrap().unwrap();
        assert_eq!(provider.string("name").unwrap_err().field, "provider.name");
    }
}
