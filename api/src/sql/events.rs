//! The articles of change notifications, with what subscribers filter on,
//! and what their changes touch for cached answers.

use sqlx::PgPool;

use crate::freshness::Dependency;
use crate::sql::article::{ArticleRow, article_columns};

/// An article with the slugs of its topics and of every topic above them
/// (a subscriber to a topic hears about articles of the topics below it).
#[derive(sqlx::FromRow)]
pub struct ChangedArticle {
    #[sqlx(flatten)]
    pub row: ArticleRow,
    pub topic_slugs: Vec<String>,
}

/// The articles with these ids, whatever their state (the subscribers'
/// visibility is applied per subscriber). One statement.
pub async fn changed_articles(pool: &PgPool, ids: &[i64]) -> Result<Vec<ChangedArticle>, sqlx::Error> {
    sqlx::query_as(concat!(
        "select ",
        article_columns!(),
        ", array(with recursive up(topic_id) as (
                     select at.topic_id from article_topic at where at.article_id = a.article_id
                     union
                     select t.parent_topic_id from topic t join up on t.topic_id = up.topic_id
                     where t.parent_topic_id is not null)
                 select t.slug from topic t join up using (topic_id)) as topic_slugs
         from article_with_state a where a.article_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// An article with what its publication change touches.
#[derive(sqlx::FromRow)]
struct Touched {
    slug: String,
    provider_id: Option<i64>,
    domain: Option<String>,
    topic_ids: Vec<i64>,
    topic_slugs: Vec<String>,
    related: Vec<i64>,
}

/// What a publication change of these articles touches (`freshness.rs`):
/// each article by id and slug, the topics it is in and every topic above
/// them, its provider, and the articles related to it in either direction.
/// One statement.
pub async fn publication_dependencies(pool: &PgPool, ids: &[i64]) -> Result<Vec<Dependency>, sqlx::Error> {
    let rows: Vec<Touched> = sqlx::query_as(
        "select a.slug, a.provider_id, v.domain,
                coalesce(tp.ids, '{}') as topic_ids, coalesce(tp.slugs, '{}') as topic_slugs,
                array(select related_article_id from article_relation where article_id = a.article_id
                      union select article_id from article_relation where related_article_id = a.article_id)
                    as related
         from article a
         left join provider v on v.provider_id = a.provider_id
         cross join lateral (
             with recursive up(topic_id) as (
                 select at.topic_id from article_topic at where at.article_id = a.article_id
                 union
                 select t.parent_topic_id from topic t join up on t.topic_id = up.topic_id
                 where t.parent_topic_id is not null)
             select array_agg(t.topic_id), array_agg(t.slug) from topic t join up using (topic_id)
         ) tp(ids, slugs)
         where a.article_id = any($1)",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?;
    let mut dependencies: Vec<Dependency> = ids
        .iter()
        .flat_map(|&id| [Dependency::Article(id), Dependency::Related(id)])
        .collect();
    for row in rows {
        dependencies.push(Dependency::ArticleSlug(row.slug.into()));
        dependencies.extend(row.provider_id.map(Dependency::Provider));
        dependencies.extend(row.domain.map(|d| Dependency::ProviderDomain(d.into())));
        dependencies.extend(row.topic_ids.into_iter().map(Dependency::Topic));
        dependencies.extend(row.topic_slugs.into_iter().map(|s| Dependency::TopicSlug(s.into())));
        dependencies.extend(row.related.into_iter().map(Dependency::Related));
    }
    Ok(dependencies)
}
