//! Importing Smartable files into PostgreSQL.
//!
//! A run has three steps: definition files (topics, organizations); article
//! files and JSON pages in sorted path order, merged per article across the
//! run (see [`plan`]) and written in batches, each batch one transaction with
//! its recompute jobs; then related-article lists, once every article has an
//! id. Bad files are reported one line each and never stop the run.

/// Evaluates the write (a future, made anew for each attempt) up to
/// `WRITE_ATTEMPTS` times while it fails with a conflict between concurrent
/// writers ([`is_writer_conflict`]); `$what` names it in the debug log. A
/// macro, not a function taking a closure: the batch writers' futures must
/// be `Send`, which async closures borrowing the writer's state are not yet.
macro_rules! retry_writer_conflicts {
    ($what:literal, $write:expr) => {{
        let mut attempt = 1;
        loop {
            match $write.await {
                Err(error) if attempt < crate::ingest::WRITE_ATTEMPTS && crate::ingest::is_writer_conflict(&error) => {
                    tracing::debug!(%error, attempt, concat!($what, " conflicted with a concurrent writer; retrying"));
                    attempt += 1;
                }
                result => break result,
            }
        }
    }};
}

mod definitions;
mod discover;
mod plan;
mod records;
mod relations;
mod report;
mod store;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use sqlx::PgPool;
use tokio::sync::{mpsc, watch};

pub use discover::{Discovered, InputFile, InputKind, SkipReason, classify, discover};
pub use records::{RecordOutcome, RecordStatus, RecordsOutcome, ingest_records};
pub use report::{FileError, ImportReport, Progress, SkippedFiles};

use crate::domain::{ArticleRecord, OrganizationDefinition, TopicDefinition};
use crate::format::{self, ArticleKey, MAX_FILE_BYTES, ParseError};
use crate::urls::SiteAddress;
use plan::{Merger, Ready, RunIndex};
use store::IdCache;

/// Articles written per transaction.
const ARTICLES_PER_BATCH: usize = 1_000;
/// Concurrent batch writers (database connections) per import.
const WRITERS: usize = 2;
/// Inserted articles after which a run first refreshes table statistics.
const ANALYZE_AFTER_INSERTS: usize = 2_000;
/// Files parsed per parallel step.
const FILES_PER_STEP: usize = 256;
/// Bytes of files parsed per step of the second pass.
const BYTES_PER_STEP: u64 = 2 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Input(#[from] std::io::Error),
    #[error("database error while importing: {0}")]
    Database(#[from] sqlx::Error),
}

/// How a run reads its files.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The site's address for site paths (`/assets/...`) in files that no
    /// `_config.yml` of the run covers (`--site-url`).
    pub site_url: Option<SiteAddress>,
}

/// What one input file parsed into.
enum Parsed {
    Articles(Vec<ArticleRecord>),
    Topic(TopicDefinition),
    Organization(OrganizationDefinition),
}

impl Parsed {
    /// Makes the file's image URLs absolute; returns how many site paths had
    /// to be dropped for want of a site address.
    fn resolve_site_paths(&mut self, site: Option<&SiteAddress>) -> usize {
        match self {
            Parsed::Articles(records) => records.iter_mut().map(|r| r.resolve_site_paths(site)).sum(),
            Parsed::Topic(topic) => topic.resolve_site_paths(site),
            Parsed::Organization(org) => org.resolve_site_paths(site),
        }
    }
}

/// The site addresses of a run: each `_config.yml` covers the files below
/// its directory (the nearest one wins); the option covers the rest.
struct Sites {
    configs: Vec<(PathBuf, SiteAddress)>,
    fallback: Option<SiteAddress>,
}

impl Sites {
    fn site_for(&self, file: &Path) -> Option<&SiteAddress> {
        self.configs
            .iter()
            .filter(|(dir, _)| file.starts_with(dir))
            .max_by_key(|(dir, _)| dir.components().count())
            .map(|(_, site)| site)
            .or(self.fallback.as_ref())
    }
}

/// `parsed` with its image URLs made absolute against its file's site; the
/// site paths it had to drop are counted in `report`.
fn resolved(mut parsed: Parsed, file: &InputFile, sites: &Sites, report: &mut ImportReport) -> Parsed {
    let dropped = parsed.resolve_site_paths(sites.site_for(&file.path));
    report.note_site_paths_dropped(&file.path, dropped);
    parsed
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
    parse_bytes(file, &read_limited(&file.path)?)
}

