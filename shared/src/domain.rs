//! Validated domain types produced by the parsers and consumed by ingest.
//!
//! Every optional source field is an `Option`: `None` means "the source did
//! not say", which is different from an empty value and never erases what a
//! previous record stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::urls::{SiteAddress, is_site_path};

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

/// Adds `incoming` images to `stored`, one entry per URL: a URL already
/// stored keeps its place and gains the fields it lacked (`isCached`, a
/// size). Returns whether `stored` changed. Union, not replacement: a
/// provider's logos may be seen in any order, in several files and runs,
/// and a sighting without them (a related item) or with fewer fields must
/// not take away what another one brought.
pub fn merge_images(stored: &mut Vec<Image>, incoming: &[Image]) -> bool {
    let mut changed = false;
    for image in incoming {
        match stored.iter_mut().find(|s| s.url == image.url) {
            Some(known) => {
                for (field, value) in [(&mut known.width, image.width), (&mut known.height, image.height)] {
                    if field.is_none() && value.is_some() {
                        *field = value;
                        changed = true;
                    }
                }
                if known.is_cached.is_none() && image.is_cached.is_some() {
                    known.is_cached = image.is_cached;
                    changed = true;
                }
            }
            None => {
                stored.push(image.clone());
                changed = true;
            }
        }
    }
    changed
}

/// Resolves the site paths among `items` (their URL reached through `url`)
/// against `site`; without a site address they are removed (we serve
/// absolute URLs only). Returns how many were removed.
fn resolve_urls<T>(items: &mut Vec<T>, url: fn(&mut T) -> &mut String, site: Option<&SiteAddress>) -> usize {
    let before = items.len();
    match site {
        Some(site) => items.iter_mut().for_each(|item| {
            let url = url(item);
            *url = site.resolve(url);
        }),
        None => items.retain_mut(|item| !is_site_path(url(item))),
    }
    before - items.len()
}

fn resolve_images(images: &mut Vec<Image>, site: Option<&SiteAddress>) -> usize {
    resolve_urls(images, |image| &mut image.url, site)
}

/// Whether two records describe one article: the same canonical webUrl, or
/// one's webUrl is the other's AMP URL (a copy that only knows the AMP
/// page). Two records with different webUrls that merely share an AMP URL
/// are two articles: publishers give one AMP page to every entry of a live
/// blog, and to rewritten versions of a story under a new URL.
pub fn same_article(a: &ArticleRecord, b: &ArticleRecord) -> bool {
    a.canonical_url == b.canonical_url
        || b.amp_key.as_deref() == Some(a.canonical_url.as_str())
        || a.amp_key.as_deref() == Some(b.canonical_url.as_str())
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

impl OrganizationDefinition {
    /// See [`ArticleRecord::resolve_site_paths`].
    pub fn resolve_site_paths(&mut self, site: Option<&SiteAddress>) -> usize {
        resolve_images(&mut self.images, site)
    }
}

impl TopicDefinition {
    /// See [`ArticleRecord::resolve_site_paths`].
    pub fn resolve_site_paths(&mut self, site: Option<&SiteAddress>) -> usize {
        resolve_urls(&mut self.images, |url| url, site)
    }
}

impl ArticleRecord {
    /// Makes every image URL absolute: site paths (`/assets/...`) are
    /// resolved against the site's address, or removed when it is unknown.
    /// Returns how many were removed.
    pub fn resolve_site_paths(&mut self, site: Option<&SiteAddress>) -> usize {
        let mut removed = self.images.as_mut().map_or(0, |i| resolve_images(i, site));
        if let Some(images) = self.provider.as_mut().and_then(|p| p.images.as_mut()) {
            removed += resolve_images(images, site);
        }
        for item in self.related.iter_mut().flatten() {
            removed += item.resolve_site_paths(site);
        }
        removed
    }

    /// The first image URL that is a site path, with its field path, for
    /// callers that cannot resolve one (the ingest mutation has no site).
    pub fn first_site_path(&self) -> Option<(String, &str)> {
        let own = self
            .images
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, img)| (format!("images[{i}].url"), img));
        let provider = self
            .provider
            .iter()
            .flat_map(|p| p.images.iter().flatten())
            .enumerate()
            .map(|(i, img)| (format!("provider.images[{i}].url"), img));
        if let Some((field, image)) = own.chain(provider).find(|(_, img)| is_site_path(&img.url)) {
            return Some((field, image.url.as_str()));
        }
        self.related.iter().flatten().enumerate().find_map(|(i, item)| {
            item.first_site_path()
                .map(|(field, url)| (format!("related[{i}].{field}"), url))
        })
    }

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
