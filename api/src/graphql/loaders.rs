//! Batch loading without N+1: the objects of one list share a *set*, and a
//! field that needs more data (an article's provider, images, topics,
//! related...) loads it once for the whole set, in one statement, the first
//! time any member asks. The rest wait for that load and read from it.
//!
//! So a page of articles costs one statement per kind of related data,
//! whatever its size, and the related articles of a page form a set of
//! their own (their providers again one statement). Unlike a timer-based
//! DataLoader, batches never split and add no delay. Better still, the
//! statement that lists the articles can carry their providers, images and
//! topics when the query selects them (`sql::article::Embed`): the set then
//! starts with those loads done.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::graphql::db::RequestContext;
use crate::graphql::errors::Result;
use crate::graphql::schema::article::{Article, ArticleImage};
use crate::graphql::schema::provider::Provider;
use crate::graphql::schema::topic::Topic;
use crate::sql;
use crate::sql::article::{ArticleRow, Embed};
use crate::sql::provider::ProviderRow;
use crate::sql::topic::TopicRow;

/// Articles listed together.
#[derive(Default)]
pub struct ArticleSet {
    ids: Vec<i64>,
    provider_ids: Vec<i64>,
    providers: OnceCell<HashMap<i64, Provider>>,
    images: OnceCell<HashMap<i64, Vec<ArticleImage>>>,
    topics: OnceCell<HashMap<i64, Vec<Topic>>>,
    related: OnceCell<HashMap<i64, Vec<Article>>>,
    related_by: OnceCell<HashMap<i64, Vec<Article>>>,
    leads: OnceCell<HashMap<i64, Article>>,
    breakdowns: OnceCell<HashMap<i64, serde_json::Value>>,
}

impl ArticleSet {
    /// Wraps rows listed together (by one statement) into articles sharing
    /// one set, which takes the loads the statement embedded.
    pub fn wrap(mut rows: Vec<ArticleRow>) -> Vec<Article> {
        let mut set = ArticleSet {
            ids: rows.iter().map(|r| r.article_id).collect(),
            ..Default::default()
        };
        set.provider_ids = rows.iter().filter_map(|r| r.provider_id).collect();
        set.provider_ids.sort_unstable();
        set.provider_ids.dedup();
        set.take_embedded(&mut rows);
        let set = Arc::new(set);
        rows.into_iter()
            .map(|row| Article {
                row: Arc::new(row),
                set: set.clone(),
            })
            .collect()
    }

    /// Fills the loads the rows carry (all rows of one statement carry the
    /// same ones).
    fn take_embedded(&mut self, rows: &mut [ArticleRow]) {
        let Some(first) = rows.first() else {
            return;
        };
        let (provider, images, topics) = (
            first.embedded_provider.is_some(),
            first.embedded_images.is_some(),
            first.embedded_topics.is_some(),
        );
        if provider {
            let mut providers: Vec<ProviderRow> = rows
                .iter_mut()
                .filter_map(|r| r.embedded_provider.take().and_then(|p| p.0))
                .collect();
            providers.sort_unstable_by_key(|p| p.provider_id);
            providers.dedup_by_key(|p| p.provider_id);
            let providers = ProviderSet::wrap(providers)
                .into_iter()
                .map(|p| (p.row.provider_id, p))
                .collect();
            self.providers = OnceCell::new_with(Some(providers));
        }
        if images {
            let images = rows
                .iter_mut()
                .map(|r| {
                    let images = r.embedded_images.take().map(|i| i.0).unwrap_or_default();
                    (r.article_id, images.into_iter().map(ArticleImage::from).collect())
                })
                .collect();
            self.images = OnceCell::new_with(Some(images));
        }
        if topics {
            let pairs = rows
                .iter_mut()
                .flat_map(|r| {
                    let id = r.article_id;
                    let topics = r.embedded_topics.take().map(|t| t.0).unwrap_or_default();
                    topics.into_iter().map(move |t| (id, t))
                })
                .collect();
            self.topics = OnceCell::new_with(Some(group(TopicSet::wrap_linked(pairs))));
        }
    }

    pub async fn providers(&self, rc: &RequestContext) -> Result<&HashMap<i64, Provider>> {
        self.providers
            .get_or_try_init(|| async {
                let rows = sql::provider::by_ids(rc, &self.provider_ids).await?;
                Ok(ProviderSet::wrap(rows)
                    .into_iter()
                    .map(|p| (p.row.provider_id, p))
                    .collect())
            })
            .await
    }

    pub async fn images(&self, rc: &RequestContext) -> Result<&HashMap<i64, Vec<ArticleImage>>> {
        self.images
            .get_or_try_init(|| async {
                let rows = sql::article::images(rc, &self.ids).await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, images)| (id, images.into_iter().map(ArticleImage::from).collect()))
                    .collect())
            })
            .await
    }

    pub async fn topics(&self, rc: &RequestContext) -> Result<&HashMap<i64, Vec<Topic>>> {
        self.topics
            .get_or_try_init(|| async {
                let rows = sql::article::topics(rc, &self.ids).await?;
                Ok(group(TopicSet::wrap_linked(rows)))
            })
            .await
    }

    /// The related articles, with `embed`'s loads (the first caller's: the
    /// others' fields load the rest as usual).
    pub async fn related(&self, rc: &RequestContext, embed: Embed) -> Result<&HashMap<i64, Vec<Article>>> {
        self.related
            .get_or_try_init(|| async {
                let rows = sql::article::related(rc, &self.ids, embed).await?;
                Ok(group(wrap_linked(rows)))
            })
            .await
    }

    pub async fn related_by(&self, rc: &RequestContext) -> Result<&HashMap<i64, Vec<Article>>> {
        self.related_by
            .get_or_try_init(|| async {
                let rows = sql::article::related_by(rc, &self.ids).await?;
                Ok(group(wrap_linked(rows)))
            })
            .await
    }

    pub async fn leads(&self, rc: &RequestContext) -> Result<&HashMap<i64, Article>> {
        self.leads
            .get_or_try_init(|| async {
                let rows = sql::article::leads(rc, &self.ids).await?;
                Ok(wrap_linked(rows).into_iter().collect())
            })
            .await
    }

    pub async fn breakdowns(&self, rc: &RequestContext) -> Result<&HashMap<i64, serde_json::Value>> {
        self.breakdowns
            .get_or_try_init(|| sql::article::breakdowns(rc, &self.ids))
            .await
    }
}

