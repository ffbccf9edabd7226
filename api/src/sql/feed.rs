//! Article feeds: filters, orders and keyset pages as one SQL statement.
//!
//! The statement text is built from the filters actually given (so each
//! shape gets its own prepared statement and plan, and the partial feed
//! indexes apply for anonymous callers); values are always bound.
//!
//! Order and nulls: every order sorts by (value, article_id) in one
//! direction, with NULL values greater than all others, which is how
//! PostgreSQL orders them by default (`desc` puts them first) and how the
//! feed indexes store them. A keyset page starts strictly after the cursor's
//! (value, id) in scan order, so rows that change between two pages never
//! repeat or vanish unless they moved across the cursor.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use sqlx::Postgres;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;

use crate::freshness::Dependency;
use crate::graphql::cursor::{Cursor, SortKey, SortValue};
use crate::graphql::db::RequestContext;
use crate::graphql::errors::Result;
use crate::sql::article::{ArticleRow, Embed, article_columns};

/// A topic named by id or slug; matches the topic and its descendants.
#[derive(Debug, Clone)]
pub enum TopicRef {
    Id(i64),
    Slug(String),
}

#[derive(Debug, Clone)]
pub enum ProviderRef {
    Id(i64),
    Domain(String),
}

/// What a feed shows (all conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct FeedFilter {
    /// Each entry is one condition: the article is in that topic or below.
    pub topics: Vec<TopicRef>,
    pub providers: Vec<ProviderRef>,
    pub published: Option<bool>,
    /// With (true) or without (false) an editor's override.
    pub overridden: Option<bool>,
    pub published_after: Option<DateTime<Utc>>,
    pub published_before: Option<DateTime<Utc>>,
    pub min_quality: Option<i32>,
    pub min_heat: Option<i32>,
    /// Full-text condition (websearch syntax), each entry one condition.
    pub texts: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

