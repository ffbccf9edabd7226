//! Writing one batch of merged article records: one transaction holding the
//! article rows, their images and topics, and the recompute jobs of the
//! articles that changed.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use super::plan::Ready;
use super::report::ImportReport;
use crate::domain::{ArticleRecord, Image, ProviderRef, SourceKind, merge_images};
use crate::jobs;
use crate::slug::{disambiguate, related_slug, slugify};

/// What a batch did, and the ids of every article it saw (for relations).
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub topics_created: usize,
    pub providers_created: usize,
    pub providers_updated: usize,
    pub jobs_enqueued: usize,
    /// Run key -> article id.
    pub ids: Vec<(String, i64)>,
    /// Ids that got a recompute job in this batch.
    pub enqueued: Vec<i64>,
    /// Ids of the articles this batch inserted (a subset of `enqueued`).
    pub created: Vec<i64>,
}

impl BatchOutcome {
    /// The batch's counts in report form.
    pub fn counts(&self) -> ImportReport {
        ImportReport {
            articles_inserted: self.inserted,
            articles_updated: self.updated,
            articles_unchanged: self.unchanged,
            topics: self.topics_created,
            providers: self.providers_created,
            providers_updated: self.providers_updated,
            jobs_enqueued: self.jobs_enqueued,
            ..ImportReport::default()
        }
    }
}

/// Provider and topic ids already resolved in this run.
#[derive(Debug, Default)]
pub struct IdCache {
    pub providers: HashMap<String, i64>,
    /// Each cached provider's logos as this writer last saw them stored.
    pub provider_images: HashMap<String, Vec<Image>>,
    pub topics: HashMap<String, i64>,
}

/// An article row as stored, with its images and topic names.
#[derive(Debug, sqlx::FromRow)]
struct StoredRow {
    article_id: i64,
    canonical_url: String,
    amp_key: Option<String>,
    slug: String,
    source_kind: String,
    category: Option<String>,
    r#type: Option<String>,
    title: String,
    excerpt: Option<String>,
    original_url: Option<String>,
    web_url: String,
    amp_url: Option<String>,
    cdn_amp_url: Option<String>,
    published_at: Option<DateTime<Utc>>,
    source_updated_at: Option<DateTime<Utc>>,
    provider_domain: Option<String>,
    provider_name: Option<String>,
    locale: Option<String>,
    secured: Option<String>,
    removed: bool,
    source_quality: Option<i32>,
    source_heat: Option<i32>,
    source_published: Option<bool>,
    source_related_items: Option<i32>,
    images: Json<Vec<Image>>,
    topics: Vec<String>,
}

impl StoredRow {
    fn to_record(&self) -> ArticleRecord {
        ArticleRecord {
            kind: SourceKind::from_db(&self.source_kind),
            slug: Some(self.slug.clone()),
            canonical_url: self.canonical_url.clone(),
            amp_key: self.amp_key.clone(),
            title: self.title.clone(),
            web_url: self.web_url.clone(),
            category: self.category.clone(),
            article_type: self.r#type.clone(),
            excerpt: self.excerpt.clone(),
            original_url: self.original_url.clone(),
            amp_url: self.amp_url.clone(),
            cdn_amp_url: self.cdn_amp_url.clone(),
            published_at: self.published_at,
            source_updated_at: self.source_updated_at,
            provider: self.provider_domain.clone().map(|domain| ProviderRef {
                name: self.provider_name.clone().unwrap_or_else(|| domain.clone()),
                domain,
                images: None,
            }),
            locale: self.locale.clone(),
            secured: self.secured.clone(),
            // `false` is the column default, not something a source said
            removed: self.removed.then_some(true),
            quality: self.source_quality,
            heat: self.source_heat,
            published: self.source_published,
            images: Some(self.images.0.clone()),
            topics: Some(self.topics.clone()),
            highlight: None,
            related: None,
            related_items: self.source_related_items,
        }
    }
}

