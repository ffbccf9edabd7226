//! Frontend-friendly HTTP: CORS, `Cache-Control` + `ETag`/`304` for
//! anonymous GETs, gzip/brotli compression, and Automatic Persisted Queries.
//!
//! Mount with [`apply`] on the routes that serve frontends (GraphQL and the
//! legacy pages), and the schema builder adds Automatic Persisted Queries
//! (`crate::graphql::apq`).

pub mod caching;
pub mod compression;
pub mod cors;

use std::time::Duration;

use axum::Router;

pub use caching::CacheConfig;
pub use cors::AllowedOrigins;

/// Comma-separated origins allowed to call the API from a browser; `*` for any.
pub const CORS_ORIGINS_ENV: &str = "NEWSGRAPH_CORS_ORIGINS";
/// `max-age` in seconds of anonymous GET answers.
pub const CACHE_MAX_AGE_ENV: &str = "NEWSGRAPH_CACHE_MAX_AGE_SECS";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontendConfig {
    pub cors_origins: AllowedOrigins,
    pub cache: CacheConfig,
}

#[derive(Debug, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

impl FrontendConfig {
    /// Reads [`CORS_ORIGINS_ENV`] and [`CACHE_MAX_AGE_ENV`]; unset variables
    /// keep their defaults (no cross-origin access, 10 s).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some(origins) = get(CORS_ORIGINS_ENV) {
            config.cors_origins = AllowedOrigins::parse(&origins).map_err(|reason| ConfigError {
                var: CORS_ORIGINS_ENV,
                reason,
            })?;
        }
        if let Some(secs) = get(CACHE_MAX_AGE_ENV) {
            let secs: u64 = secs.trim().parse().map_err(|_| ConfigError {
                var: CACHE_MAX_AGE_ENV,
                reason: format!("expected whole seconds, found {secs:?}"),
            })?;
            config.cache.max_age = Duration::from_secs(secs);
        }
        Ok(config)
    }
}

/// Wraps every route of `router` (add routes first) with, from the outside
/// in: CORS, the encoding suffix of ETags, compression, and conditional GET.
pub fn apply<S>(router: Router<S>, config: &FrontendConfig) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .layer(axum::middleware::from_fn_with_state(
            config.cache.clone(),
            caching::conditional_get,
        ))
        .layer(compression::compression_layer())
        .layer(axum::middleware::map_response(caching::tag_encoding))
        .layer(cors::cors_layer(&config.cors_origins))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_its_variables_and_rejects_bad_values() {
        let config = FrontendConfig::from_lookup(|name| match name {
            CORS_ORIGINS_ENV => Some("https://a.example".into()),
            CACHE_MAX_AGE_ENV => Some("30".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.cache.max_age, Duration::from_secs(30));
        assert!(matches!(config.cors_origins, AllowedOrigins::List(ref l) if l.len() == 1));
        assert_eq!(
            FrontendConfig::from_lookup(|_| None).unwrap(),
            FrontendConfig::default()
        );
        let bad = FrontendConfig::from_lookup(|name| (name == CACHE_MAX_AGE_ENV).then(|| "ten".into()));
        assert_eq!(bad.unwrap_err().var, CACHE_MAX_AGE_ENV);
    }
}