impl Direction {
    fn flip(self) -> Self {
        match self {
            Self::Asc => Self::Desc,
            Self::Desc => Self::Asc,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// How a feed is ordered.
#[derive(Debug, Clone)]
pub enum Sort {
    /// By a column: `SortKey::Heat`, `Quality` or `PublishedAt`.
    Column(SortKey, Direction),
    /// By full-text rank against this query, best first.
    Rank(String),
}

impl Sort {
    pub fn key(&self) -> SortKey {
        match self {
            Self::Column(key, _) => *key,
            Self::Rank(_) => SortKey::Rank,
        }
    }

    /// The sort value of a row, for its cursor.
    pub fn value_of(&self, row: &ArticleRow) -> SortValue {
        match self.key() {
            SortKey::Heat => SortValue::Int(row.heat),
            SortKey::Quality => SortValue::Int(row.quality),
            SortKey::PublishedAt => SortValue::Time(row.published_at),
            SortKey::Rank => SortValue::Real(row.rank.unwrap_or(0.0)),
            SortKey::Domain => SortValue::Text(String::new()),
        }
    }
}

enum Param {
    I64(i64),
    I32(i32),
    Text(String),
    Time(DateTime<Utc>),
    Real(f32),
}

/// A statement under construction: SQL text and its parameters.
#[derive(Default)]
struct Statement {
    sql: String,
    params: Vec<Param>,
}

impl Statement {
    /// Adds a parameter and returns its placeholder number.
    fn param(&mut self, param: Param) -> usize {
        self.params.push(param);
        self.params.len()
    }

    fn query<'q, O>(&'q self) -> QueryAs<'q, Postgres, O, PgArguments>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(self.sql.as_str()));
        for param in &self.params {
            query = match param {
                Param::I64(v) => query.bind(*v),
                Param::I32(v) => query.bind(*v),
                Param::Text(v) => query.bind(v.as_str()),
                Param::Time(v) => query.bind(*v),
                Param::Real(v) => query.bind(*v),
            };
        }
        query
    }
}

const TOPIC_SUBTREE_BY_ID: &str = "select $N::bigint";
const TOPIC_SUBTREE_BY_SLUG: &str = "select topic_id from topic where slug = $N";

impl FeedFilter {
    /// What a feed with this filter depends on: which articles are visible
    /// in one of its topics or its provider (every match is in both), else
    /// in all of them.
    fn dependency(&self) -> Dependency {
        match (self.topics.first(), self.providers.first()) {
            (Some(TopicRef::Id(id)), _) => Dependency::Topic(*id),
            (Some(TopicRef::Slug(slug)), _) => Dependency::TopicSlug(slug.as_str().into()),
            (None, Some(ProviderRef::Id(id))) => Dependency::Provider(*id),
            (None, Some(ProviderRef::Domain(domain))) => Dependency::ProviderDomain(domain.as_str().into()),
            (None, None) => Dependency::AnyPublication,
        }
    }
}

impl FeedFilter {
    /// Whether the filter narrows nothing beyond what anonymous callers see
    /// (so a search's ranking alone decides its page).
    fn is_search_only(&self) -> bool {
        self.topics.is_empty()
            && self.providers.is_empty()
            && self.published != Some(false)
            && self.overridden.is_none()
            && self.published_after.is_none()
            && self.published_before.is_none()
            && self.min_quality.is_none()
            && self.min_heat.is_none()
            && self.texts.is_empty()
    }
}

/// Where a feed's full-text conditions read article vectors: anonymous
/// callers from the published ones' own table (`published_search`, joined
/// as `ps`), editors from all articles. The join is added only when the
/// feed has a full-text condition.
struct SearchSource {
    join: &'static str,
    column: &'static str,
}

impl SearchSource {
    fn for_viewer(rc: &RequestContext, full_text: bool) -> Self {
        match (full_text, rc.viewer().sees_unpublished()) {
            (true, false) => Self {
                join: " join published_search ps on ps.article_id = a.article_id",
                column: "ps.search",
            },
            _ => Self {
                join: "",
                column: "a.search",
            },
        }
    }
}

/// ` where ...` of a feed: visibility and the filter.
fn push_where(st: &mut Statement, visibility: &'static str, filter: &FeedFilter, search: &SearchSource) {
    st.sql.push_str(" where ");
    st.sql.push_str(visibility);
    for topic in &filter.topics {
        let (base, n) = match topic {
            TopicRef::Id(id) => (TOPIC_SUBTREE_BY_ID, st.param(Param::I64(*id))),
            TopicRef::Slug(slug) => (TOPIC_SUBTREE_BY_SLUG, st.param(Param::Text(slug.clone()))),
        };
        let base = base.replace("$N", &format!("${n}"));
        let _ = write!(
            st.sql,
            " and exists (select 1 from article_topic at where at.article_id = a.article_id and at.topic_id = any(array(\
             with recursive d(topic_id) as ({base} union select c.topic_id from topic c join d on c.parent_topic_id = d.topic_id) \
             select topic_id from d)))"
        );
    }
    for provider in &filter.providers {
        let _ = match provider {
            ProviderRef::Id(id) => {
                let n = st.param(Param::I64(*id));
                write!(st.sql, " and a.provider_id = ${n}")
            }
            ProviderRef::Domain(domain) => {
                let n = st.param(Param::Text(domain.clone()));
                write!(
                    st.sql,
                    " and a.provider_id = (select provider_id from provider where domain = ${n})"
                )
            }
        };
    }
    match filter.published {
        Some(true) => st.sql.push_str(" and a.published"),
        Some(false) => st.sql.push_str(" and not a.published"),
        None => {}
    }
    match filter.overridden {
        Some(true) => st.sql.push_str(" and a.editor_override is not null"),
        Some(false) => st.sql.push_str(" and a.editor_override is null"),
        None => {}
    }
    if let Some(after) = filter.published_after {
        let n = st.param(Param::Time(after));
        let _ = write!(st.sql, " and a.published_at >= ${n}");
    }
    if let Some(before) = filter.published_before {
        let n = st.param(Param::Time(before));
        let _ = write!(st.sql, " and a.published_at < ${n}");
    }
    if let Some(min) = filter.min_quality {
        let n = st.param(Param::I32(min));
        let _ = write!(st.sql, " and a.quality >= ${n}");
    }
    if let Some(min) = filter.min_heat {
        let n = st.param(Param::I32(min));
        let _ = write!(st.sql, " and a.heat >= ${n}");
    }
    for text in &filter.texts {
        let n = st.param(Param::Text(text.clone()));
        let _ = write!(
            st.sql,
            " and {} @@ websearch_to_tsquery('english', ${n})",
            search.column
        );
    }
}

/// ` and ...`: strictly after `cursor` in `scan` order of (`expr`, `id_col`).
fn after_cursor(st: &mut Statement, expr: &str, id_col: &str, scan: Direction, cursor: &Cursor) -> String {
    let mut condition = String::new();
    let id = st.param(Param::I64(cursor.id));
    if cursor.value.is_null() {
        let _ = match scan {
            Direction::Desc => write!(
                condition,
                " and (({expr} is null and {id_col} < ${id}) or {expr} is not null)"
            ),
            Direction::Asc => write!(condition, " and ({expr} is null and {id_col} > ${id})"),
        };
    } else {
        let value = st.param(match &cursor.value {
            SortValue::Int(v) => Param::I32(v.unwrap_or_default()),
            SortValue::Time(v) => Param::Time(v.unwrap_or_default()),
            SortValue::Real(v) => Param::Real(*v),
            SortValue::Text(v) => Param::Text(v.clone()),
        });
        let _ = match scan {
            Direction::Desc => write!(condition, " and ({expr}, {id_col}) < (${value}, ${id})"),
            Direction::Asc => write!(
                condition,
                " and (({expr}, {id_col}) > (${value}, ${id}) or {expr} is null)"
            ),
        };
    }
    condition
}

/// One page of a feed: at most `limit` rows strictly after the cursor in
/// scan order (`backward` scans the order in reverse, for `last`/`before`),
/// returned in scan order.
pub async fn page(
    rc: &RequestContext,
    filter: &FeedFilter,
    sort: &Sort,
    cursor: Option<&Cursor>,
    backward: bool,
    limit: i64,
    embed: Embed,
) -> Result<Vec<ArticleRow>> {
    rc.depends_on([filter.dependency()]);
    let mut st = Statement {
        sql: String::with_capacity(2048),
        params: Vec::new(),
    };
    st.sql.push_str(concat!("select ", article_columns!()));
    let search = SearchSource::for_viewer(rc, matches!(sort, Sort::Rank(_)) || !filter.texts.is_empty());
    // An anonymous search and nothing else ranks the published vectors
    // alone and joins the articles of the page only (not of every match).
    let ranked_first = search.column == "ps.search" && filter.is_search_only();
    let mut rank_param = None;
    let mut source = search.join.to_string();
    let (expr, direction) = match sort {
        Sort::Column(key, direction) => {
            let column = match key {
                SortKey::Heat => "a.heat",
                SortKey::Quality => "a.quality",
                _ => "a.published_at",
            };
            (column.to_string(), *direction)
        }
        Sort::Rank(query) => {
            let n = st.param(Param::Text(query.clone()));
            rank_param = Some(n);
            let rank = format!("ts_rank({}, websearch_to_tsquery('english', ${n}))", search.column);
            let expr = if ranked_first {
                let inner_rank = format!("ts_rank(search, websearch_to_tsquery('english', ${n}))");
                let scan = if backward { Direction::Asc } else { Direction::Desc };
                let after = match cursor {
                    Some(cursor) => after_cursor(&mut st, &inner_rank, "article_id", scan, cursor),
                    None => String::new(),
                };
                source = format!(
                    " join (select article_id, search, {inner_rank} as rank from published_search \
                     where search @@ websearch_to_tsquery('english', ${n}){after} \
                     order by rank {dir}, article_id {dir} limit {limit}) ps on ps.article_id = a.article_id",
                    dir = scan.sql()
                );
                "ps.rank".to_string()
            } else {
                rank
            };
            let _ = write!(st.sql, ", {expr} as rank");
            (expr, Direction::Desc)
        }
    };
    st.sql.push_str(" from article_with_state a");
    st.sql.push_str(&source);
    push_where(&mut st, rc.viewer().article_predicate(), filter, &search);
    if let Some(n) = rank_param {
        let _ = write!(
            st.sql,
            " and {} @@ websearch_to_tsquery('english', ${n})",
            search.column
        );
    }
    let scan = if backward { direction.flip() } else { direction };
    if let Some(cursor) = cursor {
        let condition = after_cursor(&mut st, &expr, "a.article_id", scan, cursor);
        st.sql.push_str(&condition);
    }
    // The limit is written out, not bound: with it unknown PostgreSQL
    // prices a generic plan as if the whole feed were read, keeps planning
    // every execution afresh, and planning cost more than running the page.
    let _ = write!(
        st.sql,
        " order by {expr} {dir}, a.article_id {dir} limit {limit}",
        dir = scan.sql()
    );
    let embedded = embed.columns();
    if !embedded.is_empty() {
        // The embedded loads run for the page's rows only: a select list
        // under a sort is computed for every row sorted, so they go
        // outside the limited page, which keeps its order.
        let outer_expr = match sort {
            Sort::Column(..) => expr.as_str(),
            Sort::Rank(_) => "a.rank",
        };
        st.sql = format!(
            "select a.*{embedded} from ({}) a order by {outer_expr} {dir}, a.article_id {dir}",
            st.sql,
            dir = scan.sql()
        );
    }
    Ok(st.query().fetch_all(rc.exec()).await?)
}

/// How many articles the feed holds (all pages).
pub async fn count(rc: &RequestContext, filter: &FeedFilter, search: Option<&str>) -> Result<i64> {
    rc.depends_on([filter.dependency()]);
    let mut st = Statement::default();
    st.sql.push_str("select count(*) from article_with_state a");
    let mut filter = filter.clone();
    if let Some(search) = search {
        filter.texts.insert(0, search.to_string());
    }
    let search = SearchSource::for_viewer(rc, !filter.texts.is_empty());
    st.sql.push_str(search.join);
    push_where(&mut st, rc.viewer().article_predicate(), &filter, &search);
    let (count,): (i64,) = st.query().fetch_one(rc.exec()).await?;
    Ok(count)
}
