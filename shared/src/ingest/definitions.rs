//! Writing topic and organization definitions.

use sqlx::PgPool;
use sqlx::types::Json;

use crate::domain::{OrganizationDefinition, TopicDefinition};
use crate::slug::slugify;

#[derive(Debug, Default)]
pub struct DefinitionsOutcome {
    pub topics_created: usize,
    pub providers_created: usize,
}

/// Upserts topics (with their parents) and providers from definition files,
/// in one transaction. Definitions are authoritative: they overwrite names
/// and lists that articles' first sight created.
pub async fn write_definitions(
    pool: &PgPool,
    topics: &[TopicDefinition],
    organizations: &[OrganizationDefinition],
) -> Result<DefinitionsOutcome, sqlx::Error> {
    let mut outcome = DefinitionsOutcome::default();
    if topics.is_empty() && organizations.is_empty() {
        return Ok(outcome);
    }
    let mut tx = pool.begin().await?;
    if !topics.is_empty() {
        // A parent named but not defined is created from its name.
        let mut slugs: Vec<String> = topics.iter().map(|t| t.slug.clone()).collect();
        let mut names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
        for parent in topics.iter().filter_map(|t| t.parent_name.as_ref()) {
            let slug = slugify(parent);
            if !slug.is_empty() && !slugs.contains(&slug) {
                slugs.push(slug);
                names.push(parent.clone());
            }
        }
        let created: i64 = sqlx::query_scalar(
            "with new as (
                 insert into topic (slug, name) select * from unnest($1::text[], $2::text[])
                 on conflict (slug) do nothing returning 1)
             select count(*) from new",
        )
        .bind(&slugs)
        .bind(&names)
        .fetch_one(&mut *tx)
        .await?;
        outcome.topics_created = created as usize;

        // A handful of topics: one plain statement each reads better than
        // unnesting arrays of arrays.
        for topic in topics {
            let parent_slug = topic.parent_name.as_deref().map(slugify).filter(|s| !s.is_empty());
            sqlx::query(
                "with d as (select $2::text as name, $3::text as short_name, $4::text[] as keywords,
                                   $5::text[] as hashtags, $6::text[] as images,
                                   (select p.topic_id from topic p where p.slug = $7 and p.slug <> $1) as parent)
                 update topic t
                 set name = d.name, short_name = d.short_name, keywords = d.keywords,
                     hashtags = d.hashtags, images = d.images, parent_topic_id = d.parent
                 from d
                 where t.slug = $1
                   and (t.name, t.short_name, t.keywords, t.hashtags, t.images, t.parent_topic_id)
                       is distinct from (d.name, d.short_name, d.keywords, d.hashtags, d.images, d.parent)",
            )
            .bind(&topic.slug)
            .bind(&topic.name)
            .bind(&topic.short_name)
            .bind(&topic.keywords)
            .bind(&topic.hashtags)
            .bind(&topic.images)
            .bind(parent_slug)
            .execute(&mut *tx)
            .await?;
        }
    }
    if !organizations.is_empty() {
        let created: i64 = sqlx::query_scalar(
            "with up as (
                 insert into provider (domain, name, images)
                 select * from unnest($1::text[], $2::text[], $3::jsonb[])
                 on conflict (domain) do update set name = excluded.name, images = excluded.images
                 where (provider.name, provider.images) is distinct from (excluded.name, excluded.images)
                 returning (xmax = 0) as inserted)
             select count(*) filter (where inserted) from up",
        )
        .bind(organizations.iter().map(|o| o.domain.clone()).collect::<Vec<_>>())
        .bind(organizations.iter().map(|o| o.name.clone()).collect::<Vec<_>>())
        .bind(organizations.iter().map(|o| Json(o.images.clone())).collect::<Vec<_>>())
        .fetch_one(&mut *tx)
        .await?;
        outcome.providers_created = created as usize;
    }
    tx.commit().await?;
    Ok(outcome)
}
