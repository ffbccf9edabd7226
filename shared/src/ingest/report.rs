//! What an import did, for people and for machines.

use std::fmt;

use serde::Serialize;

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
    pub jobs_enqueued: usize,
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
        self.jobs_enqueued += other.jobs_enqueued;
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
        writeln!(f, "providers: {} created", self.providers)?;
        write!(f, "jobs:      {} recompute jobs enqueued", self.jobs_enqueued)
    }
}

/// Progress of a running import, for a status line on stderr.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub files_done: usize,
    pub files_total: usize,
    pub articles_written: usize,
}
