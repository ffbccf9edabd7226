//! Who is calling: bearer tokens on `/graphql` and in the WebSocket
//! `connection_init` payload, resolved once per request (or connection) to a
//! [`Caller`] that resolvers read from the GraphQL context.
//!
//! - No token: an anonymous caller (published content only; protected
//!   fields answer `UNAUTHENTICATED`).
//! - A token that is malformed, unknown or revoked, or an `Authorization`
//!   header that is not a bearer credential: the whole request is refused
//!   with HTTP 401 and `UNAUTHENTICATED` (a WebSocket is closed at
//!   `connection_init`). A client that believes it holds a valid token should
//!   learn at once that it does not, rather than silently see less.
//! - A valid token: its principal. `editor` and `admin` tokens make an editor
//!   viewer (see `visibility.rs`); a role that does not allow a field answers
//!   `FORBIDDEN`.
//!
//! Tokens are never logged nor put into error messages: only the token's name
//! and role are.

use crate::errors::{ErrorCode, coded};
use async_graphql::Context;
use axum::http::{HeaderMap, header};
use newsgraph_shared::auth::{self, AuthError, Principal, Role};
use sqlx::PgPool;

use crate::errors::UNAVAILABLE_MESSAGE;
use crate::visibility::Viewer;

/// The caller of a request or WebSocket connection.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    principal: Option<Principal>,
}

impl Caller {
    pub fn anonymous() -> Self {
        Self::default()
    }

    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// What this caller may see.
    pub fn viewer(&self) -> Viewer {
        Viewer::for_principal(self.principal.as_ref())
    }

    /// The principal when its role allows `needed`; `UNAUTHENTICATED` for an
    /// anonymous caller, `FORBIDDEN` for another role.
    pub fn require(&self, needed: Role) -> async_graphql::Result<&Principal> {
        auth::require(self.principal.as_ref(), needed).map_err(auth_error)
    }

    /// The caller of the request a resolver serves (anonymous when the
    /// request carries none, as in tests that call the executor directly).
    pub fn of<'a>(ctx: &'a Context<'_>) -> &'a Caller {
        static ANONYMOUS: Caller = Caller { principal: None };
        ctx.data_opt::<Caller>().unwrap_or(&ANONYMOUS)
    }
}

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
            Ok(Caller {
                principal: Some(principal),
            })
        }
        Ok(None) => Err(Refusal::Unauthenticated(INVALID_TOKEN)),
        Err(AuthError::Database(error)) if crate::errors::is_unavailable(&error) => {
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

/// An authorization failure as a GraphQL error (the messages name roles,
/// never tokens).
pub(crate) fn auth_error(error: AuthError) -> async_graphql::Error {
    match error {
        AuthError::Unauthenticated => coded(
            ErrorCode::Unauthenticated,
            "this needs an API token (Authorization: Bearer <token>)",
        ),
        AuthError::Forbidden { .. } => coded(ErrorCode::Forbidden, error.to_string()),
        AuthError::Database(error) => crate::errors::database_error(error),
        other => {
            tracing::error!(error = %other, "authorization failed");
            coded(ErrorCode::Internal, "internal error")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editors_and_admins_see_unpublished_content_ingest_tokens_do_not() {
        let caller = |role| Caller {
            principal: Some(Principal {
                token_id: 1,
                name: "n".into(),
                role,
            }),
        };
        assert!(caller(Role::Editor).viewer().sees_unpublished());
        assert!(caller(Role::Admin).viewer().sees_unpublished());
        assert!(!caller(Role::Ingest).viewer().sees_unpublished());
        assert!(!Caller::anonymous().viewer().sees_unpublished());
        let code = |e: async_graphql::Error| e.extensions.unwrap().get("code").cloned();
        assert_eq!(
            code(Caller::anonymous().require(Role::Editor).unwrap_err()),
            Some(ErrorCode::Unauthenticated.as_str().into())
        );
        assert_eq!(
            code(caller(Role::Ingest).require(Role::Editor).unwrap_err()),
            Some(ErrorCode::Forbidden.as_str().into())
        );
        assert!(caller(Role::Admin).require(Role::Ingest).is_ok());
    }
}
