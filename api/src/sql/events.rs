//! The articles of change notifications, with what subscribers filter on.

use sqlx::PgPool;

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
