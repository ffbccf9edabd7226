//! Relay connections: page arguments, `PageInfo`, and the article
//! connection every article feed returns.

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};

use crate::graphql::cursor::Cursor;
use crate::graphql::db::request;
use crate::graphql::errors::{ApiError, Result};
use crate::graphql::loaders::ArticleSet;
use crate::graphql::schema::article::{Article, embed_for};
use crate::sql::feed::{self, FeedFilter, Sort};

/// Largest page a connection serves.
pub const MAX_PAGE_SIZE: i32 = 100;
/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;

/// Complexity of a connection field: its page size times its items'.
pub fn page_complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let size = first.or(last).unwrap_or(DEFAULT_PAGE_SIZE).clamp(0, MAX_PAGE_SIZE) as usize;
    size.max(1) * child + 1
}

/// `first`/`after` (forward) or `last`/`before` (backward).
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// Validated page arguments.
pub struct PageRequest {
    pub size: i64,
    pub backward: bool,
    pub cursor: Option<String>,
}

impl PageArgs {
    pub fn resolve(self) -> Result<PageRequest> {
        let check = |name: &str, n: i32| {
            if !(0..=MAX_PAGE_SIZE).contains(&n) {
                Err(ApiError::bad_input(format!(
                    "`{name}` must be between 0 and {MAX_PAGE_SIZE}, not {n}"
                )))
            } else {
                Ok(i64::from(n))
            }
        };
        match (self.first, self.last) {
            (Some(_), Some(_)) => Err(ApiError::bad_input("give `first` or `last`, not both")),
            (_, Some(_)) if self.after.is_some() => Err(ApiError::bad_input("`after` goes with `first`, not `last`")),
            (Some(_), _) if self.before.is_some() => Err(ApiError::bad_input("`before` goes with `last`, not `first`")),
            (None, Some(last)) => Ok(PageRequest {
                size: check("last", last)?,
                backward: true,
                cursor: self.before,
            }),
            (None, None) if self.before.is_some() => Ok(PageRequest {
                size: i64::from(DEFAULT_PAGE_SIZE),
                backward: true,
                cursor: self.before,
            }),
            (first, None) => Ok(PageRequest {
                size: check("first", first.unwrap_or(DEFAULT_PAGE_SIZE))?,
                backward: false,
                cursor: self.after,
            }),
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// One article of a feed and its position.
#[derive(Clone)]
pub struct ArticleEdge {
    node: Article,
    sort: Arc<Sort>,
}

#[Object]
impl ArticleEdge {
    /// Opaque position of this edge, for `after` / `before`.
    async fn cursor(&self) -> String {
        cursor_of(&self.sort, &self.node)
    }

    async fn node(&self) -> &Article {
        &self.node
    }
}

fn cursor_of(sort: &Sort, node: &Article) -> String {
    Cursor {
        key: sort.key(),
        value: sort.value_of(&node.row),
        id: node.row.article_id,
    }
    .encode()
}

/// A page of articles.
pub struct ArticleConnection {
    edges: Vec<ArticleEdge>,
    sort: Arc<Sort>,
    has_next: bool,
    has_previous: bool,
    filter: FeedFilter,
}

#[Object]
impl ArticleConnection {
    async fn edges(&self) -> &[ArticleEdge] {
        &self.edges
    }

    async fn nodes(&self) -> Vec<&Article> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next,
            has_previous_page: self.has_previous,
            start_cursor: self.edges.first().map(|e| cursor_of(&self.sort, &e.node)),
            end_cursor: self.edges.last().map(|e| cursor_of(&self.sort, &e.node)),
        }
    }

    /// Articles in the whole feed, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let search = match self.sort.as_ref() {
            Sort::Rank(query) => Some(query.as_str()),
            Sort::Column(..) => None,
        };
        feed::count(request(ctx), &self.filter, search).await
    }
}

/// Runs a feed: one statement for the page, carrying the nodes' providers,
/// images and topics when the query selects them (plus one for
/// `totalCount` when asked).
pub async fn article_feed(
    ctx: &Context<'_>,
    filter: FeedFilter,
    sort: Sort,
    args: PageArgs,
) -> Result<ArticleConnection> {
    let rc = request(ctx);
    let selection = ctx.look_ahead();
    let embed = embed_for(&selection.field("edges").field("node")) | embed_for(&selection.field("nodes"));
    let page = args.resolve()?;
    let cursor = page
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, sort.key()))
        .transpose()?;
    let mut rows = feed::page(rc, &filter, &sort, cursor.as_ref(), page.backward, page.size + 1, embed).await?;
    let more = rows.len() as i64 > page.size;
    rows.truncate(page.size as usize);
    if page.backward {
        rows.reverse();
    }
    let sort = Arc::new(sort);
    let edges = ArticleSet::wrap(rows)
        .into_iter()
        .map(|node| ArticleEdge {
            node,
            sort: sort.clone(),
        })
        .collect();
    let (has_next, has_previous) = match page.backward {
        false => (more, cursor.is_some()),
        true => (cursor.is_some(), more),
    };
    Ok(ArticleConnection {
        edges,
        sort,
        has_next,
        has_previous,
        filter,
    })
}