const LOAD_STORED: &str = "
select a.article_id, a.canonical_url, a.amp_key, a.slug, a.source_kind, a.category, a.type,
       a.title, a.excerpt, a.original_url, a.web_url, a.amp_url, a.cdn_amp_url,
       a.published_at, a.source_updated_at, p.domain as provider_domain, p.name as provider_name,
       a.locale, a.secured, a.removed, a.source_quality, a.source_heat, a.source_published,
       a.source_related_items,
       coalesce((select jsonb_agg(jsonb_build_object('url', i.url, 'width', i.width,
                        'height', i.height, 'is_cached', i.is_cached) order by i.position)
                 from article_image i where i.article_id = a.article_id), '[]') as images,
       coalesce((select array_agg(t.name order by at.position)
                 from article_topic at join topic t on t.topic_id = at.topic_id
                 where at.article_id = a.article_id), '{}') as topics
from article a
left join provider p on p.provider_id = a.provider_id
where a.canonical_url = any($1) or a.amp_key = any($1)
for update of a";

/// One article to write: the merged record, its final slug, and the stored
/// row it updates (if any).
struct Planned<'a> {
    key: String,
    record: ArticleRecord,
    stored: Option<&'a StoredRow>,
}

fn topic_slugs(topics: &Option<Vec<String>>) -> Vec<String> {
    topics
        .iter()
        .flatten()
        .map(|name| slugify(name))
        .filter(|s| !s.is_empty())
        .collect()
}

fn images_of(record: &ArticleRecord) -> &[Image] {
    record.images.as_deref().unwrap_or_default()
}

/// Whether the article's own columns differ from the stored row.
fn columns_differ(record: &ArticleRecord, stored: &StoredRow) -> bool {
    let s = stored;
    let r = record;
    r.slug.as_deref() != Some(s.slug.as_str())
        || r.kind.as_str() != s.source_kind
        || r.amp_key != s.amp_key
        || r.category != s.category
        || r.article_type != s.r#type
        || r.title != s.title
        || r.excerpt != s.excerpt
        || r.original_url != s.original_url
        || r.web_url != s.web_url
        || r.amp_url != s.amp_url
        || r.cdn_amp_url != s.cdn_amp_url
        || r.published_at != s.published_at
        || r.source_updated_at != s.source_updated_at
        || r.provider.as_ref().map(|p| &p.domain) != s.provider_domain.as_ref()
        || r.locale != s.locale
        || r.secured != s.secured
        || r.removed.unwrap_or(false) != s.removed
        || r.quality != s.source_quality
        || r.heat != s.source_heat
        || r.published != s.source_published
        || r.related_items != s.source_related_items
}