fn parse_bytes(file: &InputFile, bytes: &[u8]) -> Result<Parsed, ParseError> {
    match file.kind {
        InputKind::Article => {
            let slug = file.path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            format::parse_article_file(bytes, slug).map(|record| Parsed::Articles(vec![record]))
        }
        InputKind::JsonPage => format::parse_json_page(bytes).map(Parsed::Articles),
        InputKind::TopicDefinition => format::parse_topic_file(bytes).map(Parsed::Topic),
        InputKind::OrganizationDefinition => format::parse_organization_file(bytes).map(Parsed::Organization),
        InputKind::SiteConfig => unreachable!("site configs are read before any other file"),
    }
}

/// The keys of an article file's articles and the file's size, for the first
/// pass: a light read, and a full parse only when the light read fails (for
/// the precise error).
fn read_keys(file: &InputFile) -> Result<(Vec<ArticleKey>, u64), ParseError> {
    let bytes = read_limited(&file.path)?;
    let light = match file.kind {
        InputKind::JsonPage => format::json_page_keys(&bytes),
        _ => format::article_file_keys(&bytes),
    };
    let keys = light.or_else(|_| match parse_bytes(file, &bytes)? {
        Parsed::Articles(records) => Ok(plan::keys_of_records(&records)),
        _ => unreachable!("classified as an article file"),
    })?;
    Ok((keys, bytes.len() as u64))
}

fn file_error(file: &InputFile, error: ParseError) -> FileError {
    FileError {
        path: file.path.display().to_string(),
        field: error.field,
        reason: error.reason,
    }
}

/// Imports files and directories with the default options. See
/// [`import_paths_with`].
pub async fn import_paths(
    pool: &PgPool,
    paths: &[PathBuf],
    progress: impl FnMut(Progress),
) -> Result<ImportReport, IngestError> {
    import_paths_with(pool, paths, &ImportOptions::default(), progress).await
}

