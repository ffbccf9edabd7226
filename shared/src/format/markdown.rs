//! Splitting a markdown file into its YAML front matter and body.

use super::ParseError;

/// Returns the YAML between the opening `---` line and the closing one.
/// Accepts LF and CRLF line endings.
pub fn front_matter(text: &str) -> Result<&str, ParseError> {
    let rest = text
        .strip_prefix("---\r\n")
        .or_else(|| text.strip_prefix("---\n"))
        .ok_or_else(|| ParseError::new("front matter", "missing: the file must start with a `---` line"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']) == "---" {
            return Ok(&rest[..offset]);
        }
        offset += line.len();
    }
    Err(ParseError::new("front matter", "not closed: no second `---` line"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lf_and_crlf_front_matter_split_the_same_way() {
        assert_eq!(front_matter("---\ntitle: a\n---\n\n").unwrap(), "title: a\n");
        assert_eq!(front_matter("---\r\ntitle: a\r\n---\r\n\r\n").unwrap(), "title: a\r\n");
    }

    #[test]
    fn missing_or_unclosed_front_matter_is_an_error() {
        assert_eq!(front_matter("title: a\n").unwrap_err().field, "front matter");
        assert!(
            front_matter("---\ntitle: a\n")
                .unwrap_err()
                .reason
                .contains("not closed")
        );
    }

    #[test]
    fn dashes_inside_values_do_not_close_the_block() {
        assert_eq!(front_matter("---\ntitle: a --- b\n---\n").unwrap(), "title: a --- b\n");
    }
}
