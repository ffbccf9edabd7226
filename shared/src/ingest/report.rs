//! What an import did, for people and for machines.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::discover::SkipReason;

/// One file that could not be imported: which, what field, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileError {
    pub path: String,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.path, self.field, self.reason)
    }
}

/// Files of one kind that a run left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedFiles {
    pub reason: String,
    pub count: usize,
    /// The first few, so the line says which.
    pub examples: Vec<String>,
}

/// Examples named per kind of skipped file.
const SKIPPED_EXAMPLES: usize = 3;

impl SkippedFiles {
    /// One entry per reason, in the order of [`SkipReason`].
    pub fn summarise(skipped: &[(SkipReason, PathBuf)]) -> Vec<SkippedFiles> {
        let mut summary: Vec<SkippedFiles> = Vec::new();
        let mut last: Option<SkipReason> = None;
        let mut sorted: Vec<&(SkipReason, PathBuf)> = skipped.iter().collect();
        sorted.sort();
        for (reason, path) in sorted {
            if last != Some(*reason) {
                summary.push(SkippedFiles {
                    reason: reason.describe().to_string(),
                    count: 0,
                    examples: Vec::new(),
                });
                last = Some(*reason);
            }
            let entry = summary.last_mut().expect("pushed above");
            entry.count += 1;
            if entry.examples.len() < SKIPPED_EXAMPLES {
                entry.examples.push(path.display().to_string());
            }
        }
        summary
    }
}

/// Counts of one import run. Article, relation, topic and provider counts say
/// what this run changed: a repeated import of the same files reports zeros
/// everywhere but `articles_unchanged`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub files_read: usize,
    pub files_failed: usize,
    pub articles_inserted: usize,
    pub articles_updated: usize,
    pub articles_unchanged: usize,
    /// Related-article links written (new or changed lists).
    pub relations: usize,
    /// Topics created.
    pub topics: usize,
    /// Providers created.
    pub providers: usize,
    /// Providers that gained logos (or logo fields) they did not have.
    pub providers_updated: usize,
    pub jobs_enqueued: usize,
    /// Site paths (`/assets/...`) dropped because no site address covered
    /// their file: no `_config.yml` in the run and no `--site-url`.
    pub site_paths_dropped: usize,
    /// The first file with such a path.
    pub site_paths_dropped_in: Option<String>,
    /// Files found while walking that are not imported, by reason.
    pub skipped: Vec<SkippedFiles>,
    pub errors: Vec<FileError>,
}

impl ImportReport {
    /// Adds another report's article, topic, provider and job counts.
    pub fn add_counts(&mut self, other: &ImportReport) {
        self.articles_inserted += other.articles_inserted;
        self.articles_updated += other.articles_updated;
        self.articles_unchanged += other.articles_unchanged;
        self.relations += other.relations;
        self.topics += other.topics;
        self.providers += other.providers;
        self.providers_updated += other.providers_updated;
        self.jobs_enqueued += other.jobs_enqueued;
    }

    /// Counts site paths a file lost for want of a site address.
    pub fn note_site_paths_dropped(&mut self, file: &Path, dropped: usize) {
        if dropped > 0 {
            self.site_paths_dropped += dropped;
            self.site_paths_dropped_in
                .get_or_insert_with(|| file.display().to_string());
        }
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "files:     {} read, {} failed", self.files_read, self.files_failed)?;
        writeln!(
            f,
            "articles:  {} inserted, {} updated, {} unchanged",
            self.articles_inserted, self.articles_updated, self.articles_unchanged
        )?;
        writeln!(f, "relations: {} written", self.relations)?;
        writeln!(f, "topics:    {} created", self.topics)?;
        writeln!(
            f,
            "providers: {} created, {} updated",
            self.providers, self.providers_updated
        )?;
        write!(f, "jobs:      {} recompute jobs enqueued", self.jobs_enqueued)?;
        for skipped in &self.skipped {
            write!(
                f,
                "\nskipped:   {} files: {} (e.g. {})",
                skipped.count,
                skipped.reason,
                skipped.examples.join(", ")
            )?;
        }
        if let Some(first) = &self.site_paths_dropped_in {
            write!(
                f,
                "\nimages:    {} site paths (/...) dropped, no site address known (first in {first}); \
                 import the site's _config.yml with the files or pass --site-url",
                self.site_paths_dropped
            )?;
        }
        Ok(())
    }
}

/// Progress of a running import, for a status line on stderr.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub files_done: usize,
    pub files_total: usize,
    pub articles_written: usize,
}