/// Imports files and directories. Returns the run's report; `Err` only for
/// fatal problems (unreadable path argument, database failure).
pub async fn import_paths_with(
    pool: &PgPool,
    paths: &[PathBuf],
    options: &ImportOptions,
    mut progress: impl FnMut(Progress),
) -> Result<ImportReport, IngestError> {
    let discovered = discover(paths)?;
    let unwalkable = discovered.unwalkable.len();
    let files = Arc::new(discovered.files);
    let mut report = ImportReport {
        // entries the walk could not read count as read and failed
        files_read: files.len() + unwalkable,
        errors: discovered.unwalkable,
        skipped: SkippedFiles::summarise(&discovered.skipped),
        ..ImportReport::default()
    };
    let mut failed: HashSet<usize> = HashSet::new();

    // The site's address first: definitions and articles resolve their
    // site paths against it.
    let mut sites = Sites {
        configs: Vec::new(),
        fallback: options.site_url.clone(),
    };
    for (i, file) in files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == InputKind::SiteConfig)
    {
        match read_limited(&file.path).and_then(|bytes| format::parse_site_config(&bytes)) {
            Ok(Some(site)) => {
                let dir = file.path.parent().unwrap_or(Path::new("")).to_path_buf();
                sites.configs.push((dir, site));
            }
            Ok(None) => {}
            Err(e) => {
                failed.insert(i);
                report.errors.push(file_error(file, e));
            }
        }
    }

    // Definitions next, so articles find their topics' parents and names.
    let (mut topics, mut organizations) = (Vec::new(), Vec::new());
    let article_files: Vec<usize> = (0..files.len())
        .filter(|&i| matches!(files[i].kind, InputKind::Article | InputKind::JsonPage))
        .collect();
    for (i, file) in files.iter().enumerate() {
        if !matches!(
            file.kind,
            InputKind::TopicDefinition | InputKind::OrganizationDefinition
        ) {
            continue;
        }
        match parse_file(file).map(|parsed| resolved(parsed, file, &sites, &mut report)) {
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
    report.providers_updated += defined.providers_updated;

    let started = std::time::Instant::now();
    // First pass: where does each article occur last?
    let mut index = RunIndex::default();
    // Each file's size, for cutting the second pass into steps.
    let mut sizes = vec![0; files.len()];
    for step in article_files.chunks(FILES_PER_STEP) {
        for (i, result) in start_parsing(&files, step, read_keys)
            .await
            .expect("parsing never panics")
        {
            match result {
                Ok((keys, size)) => {
                    index.observe(&keys, i);
                    sizes[i] = size;
                }
                Err(e) => {
                    failed.insert(i);
                    report.errors.push(file_error(&files[i], e));
                }
            }
        }
    }

    tracing::debug!(elapsed = ?started.elapsed(), files = article_files.len(), "first pass done");
    // Second pass: merge, and write in batches on a task of its own, so the
    // next files are parsed while the database stores the previous batch.
    let mut merger = Merger::default();
    let (mut writer, mut written) = BatchWriter::start(pool.clone());
    let mut ready: Vec<Ready> = Vec::new();
    let mut done = 0;
    let good: Vec<usize> = article_files.iter().copied().filter(|i| !failed.contains(i)).collect();
    let steps = steps_by_size(&sizes, &good);
    // The next step is parsed while this one's batches wait for the writers.
    let mut parsing = steps.first().map(|step| start_parsing(&files, step, parse_file));
    for (k, step) in steps.iter().enumerate() {
        let parsed = parsing
            .take()
            .expect("started above")
            .await
            .expect("parsing never panics");
        parsing = steps.get(k + 1).map(|next| start_parsing(&files, next, parse_file));
        for (i, result) in parsed {
            match result.map(|parsed| resolved(parsed, &files[i], &sites, &mut report)) {
                Ok(Parsed::Articles(records)) => merger.feed_file(&index, records, i, &mut ready),
                Ok(_) => unreachable!("classified as an article file"),
                // a file the light first read accepted, or one that changed
                // between the passes
                Err(e) => {
                    failed.insert(i);
                    report.errors.push(file_error(&files[i], e));
                }
            }
        }
        done += step.len();
        // A step of large files releases tens of thousands of records (their
        // related lists): they go out in batches of the usual size, so that a
        // transaction stays short and a conflict costs one batch.
        writer.send_batches(&mut ready, false).await?;
        progress(Progress {
            files_done: done,
            files_total: good.len(),
            articles_written: *written.borrow_and_update(),
        });
    }
    ready.extend(merger.drain_pending());
    writer.send_batches(&mut ready, true).await?;
    // Every file is fed: the index is done with, and the relations step
    // that follows needs room for the run's ids.
    drop(index);
    let WriterState {
        totals, ids, enqueued, ..
    } = writer.finish().await?;
    report.add_counts(&totals);

    tracing::debug!(elapsed = ?started.elapsed(), "articles written");
    // Related lists, now that every article has an id.
    let lists = merger.relation_lists_by_id(|key| ids.get(key).copied());
    let linked = relations::write_relations(pool, lists, &enqueued).await?;
    report.relations = linked.links_written;
    report.jobs_enqueued += linked.jobs_enqueued;

    tracing::debug!(elapsed = ?started.elapsed(), "relations written");
    report.files_failed = failed.len() + unwalkable;
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

/// Starts reading one step of files on the blocking pool, in parallel.
fn start_parsing<T: Send + 'static>(
    files: &Arc<Vec<InputFile>>,
    step: &[usize],
    read: fn(&InputFile) -> Result<T, ParseError>,
) -> tokio::task::JoinHandle<Vec<(usize, Result<T, ParseError>)>> {
    let files = Arc::clone(files);
    let step = step.to_vec();
    tokio::task::spawn_blocking(move || step.par_iter().map(|&i| (i, read(&files[i]))).collect())
}

/// Cuts the files (`sizes` in bytes, by file index) into steps of at most
/// `FILES_PER_STEP` files and `BYTES_PER_STEP` bytes (a step holds at least
/// one file): a step of large files parses into tens of thousands of
/// records, and two steps are in memory at once.
fn steps_by_size(sizes: &[u64], indices: &[usize]) -> Vec<Vec<usize>> {
    let mut steps: Vec<Vec<usize>> = Vec::new();
    let mut bytes = 0;
    for &i in indices {
        match steps.last_mut() {
            Some(step) if step.len() < FILES_PER_STEP && bytes + sizes[i] <= BYTES_PER_STEP => {
                step.push(i);
                bytes += sizes[i];
            }
            _ => {
                steps.push(vec![i]);
                bytes = sizes[i];
            }
        }
    }
    steps
}

/// What one batch writer has done.
#[derive(Default)]
struct WriterState {
    cache: IdCache,
    totals: ImportReport,
    /// Run key -> article id, for the relations step.
    ids: HashMap<String, i64>,
    /// Articles that already got a recompute job in this run.
    enqueued: HashSet<i64>,
}

/// Writes batches on tasks of their own: several writers, so the database
/// works on one batch per core while the next files are parsed.
struct BatchWriter {
    sender: mpsc::Sender<Vec<Ready>>,
    tasks: Vec<tokio::task::JoinHandle<Result<WriterState, sqlx::Error>>>,
}

/// Whether an error is a conflict between concurrent writers that a fresh
/// attempt resolves: a deadlock, or a slug taken by the other writer.
fn is_writer_conflict(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "40P01" || code == "23505")
}

/// Attempts of a write that conflicts with a concurrent writer.
const WRITE_ATTEMPTS: usize = 3;

