//! The Smartable JSON API page, field for field: names, order, and nulls
//! where the source had no value (Smartable's serializer wrote `null`
//! rather than leaving a key out).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use super::query::{ImageRow, ItemRow};

/// `{"page": N, "value": [...], "nextPage": N + 1 | null}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    pub page: u32,
    pub value: Vec<Item>,
    /// The next page's number while more articles follow, `null` on the last page.
    pub next_page: Option<u32>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// The article's source file: `_news/<slug>.md`.
    pub path: String,
    pub title: String,
    pub excerpt: Option<String>,
    pub source_url: Option<String>,
    pub web_url: String,
    pub original_url: String,
    pub featured_content: Option<String>,
    pub highlight: Option<Highlight>,
    pub heat: i32,
    pub tags: Option<Vec<String>>,
    pub images: Vec<Image>,
    pub content: &'static str,
    #[serde(rename = "type")]
    pub kind: String,
    pub amp_web_url: Option<String>,
    pub cdn_amp_web_url: Option<String>,
    pub published_date_time: String,
    pub updated_date_time: Option<String>,
    pub provider: Option<Provider>,
    pub locale: String,
    pub categories: Vec<String>,
    pub topics: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Highlight {
    pub text: String,
    pub text_color: Option<String>,
    pub background_color: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    pub url: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub title: Option<String>,
    pub attribution: Option<String>,
    pub is_cached: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    pub name: String,
    pub domain: String,
    /// `null` when the provider has no logo, as Smartable wrote it.
    pub images: Option<Vec<Image>>,
    pub publishers: Option<Vec<String>>,
    pub authors: Option<Vec<String>>,
}

/// Smartable's locale for the whole site (`_config.yml`), used for articles
/// whose source named none.
const DEFAULT_LOCALE: &str = "en-us";

/// Articles in the Smartable format have no body: their pages carried this.
const EMPTY_CONTENT: &str = "\r\n";

impl From<ItemRow> for Item {
    fn from(row: ItemRow) -> Self {
        let highlight = row.highlight_text.map(|text| Highlight {
            text,
            text_color: row.highlight_text_color,
            background_color: row.highlight_background_color,
        });
        let provider = match (row.provider_name, row.provider_domain) {
            (Some(name), Some(domain)) => {
                let images: Vec<Image> = row
                    .provider_images
                    .map(|images| images.0.into_iter().map(Image::from).collect())
                    .unwrap_or_default();
                Some(Provider {
                    name,
                    domain,
                    images: (!images.is_empty()).then_some(images),
                    publishers: None,
                    authors: None,
                })
            }
            _ => None,
        };
        Item {
            path: format!("_news/{}.md", row.slug),
            title: row.title,
            excerpt: row.excerpt,
            source_url: None,
            original_url: row.original_url.unwrap_or_else(|| row.web_url.clone()),
            web_url: row.web_url,
            featured_content: None,
            highlight,
            heat: row.heat,
            tags: None,
            images: row.images.0.into_iter().map(Image::from).collect(),
            content: EMPTY_CONTENT,
            kind: row.kind.unwrap_or_else(|| "article".to_string()),
            amp_web_url: row.amp_url,
            cdn_amp_web_url: row.cdn_amp_url,
            published_date_time: local_time(row.published_at, row.published_local),
            updated_date_time: row
                .updated_at
                .zip(row.updated_local)
                .map(|(utc, local)| local_time(utc, local)),
            provider,
            locale: row.locale.unwrap_or_else(|| DEFAULT_LOCALE.to_string()),
            categories: row.category.into_iter().collect(),
            topics: row.topics,
        }
    }
}

impl From<ImageRow> for Image {
    fn from(row: ImageRow) -> Self {
        Image {
            url: row.url,
            width: row.width,
            height: row.height,
            title: None,
            attribution: None,
            is_cached: row.is_cached.unwrap_or(false),
        }
    }
}

/// `2021-04-06T12:30:00-07:00`: the wall-clock time in the configured zone
/// (PostgreSQL converted it) with that zone's offset at that instant.
fn local_time(utc: DateTime<Utc>, local: NaiveDateTime) -> String {
    let offset_minutes = (local - utc.naive_utc()).num_minutes();
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let offset_minutes = offset_minutes.abs();
    format!(
        "{}{sign}{:02}:{:02}",
        local.format("%Y-%m-%dT%H:%M:%S"),
        offset_minutes / 60,
        offset_minutes % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_carry_their_offset() {
        let utc = DateTime::parse_from_rfc3339("2021-04-06T19:30:00Z").unwrap().to_utc();
        let pacific = NaiveDateTime::parse_from_str("2021-04-06 12:30:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(local_time(utc, pacific), "2021-04-06T12:30:00-07:00");
        assert_eq!(local_time(utc, utc.naive_utc()), "2021-04-06T19:30:00+00:00");
        let kolkata = NaiveDateTime::parse_from_str("2021-04-07 01:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(local_time(utc, kolkata), "2021-04-07T01:00:00+05:30");
    }

    #[test]
    fn an_empty_page_keeps_every_key() {
        let page = Page {
            page: 1,
            value: vec![],
            next_page: None,
        };
        assert_eq!(
            serde_json::to_string(&page).unwrap(),
            r#"{"page":1,"value":[],"nextPage":null}"#
        );
    }
}
