//! newsgraph GraphQL API: axum + async-graphql server over the shared core.
//!
//! The schema and server arrive with the API work; this crate is the place
//! they live, kept free of the worker.

pub mod frontend;
pub mod legacy;
