//! Recomputing articles' quality, heat and publication state, set-based:
//! one query reads the features of many articles, the scores are computed in
//! Rust (the pure functions of [`crate::scoring`]), one statement writes them.
//!
//! The final `published` value is derived inside that statement from the
//! override columns of the row being updated, so an editor's decision can
//! never be overwritten, whatever the interleaving: if an editor commits
//! while the statement waits for the row lock, PostgreSQL re-reads the row and
//! the new override is what the statement sees.
//!
//! A recompute is one transaction, and this module owns it ([`run`], or
//! [`RecomputeTx`] to recompute several sets in one): it recomputes, deals
//! with the coverage-group neighbours whose decision the changes may have
//! moved, queues what is left, and sends the NOTIFY the API processes learn
//! of the changes from, delivered when (and only if) it commits.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::events::{self, ArticleEvents};
use crate::jobs;
use crate::scoring::lead::{Candidate, best_rival};
use crate::scoring::{
    HeatInput, PublicationDecision, PublicationInput, QualityBreakdown, QualityInput, QualityScore, QualitySource,
    Rival, ScoringConfig, automatic_decision, heat, quality,
};

/// What an article's scores are computed from (read by [`features`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Features {
    pub article_id: i64,
    pub slug: String,
    pub provider_domain: Option<String>,
    pub title: String,
    pub excerpt: Option<String>,
    pub has_image: bool,
    pub image_width: Option<i32>,
    pub image_height: Option<i32>,
    pub has_amp: bool,
    pub topic_count: i64,
    /// Items of the related list its source shipped.
    pub related_items: i64,
    pub corroborating_providers: i64,
    /// The quality the source shipped.
    pub source_quality: Option<i32>,
    /// The eligible articles of its coverage group, as parallel arrays
    /// (their quality as stored, null until scored).
    pub neighbour_ids: Vec<i64>,
    pub neighbour_qualities: Vec<Option<i32>>,
    pub neighbour_published_at: Vec<Option<DateTime<Utc>>>,
    pub editor_boost: i32,
    pub published_at: Option<DateTime<Utc>>,
    pub removed: bool,
}

/// An article's coverage group is its related articles in either direction.
/// Of those, the *eligible* ones count: not removed, not taken down by an
/// editor, not from a blocked provider. Coverage counts their
/// distinct other providers; the lead rule compares the article with the
/// best-ranked of them, chosen in Rust once the qualities of the articles
/// recomputed together are known (see [`recompute`]).
///
/// A neighbour's quality is read as the current configuration makes it
/// (`$2`: the source's quality first), so under the Smartable preset the
/// rule holds at once, before the neighbour's own recompute.
///
/// The query runs with a generic plan (see [`begin`]), so its shape must lead
/// the planner to index lookups whatever the statistics say: it is driven by
/// the id list, and each neighbour is read by a primary key probe that nothing
/// can be pushed into (`offset 0`; eligibility tested outside).
macro_rules! features {
    ($neighbour_domain:literal, $not_blocked:literal) => {
        concat!(
            "
select a.article_id, a.slug, p.domain as provider_domain, a.title, a.excerpt,
       i.article_id is not null as has_image, i.width as image_width, i.height as image_height,
       a.amp_url is not null as has_amp,
       topics.topic_count, coalesce(a.source_related_items, 0)::bigint as related_items,
       coverage.corroborating_providers, a.source_quality,
       coalesce(coverage.ids, '{}') as neighbour_ids, coalesce(coverage.qualities, '{}') as neighbour_qualities,
       coalesce(coverage.published_ats, '{}') as neighbour_published_at,
       s.editor_boost, a.published_at, a.removed
from unnest($1::bigint[]) as wanted(article_id)
join article a on a.article_id = wanted.article_id
join article_state s on s.article_id = a.article_id
left join provider p on p.provider_id = a.provider_id
left join article_image i on i.article_id = a.article_id and i.position = 0
cross join lateral (select count(*) as topic_count from article_topic t where t.article_id = a.article_id) topics
cross join lateral (
    select count(distinct other.provider_id) filter (where other.provider_id is distinct from a.provider_id)
               as corroborating_providers,
           array_agg(other.article_id) as ids, array_agg(other.quality) as qualities,
           array_agg(other.published_at) as published_ats
    from (select related_article_id as article_id from article_relation where article_id = a.article_id
          union
          select article_id from article_relation where related_article_id = a.article_id) neighbour
    cross join lateral (select o.article_id, o.provider_id, o.published_at, o.removed, os.editor_override,
                               case when $2 then coalesce(o.source_quality, os.quality) else os.quality end as quality",
            $neighbour_domain,
            "
                        from article o
                        join article_state os on os.article_id = o.article_id
                        where o.article_id = neighbour.article_id offset 0) other
    where not other.removed and other.editor_override is distinct from 'unpublish'",
            $not_blocked,
            "
) coverage"
        )
    };
}
/// [`features!`] without a blocklist: no neighbour's provider to read.
const FEATURES: &str = features!("", "");
/// [`features!`] with a blocklist (`$3`): a neighbour of a blocked provider
/// (or one of its subdomains) is not eligible.
const FEATURES_BLOCKING: &str = features!(
    ",
                               (select op.domain from provider op where op.provider_id = o.provider_id) as domain",
    "
      and (other.domain is null
           or not exists (select from unnest($3::text[]) blocked(domain)
                          where lower(other.domain) = blocked.domain
                             or lower(other.domain) like '%.' || blocked.domain))"
);

