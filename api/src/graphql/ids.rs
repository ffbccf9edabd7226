//! Global object ids: base64 of `Type:number`, opaque to clients.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::graphql::errors::{ApiError, Result};

/// The types that have global ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Article,
    Topic,
    Provider,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Article => "Article",
            Self::Topic => "Topic",
            Self::Provider => "Provider",
        }
    }
}

pub fn encode(kind: Kind, id: i64) -> async_graphql::ID {
    async_graphql::ID(STANDARD.encode(format!("{}:{id}", kind.name())))
}

/// Decodes any global id; a malformed one is `BAD_USER_INPUT`.
pub fn decode(id: &str) -> Result<(Kind, i64)> {
    let bad = || ApiError::bad_input(format!("`{}` is not a valid id", truncate(id)));
    let bytes = STANDARD.decode(id.trim()).map_err(|_| bad())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
    let (kind, number) = text.split_once(':').ok_or_else(bad)?;
    let kind = match kind {
        "Article" => Kind::Article,
        "Topic" => Kind::Topic,
        "Provider" => Kind::Provider,
        _ => return Err(bad()),
    };
    let number: i64 = number.parse().map_err(|_| bad())?;
    if number <= 0 {
        return Err(bad());
    }
    Ok((kind, number))
}

/// Decodes an id that must be of `kind`.
pub fn decode_as(id: &str, kind: Kind) -> Result<i64> {
    match decode(id)? {
        (found, number) if found == kind => Ok(number),
        (found, _) => Err(ApiError::bad_input(format!(
            "`{}` is the id of a {}, not of a {}",
            truncate(id),
            found.name(),
            kind.name()
        ))),
    }
}

/// Long garbage is not echoed back whole.
pub(crate) fn truncate(text: &str) -> &str {
    match text.char_indices().nth(64) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_garbage_is_bad_input() {
        let id = encode(Kind::Topic, 42);
        assert_eq!(id.0, "VG9waWM6NDI=");
        assert_eq!(decode(&id).unwrap(), (Kind::Topic, 42));
        assert_eq!(decode_as(&id, Kind::Topic).unwrap(), 42);
        for bad in [
            "",
            "%%%",
            "QXJ0aWNsZQ==",
            "QXJ0aWNsZTp4",
            "Rm9vOjE=",
            "QXJ0aWNsZTotMQ==",
        ] {
            assert!(matches!(decode(bad), Err(ApiError::BadUserInput(_))), "{bad}");
        }
        assert!(matches!(decode_as(&id, Kind::Article), Err(ApiError::BadUserInput(_))));
    }
}
