//! All SQL of the API, one module per concern: the GraphQL resolvers', the
//! legacy pages' (`legacy`) and the probes'. GraphQL queries take the
//! request context so each statement is counted, and take visibility from
//! the viewer (see `graphql/visibility.rs`).

pub mod article;
pub mod events;
pub mod feed;
pub mod legacy;
pub mod probes;
pub mod provider;
pub mod topic;
