//! Ingesting a batch of already parsed records (the ingest mutation), under
//! the import's rules: records for one article are merged in order, the
//! merged record is merged with the stored row (fields a record lacks never
//! erase stored ones), related items are stored as articles and linked, and
//! providers and topics are created on first sight.
//!
//! Unlike a file import, the whole batch is ONE transaction: articles,
//! images, topics, related lists and the recompute jobs of everything that
//! changed commit together or not at all.

use std::collections::{HashMap, HashSet};

use sqlx::PgPool;

use super::IngestError;
use super::plan::{Merger, RunIndex, keys_of_records};
use super::relations::write_relations_in;
use super::store::{IdCache, write_batch_in};
use crate::domain::ArticleRecord;

/// What the batch did to one record's article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordStatus {
    /// A new article.
    Created,
    /// A stored article changed (its fields, images, topics or related list).
    Updated,
    /// The stored article already said all this: nothing written, no job.
    Unchanged,
}

/// The outcome of one record, in input order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordOutcome {
    pub article_id: i64,
    pub status: RecordStatus,
}

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordsOutcome {
    /// One per input record, in input order. Two records of one article
    /// share its id and status.
    pub records: Vec<RecordOutcome>,
    /// Recompute jobs queued in the batch's transaction.
    pub jobs_enqueued: usize,
    pub topics_created: usize,
    pub providers_created: usize,
}

/// Writes the records in one transaction and reports each one's outcome.
pub async fn ingest_records(pool: &PgPool, records: Vec<ArticleRecord>) -> Result<RecordsOutcome, IngestError> {
    if records.is_empty() {
        return Ok(RecordsOutcome::default());
    }
    // The records are one "file" of the run: every occurrence is merged
    // before anything is written.
    let mut index = RunIndex::default();
    index.observe(&keys_of_records(&records), 0);
    let record_keys: Vec<String> = records.iter().map(|r| index.key_of(r)).collect();
    let mut merger = Merger::default();
    let mut ready = Vec::new();
    merger.feed_file(&index, records, 0, &mut ready);
    ready.extend(merger.drain_pending());

    let outcome = retry_writer_conflicts!("ingest batch", async {
        let mut tx = pool.begin().await?;
        let mut cache = IdCache::default();
        let batch = write_batch_in(&mut tx, &mut cache, &ready).await?;
        let ids: HashMap<&str, i64> = batch.ids.iter().map(|(key, id)| (key.as_str(), *id)).collect();
        let lists = merger.relation_lists_by_id(|key| ids.get(key).copied());
        let enqueued: HashSet<i64> = batch.enqueued.iter().copied().collect();
        let linked = write_relations_in(&mut tx, &lists, &enqueued).await?;
        tx.commit().await?;

        let created: HashSet<i64> = batch.created.iter().copied().collect();
        let updated: HashSet<i64> = enqueued.iter().chain(&linked.changed_parents).copied().collect();
        let mut outcome = RecordsOutcome {
            records: Vec::with_capacity(record_keys.len()),
            jobs_enqueued: batch.jobs_enqueued + linked.jobs_enqueued,
            topics_created: batch.topics_created,
            providers_created: batch.providers_created,
        };
        for key in &record_keys {
            let article_id = *ids
                .get(key.as_str())
                .ok_or_else(|| sqlx::Error::Protocol(format!("no article was written for {key}")))?;
            let status = if created.contains(&article_id) {
                RecordStatus::Created
            } else if updated.contains(&article_id) {
                RecordStatus::Updated
            } else {
                RecordStatus::Unchanged
            };
            outcome.records.push(RecordOutcome { article_id, status });
        }
        Ok::<_, sqlx::Error>(outcome)
    })?;
    Ok(outcome)
}
