//! Connecting to PostgreSQL, creating the database, applying migrations.

use std::str::FromStr;
use std::time::Duration;

use apalis_postgres::PostgresStorage;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

mod nodelay;

/// Where newsgraph looks when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/newsgraph";

/// Our schema's migrations (`migrations/` at the workspace root), tracked in
/// sqlx's usual `_sqlx_migrations` table so `sqlx migrate info` works.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// apalis-postgres ships its own migrations; they get their own bookkeeping
/// table so the two histories never mistake each other for missing entries.
const APALIS_MIGRATIONS_TABLE: &str = "apalis._sqlx_migrations";

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid database URL: {0}")]
    BadUrl(#[source] sqlx::Error),
    #[error("cannot reach the database at {host}: {source}")]
    Unreachable { host: String, source: sqlx::Error },
    #[error("applying the job queue's migrations failed: {0}")]
    QueueMigration(#[source] sqlx::migrate::MigrateError),
    #[error("applying newsgraph's migrations failed: {0}")]
    Migration(#[source] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

fn options(url: &str) -> Result<PgConnectOptions, DbError> {
    PgConnectOptions::from_str(url).map_err(DbError::BadUrl)
}

fn describe(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("postgres")
    )
}

/// Opens a pool. Fails at once when the server refuses or the database is
/// missing, with a message that says where we tried.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, DbError> {
    connect_with_settings(url, max_connections, DEFAULT_ACQUIRE_TIMEOUT, &[]).await
}

/// How long a caller of [`connect`]'s pool waits for a connection before
/// `PoolTimedOut`: long enough to ride out a busy pool, short enough that a
/// command fails visibly when the database is gone.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Like [`connect`], with its own acquire timeout and PostgreSQL settings
/// for every connection of the pool (`SET name = value` at connection
/// start), e.g. the API's `max_parallel_workers_per_gather = 0`.
pub async fn connect_with_settings(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    settings: &[(&str, &str)],
) -> Result<PgPool, DbError> {
    let mut options = options(url)?;
    if !settings.is_empty() {
        options = options.options(settings.iter().copied());
    }
    // One direct attempt first: a refused connection or a missing database
    // is reported at once, where the pool would retry until its timeout.
    let probe = options.connect().await.map_err(|source| DbError::Unreachable {
        host: describe(&options),
        source,
    })?;
    probe.close().await?;
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .after_connect(|_conn, _meta| {
            Box::pin(async {
                nodelay::set_on_own_tcp_sockets();
                Ok(())
            })
        })
        .connect_with(options.clone())
        .await
        .map_err(|source| DbError::Unreachable {
            host: describe(&options),
            source,
        })
}

/// Creates the database named in `url` when it does not exist yet. Returns
/// whether it was created.
pub async fn create_database_if_missing(url: &str) -> Result<bool, DbError> {
    let target = options(url)?;
    let name = target.get_database().unwrap_or("postgres").to_string();
    let admin = target.clone().database("postgres");
    let mut conn = admin.connect().await.map_err(|source| DbError::Unreachable {
        host: describe(&admin),
        source,
    })?;
    let exists: bool = sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
        .bind(&name)
        .fetch_one(&mut conn)
        .await?;
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {quoted}")))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(!exists)
}

/// Applies the job queue's migrations, then ours. Safe to run any number of
/// times and from several processes at once (sqlx takes an advisory lock).
pub async fn migrate(pool: &PgPool) -> Result<(), DbError> {
    let mut apalis = PostgresStorage::<()>::migrations();
    apalis.dangerous_set_table_name(APALIS_MIGRATIONS_TABLE);
    apalis.create_schema("apalis");
    apalis.run(pool).await.map_err(DbError::QueueMigration)?;
    MIGRATOR.run(pool).await.map_err(DbError::Migration)?;
    Ok(())
}
