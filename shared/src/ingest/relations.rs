//! Writing related-article lists once every article of the run has an id.

use std::collections::{HashMap, HashSet};

use sqlx::{PgConnection, PgPool};

use crate::jobs;

/// Parents per transaction in the relations phase.
const PARENTS_PER_TRANSACTION: usize = 2_000;

#[derive(Debug, Default)]
pub struct RelationsOutcome {
    pub links_written: usize,
    pub jobs_enqueued: usize,
    /// Parents whose list was replaced.
    pub changed_parents: Vec<i64>,
}

/// Replaces the related list of every parent whose stored list differs, and
/// enqueues a recompute for those parents (their coverage changed) unless the
/// run already enqueued one.
pub async fn write_relations(
    pool: &PgPool,
    lists: Vec<(i64, Vec<i64>)>,
    already_enqueued: &HashSet<i64>,
) -> Result<RelationsOutcome, sqlx::Error> {
    let mut outcome = RelationsOutcome::default();
    for chunk in lists.chunks(PARENTS_PER_TRANSACTION) {
        let mut tx = pool.begin().await?;
        let done = write_relations_in(&mut tx, chunk, already_enqueued).await?;
        if done.changed_parents.is_empty() {
            tx.rollback().await?;
            continue;
        }
        tx.commit().await?;
        outcome.links_written += done.links_written;
        outcome.jobs_enqueued += done.jobs_enqueued;
    }
    Ok(outcome)
}

/// [`write_relations`] for one set of parents on the caller's transaction.
pub async fn write_relations_in(
    tx: &mut PgConnection,
    lists: &[(i64, Vec<i64>)],
    already_enqueued: &HashSet<i64>,
) -> Result<RelationsOutcome, sqlx::Error> {
    let mut outcome = RelationsOutcome::default();
    if lists.is_empty() {
        return Ok(outcome);
    }
    let parents: Vec<i64> = lists.iter().map(|(parent, _)| *parent).collect();
    // Lock the parents so two imports cannot interleave their lists.
    sqlx::query("select 1 from article where article_id = any($1) order by article_id for update")
        .bind(&parents)
        .execute(&mut *tx)
        .await?;
    let stored: Vec<(i64, Vec<i64>)> = sqlx::query_as(
        "select article_id, array_agg(related_article_id order by position)
         from article_relation where article_id = any($1)
         group by article_id",
    )
    .bind(&parents)
    .fetch_all(&mut *tx)
    .await?;
    let stored: HashMap<i64, Vec<i64>> = stored.into_iter().collect();
    let changed: Vec<&(i64, Vec<i64>)> = lists
        .iter()
        .filter(|(parent, related)| stored.get(parent).map_or(!related.is_empty(), |s| s != related))
        .collect();
    if changed.is_empty() {
        return Ok(outcome);
    }
    let changed_parents: Vec<i64> = changed.iter().map(|(parent, _)| *parent).collect();
    sqlx::query("delete from article_relation where article_id = any($1)")
        .bind(&changed_parents)
        .execute(&mut *tx)
        .await?;
    let (mut from, mut to, mut position) = (Vec::new(), Vec::new(), Vec::new());
    for (parent, related) in &changed {
        for (i, target) in related.iter().enumerate() {
            from.push(*parent);
            to.push(*target);
            position.push(i as i32);
        }
    }
    sqlx::query(
        "insert into article_relation (article_id, related_article_id, position)
         select * from unnest($1::bigint[], $2::bigint[], $3::int[])",
    )
    .bind(&from)
    .bind(&to)
    .bind(&position)
    .execute(&mut *tx)
    .await?;
    outcome.links_written += from.len();
    let to_enqueue: Vec<i64> = changed_parents
        .iter()
        .copied()
        .filter(|id| !already_enqueued.contains(id))
        .collect();
    outcome.jobs_enqueued += jobs::enqueue_recompute(&mut *tx, &to_enqueue).await?;
    outcome.changed_parents = changed_parents;
    Ok(outcome)
}