/// Writes one batch in one transaction. The batch is borrowed so that a
/// caller can retry it after a conflict with a concurrent writer.
pub async fn write_batch(pool: &PgPool, cache: &mut IdCache, batch: &[Ready]) -> Result<BatchOutcome, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let outcome = write_batch_in(&mut tx, cache, batch).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Writes one batch on the caller's transaction (which commits it, with
/// whatever else it holds). On an error the transaction must be rolled back,
/// and `cache` may name rows that rolled back with it: drop it too.
pub async fn write_batch_in(
    tx: &mut PgConnection,
    cache: &mut IdCache,
    batch: &[Ready],
) -> Result<BatchOutcome, sqlx::Error> {
    let mut outcome = BatchOutcome::default();

    let mut lookup: Vec<String> = Vec::with_capacity(batch.len() * 2);
    for ready in batch {
        lookup.push(ready.key.clone());
        lookup.extend(ready.record.amp_key.clone());
    }
    let stored: Vec<StoredRow> = sqlx::query_as(LOAD_STORED).bind(&lookup).fetch_all(&mut *tx).await?;
    let by_canonical: HashMap<&str, usize> = stored
        .iter()
        .enumerate()
        .map(|(i, s)| (s.canonical_url.as_str(), i))
        .collect();
    let by_amp: HashMap<&str, usize> = stored
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.amp_key.as_deref().map(|a| (a, i)))
        .collect();

    // Match each incoming record with its stored row under the identity rule
    // of `domain::same_article`; two records that turn out to be one stored
    // article (one reached through the other's AMP URL) are merged.
    let mut planned: Vec<Planned> = Vec::with_capacity(batch.len());
    let mut planned_for_stored: HashMap<usize, usize> = HashMap::new();
    for Ready { key, record } in batch.iter().cloned() {
        let amp = record.amp_key.as_deref();
        let found = by_canonical
            .get(key.as_str())
            .or_else(|| by_amp.get(key.as_str()))
            .or_else(|| amp.and_then(|a| by_canonical.get(a)))
            .copied();
        match found {
            Some(i) if planned_for_stored.contains_key(&i) => {
                planned[planned_for_stored[&i]].record.merge(record);
                if key != stored[i].canonical_url {
                    outcome.ids.push((key, stored[i].article_id));
                }
            }
            Some(i) => {
                let row = &stored[i];
                let mut merged = row.to_record();
                merged.merge(record);
                planned_for_stored.insert(i, planned.len());
                planned.push(Planned {
                    key: row.canonical_url.clone(),
                    record: merged,
                    stored: Some(row),
                });
                // the run knows this article by its own key too
                if key != row.canonical_url {
                    outcome.ids.push((key, row.article_id));
                }
            }
            None => planned.push(Planned {
                key,
                record,
                stored: None,
            }),
        }
    }

    assign_slugs(&mut *tx, &mut planned).await?;

    let mut changed: Vec<&Planned> = Vec::new();
    let mut media_changed: HashSet<String> = HashSet::new();
    for plan in &planned {
        match plan.stored {
            None => {
                changed.push(plan);
                media_changed.insert(plan.key.clone());
            }
            Some(row) => {
                let media = images_of(&plan.record) != row.images.0.as_slice()
                    || topic_slugs(&plan.record.topics) != topic_slugs(&Some(row.topics.clone()));
                if media {
                    media_changed.insert(plan.key.clone());
                }
                if media || columns_differ(&plan.record, row) {
                    changed.push(plan);
                } else {
                    outcome.unchanged += 1;
                    outcome.ids.push((plan.key.clone(), row.article_id));
                }
            }
        }
    }

    // Every record's provider, changed or not: an unchanged article may
    // still carry logos its provider lacks.
    (outcome.providers_created, outcome.providers_updated) = ensure_providers(
        &mut *tx,
        cache,
        planned.iter().filter_map(|p| p.record.provider.as_ref()),
    )
    .await?;
    let mut topic_names: Vec<&str> = changed
        .iter()
        .flat_map(|p| p.record.topics.iter().flatten())
        .map(String::as_str)
        .collect();
    topic_names.extend(
        planned
            .iter()
            .filter_map(|p| p.record.highlight.as_ref())
            .map(|h| h.topic_name.as_str()),
    );
    outcome.topics_created = ensure_topics(&mut *tx, cache, topic_names).await?;
    apply_highlights(&mut *tx, &planned).await?;

    let written = upsert_articles(&mut *tx, cache, &changed).await?;
    let id_of: HashMap<&str, i64> = written.iter().map(|(url, id, _)| (url.as_str(), *id)).collect();
    for (url, id, inserted) in &written {
        if *inserted {
            outcome.inserted += 1;
            outcome.created.push(*id);
        } else {
            outcome.updated += 1;
        }
        outcome.ids.push((url.clone(), *id));
    }
    let media: Vec<(i64, &ArticleRecord)> = changed
        .iter()
        .filter(|p| media_changed.contains(&p.key))
        .filter_map(|p| id_of.get(p.key.as_str()).map(|id| (*id, &p.record)))
        .collect();
    replace_images_and_topics(&mut *tx, cache, &media).await?;

    let mut ids: Vec<i64> = written.iter().map(|(_, id, _)| *id).collect();
    // A tombstone set or lifted changes who may lead its coverage groups:
    // its neighbours are recomputed too.
    let eligibility_changed: Vec<i64> = changed
        .iter()
        .filter(|p| {
            p.stored
                .is_some_and(|row| row.removed != p.record.removed.unwrap_or(false))
        })
        .filter_map(|p| id_of.get(p.key.as_str()).copied())
        .collect();
    if !eligibility_changed.is_empty() {
        ids.extend(crate::rescore::related_of(&mut *tx, &eligibility_changed).await?);
        ids.sort_unstable();
        ids.dedup();
    }
    outcome.jobs_enqueued = jobs::enqueue_recompute(&mut *tx, &ids).await?;
    outcome.enqueued = ids;
    Ok(outcome)
}

