//! The one way YAML text becomes a value here, with a guard in front of the
//! parser.
//!
//! libyaml (under serde_yaml_ng) takes time quadratic in the nesting depth
//! of flow collections: a front matter of 100,000 `[` kept an import busy
//! for two minutes before the parser's own depth limit refused it. No
//! article nests `[ ]` or `{ }` more than a few levels, so text that opens
//! more than [`MAX_FLOW_DEPTH`] of them without closing is refused before
//! the parser sees it, in time linear in its length.

use serde::de::DeserializeOwned;

use super::ParseError;

/// Deepest nesting of flow collections (`[`, `{`) accepted; serde_yaml_ng
/// itself refuses nesting past 128 levels.
pub const MAX_FLOW_DEPTH: usize = 64;

/// `yaml` as a `T`; errors name `what` (`front matter`, `file`).
pub fn from_str<T: DeserializeOwned>(yaml: &str, what: &str) -> Result<T, ParseError> {
    check_flow_depth(yaml, what)?;
    serde_yaml_ng::from_str(yaml).map_err(|e| ParseError::new(what, format!("invalid YAML: {e}")))
}

/// Refuses `yaml` if its flow collections nest deeper than
/// [`MAX_FLOW_DEPTH`]. Brackets inside quoted scalars and comments do not
/// count. The scan is approximate where YAML is subtle (an apostrophe in a
/// plain scalar starts what it takes for a quote), which can only make it
/// count fewer brackets, never more: the parser still has the last word.
fn check_flow_depth(yaml: &str, what: &str) -> Result<(), ParseError> {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<u8> = None;
    let mut bytes = yaml.bytes().peekable();
    let mut previous = b'\n';
    while let Some(byte) = bytes.next() {
        match (quote, byte) {
            (Some(b'"'), b'\\') => {
                bytes.next();
            }
            (Some(open), _) if byte == open => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(byte),
            (None, b'#') if previous.is_ascii_whitespace() => {
                // a comment, to the end of the line
                for next in bytes.by_ref() {
                    if next == b'\n' {
                        break;
                    }
                }
            }
            (None, b'[' | b'{') => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > MAX_FLOW_DEPTH {
                    return Err(ParseError::new(
                        what,
                        format!("invalid YAML: `[` and `{{` nest more than {MAX_FLOW_DEPTH} levels deep"),
                    ));
                }
            }
            (None, b']' | b'}') => depth = depth.saturating_sub(1),
            (None, _) => {}
        }
        previous = byte;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_yaml_ng::Value;

    use super::*;

    #[test]
    fn deep_flow_nesting_is_refused_quickly_with_a_clear_error() {
        let yaml = format!("title: T\nextra: {}\n", "[".repeat(100_000));
        let started = std::time::Instant::now();
        let error = from_str::<Value>(&yaml, "front matter").unwrap_err();
        assert_eq!(error.field, "front matter");
        assert_eq!(error.reason, "invalid YAML: `[` and `{` nest more than 64 levels deep");
        // linear scan: far below the parser's minutes (bound for a broken build only)
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn ordinary_flow_collections_quotes_and_comments_pass() {
        let nested = format!("a: {}1{}\n", "[".repeat(MAX_FLOW_DEPTH), "]".repeat(MAX_FLOW_DEPTH));
        assert!(from_str::<Value>(&nested, "front matter").is_ok());
        let quoted = format!(
            "title: \"{}\"\nexcerpt: '{}'\n# {}\nx: [a, {{b: c}}]\n",
            "[".repeat(500),
            "{".repeat(500),
            "[".repeat(500)
        );
        let value: Value = from_str(&quoted, "front matter").unwrap();
        assert_eq!(value["title"].as_str().unwrap().len(), 500);
    }

    #[test]
    fn closed_collections_do_not_add_up() {
        let many = format!("x: [{}]\n", "[1], ".repeat(10_000));
        assert!(from_str::<Value>(&many, "front matter").is_ok());
    }
}