/// Writes scores; `published` and `heat` follow the override of the row as
/// it is when the row is locked. Returns the articles whose quality or
/// publication state changed: whether the publication did, the quality
/// before and after.
///
/// A recompute never overwrites one that began after it (`scored_at` is the
/// transaction's start): a long batch that read an article before a change
/// and then waited for its row lock would otherwise put back scores from
/// before the change over those of the change's own recompute. Every change
/// queues a recompute that starts after it commits, so the newest start
/// always has the newest features.
const WRITE: &str = "
with v as (
    select * from unnest($1::bigint[], $2::int[], $3::int[], $4::jsonb[], $5::bool[])
        as v(article_id, quality, heat, breakdown, auto_publish)
),
written as (
    update article_state s
    set quality = v.quality,
        published = coalesce(s.editor_override = 'publish', v.auto_publish),
        heat = case when coalesce(s.editor_override = 'publish', v.auto_publish) then v.heat else -1 end,
        published_by = case when s.editor_override is null then 'worker' else 'editor' end,
        score_breakdown = v.breakdown,
        scored_at = now()
    from v
    join article_state before on before.article_id = v.article_id
    where s.article_id = v.article_id
      and (s.scored_at is null or s.scored_at <= now())
    returning s.article_id, s.published, before.published as was_published, s.quality, before.quality as was_quality
)
select article_id, published is distinct from was_published, was_quality, quality
from written
where published is distinct from was_published or quality is distinct from was_quality";

/// Starts a recompute transaction, in one round trip:
/// - no wait for this commit's WAL flush: the job's own completion is written
///   later with a synchronous commit, which flushes this one too; should the
///   server crash in between, the job is not marked done and runs again;
/// - generic plans: the statements below are shaped to plan well without the
///   parameters' values, and re-planning them for every job (which PostgreSQL
///   does for array parameters, whose custom plans always look cheaper) costs
///   more than running them;
/// - no JIT: a generic plan's estimates, before the tables have statistics
///   (right after a bulk import), exceed `jit_above_cost`, and compiling the
///   features query then took about 220 ms of every job that runs in 1 ms.
async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    pool.begin_with(
        "begin; set local synchronous_commit = off; set local plan_cache_mode = force_generic_plan; \
         set local jit = off",
    )
    .await
}

