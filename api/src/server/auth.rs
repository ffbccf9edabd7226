//! Resolving a request's credentials to a [`Caller`]: the bearer token of
//! an HTTP request's `Authorization` header, or of a WebSocket's
//! `connection_init` payload. A bad credential refuses the whole request
//! ([`Refusal`]); tokens are never logged, only their names and roles.

use axum::http::{HeaderMap, header};
use newsgraph_shared::auth::{self, AuthError};
use sqlx::PgPool;

use crate::graphql::auth::Caller;
use crate::graphql::errors::{ErrorCode, UNAVAILABLE_MESSAGE};

/// Why a request's credentials were refused.
#[derive(Debug)]
pub enum Refusal {
    /// Malformed, unknown or revoked token, or not a bearer credential.
    Unauthenticated(&'static str),
    /// The database could not be reached to check the token (logged).
    Unavailable,
    /// The database failed while checking the token (logged).
    Internal,
}

impl Refusal {
    pub fn code(&self) -> ErrorCode {
        match self {
            Refusal::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Refusal::Unavailable => ErrorCode::ServiceUnavailable,
            Refusal::Internal => ErrorCode::Internal,
        }
    }

    pub fn message(&self) -> &'static str {
        match self {
            Refusal::Unauthenticated(message) => message,
            Refusal::Unavailable => UNAVAILABLE_MESSAGE,
            Refusal::Internal => "internal error",
        }
    }
}

const INVALID_TOKEN: &str = "the API token is malformed, unknown or revoked";
const NOT_BEARER: &str = "the Authorization header must be `Bearer <token>`";

/// Resolves a bare token (never logged).
async fn resolve(pool: &PgPool, token: &str) -> Result<Caller, Refusal> {
    match auth::authenticate(pool, token).await {
        Ok(Some(principal)) => {
            tracing::debug!(token_name = %principal.name, role = %principal.role, "authenticated");
            Ok(Caller::authenticated(principal))
        }
        Ok(None) => Err(Refusal::Unauthenticated(INVALID_TOKEN)),
        Err(AuthError::Database(error)) if crate::graphql::errors::is_unavailable(&error) => {
            tracing::warn!(%error, "could not check an API token: the database is unavailable");
            Err(Refusal::Unavailable)
        }
        Err(error) => {
            tracing::error!(%error, "could not check an API token");
            Err(Refusal::Internal)
        }
    }
}

/// The caller of an HTTP request, from its `Authorization` header.
pub async fn from_headers(pool: &PgPool, headers: &HeaderMap) -> Result<Caller, Refusal> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Caller::anonymous());
    };
    let token = value
        .to_str()
        .ok()
        .and_then(auth::bearer_token)
        .ok_or(Refusal::Unauthenticated(NOT_BEARER))?;
    resolve(pool, token).await
}

/// The caller of a WebSocket connection: the token of the `connection_init`
/// payload, given as `{"authorization": "Bearer <token>"}` (also
/// `Authorization`) or `{"token": "<token>"}`; without one, the
/// `Authorization` header of the upgrade request; without either, anonymous.
pub async fn from_connection_init(
    pool: &PgPool,
    payload: &serde_json::Value,
    headers: &HeaderMap,
) -> Result<Caller, Refusal> {
    let field = |name: &str| payload.get(name).filter(|v| !v.is_null());
    if let Some(value) = field("authorization").or_else(|| field("Authorization")) {
        let token = value
            .as_str()
            .and_then(auth::bearer_token)
            .ok_or(Refusal::Unauthenticated(NOT_BEARER))?;
        return resolve(pool, token).await;
    }
    if let Some(value) = field("token") {
        let token = value
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Refusal::Unauthenticated(INVALID_TOKEN))?;
        return resolve(pool, token).await;
    }
    from_headers(pool, headers).await
}
