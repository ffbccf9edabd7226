//! The GraphQL core: the schema and everything it resolves with (loaders,
//! cursors, global ids, visibility, the request context, error codes,
//! callers), its query limits and persisted queries. It knows no HTTP: the
//! server (`crate::server`) mounts it, and its statements are in
//! `crate::sql`.

pub mod apq;
pub mod auth;
pub mod cursor;
pub mod db;
pub mod errors;
pub mod ids;
pub mod loaders;
pub mod query_limits;
pub mod schema;
pub mod visibility;
