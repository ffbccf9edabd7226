//! Keyset cursors: the sort value and the row id of an edge, as base64 JSON.
//!
//! A cursor names a position in one ordering (`k`), so it stays meaningful
//! when rows are inserted, deleted or rescored between two pages: the next
//! page starts strictly after that (value, id) pair, wherever it now is.
//! Cursors are opaque to clients; a malformed one, or one made for another
//! ordering, is `BAD_USER_INPUT`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::graphql::errors::{ApiError, Result};

/// Which ordering a cursor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Heat,
    Quality,
    PublishedAt,
    /// Full-text rank of a search.
    Rank,
    /// Providers by domain.
    Domain,
}

impl SortKey {
    fn tag(self) -> &'static str {
        match self {
            Self::Heat => "heat",
            Self::Quality => "quality",
            Self::PublishedAt => "published_at",
            Self::Rank => "rank",
            Self::Domain => "domain",
        }
    }
}

/// The sort value of a row; `None` where the column is null.
#[derive(Debug, Clone, PartialEq)]
pub enum SortValue {
    Int(Option<i32>),
    Time(Option<DateTime<Utc>>),
    Real(f32),
    Text(String),
}

impl SortValue {
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Int(None) | Self::Time(None))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub key: SortKey,
    pub value: SortValue,
    pub id: i64,
}

#[derive(Serialize, Deserialize)]
struct Raw {
    k: String,
    v: Value,
    i: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let v = match &self.value {
            SortValue::Int(v) => v.map_or(Value::Null, Value::from),
            SortValue::Time(v) => v.map_or(Value::Null, |t| Value::from(t.timestamp_micros())),
            SortValue::Real(v) => Value::from(*v),
            SortValue::Text(v) => Value::from(v.as_str()),
        };
        let raw = Raw {
            k: self.key.tag().to_string(),
            v,
            i: self.id,
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&raw).expect("a cursor serializes"))
    }

    /// Decodes a cursor that must belong to ordering `key`.
    pub fn decode(text: &str, key: SortKey) -> Result<Self> {
        let bad = || {
            ApiError::bad_input(format!(
                "`{}` is not a valid cursor",
                crate::graphql::ids::truncate(text)
            ))
        };
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?;
        let raw: Raw = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if raw.k != key.tag() {
            return Err(ApiError::bad_input(format!(
                "the cursor was made for the order `{}`, not for `{}`",
                raw.k,
                key.tag()
            )));
        }
        let value = match (key, &raw.v) {
            (SortKey::Heat | SortKey::Quality, Value::Null) => SortValue::Int(None),
            (SortKey::Heat | SortKey::Quality, v) => {
                SortValue::Int(Some(v.as_i64().and_then(|n| i32::try_from(n).ok()).ok_or_else(bad)?))
            }
            (SortKey::PublishedAt, Value::Null) => SortValue::Time(None),
            (SortKey::PublishedAt, v) => SortValue::Time(Some(
                v.as_i64().and_then(DateTime::from_timestamp_micros).ok_or_else(bad)?,
            )),
            (SortKey::Rank, v) => SortValue::Real(v.as_f64().filter(|f| f.is_finite()).ok_or_else(bad)? as f32),
            (SortKey::Domain, Value::String(s)) => SortValue::Text(s.clone()),
            (SortKey::Domain, _) => return Err(bad()),
        };
        Ok(Self { key, value, id: raw.i })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_for_every_value_kind() {
        let cases = [
            (SortKey::Heat, SortValue::Int(Some(-1))),
            (SortKey::Quality, SortValue::Int(None)),
            (
                SortKey::PublishedAt,
                SortValue::Time(DateTime::from_timestamp_micros(1_764_000_000_123_456)),
            ),
            (SortKey::PublishedAt, SortValue::Time(None)),
            (SortKey::Rank, SortValue::Real(0.060_792_71)),
            (SortKey::Domain, SortValue::Text("a.example".into())),
        ];
        for (key, value) in cases {
            let cursor = Cursor { key, value, id: 7 };
            assert_eq!(Cursor::decode(&cursor.encode(), key).unwrap(), cursor);
        }
    }

    #[test]
    fn garbage_and_foreign_cursors_are_bad_input() {
        let heat = Cursor {
            key: SortKey::Heat,
            value: SortValue::Int(Some(3)),
            id: 1,
        }
        .encode();
        assert!(Cursor::decode(&heat, SortKey::Quality).is_err());
        for bad in ["", "!!", "bm90IGpzb24", "eyJrIjoiaGVhdCIsInYiOiJ4IiwiaSI6MX0"] {
            assert!(
                matches!(Cursor::decode(bad, SortKey::Heat), Err(ApiError::BadUserInput(_))),
                "{bad}"
            );
        }
    }
}
