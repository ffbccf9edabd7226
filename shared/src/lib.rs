//! newsgraph's shared core: domain types, the Smartable format parsers,
//! database access and ingest, used by the api, the worker and the CLI.

pub mod auth;
pub mod db;
pub mod domain;
pub mod editorial;
pub mod error_code;
pub mod events;
pub mod format;
pub mod ingest;
pub mod jobs;
pub mod queue;
pub mod rescore;
pub mod scoring;
pub mod slug;
pub mod urls;
