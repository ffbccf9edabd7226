//! The statements of the server's probes and start-up checks.

use sqlx::PgPool;

/// The database answers (readiness).
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("select 1").execute(pool).await.map(drop)
}

/// Fails when PostgreSQL does not know the time zone.
pub async fn check_time_zone(pool: &PgPool, time_zone: &str) -> Result<(), sqlx::Error> {
    sqlx::query("select now() at time zone $1")
        .bind(time_zone)
        .execute(pool)
        .await
        .map(drop)
}
