//! All SQL of the API, one module per concern. Queries take the request
//! context so each statement is counted, and take visibility from the
//! viewer (see `visibility.rs`).

pub mod article;
pub mod events;
pub mod feed;
pub mod provider;
pub mod topic;