/// Gives every new article a slug, and keeps or adopts one for stored
/// articles; a slug owned by another article gets a stable suffix.
async fn assign_slugs(tx: &mut PgConnection, planned: &mut [Planned<'_>]) -> Result<(), sqlx::Error> {
    // Slugs to ask for; stored articles that keep theirs ask for nothing.
    let mut wanted: Vec<(usize, String)> = Vec::new();
    for (i, plan) in planned.iter_mut().enumerate() {
        let want = match (&plan.record.slug, plan.stored) {
            (Some(slug), Some(row)) if row.slug == *slug || row.slug == disambiguate(slug, &plan.key) => None,
            (Some(slug), _) => Some(slug.clone()),
            (None, Some(_)) => None,
            // Generated slugs carry a URL suffix from the start, so they never
            // take a file's own name (syndicated copies share date and title).
            (None, None) => Some(disambiguate(
                &related_slug(plan.record.published_at, &plan.record.title),
                &plan.key,
            )),
        };
        match (want, plan.stored) {
            (Some(want), _) => wanted.push((i, want)),
            (None, Some(row)) => plan.record.slug = Some(row.slug.clone()),
            (None, None) => unreachable!("a new article always asks for a slug"),
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let mut asked: Vec<&str> = wanted.iter().map(|(_, slug)| slug.as_str()).collect();
    // Concurrent writers often want one file name (the same post in several
    // folders, replicated sites): each slug is taken under a transaction
    // lock, so the second writer waits for the first to commit and then sees
    // its owner, instead of failing on the unique index. Sorted: one order.
    asked.sort_unstable();
    asked.dedup();
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('article.slug:' || s, 0)) from unnest($1::text[]) s")
        .bind(&asked)
        .execute(&mut *tx)
        .await?;
    let owners: Vec<(String, String)> = sqlx::query_as("select slug, canonical_url from article where slug = any($1)")
        .bind(&asked)
        .fetch_all(&mut *tx)
        .await?;
    let mut owner: HashMap<String, String> = owners.into_iter().collect();
    for (i, want) in wanted {
        let plan = &mut planned[i];
        let slug = match owner.get(&want) {
            Some(url) if *url != plan.key => disambiguate(&want, &plan.key),
            _ => want,
        };
        owner.insert(slug.clone(), plan.key.clone());
        plan.record.slug = Some(slug);
    }
    Ok(())
}

/// Creates providers seen for the first time and adds the logos a provider
/// did not have yet; returns how many were created and how many gained logos.
///
/// Logos are a union by URL ([`merge_images`]): whichever file brings them,
/// in whatever order, they stay. A row is locked only when this batch has
/// something to add that the writer has not already seen stored, so the
/// common case (known provider, known logos) costs no lock.
async fn ensure_providers<'a>(
    tx: &mut PgConnection,
    cache: &mut IdCache,
    providers: impl Iterator<Item = &'a ProviderRef>,
) -> Result<(usize, usize), sqlx::Error> {
    // One entry per domain, its logos merged across the batch; sorted by
    // domain so that concurrent writers take row locks in one order.
    let mut incoming: Vec<(&str, &str, Vec<Image>)> = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for provider in providers {
        let images = provider.images.as_deref().unwrap_or_default();
        match seen.get(provider.domain.as_str()) {
            Some(&i) => {
                merge_images(&mut incoming[i].2, images);
            }
            None => {
                seen.insert(&provider.domain, incoming.len());
                incoming.push((&provider.domain, &provider.name, images.to_vec()));
            }
        }
    }
    incoming.sort_by(|a, b| a.0.cmp(b.0));
    let unknown: Vec<&(&str, &str, Vec<Image>)> = incoming
        .iter()
        .filter(|(domain, _, _)| !cache.providers.contains_key(*domain))
        .collect();
    let mut created = 0;
    if !unknown.is_empty() {
        let domains: Vec<&str> = unknown.iter().map(|p| p.0).collect();
        let names: Vec<&str> = unknown.iter().map(|p| p.1).collect();
        let images: Vec<Json<&Vec<Image>>> = unknown.iter().map(|p| Json(&p.2)).collect();
        let inserted: i64 = sqlx::query_scalar(
            "with new as (
                 insert into provider (domain, name, images)
                 select * from unnest($1::text[], $2::text[], $3::jsonb[])
                 on conflict (domain) do nothing
                 returning 1)
             select count(*) from new",
        )
        .bind(&domains)
        .bind(&names)
        .bind(&images)
        .fetch_one(&mut *tx)
        .await?;
        created = inserted as usize;
        let rows: Vec<(String, i64, Json<Vec<Image>>)> =
            sqlx::query_as("select domain, provider_id, images from provider where domain = any($1)")
                .bind(&domains)
                .fetch_all(&mut *tx)
                .await?;
        for (domain, id, images) in rows {
            cache.providers.insert(domain.clone(), id);
            cache.provider_images.insert(domain, images.0);
        }
    }
    // Logos this writer has not seen stored: lock, merge, write.
    let mut updated = 0;
    for (domain, _, images) in &incoming {
        let mut known = cache.provider_images.get(*domain).cloned().unwrap_or_default();
        if images.is_empty() || !merge_images(&mut known, images) {
            continue;
        }
        let (id, Json(mut stored)): (i64, Json<Vec<Image>>) =
            sqlx::query_as("select provider_id, images from provider where domain = $1 for update")
                .bind(domain)
                .fetch_one(&mut *tx)
                .await?;
        if merge_images(&mut stored, images) {
            sqlx::query("update provider set images = $2 where provider_id = $1")
                .bind(id)
                .bind(Json(&stored))
                .execute(&mut *tx)
                .await?;
            updated += 1;
        }
        cache.provider_images.insert(domain.to_string(), stored);
    }
    Ok((created, updated))
}

