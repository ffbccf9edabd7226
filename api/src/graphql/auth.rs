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

use crate::graphql::errors::{ErrorCode, coded};
use async_graphql::Context;
use newsgraph_shared::auth::{self, AuthError, Principal, Role};

use crate::graphql::visibility::Viewer;

/// The caller of a request or WebSocket connection.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    principal: Option<Principal>,
}

impl Caller {
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// The caller a valid token resolved to (`crate::server::auth`).
    pub fn authenticated(principal: Principal) -> Self {
        Self {
            principal: Some(principal),
        }
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

/// An authorization failure as a GraphQL error (the messages name roles,
/// never tokens).
pub(crate) fn auth_error(error: AuthError) -> async_graphql::Error {
    match error {
        AuthError::Unauthenticated => coded(
            ErrorCode::Unauthenticated,
            "this needs an API token (Authorization: Bearer <token>)",
        ),
        AuthError::Forbidden { .. } => coded(ErrorCode::Forbidden, error.to_string()),
        AuthError::Database(error) => crate::graphql::errors::database_error(error),
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
