//! The mixed soak (`drill-mixed-soak`): readers, editors, ingest pipelines
//! and workers on one database for minutes, then the invariants.

pub mod client;
pub mod editors;
pub mod ingest;
pub mod process;
pub mod readers;
pub mod rss;
pub mod setup;
pub mod verify;
