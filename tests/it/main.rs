//! Integration tests against a real PostgreSQL: each test gets its own
//! database, cloned from a migrated template.

mod support;

mod api_support;
mod browser;

mod api_errors;
mod api_http;
mod api_ingest;
mod api_legacy;
mod api_limits;
mod api_mutations;
mod api_pagination;
mod api_queries;
mod api_response_cache;
mod api_schema;
mod api_statements;
mod api_subscriptions;
mod api_visibility;
mod auth;
mod cli;
mod compose;
mod corpus;
mod corpus_fidelity;
mod corpus_scoring;
mod coverage_groups;
mod database_restart;
mod dev;
mod editor_console;
mod editorial;
mod enqueue;
mod env_example;
mod graphiql;
mod import_errors;
mod import_rules;
mod import_site;
mod migrations;
mod readme_examples;
mod worker;
mod worker_processes;