/// Rows hanging off parents become one set (an article listed under two
/// parents is shared).
fn wrap_linked(rows: Vec<(i64, ArticleRow)>) -> Vec<(i64, Article)> {
    let mut seen: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
    let mut parents = Vec::with_capacity(rows.len());
    let mut unique = Vec::with_capacity(rows.len());
    for (parent, row) in rows {
        let index = *seen.entry(row.article_id).or_insert_with(|| {
            unique.push(Some(row));
            unique.len() - 1
        });
        parents.push((parent, index));
    }
    // rows seen a second time were dropped by `or_insert_with`
    let articles = ArticleSet::wrap(unique.into_iter().flatten().collect());
    parents
        .into_iter()
        .map(|(parent, index)| (parent, articles[index].clone()))
        .collect()
}

fn group<T>(pairs: Vec<(i64, T)>) -> HashMap<i64, Vec<T>> {
    let mut map: HashMap<i64, Vec<T>> = HashMap::new();
    for (key, value) in pairs {
        map.entry(key).or_default().push(value);
    }
    map
}

/// Topics listed together.
#[derive(Default)]
pub struct TopicSet {
    ids: Vec<i64>,
    parent_ids: Vec<i64>,
    parents: OnceCell<HashMap<i64, Topic>>,
    children: OnceCell<HashMap<i64, Vec<Topic>>>,
    article_counts: OnceCell<HashMap<i64, i64>>,
}

impl TopicSet {
    pub fn wrap(rows: Vec<TopicRow>) -> Vec<Topic> {
        let mut set = TopicSet {
            ids: rows.iter().map(|r| r.topic_id).collect(),
            parent_ids: rows.iter().filter_map(|r| r.parent_topic_id).collect(),
            ..Default::default()
        };
        set.ids.sort_unstable();
        set.ids.dedup();
        set.parent_ids.sort_unstable();
        set.parent_ids.dedup();
        let set = Arc::new(set);
        rows.into_iter()
            .map(|row| Topic {
                row: Arc::new(row),
                set: set.clone(),
            })
            .collect()
    }

    /// Topics hanging off articles: one set, a topic shared by its articles.
    fn wrap_linked(rows: Vec<(i64, TopicRow)>) -> Vec<(i64, Topic)> {
        let mut unique: HashMap<i64, usize> = HashMap::new();
        let mut distinct = Vec::new();
        let mut parents = Vec::with_capacity(rows.len());
        for (parent, row) in rows {
            let index = *unique.entry(row.topic_id).or_insert_with(|| {
                distinct.push(row);
                distinct.len() - 1
            });
            parents.push((parent, index));
        }
        let topics = TopicSet::wrap(distinct);
        parents
            .into_iter()
            .map(|(parent, index)| (parent, topics[index].clone()))
            .collect()
    }

    pub async fn parents(&self, rc: &RequestContext) -> Result<&HashMap<i64, Topic>> {
        self.parents
            .get_or_try_init(|| async {
                let rows = sql::topic::by_ids(rc, &self.parent_ids).await?;
                Ok(TopicSet::wrap(rows).into_iter().map(|t| (t.row.topic_id, t)).collect())
            })
            .await
    }

    pub async fn children(&self, rc: &RequestContext) -> Result<&HashMap<i64, Vec<Topic>>> {
        self.children
            .get_or_try_init(|| async {
                let rows = sql::topic::children(rc, &self.ids).await?;
                let topics = TopicSet::wrap(rows);
                Ok(group(
                    topics
                        .into_iter()
                        .map(|t| (t.row.parent_topic_id.unwrap_or_default(), t))
                        .collect(),
                ))
            })
            .await
    }

    pub async fn article_counts(&self, rc: &RequestContext) -> Result<&HashMap<i64, i64>> {
        self.article_counts
            .get_or_try_init(|| sql::topic::article_counts(rc, &self.ids))
            .await
    }
}

/// Providers listed together.
#[derive(Default)]
pub struct ProviderSet {
    ids: Vec<i64>,
    article_counts: OnceCell<HashMap<i64, i64>>,
}

impl ProviderSet {
    pub fn wrap(rows: Vec<ProviderRow>) -> Vec<Provider> {
        let set = Arc::new(ProviderSet {
            ids: rows.iter().map(|r| r.provider_id).collect(),
            ..Default::default()
        });
        rows.into_iter()
            .map(|row| Provider {
                row: Arc::new(row),
                set: set.clone(),
            })
            .collect()
    }

    pub async fn article_counts(&self, rc: &RequestContext) -> Result<&HashMap<i64, i64>> {
        self.article_counts
            .get_or_try_init(|| sql::provider::article_counts(rc, &self.ids))
            .await
    }
}
