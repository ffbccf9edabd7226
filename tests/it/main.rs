//! Integration tests against a real PostgreSQL: each test gets its own
//! database, cloned from a migrated template.

mod support;

mod api_legacy;
mod cli;
mod corpus;
mod enqueue;
mod import_errors;
mod import_rules;
mod worker;
mod worker_processes;
