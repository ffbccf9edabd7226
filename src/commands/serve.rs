//! `newsgraph serve`: the GraphQL API over HTTP.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use newsgraph_api::server::limits::Limits;
use newsgraph_api::{ApiConfig, AppState};
use newsgraph_shared::db;

#[derive(Debug, Clone, clap::Args)]
#[group(id = "serve_args")]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "NEWSGRAPH_BIND", default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub bind: SocketAddr,

    /// Database connections the API keeps at most.
    #[arg(long, env = "NEWSGRAPH_API_POOL_SIZE", default_value_t = 10)]
    pub pool_size: u32,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "NEWSGRAPH_API_BODY_LIMIT", default_value_t = 64 * 1024)]
    pub body_limit: usize,

    /// Seconds an anonymous query's answer is reused for identical queries
    /// (a publication change ends the reuse of the answers it touches as
    /// soon as it commits; score changes show within this); 0 turns the
    /// response cache off.
    #[arg(
        long,
        env = "NEWSGRAPH_RESPONSE_CACHE_SECS",
        default_value_t = 30,
        value_name = "SECS"
    )]
    pub response_cache_secs: u64,
    /// Connections served at once (WebSockets included); more wait in the
    /// kernel's accept queue.
    #[arg(long, env = "NEWSGRAPH_API_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Seconds a client has to send a request's head; an idle keep-alive
    /// connection is closed after as long.
    #[arg(long, env = "NEWSGRAPH_API_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..), value_name = "SECS")]
    pub header_timeout: u64,

    /// Seconds a request (body included) may take before it is answered
    /// with 408.
    #[arg(long, env = "NEWSGRAPH_API_REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..), value_name = "SECS")]
    pub request_timeout: u64,

    /// Seconds a response write may make no progress (the client does not
    /// read) before the connection is closed.
    #[arg(long, env = "NEWSGRAPH_API_WRITE_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..), value_name = "SECS")]
    pub write_timeout: u64,
}

pub async fn run(database_url: &str, args: Args) -> anyhow::Result<ExitCode> {
    let listener = bind(args.bind).await?;
    let pool = connect(database_url, &args).await?;
    serve_on(listener, pool, args).await?;
    Ok(ExitCode::SUCCESS)
}

/// Binds the API's address; a taken one fails naming the way out.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|error| {
        let hint = match error.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "{addr} is taken (another newsgraph, or another server): choose another address with \
                 --bind ADDR or NEWSGRAPH_BIND, e.g. --bind 127.0.0.1:{}",
                addr.port().wrapping_add(1)
            ),
            _ => format!("while binding {addr} (--bind ADDR or NEWSGRAPH_BIND)"),
        };
        anyhow::Error::new(error).context(hint)
    })
}

/// The API's database pool.
pub async fn connect(database_url: &str, args: &Args) -> anyhow::Result<sqlx::PgPool> {
    Ok(db::connect_with_settings(
        database_url,
        args.pool_size,
        newsgraph_api::DB_ACQUIRE_TIMEOUT,
        newsgraph_api::DB_SETTINGS,
    )
    .await?)
}

/// Serves on a bound listener until SIGTERM or SIGINT.
pub async fn serve_on(listener: tokio::net::TcpListener, pool: sqlx::PgPool, args: Args) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let config = ApiConfig {
        body_limit: args.body_limit,
        frontend: newsgraph_api::server::frontend::FrontendConfig::from_env()?,
        legacy: newsgraph_api::server::legacy::LegacyConfig::from_env(),
        response_cache_ttl: std::time::Duration::from_secs(args.response_cache_secs),
        limits: Limits {
            max_connections: args.max_connections as usize,
            header_read_timeout: Duration::from_secs(args.header_timeout),
            request_timeout: Duration::from_secs(args.request_timeout),
            write_timeout: Duration::from_secs(args.write_timeout),
        },
        ..ApiConfig::default()
    };
    config.legacy.check(&pool).await.context("NEWSGRAPH_LEGACY_TIME_ZONE")?;
    tracing::info!(%addr, "serving the API");
    eprintln!("newsgraph API on http://{addr}/ (GraphiQL), GraphQL at http://{addr}/graphql");
    newsgraph_api::serve(listener, AppState::new(pool, config), newsgraph_api::shutdown_signal())
        .await
        .context("while serving")
}
