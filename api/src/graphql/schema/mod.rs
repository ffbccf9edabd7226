//! The GraphQL schema: Relay-style queries over articles, topics and
//! providers. Free of the web framework: `crate::server` mounts it.

pub mod article;
pub mod connection;
pub mod editorial;
pub mod filter;
pub mod ingest;
pub mod mutation;
pub mod provider;
pub mod subscription;
pub mod topic;

use async_graphql::{Context, ID, Interface, MergedObject, Object, Schema};

use crate::graphql::db::request;
use crate::graphql::errors::Result;
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::{ArticleSet, ProviderSet, TopicSet};
use crate::sql;

use article::{Article, ArticleQuery};
use editorial::EditorialQuery;
use mutation::Mutation;
use provider::{Provider, ProviderQuery};
use subscription::Subscription;
use topic::{Topic, TopicQuery};

/// Highest query complexity (fields, times page sizes of connections).
pub const MAX_COMPLEXITY: usize = 10_000;

/// An object with a global id, fetchable with `node(id)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Article(Article),
    Topic(Topic),
    Provider(Provider),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when it does not exist (or is not
    /// visible to the caller).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let rc = request(ctx);
        let (kind, id) = ids::decode(&id)?;
        Ok(match kind {
            Kind::Article => sql::article::by_ids(rc, &[id], Default::default())
                .await?
                .pop()
                .map(|row| Node::Article(ArticleSet::wrap(vec![row]).remove(0))),
            Kind::Topic => sql::topic::by_ids(rc, &[id])
                .await?
                .pop()
                .map(|row| Node::Topic(TopicSet::wrap(vec![row]).remove(0))),
            Kind::Provider => sql::provider::by_ids(rc, &[id])
                .await?
                .pop()
                .map(|row| Node::Provider(ProviderSet::wrap(vec![row]).remove(0))),
        })
    }
}

/// The query root.
#[derive(MergedObject, Default)]
pub struct Query(NodeQuery, ArticleQuery, TopicQuery, ProviderQuery, EditorialQuery);

pub type ApiSchema = Schema<Query, Mutation, Subscription>;

/// The schema with its limits.
pub fn build() -> ApiSchema {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        // depth: see query_limits (introspection's `ofType` is not counted)
        .limit_complexity(MAX_COMPLEXITY)
        .extension(crate::graphql::apq::persisted_queries(
            crate::graphql::apq::DEFAULT_APQ_CAPACITY,
        ))
        // after persisted queries: a query found by its hash is checked too
        .extension(crate::graphql::query_limits::QueryLimits)
        .finish()
}

/// The schema in SDL, as committed in `api/schema.graphql`.
pub fn sdl() -> String {
    build().sdl()
}
