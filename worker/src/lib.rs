//! newsgraph worker: apalis jobs that recompute quality, heat and publication
//! state from the PostgreSQL queue.
//!
//! The jobs arrive with the worker work; payloads and enqueueing already live
//! in `newsgraph_shared::jobs`.