impl BatchWriter {
    /// Starts the writers; the watch channel counts articles written.
    fn start(pool: PgPool) -> (Self, watch::Receiver<usize>) {
        // One batch queued per writer: bounded memory.
        let (sender, batches) = mpsc::channel::<Vec<Ready>>(WRITERS);
        let batches = Arc::new(tokio::sync::Mutex::new(batches));
        let (written_tx, written_rx) = watch::channel(0);
        let written_tx = Arc::new(written_tx);
        let inserted_total = Arc::new(AtomicUsize::new(0));
        let analyzed_at = Arc::new(AtomicUsize::new(0));
        let tasks = (0..WRITERS)
            .map(|_| {
                let (pool, batches, written_tx) = (pool.clone(), Arc::clone(&batches), Arc::clone(&written_tx));
                let (inserted_total, analyzed_at) = (Arc::clone(&inserted_total), Arc::clone(&analyzed_at));
                tokio::spawn(async move {
                    let mut state = WriterState::default();
                    loop {
                        let Some(batch) = batches.lock().await.recv().await else {
                            break;
                        };
                        let outcome =
                            retry_writer_conflicts!("batch", store::write_batch(&pool, &mut state.cache, &batch))?;
                        let inserted = inserted_total.fetch_add(outcome.inserted, Ordering::Relaxed) + outcome.inserted;
                        // Lookups by URL need fresh statistics: on a table that
                        // grew from (nearly) empty the planner would scan it
                        // whole for every batch. Re-analyze each time the run
                        // has doubled what it inserted.
                        let last = analyzed_at.load(Ordering::Relaxed);
                        if inserted >= ANALYZE_AFTER_INSERTS
                            && inserted >= 2 * last
                            && analyzed_at
                                .compare_exchange(last, inserted, Ordering::Relaxed, Ordering::Relaxed)
                                .is_ok()
                        {
                            sqlx::query("analyze article (canonical_url, amp_key, slug)")
                                .execute(&pool)
                                .await?;
                        }
                        let count = outcome.inserted + outcome.updated + outcome.unchanged;
                        written_tx.send_modify(|written| *written += count);
                        state.totals.add_counts(&outcome.counts());
                        state.ids.extend(outcome.ids);
                        state.enqueued.extend(outcome.enqueued);
                    }
                    Ok(state)
                })
            })
            .collect();
        (Self { sender, tasks }, written_rx)
    }

    /// Queues `ready` in batches of `ARTICLES_PER_BATCH`, in order; a last
    /// partial batch stays in `ready` unless `flush`. Fails with a writer's
    /// error if the writers stopped.
    async fn send_batches(&mut self, ready: &mut Vec<Ready>, flush: bool) -> Result<(), IngestError> {
        let due = |left: usize| left >= ARTICLES_PER_BATCH || (flush && left > 0);
        if !due(ready.len()) {
            return Ok(());
        }
        let mut records = std::mem::take(ready).into_iter();
        while due(records.len()) {
            let batch: Vec<Ready> = records.by_ref().take(ARTICLES_PER_BATCH).collect();
            if self.sender.send(batch).await.is_err() {
                return Err(self.first_error().await);
            }
        }
        ready.extend(records);
        Ok(())
    }

    /// The error a writer stopped with (writers only stop early on errors).
    async fn first_error(&mut self) -> IngestError {
        for task in &mut self.tasks {
            if let Err(error) = task.await.expect("batch writers never panic") {
                return error.into();
            }
        }
        unreachable!("the writers run until their sender is dropped")
    }

    /// Waits for the queued batches and merges what the writers did.
    async fn finish(self) -> Result<WriterState, IngestError> {
        drop(self.sender);
        let mut states = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            states.push(task.await.expect("batch writers never panic")?);
        }
        // Into the largest state, so its maps are not copied.
        states.sort_by_key(|state| std::cmp::Reverse(state.ids.len()));
        let mut states = states.into_iter();
        let mut merged = states.next().unwrap_or_default();
        for state in states {
            merged.totals.add_counts(&state.totals);
            merged.ids.extend(state.ids);
            merged.enqueued.extend(state.enqueued);
        }
        Ok(merged)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_hold_at_most_their_bytes_and_files_and_at_least_one_file() {
        let mb = 1024 * 1024;
        // two 1.5 MiB files cannot share a step; a 3 MiB file has one alone
        let sizes = [mb + mb / 2, mb + mb / 2, 3 * mb, 10, 10];
        assert_eq!(
            steps_by_size(&sizes, &[0, 1, 2, 3, 4]),
            vec![vec![0], vec![1], vec![2], vec![3, 4]]
        );

        let small = [10; FILES_PER_STEP + 1];
        let indices: Vec<usize> = (0..small.len()).collect();
        let steps = steps_by_size(&small, &indices);
        assert_eq!(steps.iter().map(Vec::len).collect::<Vec<_>>(), [FILES_PER_STEP, 1]);
        // every file once, in order
        assert_eq!(steps.concat(), indices);
    }
}
