//! Topic (`_data/topics/*.yaml`) and organization (`_data/organizations/*.md`)
//! definition files.

use super::article::{check_image_url, images_from_fields, parse_yaml, parse_yaml_as};
use super::fields::{Fields, MAX_DOMAIN_CHARS, MAX_NAME_CHARS, clip};
use super::{ParseError, decode_text, markdown};
use crate::domain::{OrganizationDefinition, TopicDefinition};
use crate::slug::slugify;
use crate::urls::{MAX_URL_BYTES, SiteAddress};

pub fn parse_topic_file(bytes: &[u8]) -> Result<TopicDefinition, ParseError> {
    let text = decode_text(bytes)?;
    let value = parse_yaml_as(&text, "file")?;
    let fields = Fields::root(&value, "file")?;
    let name = fields.required_short_text("name", MAX_NAME_CHARS)?;
    // Articles name their topics ("Donald Trump"): the slug must be the one
    // derived from the name, whatever `_id` says.
    let slug = slugify(&name);
    let images = fields.strings("images", MAX_URL_BYTES)?.unwrap_or_default();
    for (i, url) in images.iter().enumerate() {
        check_image_url(url).map_err(|e| ParseError::new(format!("images[{i}]"), format!("{e}: `{}`", clip(url))))?;
    }
    if slug.is_empty() {
        return Err(ParseError::new("name", "has no letters or digits to make a slug from"));
    }
    Ok(TopicDefinition {
        slug,
        name,
        short_name: fields.short_text("shortname", MAX_NAME_CHARS)?,
        parent_name: fields.short_text("parent", MAX_NAME_CHARS)?,
        keywords: fields.strings("keywords", MAX_NAME_CHARS)?.unwrap_or_default(),
        hashtags: fields.strings("hashtags", MAX_NAME_CHARS)?.unwrap_or_default(),
        images,
    })
}

pub fn parse_organization_file(bytes: &[u8]) -> Result<OrganizationDefinition, ParseError> {
    let text = decode_text(bytes)?;
    let value = parse_yaml(markdown::front_matter(&text)?)?;
    let fields = Fields::root(&value, "front matter")?;
    let domain = fields
        .short_text("domain", MAX_DOMAIN_CHARS)?
        .or(fields.short_text("_id", MAX_DOMAIN_CHARS)?)
        .ok_or_else(|| ParseError::new("domain", "missing (required)"))?
        .to_ascii_lowercase();
    Ok(OrganizationDefinition {
        name: fields
            .short_text("name", MAX_NAME_CHARS)?
            .unwrap_or_else(|| domain.clone()),
        images: fields
            .mappings("images")?
            .map(|items| images_from_fields(&items))
            .transpose()?
            .unwrap_or_default(),
        domain,
    })
}

/// Jekyll's `_config.yml`: the site's address from `url` and `baseurl`;
/// `None` when it names no `url` (other keys are Jekyll's business).
pub fn parse_site_config(bytes: &[u8]) -> Result<Option<SiteAddress>, ParseError> {
    let text = decode_text(bytes)?;
    let value = parse_yaml_as(&text, "file")?;
    let fields = Fields::root(&value, "file")?;
    let Some(url) = fields.text("url")? else {
        return Ok(None);
    };
    let baseurl = fields.text("baseurl")?.unwrap_or_default();
    SiteAddress::new(&url, &baseurl)
        .map(Some)
        .map_err(|e| ParseError::new("url", format!("{e}: `{}`", clip(&url))))
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
    fn site_configs_give_url_and_baseurl() {
        let site = parse_site_config(b"title: Election\nurl: https://smartableai.github.io\nbaseurl: \"/election\"\n")
            .unwrap()
            .unwrap();
        assert_eq!(site.to_string(), "https://smartableai.github.io/election");
        assert_eq!(parse_site_config(b"title: no address\n").unwrap(), None);
        assert_eq!(parse_site_config(b"url: /election\n").unwrap_err().field, "url");
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
