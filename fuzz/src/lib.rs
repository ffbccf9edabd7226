//! The Smartable format parsers, compiled from newsgraph-shared's own source
//! files: the targets fuzz exactly the code the importer runs, without the
//! shared crate's database stack (sqlx, tokio, apalis), which would only
//! slow the sanitizer build. These modules use nothing else of the crate.

#[path = "../../shared/src/domain.rs"]
pub mod domain;
#[path = "../../shared/src/format/mod.rs"]
pub mod format;
#[path = "../../shared/src/slug.rs"]
pub mod slug;
#[path = "../../shared/src/urls.rs"]
pub mod urls;