/// What a recompute does with the articles its changes call for
/// ([`Recomputed::follow_ups`]).
///
/// Single-article recomputes take them at once, which saves a queue round
/// trip each (after a weight change, single jobs ran at 1,750 jobs/s with
/// their follow-ups queued, 2,418 with them recomputed at once). Batches
/// queue them: most lie in a batch of their own that recomputes them
/// anyway, and a second pass would lock the rows of the batch running
/// beside it (rescore-all fell from about 15,000 to 6,321 articles/s).
/// These follow-ups settle instead of bouncing back and forth: quality
/// depends on the neighbours' providers and eligibility, never on their
/// automatic decisions, and the lead rule is acyclic (see `scoring::lead`),
/// so once the qualities are final one more round decides every group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUps {
    /// Recompute them in the same transaction (what that second pass
    /// changes in turn is queued).
    Now,
    /// Queue a job for each.
    Queue,
}

/// Recomputes these articles in one transaction of their own, at the
/// transaction's time, with the follow-ups taken as `follow_ups` says, and
/// notifies the API processes when it commits. Returns the first pass's
/// outcome.
pub async fn run(
    pool: &PgPool,
    article_ids: &[i64],
    config: &ScoringConfig,
    follow_ups: FollowUps,
) -> Result<Recomputed, sqlx::Error> {
    let mut tx = RecomputeTx::begin(pool, config).await?;
    let outcome = tx.recompute(article_ids).await?;
    tx.commit(follow_ups).await?;
    Ok(outcome)
}

/// An open recompute transaction: begun by [`RecomputeTx::begin`], any
/// number of [`RecomputeTx::recompute`] calls, then [`RecomputeTx::commit`],
/// which takes the follow-ups, notifies and commits. Dropped uncommitted, it
/// rolls back and nothing is notified.
pub struct RecomputeTx<'c> {
    tx: Transaction<'static, Postgres>,
    config: &'c ScoringConfig,
    now: DateTime<Utc>,
    events: ArticleEvents,
    follow_ups: Vec<i64>,
}

impl<'c> RecomputeTx<'c> {
    pub async fn begin(pool: &PgPool, config: &'c ScoringConfig) -> Result<Self, sqlx::Error> {
        Ok(Self {
            tx: begin(pool).await?,
            config,
            now: Utc::now(),
            events: ArticleEvents::default(),
            follow_ups: Vec::new(),
        })
    }

    /// Recomputes these articles in the transaction.
    pub async fn recompute(&mut self, article_ids: &[i64]) -> Result<Recomputed, sqlx::Error> {
        let outcome = recompute(&mut self.tx, article_ids, self.config, self.now).await?;
        self.record(&outcome);
        Ok(outcome)
    }

    fn record(&mut self, outcome: &Recomputed) {
        self.events.rescored.extend(&outcome.scored);
        self.events.publication.extend(&outcome.publication_changed);
        self.follow_ups.extend(&outcome.follow_ups);
    }

    /// Takes the follow-ups, sends the notification and commits; returns
    /// the jobs queued.
    pub async fn commit(mut self, follow_ups: FollowUps) -> Result<usize, sqlx::Error> {
        let mut wanted = std::mem::take(&mut self.follow_ups);
        wanted.sort_unstable();
        wanted.dedup();
        if follow_ups == FollowUps::Now && !wanted.is_empty() {
            let second = recompute(&mut self.tx, &wanted, self.config, self.now).await?;
            self.record(&second);
            wanted = std::mem::take(&mut self.follow_ups);
        }
        let queued = jobs::enqueue_recompute(&mut self.tx, &wanted).await?;
        events::notify(&mut self.tx, &self.events).await?;
        self.tx.commit().await?;
        Ok(queued)
    }
}

/// The outcome of one recompute.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recomputed {
    /// Articles scored.
    pub scored: Vec<i64>,
    /// Articles whose publication state changed.
    pub publication_changed: Vec<i64>,
    /// The recomputes these changes call for: articles outside this
    /// recompute whose lead the changes may have moved (see [`follow_ups`]).
    pub follow_ups: Vec<i64>,
    /// Requested ids that no longer exist.
    pub missing: Vec<i64>,
}

/// The `score_breakdown` stored with an article: why it has its scores.
/// Typed, so a recompute of thousands of articles serialises it straight
/// into the statement's parameter instead of building JSON trees first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Breakdown {
    /// `source` or `computed`: which quality counted.
    pub quality_from: &'static str,
    /// Our computed quality, component by component.
    pub quality: QualityBreakdown,
    pub publication: PublicationDecision,
    pub heat: HeatDetail,
    pub computed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HeatDetail {
    pub if_published: i32,
    pub editor_boost: i32,
    pub corroborating_providers: usize,
}

