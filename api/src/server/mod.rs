//! The HTTP server: routes and state, GraphQL over GET and POST with the
//! response cache, WebSocket subscriptions, the frontend layers (CORS,
//! caching, compression), connection limits, probes and metrics, and the
//! pages it serves (GraphiQL, the editor console, the legacy Smartable
//! pages). It mounts the GraphQL core (`crate::graphql`); the core never
//! imports from here.

pub mod auth;
pub mod editor_console;
pub mod execute;
pub mod frontend;
pub mod graphiql;
pub mod legacy;
pub mod limits;
pub mod linger;
pub mod metrics;
pub mod probes;
pub mod response_cache;
pub mod router;
pub mod serve;
pub mod state;
pub mod ws;

pub use execute::execute;
pub use router::router;
pub use state::{ApiConfig, AppState};
