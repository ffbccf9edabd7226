//! API tokens and roles.
//!
//! A token is `ngt_` followed by 64 hex digits (32 bytes from the operating
//! system's CSPRNG). The prefix lets secret scanners recognise a leaked token.
//! Only its SHA-256 is stored (`api_token.token_hash`): the plaintext is shown
//! once, when it is created, and cannot be recovered.
//!
//! Authentication hashes the presented token and looks the hash up through
//! the table's unique index: the secret is never compared byte by byte in
//! our code, so response times say nothing about how much of a guess was
//! right.
//!
//! Roles: `editor` (unpublished content, score breakdowns, publication
//! mutations), `ingest` (the ingest mutation), `admin` (tokens, rescore-all).
//! `admin` includes the other two ([`Role::allows`]): an operator holding an
//! admin token can do anything an editor or a pipeline can, and the audit log
//! still names the token. `editor` and `ingest` are disjoint.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::error_code::ErrorCode;

/// Every token starts with this, so secret scanners can match it.
pub const TOKEN_PREFIX: &str = "ngt_";

/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;

/// Length of a well-formed token: the prefix and two hex digits per byte.
const TOKEN_LEN: usize = TOKEN_PREFIX.len() + 2 * TOKEN_BYTES;

/// Longest token name.
pub const MAX_NAME_LEN: usize = 64;

/// `last_used_at` is only rewritten when it is older than this, so a busy
/// token does not cost a write per request.
pub const LAST_USED_GRANULARITY_SECS: i64 = 60;

/// What a token may do. The names are the ones the `api_token.role` check
/// constraint allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads unpublished content and score breakdowns; publishes, unpublishes,
    /// clears overrides, requests recomputes.
    Editor,
    /// Pushes articles through the ingest mutation.
    Ingest,
    /// Manages tokens and rescore-all; allowed everything the other roles are.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Editor, Role::Ingest, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Ingest => "ingest",
            Role::Admin => "admin",
        }
    }

    /// Whether a holder of this role may do what `needed` may do: the same
    /// role, or `admin`, which includes every other.
    pub fn allows(self, needed: Role) -> bool {
        self == needed || self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "editor" => Ok(Role::Editor),
            "ingest" => Ok(Role::Ingest),
            "admin" => Ok(Role::Admin),
            other => Err(AuthError::InvalidInput(format!(
                "unknown role {other:?} (expected editor, ingest or admin)"
            ))),
        }
    }
}

/// A plaintext token, as handed to its owner once. Its `Debug` output is
/// redacted; read it with [`SecretToken::expose`] only to show it to the
/// person who created it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// A fresh random token.
    pub fn generate() -> Result<Self, AuthError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
        let mut token = String::with_capacity(TOKEN_LEN);
        token.push_str(TOKEN_PREFIX);
        for byte in bytes {
            token.push(char::from_digit(u32::from(byte >> 4), 16).expect("a nibble"));
            token.push(char::from_digit(u32::from(byte & 0xf), 16).expect("a nibble"));
        }
        Ok(Self(token))
    }

    /// The plaintext. Print it once, to its owner; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretToken({TOKEN_PREFIX}…redacted)")
    }
}