/// Creates topics seen for the first time (by the slug of their name).
async fn ensure_topics(tx: &mut PgConnection, cache: &mut IdCache, names: Vec<&str>) -> Result<usize, sqlx::Error> {
    // Sorted by slug: concurrent writers then take row locks in one order.
    let mut new: Vec<(String, &str)> = names
        .into_iter()
        .map(|name| (slugify(name), name))
        .filter(|(slug, _)| !slug.is_empty() && !cache.topics.contains_key(slug))
        .collect();
    new.sort();
    new.dedup_by(|a, b| a.0 == b.0);
    let (slugs, new_names): (Vec<String>, Vec<&str>) = new.into_iter().unzip();
    if slugs.is_empty() {
        return Ok(0);
    }
    let created: i64 = sqlx::query_scalar(
        "with new as (
             insert into topic (slug, name)
             select * from unnest($1::text[], $2::text[])
             on conflict (slug) do nothing
             returning 1)
         select count(*) from new",
    )
    .bind(&slugs)
    .bind(&new_names)
    .fetch_one(&mut *tx)
    .await?;
    let rows: Vec<(String, i64)> = sqlx::query_as("select slug, topic_id from topic where slug = any($1)")
        .bind(&slugs)
        .fetch_all(&mut *tx)
        .await?;
    cache.topics.extend(rows);
    Ok(created as usize)
}

/// JSON API items carry their feed's highlight colours: keep them on the topic.
async fn apply_highlights(tx: &mut PgConnection, planned: &[Planned<'_>]) -> Result<(), sqlx::Error> {
    let mut seen = HashSet::new();
    let (mut slugs, mut text, mut background) = (Vec::new(), Vec::new(), Vec::new());
    for highlight in planned.iter().filter_map(|p| p.record.highlight.as_ref()) {
        let slug = slugify(&highlight.topic_name);
        if seen.insert(slug.clone()) {
            slugs.push(slug);
            text.push(highlight.text_color.clone());
            background.push(highlight.background_color.clone());
        }
    }
    if slugs.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "update topic t
         set highlight_text_color = coalesce(h.text_color, t.highlight_text_color),
             highlight_background_color = coalesce(h.background_color, t.highlight_background_color)
         from unnest($1::text[], $2::text[], $3::text[]) as h(slug, text_color, background_color)
         where t.slug = h.slug
           and (t.highlight_text_color, t.highlight_background_color)
               is distinct from (coalesce(h.text_color, t.highlight_text_color),
                                 coalesce(h.background_color, t.highlight_background_color))",
    )
    .bind(&slugs)
    .bind(&text)
    .bind(&background)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

const UPSERT_ARTICLES: &str = "
insert into article (canonical_url, slug, amp_key, source_kind, category, type, title, excerpt,
                     original_url, web_url, amp_url, cdn_amp_url, published_at, source_updated_at,
                     provider_id, locale, secured, removed, source_quality, source_heat, source_published,
                     source_related_items)
select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::timestamptz[],
                     $14::timestamptz[], $15::bigint[], $16::text[], $17::text[], $18::bool[], $19::int[],
                     $20::int[], $21::bool[], $22::int[])
