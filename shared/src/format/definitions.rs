//! Topic (`_data/topics/*.yaml`) and organization (`_data/organizations/*.md`)
//! definition files.

use super::article::{images_from_fields, parse_yaml};
use super::fields::Fields;
use super::{ParseError, decode_text, markdown};
use crate::domain::{OrganizationDefinition, TopicDefinition};
use crate::slug::slugify;

pub fn parse_topic_file(bytes: &[u8]) -> Result<TopicDefinition, ParseError> {
    let text = decode_text(bytes)?;
    let value = parse_yaml(text)?;
    let fields = Fields::root(&value, "file")?;
    let name = fields.required_text("name")?;
    // Articles name their topics ("Donald Trump"): the slug must be the one
    // derived from the name, whatever `_id` says.
    let slug = slugify(&name);
    if slug.is_empty() {
        return Err(ParseError::new("name", "has no letters or digits to make a slug from"));
    }
    Ok(TopicDefinition {
        slug,
        name,
        short_name: fields.text("shortname")?,
        parent_name: fields.text("parent")?,
        keywords: fields.strings("keywords")?.unwrap_or_default(),
        hashtags: fields.strings("hashtags")?.unwrap_or_default(),
        images: fields.strings("images")?.unwrap_or_default(),
    })
}

pub fn parse_organization_file(bytes: &[u8]) -> Result<OrganizationDefinition, ParseError> {
    let text = decode_text(bytes)?;
    let value = parse_yaml(markdown::front_matter(text)?)?;
    let fields = Fields::root(&value, "front matter")?;
    let domain = fields
        .text("domain")?
        .or(fields.text("_id")?)
        .ok_or_else(|| ParseError::new("domain", "missing (required)"))?
        .to_ascii_lowercase();
    Ok(OrganizationDefinition {
        name: fields.text("name")?.unwrap_or_else(|| domain.clone()),
        images: fields
            .mappings("images")?
            .map(|items| images_from_fields(&items))
            .transpose()?
            .unwrap_or_default(),
        domain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_definitions_read_parent_and_lists() {
        let text = "taxonomy: topic\n_id: donald-trump\nname: Donald Trump\nshortname: Trump\nparent: Election\nkeywords:\n  - trump\nhashtags:\n  - \"#Trump\"\nimages:\n  - https://e.com/t.jpg\nservices:\n  news: https://e.com/api/\n";
        let topic = parse_topic_file(text.as_bytes()).unwrap();
        assert_eq!(topic.slug, "donald-trump");
        assert_eq!(topic.parent_name.as_deref(), Some("Election"));
        assert_eq!(topic.hashtags, vec!["#Trump"]);
        let bare = parse_topic_file(b"name: Election\nkeywords:\nimages:\n").unwrap();
        assert!(bare.keywords.is_empty() && bare.parent_name.is_none());
    }

    #[test]
    fn organization_definitions_key_on_domain() {
        let text = "---\ntaxonomy: organization\n_id: abcnews.go.com\nname: ABC News\ndomain: abcnews.go.com\nimages:\n  - url: /a.jpg\n    width: 50\n    height: 50\n---\n";
        let org = parse_organization_file(text.as_bytes()).unwrap();
        assert_eq!(org.domain, "abcnews.go.com");
        assert_eq!(org.name, "ABC News");
        assert_eq!(org.images.len(), 1);
        assert_eq!(parse_topic_file(b"keywords: []\n").unwrap_err().field, "name");
    }
}