/// The SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Whether `token` has the shape of one of ours. Anything else is rejected
/// without a database round trip.
fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token.starts_with(TOKEN_PREFIX)
        && token[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The token in an `Authorization` header value (`Bearer <token>`, scheme
/// matched case-insensitively), or `None` when the header is not a bearer
/// credential.
pub fn bearer_token(header_value: &str) -> Option<&str> {
    let (scheme, token) = header_value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Who is calling: an active token's identity. It never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub token_id: i64,
    /// The token's name: what the audit log records as the editor.
    pub name: String,
    pub role: Role,
}

impl Principal {
    /// `Ok` when this principal's role allows `needed` ([`Role::allows`]),
    /// `Forbidden` otherwise.
    pub fn require(&self, needed: Role) -> Result<(), AuthError> {
        if self.role.allows(needed) {
            Ok(())
        } else {
            Err(AuthError::Forbidden {
                needed,
                role: self.role,
            })
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.role)
    }
}

/// For callers that may be anonymous: `Unauthenticated` without a principal,
/// otherwise [`Principal::require`].
pub fn require(principal: Option<&Principal>, needed: Role) -> Result<&Principal, AuthError> {
    let principal = principal.ok_or(AuthError::Unauthenticated)?;
    principal.require(needed)?;
    Ok(principal)
}

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TokenInfo {
    #[sqlx(rename = "api_token_id")]
    pub token_id: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<String> for Role {
    type Error = AuthError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

/// The outcome of [`revoke_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub token: TokenInfo,
    /// The token had been revoked before; nothing changed.
    pub already_revoked: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No token, or one that is unknown or revoked. The message never
    /// contains the token.
    #[error("a valid API token is required (missing, unknown or revoked token)")]
    Unauthenticated,
    #[error("this needs the {needed} role; the token has the {role} role")]
    Forbidden { needed: Role, role: Role },
    #[error("{0}")]
    InvalidInput(String),
    #[error("a token named {0:?} already exists (names are never reused, not even after revocation)")]
    NameTaken(String),
    #[error("no token named {0:?}")]
    UnknownName(String),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl AuthError {
    /// The code clients see for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            AuthError::Unauthenticated => ErrorCode::Unauthenticated,
            AuthError::Forbidden { .. } => ErrorCode::Forbidden,
            AuthError::InvalidInput(_) | AuthError::NameTaken(_) => ErrorCode::BadUserInput,
            AuthError::UnknownName(_) => ErrorCode::NotFound,
            AuthError::Random(_) => ErrorCode::Internal,
            AuthError::Database(error) => ErrorCode::of_database(error),
        }
    }
}

/// Token names: 1 to 64 characters out of letters, digits and `.`, `_`, `-`,
/// `@` (they appear in the audit log and on command lines).
pub fn validate_name(name: &str) -> Result<(), AuthError> {
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(AuthError::InvalidInput(format!(
            "a token name needs 1 to {MAX_NAME_LEN} characters"
        )));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
    {
        return Err(AuthError::InvalidInput(format!(
            "a token name may hold letters, digits and . _ - @ only, not {bad:?}"
        )));
    }
    Ok(())
}

/// Creates a token named `name` with `role`. Returns the plaintext (to be
/// shown once) and the stored record.
pub async fn create_token(pool: &PgPool, name: &str, role: Role) -> Result<(SecretToken, TokenInfo), AuthError> {
    validate_name(name)?;
    let token = SecretToken::generate()?;
    let info: Option<TokenInfo> = sqlx::query_as(
        "insert into api_token (name, role, token_hash) values ($1, $2, $3)
         on conflict (name) do nothing
         returning api_token_id, name, role, created_at, last_used_at, revoked_at",
    )
    .bind(name)
    .bind(role.as_str())
    .bind(token_hash(token.expose()))
    .fetch_optional(pool)
    .await?;
    let info = info.ok_or_else(|| AuthError::NameTaken(name.to_string()))?;
    tracing::info!(name, %role, "API token created");
    Ok((token, info))
}

/// Every token, oldest first. Secrets are not stored, so none can leak here.
pub async fn list_tokens(pool: &PgPool) -> Result<Vec<TokenInfo>, AuthError> {
    Ok(sqlx::query_as(
        "select api_token_id, name, role, created_at, last_used_at, revoked_at from api_token order by api_token_id",
    )
    .fetch_all(pool)
    .await?)
}

/// Revokes the token named `name`; a revoked token authenticates no more.
/// Revoking it again changes nothing (and says so).
pub async fn revoke_token(pool: &PgPool, name: &str) -> Result<Revocation, AuthError> {
    let mut tx = pool.begin().await?;
    let token: TokenInfo = sqlx::query_as(
        "select api_token_id, name, role, created_at, last_used_at, revoked_at from api_token
         where name = $1 for update",
    )
    .bind(name)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AuthError::UnknownName(name.to_string()))?;
    if token.revoked_at.is_some() {
        return Ok(Revocation {
            token,
            already_revoked: true,
        });
    }
    let token: TokenInfo = sqlx::query_as(
        "update api_token set revoked_at = now() where api_token_id = $1
         returning api_token_id, name, role, created_at, last_used_at, revoked_at",
    )
    .bind(token.token_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(name, "API token revoked");
    Ok(Revocation {
        token,
        already_revoked: false,
    })
}

#[derive(sqlx::FromRow)]
struct Authenticated {
    api_token_id: i64,
    name: String,
    role: String,
}

/// The principal of an active token, or `None` for a malformed, unknown or
/// revoked one. `token` is the bare token (see [`bearer_token`]).
///
/// One statement: a lookup of the token's SHA-256 through the unique index,
/// and an update of `last_used_at` only when it is older than
/// [`LAST_USED_GRANULARITY_SECS`]. It writes, so it must run on the primary,
/// not on a read replica.
pub async fn authenticate(pool: &PgPool, token: &str) -> Result<Option<Principal>, AuthError> {
    if !well_formed(token) {
        return Ok(None);
    }
    let found: Option<Authenticated> = sqlx::query_as(
        "with found as (
             select api_token_id, name, role, last_used_at from api_token
             where token_hash = $1 and revoked_at is null
         ),
         touched as (
             update api_token t set last_used_at = now()
             from found
             where t.api_token_id = found.api_token_id
               and (found.last_used_at is null or found.last_used_at < now() - make_interval(secs => $2))
             returning t.api_token_id
         )
         select api_token_id, name, role from found",
    )
    .bind(token_hash(token))
    .bind(LAST_USED_GRANULARITY_SECS as f64)
    .fetch_optional(pool)
    .await?;
    found
        .map(|row| {
            Ok(Principal {
                token_id: row.api_token_id,
                name: row.name,
                role: row.role.parse()?,
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_hex_and_distinct() {
        let a = SecretToken::generate().unwrap();
        let b = SecretToken::generate().unwrap();
        assert_ne!(a, b);
        assert!(well_formed(a.expose()), "{}", a.expose());
        assert_eq!(a.expose().len(), 68);
        assert!(!format!("{a:?}").contains(&a.expose()[4..]));
    }

    #[test]
    fn malformed_tokens_are_refused_before_any_lookup() {
        assert!(!well_formed(""));
        assert!(!well_formed("ngt_"));
        assert!(!well_formed(&format!("xyz_{}", "a".repeat(64))));
        assert!(!well_formed(&format!("ngt_{}", "A".repeat(64))));
        assert!(well_formed(&format!("ngt_{}", "0f".repeat(32))));
    }

    #[test]
    fn bearer_headers() {
        assert_eq!(bearer_token("Bearer ngt_abc"), Some("ngt_abc"));
        assert_eq!(bearer_token("bearer   ngt_abc "), Some("ngt_abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer  "), None);
    }

    #[test]
    fn admin_includes_the_other_roles_which_are_disjoint() {
        for role in Role::ALL {
            assert!(Role::Admin.allows(role));
            assert!(role.allows(role));
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(role.to_string(), role.as_str());
        }
        assert!(!Role::Editor.allows(Role::Ingest));
        assert!(!Role::Ingest.allows(Role::Editor));
        assert!(!Role::Editor.allows(Role::Admin));
        assert!(!Role::Ingest.allows(Role::Admin));
        assert!("Editor".parse::<Role>().is_err());
    }

    #[test]
    fn role_checks_map_to_graphql_codes() {
        let editor = Principal {
            token_id: 1,
            name: "ed".into(),
            role: Role::Editor,
        };
        assert!(editor.require(Role::Editor).is_ok());
        assert_eq!(editor.require(Role::Admin).unwrap_err().code(), "FORBIDDEN");
        assert_eq!(require(None, Role::Editor).unwrap_err().code(), "UNAUTHENTICATED");
        assert_eq!(editor.to_string(), "ed (editor)");
    }

    #[test]
    fn names_are_validated() {
        assert!(validate_name("alice@newsroom.example").is_ok());
        assert!(validate_name("ingest-pipeline_2").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("has space").is_err());
        assert!(validate_name(&"x".repeat(65)).is_err());
    }
}
