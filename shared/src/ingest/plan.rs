//! Folding every occurrence of an article within one run into one record.
//!
//! The same article appears in several places: `_news/` and `_archive/` twins,
//! JSON API pages, and other articles' related lists. Writing each occurrence
//! as it comes would make the stored values depend on batch boundaries, and a
//! repeated import would "update" rows back and forth. Instead a first pass
//! learns, for each article, the last file it occurs in; the second pass
//! merges occurrences in file order and releases the merged record for
//! writing once that last file has been read.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::ArticleRecord;
use crate::format::ArticleKey;

/// Maps URLs to the run's key of their article, and each article key to the
/// index of the last file it occurs in.
///
/// Identity (see [`crate::domain::same_article`]): the canonical webUrl, or
/// one record's webUrl being the other's AMP URL. A shared AMP URL alone
/// never joins two records.
///
/// A run of the real repository names hundreds of thousands of articles, so
/// each key is one shared string: the maps hold the URLs that lead to it and
/// references to it, not copies.
#[derive(Debug, Default)]
pub struct RunIndex {
    /// Canonical webUrl -> article key.
    by_web: HashMap<Box<str>, Arc<str>>,
    /// AMP key -> the key of the first article that named it.
    by_amp: HashMap<Box<str>, Arc<str>>,
    last_file: HashMap<Arc<str>, u32>,
}

impl RunIndex {
    /// The run's key for a record: the article with the same canonical URL,
    /// or whose AMP URL is this record's webUrl, or whose webUrl is this
    /// record's AMP URL.
    pub fn key_of(&self, record: &ArticleRecord) -> String {
        self.known_key(&record.canonical_url, record.amp_key.as_deref())
            .map_or_else(|| record.canonical_url.clone(), |key| key.to_string())
    }

    fn known_key(&self, canonical_url: &str, amp_key: Option<&str>) -> Option<&Arc<str>> {
        self.by_web
            .get(canonical_url)
            .or_else(|| self.by_amp.get(canonical_url))
            .or_else(|| amp_key.and_then(|amp| self.by_web.get(amp)))
    }

    /// The last file the article with this key occurs in, if the index saw it.
    pub fn last_file(&self, key: &str) -> Option<usize> {
        self.last_file.get(key).map(|&file| file as usize)
    }

    /// Notes that the articles with these keys occur in file `file_index`.
    /// Files must be observed in order.
    pub fn observe(&mut self, keys: &[ArticleKey], file_index: usize) {
        let file = u32::try_from(file_index).expect("a run has fewer than 2^32 files");
        for article in keys {
            let key = match self.known_key(&article.canonical_url, article.amp_key.as_deref()) {
                Some(key) => Arc::clone(key),
                None => Arc::from(article.canonical_url.as_str()),
            };
            if !self.by_web.contains_key(article.canonical_url.as_str()) {
                self.by_web
                    .insert(article.canonical_url.as_str().into(), Arc::clone(&key));
            }
            if let Some(amp) = &article.amp_key
                && !self.by_amp.contains_key(amp.as_str())
            {
                self.by_amp.insert(amp.as_str().into(), Arc::clone(&key));
            }
            self.last_file.insert(key, file);
        }
    }
}

/// The identity keys of these records and of their related items, in order.
pub fn keys_of_records(records: &[ArticleRecord]) -> Vec<ArticleKey> {
    records
        .iter()
        .flat_map(|record| std::iter::once(record).chain(record.related.iter().flatten()))
        .map(|r| ArticleKey {
            canonical_url: r.canonical_url.clone(),
            amp_key: r.amp_key.clone(),
        })
        .collect()
}

/// A merged record ready to be written, and for top-level records the keys of
/// their related articles in source order.
#[derive(Debug, Clone)]
pub struct Ready {
    pub key: String,
    pub record: ArticleRecord,
}

/// The second pass: merges occurrences and hands out records at their last
/// occurrence.
#[derive(Debug, Default)]
pub struct Merger {
    pending: HashMap<String, ArticleRecord>,
    /// Related lists by parent key: the latest top-level list wins.
    pub relation_lists: HashMap<String, Vec<String>>,
}

impl Merger {
    /// Feeds the top-level records of file `file_index` (in order); appends
    /// the records whose last occurrence is this file to `ready`.
    pub fn feed_file(
        &mut self,
        index: &RunIndex,
        records: Vec<ArticleRecord>,
        file_index: usize,
        ready: &mut Vec<Ready>,
    ) {
        let mut touched: Vec<String> = Vec::new();
        for mut record in records {
            let key = index.key_of(&record);
            let related = record.related.take();
            self.merge(key.clone(), record, &mut touched);
            let Some(related) = related else { continue };
            let mut keys: Vec<String> = Vec::with_capacity(related.len());
            for item in related {
                let item_key = index.key_of(&item);
                // a link back to the parent, reached through an AMP alias
                if item_key == key || keys.contains(&item_key) {
                    continue;
                }
                keys.push(item_key.clone());
                self.merge(item_key, item, &mut touched);
            }
            self.relation_lists.insert(key, keys);
        }
        for key in touched {
            if index.last_file(&key).is_none_or(|last| last <= file_index)
                && let Some(record) = self.pending.remove(&key)
            {
                ready.push(Ready { key, record });
            }
        }
    }

    fn merge(&mut self, key: String, record: ArticleRecord, touched: &mut Vec<String>) {
        if !touched.contains(&key) {
            touched.push(key.clone());
        }
        match self.pending.get_mut(&key) {
            Some(earlier) => earlier.merge(record),
            None => {
                self.pending.insert(key, record);
            }
        }
    }

    /// The related lists by article id (`id_of` gives a run key's id; keys
    /// without one are left out, as is a link of an article to itself), one
    /// per parent, sorted by parent.
    pub fn relation_lists_by_id(&self, id_of: impl Fn(&str) -> Option<i64>) -> Vec<(i64, Vec<i64>)> {
        let mut lists: Vec<(i64, Vec<i64>)> = self
            .relation_lists
            .iter()
            .filter_map(|(parent, related)| {
                let parent = id_of(parent)?;
                let related = related
                    .iter()
                    .filter_map(|key| id_of(key))
                    .filter(|id| *id != parent)
                    .collect();
                Some((parent, related))
            })
            .collect();
        lists.sort_by_key(|(parent, _)| *parent);
        lists.dedup_by_key(|(parent, _)| *parent);
        lists
    }

    /// Records still waiting for a later file; empty once every file has been
    /// fed (anything left came from a file that failed in the second pass).
    pub fn drain_pending(&mut self) -> Vec<Ready> {
        let mut rest: Vec<Ready> = self
            .pending
            .drain()
            .map(|(key, record)| Ready { key, record })
            .collect();
        rest.sort_by(|a, b| a.key.cmp(&b.key));
        rest
    }
}
