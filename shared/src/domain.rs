//! Validated domain types produced by the parsers and consumed by ingest.
//!
//! Every optional source field is an `Option`: `None` means "the source did
//! not say", which is different from an empty value and never erases what a
//! previous record stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an article record came from. A top-level record (its own file or a
/// JSON API item) outranks a sparse copy found in somebody's `related` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SourceKind {
    Related,
    File,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Related => "related",
            SourceKind::File => "file",
        }
    }

    pub fn from_db(value: &str) -> Self {
        if value == "file" {
            SourceKind::File
        } else {
            SourceKind::Related
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub url: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub is_cached: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRef {
    /// Lowercased domain: the provider's identity.
    pub domain: String,
    pub name: String,
    pub images: Option<Vec<Image>>,
}

/// One article as the source describes it, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleRecord {
    pub kind: SourceKind,
    /// File name stem for top-level records; `None` for related items (a slug
    /// is then built from date and title).
    pub slug: Option<String>,
    /// Normalised webUrl: the dedupe key.
    pub canonical_url: String,
    /// Normalised AMP URL, also matched when deduplicating.
    pub amp_key: Option<String>,
    pub title: String,
    pub web_url: String,
    pub category: Option<String>,
    pub article_type: Option<String>,
    pub excerpt: Option<String>,
    pub original_url: Option<String>,
    pub amp_url: Option<String>,
    pub cdn_amp_url: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub source_updated_at: Option<DateTime<Utc>>,
    pub provider: Option<ProviderRef>,
    pub locale: Option<String>,
    pub secured: Option<String>,
    pub removed: Option<bool>,
    pub quality: Option<i32>,
    pub heat: Option<i32>,
    pub published: Option<bool>,
    pub images: Option<Vec<Image>>,
    /// Topic names in source order.
    pub topics: Option<Vec<String>>,
    /// Highlight colours a JSON API item carries for one of its topics.
    pub highlight: Option<Highlight>,
    /// Related items in source order: self-links and repeated URLs removed.
    pub related: Option<Vec<ArticleRecord>>,
    /// The length of the related list as the source shipped it, self-links
    /// and repeats included (Smartable's heat counts every item).
    pub related_items: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlight {
    pub topic_name: String,
    pub text_color: Option<String>,
    pub background_color: Option<String>,
}

/// A topic definition file (`_data/topics/*.yaml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDefinition {
    pub slug: String,
    pub name: String,
    pub short_name: Option<String>,
    pub parent_name: Option<String>,
    pub keywords: Vec<String>,
    pub hashtags: Vec<String>,
    pub images: Vec<String>,
}

/// An organization definition file (`_data/organizations/*.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationDefinition {
    pub domain: String,
    pub name: String,
    pub images: Vec<Image>,
}

impl ArticleRecord {
    /// Folds a later record for the same article into this one.
    ///
    /// A top-level record's fields win over what came before; fields the later
    /// record lacks never erase earlier ones. A sparse related copy only fills
    /// the gaps of an article already seen at top level. `removed` follows the
    /// same rule, so a later copy that merely omits the flag does not revive a
    /// tombstone.
    pub fn merge(&mut self, later: ArticleRecord) {
        let fill_only = self.kind == SourceKind::File && later.kind == SourceKind::Related;
        macro_rules! take {
            ($($field:ident),*) => {$(
                if later.$field.is_some() && (!fill_only || self.$field.is_none()) {
                    self.$field = later.$field;
                }
            )*};
        }
        take!(
            slug,
            amp_key,
            category,
            article_type,
            excerpt,
            original_url,
            amp_url,
            cdn_amp_url,
            published_at,
            source_updated_at,
            provider,
            locale,
            secured,
            removed,
            quality,
            heat,
            published,
            images,
            topics,
            highlight,
            related,
            related_items
        );
        if !fill_only {
            self.title = later.title;
            self.web_url = later.web_url;
        }
        self.kind = self.kind.max(later.kind);
    }
}
