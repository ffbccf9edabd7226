//! Feed arguments: the article filter and orders.

use async_graphql::{Enum, ID, InputObject};
use chrono::{DateTime, Utc};

use crate::graphql::cursor::SortKey;
use crate::graphql::errors::{ApiError, Result};
use crate::graphql::ids::{self, Kind};
use crate::sql::feed::{Direction, FeedFilter, ProviderRef, Sort, TopicRef};

/// Which articles a feed shows; all given conditions must hold.
#[derive(InputObject, Debug, Default)]
pub struct ArticleFilter {
    /// Articles in this topic or in any topic below it.
    pub topic: Option<ID>,
    /// Like `topic`, by the topic's slug.
    pub topic_slug: Option<String>,
    /// Articles of this provider.
    pub provider: Option<ID>,
    /// Like `provider`, by the provider's domain.
    pub provider_domain: Option<String>,
    /// Only published (true) or only unpublished (false) articles. Anonymous
    /// callers see published articles only, whatever this says.
    pub published: Option<bool>,
    /// Only articles with (true) or without (false) an editor's override.
    pub overridden: Option<bool>,
    /// Published at or after this time.
    pub published_after: Option<DateTime<Utc>>,
    /// Published before this time.
    pub published_before: Option<DateTime<Utc>>,
    /// Quality at least this.
    pub min_quality: Option<i32>,
    /// Heat at least this.
    pub min_heat: Option<i32>,
    /// Full-text condition over title and excerpt (web search syntax:
    /// `"exact phrase"`, `-excluded`, `or`).
    pub text: Option<String>,
}

impl ArticleFilter {
    pub fn into_feed(self) -> Result<FeedFilter> {
        let mut feed = FeedFilter::default();
        if let Some(id) = self.topic {
            feed.topics.push(TopicRef::Id(ids::decode_as(&id, Kind::Topic)?));
        }
        if let Some(slug) = self.topic_slug {
            feed.topics.push(TopicRef::Slug(slug));
        }
        if let Some(id) = self.provider {
            feed.providers
                .push(ProviderRef::Id(ids::decode_as(&id, Kind::Provider)?));
        }
        if let Some(domain) = self.provider_domain {
            feed.providers
                .push(ProviderRef::Domain(domain.trim().to_ascii_lowercase()));
        }
        if let (Some(after), Some(before)) = (self.published_after, self.published_before)
            && after > before
        {
            return Err(ApiError::bad_input("`publishedAfter` is later than `publishedBefore`"));
        }
        feed.published = self.published;
        feed.overridden = self.overridden;
        feed.published_after = self.published_after;
        feed.published_before = self.published_before;
        feed.min_quality = self.min_quality;
        feed.min_heat = self.min_heat;
        if let Some(text) = self.text.filter(|t| !t.trim().is_empty()) {
            feed.texts.push(text);
        }
        Ok(feed)
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleOrderField {
    /// Our heat score (time-decayed interest).
    Heat,
    /// Our quality score.
    Quality,
    /// The source's publication time.
    PublishedAt,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    Asc,
    #[default]
    Desc,
}

/// An article order; ties are broken by article id in the same direction,
/// and articles without a value sort as if it were the largest.
#[derive(InputObject, Debug, Clone, Copy)]
pub struct ArticleOrder {
    pub field: ArticleOrderField,
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl ArticleOrder {
    /// Newest first.
    pub fn default_sort() -> Sort {
        Sort::Column(SortKey::PublishedAt, Direction::Desc)
    }

    pub fn sort(order: Option<Self>) -> Sort {
        let Some(order) = order else {
            return Self::default_sort();
        };
        let key = match order.field {
            ArticleOrderField::Heat => SortKey::Heat,
            ArticleOrderField::Quality => SortKey::Quality,
            ArticleOrderField::PublishedAt => SortKey::PublishedAt,
        };
        let direction = match order.direction {
            OrderDirection::Asc => Direction::Asc,
            OrderDirection::Desc => Direction::Desc,
        };
        Sort::Column(key, direction)
    }
}
