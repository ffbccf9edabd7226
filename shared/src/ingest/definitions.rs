//! Writing topic and organization definitions.

use std::collections::HashMap;

use sqlx::PgPool;
use sqlx::types::Json;

use crate::domain::{Image, OrganizationDefinition, TopicDefinition, merge_images};
use crate::slug::slugify;

#[derive(Debug, Default)]
pub struct DefinitionsOutcome {
    pub topics_created: usize,
    pub providers_created: usize,
    pub providers_updated: usize,
}

/// Upserts topics (with their parents) and providers from definition files,
/// in one transaction. Definitions are authoritative for names and topic
/// lists; a provider's logos are the union of its definition's and those
/// articles brought.
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
        // A definition names its provider; its logos join the ones articles
        // brought (both are absolute by now, so the same logo is one entry).
        let domains: Vec<&str> = organizations.iter().map(|o| o.domain.as_str()).collect();
        let stored: Vec<(String, String, Json<Vec<Image>>)> = sqlx::query_as(
            "select domain, name, images from provider where domain = any($1) order by domain for update",
        )
        .bind(&domains)
        .fetch_all(&mut *tx)
        .await?;
        let stored: HashMap<String, (String, Vec<Image>)> = stored
            .into_iter()
            .map(|(domain, name, images)| (domain, (name, images.0)))
            .collect();
        let (mut names, mut images) = (Vec::new(), Vec::new());
        for org in organizations {
            let mut merged = stored.get(&org.domain).map(|(_, i)| i.clone()).unwrap_or_default();
            let changed = merge_images(&mut merged, &org.images);
            match stored.get(&org.domain) {
                Some((name, _)) if *name == org.name && !changed => {}
                Some(_) => outcome.providers_updated += 1,
                None => outcome.providers_created += 1,
            }
            names.push(org.name.clone());
            images.push(Json(merged));
        }
        sqlx::query(
            "insert into provider (domain, name, images)
             select * from unnest($1::text[], $2::text[], $3::jsonb[])
             on conflict (domain) do update set name = excluded.name, images = excluded.images
             where (provider.name, provider.images) is distinct from (excluded.name, excluded.images)",
        )
        .bind(&domains)
        .bind(&names)
        .bind(&images)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(outcome)
}