/// What the scoring rules give for one article's features at time `now`,
/// before editor overrides (the write statement applies those).
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub quality: i32,
    /// Heat as if published; the stored heat is -1 while unpublished.
    pub heat_if_published: i32,
    /// The automatic publication decision.
    pub auto_publish: bool,
    /// The `score_breakdown` stored with the article.
    pub breakdown: Breakdown,
}

/// Reads the scoring features of these articles under `config` (missing ids
/// are skipped).
pub async fn features(
    conn: &mut PgConnection,
    article_ids: &[i64],
    config: &ScoringConfig,
) -> Result<Vec<Features>, sqlx::Error> {
    let source_quality = config.quality_source == QualitySource::Source;
    if config.blocked_providers.is_empty() {
        return sqlx::query_as(FEATURES)
            .bind(article_ids)
            .bind(source_quality)
            .fetch_all(conn)
            .await;
    }
    let blocked: Vec<String> = config
        .blocked_providers
        .iter()
        .map(|d| crate::scoring::normalize_domain(d))
        .collect();
    sqlx::query_as(FEATURES_BLOCKING)
        .bind(article_ids)
        .bind(source_quality)
        .bind(&blocked)
        .fetch_all(conn)
        .await
}

/// An article's quality under `config`: the computed score with its
/// breakdown, and the quality that counts (the source's under
/// `quality_source: source`, where it has one).
fn quality_of(f: &Features, config: &ScoringConfig) -> (QualityScore, i32, &'static str) {
    let scored = quality(
        &QualityInput {
            provider_domain: f.provider_domain.clone(),
            title: f.title.clone(),
            excerpt: f.excerpt.clone(),
            image: f.has_image.then_some((f.image_width, f.image_height)),
            has_amp: f.has_amp,
            topic_count: usize::try_from(f.topic_count).unwrap_or_default(),
            corroborating_providers: usize::try_from(f.corroborating_providers).unwrap_or_default(),
        },
        config,
    );
    match (config.quality_source, f.source_quality) {
        (QualitySource::Source, Some(source)) => (scored, source, "source"),
        _ => {
            let total = scored.total;
            (scored, total, "computed")
        }
    }
}

/// The best-ranked neighbour, with `fresh` qualities (of the articles
/// recomputed together) in place of the stored ones.
fn rival_of(f: &Features, fresh: &HashMap<i64, i32>) -> Option<Candidate> {
    let candidates = f.neighbour_ids.iter().enumerate().filter_map(|(i, id)| {
        let quality = fresh.get(id).copied().or(f.neighbour_qualities[i])?;
        Some((*id, quality, f.neighbour_published_at[i]))
    });
    best_rival(candidates)
}

