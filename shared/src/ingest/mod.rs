//! Importing Smartable files into PostgreSQL.
//!
//! A run has three steps: definition files (topics, organizations); article
//! files and JSON pages in sorted path order, merged per article across the
//! run (see [`plan`]) and written in batches, each batch one transaction with
//! its recompute jobs; then related-article lists, once every article has an
//! id. Bad files are reported one line each and never stop the run.

mod definitions;
mod discover;
mod plan;
mod relations;
mod report;
mod store;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sqlx::PgPool;

pub use discover::{InputFile, InputKind, classify, discover};
pub use report::{FileError, ImportReport, Progress};

use crate::domain::{ArticleRecord, OrganizationDefinition, TopicDefinition};
use crate::format::{self, MAX_FILE_BYTES, ParseError};
use plan::{Merger, Ready, RunIndex};
use store::IdCache;

/// Articles written per transaction.
const ARTICLES_PER_BATCH: usize = 1_000;
/// Files parsed per parallel step of the second pass.
const FILES_PER_STEP: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Input(#[from] std::io::Error),
    #[error("database error while importing: {0}")]
    Database(#[from] sqlx::Error),
}

/// What one input file parsed into.
enum Parsed {
    Articles(Vec<ArticleRecord>),
    Topic(TopicDefinition),
    Organization(OrganizationDefinition),
}

fn read_limited(path: &Path) -> Result<Vec<u8>, ParseError> {
    let size = std::fs::metadata(path)
        .map_err(|e| ParseError::new("file", format!("cannot read: {e}")))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(ParseError::new(
            "file",
            format!(
                "{size} bytes is larger than the {} MiB limit for one file",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    std::fs::read(path).map_err(|e| ParseError::new("file", format!("cannot read: {e}")))
}

fn parse_file(file: &InputFile) -> Result<Parsed, ParseError> {
    let bytes = read_limited(&file.path)?;
    match file.kind {
        InputKind::Article => {
            let slug = file.path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            format::parse_article_file(&bytes, slug).map(|record| Parsed::Articles(vec![record]))
        }
        InputKind::JsonPage => format::parse_json_page(&bytes).map(Parsed::Articles),
        InputKind::TopicDefinition => format::parse_topic_file(&bytes).map(Parsed::Topic),
        InputKind::OrganizationDefinition => format::parse_organization_file(&bytes).map(Parsed::Organization),
    }
}

fn file_error(file: &InputFile, error: ParseError) -> FileError {
    FileError {
        path: file.path.display().to_string(),
        field: error.field,
        reason: error.reason,
    }
}

/// Imports files and directories. Returns the run's report; `Err` only for
/// fatal problems (unreadable path argument, database failure).
pub async fn import_paths(
    pool: &PgPool,
    paths: &[PathBuf],
    mut progress: impl FnMut(Progress),
) -> Result<ImportReport, IngestError> {
    let files = discover(paths)?;
    let mut report = ImportReport {
        files_read: files.len(),
        ..ImportReport::default()
    };
    let mut failed: HashSet<usize> = HashSet::new();

    // Definitions first, so articles find their topics' parents and names.
    let (mut topics, mut organizations) = (Vec::new(), Vec::new());
    let article_files: Vec<usize> = (0..files.len())
        .filter(|&i| matches!(files[i].kind, InputKind::Article | InputKind::JsonPage))
        .collect();
    for (i, file) in files.iter().enumerate() {
        if matches!(file.kind, InputKind::Article | InputKind::JsonPage) {
            continue;
        }
        match parse_file(file) {
            Ok(Parsed::Topic(topic)) => topics.push(topic),
            Ok(Parsed::Organization(org)) => organizations.push(org),
            Ok(Parsed::Articles(_)) => unreachable!("classified as a definition"),
            Err(e) => {
                failed.insert(i);
                report.errors.push(file_error(file, e));
            }
        }
    }
    dedup_last_by(&mut topics, |t| t.slug.clone());
    dedup_last_by(&mut organizations, |o| o.domain.clone());
    let defined = definitions::write_definitions(pool, &topics, &organizations).await?;
    report.topics += defined.topics_created;
    report.providers += defined.providers_created;

    // First pass: where does each article occur last?
    let mut index = RunIndex::default();
    for step in article_files.chunks(FILES_PER_STEP) {
        let parsed: Vec<(usize, Result<Parsed, ParseError>)> =
            step.par_iter().map(|&i| (i, parse_file(&files[i]))).collect();
        for (i, result) in parsed {
            match result {
                Ok(Parsed::Articles(records)) => records.iter().for_each(|r| index.observe(r, i)),
                Ok(_) => unreachable!("classified as an article file"),
                Err(e) => {
                    failed.insert(i);
                    report.errors.push(file_error(&files[i], e));
                }
            }
        }
    }

    // Second pass: merge, write in batches.
    let mut merger = Merger::default();
    let mut cache = IdCache::default();
    let mut ids: HashMap<String, i64> = HashMap::new();
    let mut enqueued: HashSet<i64> = HashSet::new();
    let mut ready: Vec<Ready> = Vec::new();
    let mut done = 0;
    let good: Vec<usize> = article_files.iter().copied().filter(|i| !failed.contains(i)).collect();
    for step in good.chunks(FILES_PER_STEP) {
        let parsed: Vec<(usize, Result<Parsed, ParseError>)> =
            step.par_iter().map(|&i| (i, parse_file(&files[i]))).collect();
        for (i, result) in parsed {
            match result {
                Ok(Parsed::Articles(records)) => merger.feed_file(&index, records, i, &mut ready),
                Ok(_) => unreachable!("classified as an article file"),
                // the file changed between the passes
                Err(e) => {
                    failed.insert(i);
                    report.errors.push(file_error(&files[i], e));
                }
            }
        }
        done += step.len();
        if ready.len() >= ARTICLES_PER_BATCH {
            flush(
                pool,
                &mut cache,
                std::mem::take(&mut ready),
                &mut report,
                &mut ids,
                &mut enqueued,
            )
            .await?;
        }
        progress(Progress {
            files_done: done,
            files_total: good.len(),
            articles_written: report.articles_inserted + report.articles_updated + report.articles_unchanged,
        });
    }
    ready.extend(merger.drain_pending());
    while !ready.is_empty() {
        let rest = ready.split_off(ready.len().min(ARTICLES_PER_BATCH));
        flush(
            pool,
            &mut cache,
            std::mem::replace(&mut ready, rest),
            &mut report,
            &mut ids,
            &mut enqueued,
        )
        .await?;
    }

    // Related lists, now that every article has an id.
    let mut lists: Vec<(i64, Vec<i64>)> = merger
        .relation_lists
        .into_iter()
        .filter_map(|(parent, related)| {
            let parent = *ids.get(&parent)?;
            Some((
                parent,
                related
                    .iter()
                    .filter_map(|key| ids.get(key).copied())
                    .filter(|id| *id != parent)
                    .collect(),
            ))
        })
        .collect();
    lists.sort_by_key(|(parent, _)| *parent);
    lists.dedup_by_key(|(parent, _)| *parent);
    let linked = relations::write_relations(pool, lists, &enqueued).await?;
    report.relations = linked.links_written;
    report.jobs_enqueued += linked.jobs_enqueued;

    report.files_failed = failed.len();
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

async fn flush(
    pool: &PgPool,
    cache: &mut IdCache,
    batch: Vec<Ready>,
    report: &mut ImportReport,
    ids: &mut HashMap<String, i64>,
    enqueued: &mut HashSet<i64>,
) -> Result<(), sqlx::Error> {
    let outcome = store::write_batch(pool, cache, batch).await?;
    report.articles_inserted += outcome.inserted;
    report.articles_updated += outcome.updated;
    report.articles_unchanged += outcome.unchanged;
    report.topics += outcome.topics_created;
    report.providers += outcome.providers_created;
    report.jobs_enqueued += outcome.jobs_enqueued;
    ids.extend(outcome.ids);
    enqueued.extend(outcome.enqueued);
    Ok(())
}

/// Keeps the last of several items with the same key, in first-seen order.
fn dedup_last_by<T, K: std::hash::Hash + Eq>(items: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let mut last: HashMap<K, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        last.insert(key(item), i);
    }
    let mut i = 0;
    items.retain(|item| {
        let keep = last[&key(item)] == i;
        i += 1;
        keep
    });
}