on conflict (canonical_url) do update set
    slug = excluded.slug, amp_key = excluded.amp_key, source_kind = excluded.source_kind,
    category = excluded.category, type = excluded.type, title = excluded.title,
    excerpt = excluded.excerpt, original_url = excluded.original_url, web_url = excluded.web_url,
    amp_url = excluded.amp_url, cdn_amp_url = excluded.cdn_amp_url,
    published_at = excluded.published_at, source_updated_at = excluded.source_updated_at,
    provider_id = excluded.provider_id, locale = excluded.locale, secured = excluded.secured,
    removed = excluded.removed, source_quality = excluded.source_quality,
    source_heat = excluded.source_heat, source_published = excluded.source_published,
    source_related_items = excluded.source_related_items,
    version = article.version + 1
returning canonical_url, article_id, (xmax = 0) as inserted";

/// Inserts new articles and rewrites changed ones; returns
/// (canonical URL, id, inserted?) for each.
async fn upsert_articles(
    tx: &mut PgConnection,
    cache: &IdCache,
    changed: &[&Planned<'_>],
) -> Result<Vec<(String, i64, bool)>, sqlx::Error> {
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    macro_rules! column {
        ($f:expr) => {
            changed.iter().map(|p| $f(&p.record, p)).collect::<Vec<_>>()
        };
    }
    sqlx::query_as(UPSERT_ARTICLES)
        .bind(column!(|_: &ArticleRecord, p: &&Planned| p.key.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.slug.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.amp_key.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.kind.as_str()))
        .bind(column!(|r: &ArticleRecord, _| r.category.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.article_type.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.title.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.excerpt.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.original_url.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.web_url.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.amp_url.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.cdn_amp_url.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.published_at))
        .bind(column!(|r: &ArticleRecord, _| r.source_updated_at))
        .bind(column!(|r: &ArticleRecord, _| r
            .provider
            .as_ref()
            .and_then(|p| cache.providers.get(&p.domain).copied())))
        .bind(column!(|r: &ArticleRecord, _| r.locale.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.secured.clone()))
        .bind(column!(|r: &ArticleRecord, _| r.removed.unwrap_or(false)))
        .bind(column!(|r: &ArticleRecord, _| r.quality))
        .bind(column!(|r: &ArticleRecord, _| r.heat))
        .bind(column!(|r: &ArticleRecord, _| r.published))
        .bind(column!(|r: &ArticleRecord, _| r.related_items))
        .fetch_all(&mut *tx)
        .await
}

/// Replaces the image and topic lists of the given articles.
async fn replace_images_and_topics(
    tx: &mut PgConnection,
    cache: &IdCache,
    articles: &[(i64, &ArticleRecord)],
) -> Result<(), sqlx::Error> {
    if articles.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = articles.iter().map(|(id, _)| *id).collect();
    sqlx::query("delete from article_image where article_id = any($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from article_topic where article_id = any($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;

    let (mut img_article, mut img_pos, mut img_url, mut img_w, mut img_h, mut img_cached) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut top_article, mut top_id, mut top_pos) = (Vec::new(), Vec::new(), Vec::new());
    for (id, record) in articles {
        for (pos, image) in images_of(record).iter().enumerate() {
            img_article.push(*id);
            img_pos.push(pos as i32);
            img_url.push(image.url.clone());
            img_w.push(image.width);
            img_h.push(image.height);
            img_cached.push(image.is_cached);
        }
        let mut seen = HashSet::new();
        for slug in topic_slugs(&record.topics) {
            if let Some(topic_id) = cache.topics.get(&slug).filter(|t| seen.insert(**t)) {
                top_article.push(*id);
                top_id.push(*topic_id);
                top_pos.push(seen.len() as i32 - 1);
            }
        }
    }
    if !img_article.is_empty() {
        sqlx::query(
            "insert into article_image (article_id, position, url, width, height, is_cached)
             select * from unnest($1::bigint[], $2::int[], $3::text[], $4::int[], $5::int[], $6::bool[])",
        )
        .bind(&img_article)
        .bind(&img_pos)
        .bind(&img_url)
        .bind(&img_w)
        .bind(&img_h)
        .bind(&img_cached)
        .execute(&mut *tx)
        .await?;
    }
    if !top_article.is_empty() {
        sqlx::query(
            "insert into article_topic (article_id, topic_id, position)
             select * from unnest($1::bigint[], $2::bigint[], $3::int[])",
        )
        .bind(&top_article)
        .bind(&top_id)
        .bind(&top_pos)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