/// The slugs the reasons name: those of the rivals at least as good as
/// their article (only they can outrank it), read in one statement.
async fn rival_slugs(
    conn: &mut PgConnection,
    rivals: impl Iterator<Item = (Option<Candidate>, i32)>,
) -> Result<HashMap<i64, String>, sqlx::Error> {
    let mut ids: Vec<i64> = rivals
        .filter_map(|(rival, quality)| rival.filter(|r| r.1 >= quality).map(|r| r.0))
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<(i64, String)> = sqlx::query_as("select article_id, slug from article where article_id = any($1)")
        .bind(&ids)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

fn named(rival: Option<Candidate>, slugs: &HashMap<i64, String>) -> Option<Rival> {
    rival.map(|(id, quality, published_at)| Rival {
        slug: slugs.get(&id).cloned().unwrap_or_else(|| format!("article {id}")),
        quality,
        published_at,
    })
}

/// Scores articles as the worker stores them (quality, heat if published,
/// the automatic decision and the breakdown), each at its own time, with
/// the neighbours' qualities as stored: what a recompute of each alone
/// would write.
pub async fn score_alone(
    conn: &mut PgConnection,
    features: &[(&Features, DateTime<Utc>)],
    config: &ScoringConfig,
) -> Result<Vec<Scores>, sqlx::Error> {
    let none = HashMap::new();
    let qualities: Vec<_> = features.iter().map(|(f, _)| quality_of(f, config)).collect();
    let rivals: Vec<_> = features.iter().map(|(f, _)| rival_of(f, &none)).collect();
    let slugs = rival_slugs(conn, rivals.iter().copied().zip(qualities.iter().map(|q| q.1))).await?;
    Ok(features
        .iter()
        .zip(qualities)
        .zip(rivals)
        .map(|(((f, now), quality), rival)| scores(f, config, *now, quality, named(rival, &slugs)))
        .collect())
}

fn scores(
    f: &Features,
    config: &ScoringConfig,
    now: DateTime<Utc>,
    (scored, total, quality_from): (QualityScore, i32, &'static str),
    rival: Option<Rival>,
) -> Scores {
    let corroborating = usize::try_from(f.corroborating_providers).unwrap_or_default();
    let decision = automatic_decision(
        PublicationInput {
            quality: total,
            provider_domain: f.provider_domain.clone(),
            published_at: f.published_at,
            now,
            removed: f.removed,
            rival,
        },
        config,
    );
    // Heat as if published; the write statement turns it into -1 when
    // the final state (override included) is unpublished.
    let hot = heat(
        HeatInput {
            quality: total,
            corroborating_providers: corroborating,
            related_items: usize::try_from(f.related_items).unwrap_or_default(),
            editor_boost: f.editor_boost,
            published: true,
            published_at: f.published_at,
            now,
        },
        config,
    );
    Scores {
        quality: total,
        heat_if_published: hot,
        auto_publish: decision.publish,
        breakdown: Breakdown {
            quality_from,
            quality: scored.breakdown,
            publication: decision,
            heat: HeatDetail {
                if_published: hot,
                editor_boost: f.editor_boost,
                corroborating_providers: corroborating,
            },
            computed_at: now,
        },
    }
}

/// Recomputes the given articles on `conn` (the recompute transaction), at
/// time `now`.
///
/// Qualities first, for all of them; then each decision, comparing with
/// the neighbours' new qualities where they are recomputed here too, so a
/// group recomputed together settles in one pass. Neighbours outside the
/// set are compared as stored: [`follow_ups`] queues what their changes
/// affect.
async fn recompute(
    conn: &mut PgConnection,
    article_ids: &[i64],
    config: &ScoringConfig,
    now: DateTime<Utc>,
) -> Result<Recomputed, sqlx::Error> {
    let features = features(&mut *conn, article_ids, config).await?;
    let mut outcome = Recomputed::default();
    let (mut ids, mut qualities, mut heats, mut breakdowns, mut auto) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let qualities_of: Vec<_> = features.iter().map(|f| quality_of(f, config)).collect();
    let fresh: HashMap<i64, i32> = features
        .iter()
        .zip(&qualities_of)
        .map(|(f, (_, total, _))| (f.article_id, *total))
        .collect();
    let rivals: Vec<_> = features.iter().map(|f| rival_of(f, &fresh)).collect();
    let totals = qualities_of.iter().map(|q| q.1);
    let slugs = rival_slugs(&mut *conn, rivals.iter().copied().zip(totals)).await?;
    for ((f, quality), rival) in features.iter().zip(qualities_of).zip(rivals) {
        let scores = scores(f, config, now, quality, named(rival, &slugs));
        ids.push(f.article_id);
        qualities.push(scores.quality);
        heats.push(scores.heat_if_published);
        auto.push(scores.auto_publish);
        breakdowns.push(Json(scores.breakdown));
    }
    let found: std::collections::HashSet<i64> = ids.iter().copied().collect();
    outcome.missing = article_ids.iter().copied().filter(|id| !found.contains(id)).collect();
    if !ids.is_empty() {
        let changed: Vec<(i64, bool, Option<i32>, i32)> = sqlx::query_as(WRITE)
            .bind(&ids)
            .bind(&qualities)
            .bind(&heats)
            .bind(&breakdowns)
            .bind(&auto)
            .fetch_all(&mut *conn)
            .await?;
        let mut quality_changed = Vec::new();
        for (id, publication_changed, before, after) in changed {
            if publication_changed {
                outcome.publication_changed.push(id);
            }
            if before != Some(after) {
                quality_changed.push((id, before, after));
            }
        }
        outcome.follow_ups = follow_ups(&features, &quality_changed);
    }
    outcome.scored = ids;
    Ok(outcome)
}

/// The articles of the coverage groups whose lead, or whose reason for
/// being held back, the quality changes may have moved, outside the
/// recomputed ones; read off the features, which hold every eligible
/// neighbour with its quality.
///
/// An article whose quality went from `a` to `b` may outrank, or may have
/// outranked, the neighbours whose quality is at most `max(a, b)`: their
/// decision, or the article their reason names, can have changed. The
/// neighbours above both never had it as the one that outranks them. A
/// neighbour not scored yet compares when it is. Automatic publication
/// changes call for nothing: the rule never looks at a neighbour's
/// automatic decision. (What changes a neighbour's eligibility queues its
/// neighbours where it happens: the import for `removed`, the editorial
/// actions for overrides.)
fn follow_ups(features: &[Features], quality_changed: &[(i64, Option<i32>, i32)]) -> Vec<i64> {
    let recomputed: std::collections::HashSet<i64> = features.iter().map(|f| f.article_id).collect();
    let by_id: HashMap<i64, &Features> = features.iter().map(|f| (f.article_id, f)).collect();
    let mut wanted = Vec::new();
    for &(id, before, after) in quality_changed {
        let Some(f) = by_id.get(&id) else { continue };
        let high = before.map_or(after, |b| b.max(after));
        for (neighbour, quality) in f.neighbour_ids.iter().zip(&f.neighbour_qualities) {
            if quality.is_some_and(|q| q <= high) && !recomputed.contains(neighbour) {
                wanted.push(*neighbour);
            }
        }
    }
    wanted.sort_unstable();
    wanted.dedup();
    wanted
}

/// The articles related to these, in either direction: the articles of
/// their coverage groups.
pub async fn related_of(conn: &mut PgConnection, article_ids: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select related_article_id from article_relation where article_id = any($1)
         union
         select article_id from article_relation where related_article_id = any($1)",
    )
    .bind(article_ids)
    .fetch_all(conn)
    .await
}

/// The articles a recompute batch covers: every article (`$1` null), or only
/// those published since `$1`, the window whose heat still moves. Both
/// [`id_ranges`], which cuts the batches, and [`ids_in_batch`], which runs
/// one, select from it.
macro_rules! batch_articles {
    () => {
        "select article_id from article_state
         where $1::timestamptz is null or (published and published_at >= $1)"
    };
}

/// Splits the articles into id ranges of about `size` articles each: every
/// article (`since` = None), or only those published since `since`.
pub async fn id_ranges(
    conn: &mut PgConnection,
    size: i64,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<crate::jobs::RecomputeBatch>, sqlx::Error> {
    let ranges: Vec<(i64, i64)> = sqlx::query_as(concat!(
        "select min(article_id), max(article_id)
         from (select article_id, (row_number() over (order by article_id) - 1) / $2 as chunk
               from (",
        batch_articles!(),
        ") covered) numbered
         group by chunk
         order by 1"
    ))
    .bind(since)
    .bind(size)
    .fetch_all(conn)
    .await?;
    Ok(ranges
        .into_iter()
        .map(|(from_id, to_id)| crate::jobs::RecomputeBatch {
            from_id,
            to_id,
            published_since: since,
        })
        .collect())
}

/// The ids of the articles of a batch: those [`id_ranges`] counted in its
/// range.
pub async fn ids_in_batch(
    conn: &mut PgConnection,
    batch: &crate::jobs::RecomputeBatch,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(concat!(
        "select article_id from (",
        batch_articles!(),
        ") covered where article_id between $2 and $3 order by article_id"
    ))
    .bind(batch.published_since)
    .bind(batch.from_id)
    .bind(batch.to_id)
    .fetch_all(conn)
    .await
}
