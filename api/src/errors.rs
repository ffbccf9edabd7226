//! The API's error kinds and their `extensions.code`.
//!
//! Resolvers return [`ApiError`]; it deliberately has no `Display`, so it
//! can only become a GraphQL error through [`From`] below, which always sets
//! `extensions.code`. Internal errors are logged with their detail and
//! returned with a generic message. [`normalize`] gives a code to the errors
//! async-graphql produces itself (validation, limits).

use async_graphql::{ErrorExtensionValues, ServerError, Value};

pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
pub const BAD_REQUEST: &str = "BAD_REQUEST";
pub const NOT_FOUND: &str = "NOT_FOUND";
pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const INTERNAL: &str = "INTERNAL";
/// HTTP-level: the request body is over the body limit (413).
pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
/// HTTP-level: the request was not complete and answered in time (408).
pub const REQUEST_TIMEOUT: &str = "REQUEST_TIMEOUT";
/// The database cannot be reached right now (down, restarting, connection
/// lost, or no connection free in time); retrying shortly may succeed. Over
/// HTTP such an answer has status 503 and `Retry-After`.
pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";

/// The message of a [`SERVICE_UNAVAILABLE`] error.
pub const UNAVAILABLE_MESSAGE: &str = "the database is unavailable; retry shortly";

/// What went wrong in a resolver.
#[derive(Debug)]
pub enum ApiError {
    /// The caller sent something unusable (bad id, cursor, page size...).
    BadUserInput(String),
    /// A thing named explicitly does not exist (for this caller).
    NotFound(String),
    /// The database cannot be reached now (see [`is_unavailable`]); the
    /// detail is logged, not returned.
    Unavailable(String),
    /// A bug; the detail is logged, not returned.
    Internal(String),
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadUserInput(message.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) => BAD_USER_INPUT,
            Self::NotFound(_) => NOT_FOUND,
            Self::Unavailable(_) => SERVICE_UNAVAILABLE,
            Self::Internal(_) => INTERNAL,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            Self::Unavailable(format!("database: {error}"))
        } else {
            Self::Internal(format!("database: {error}"))
        }
    }
}

/// Whether a database error means the database cannot be reached right now
/// rather than a bug: the server is down or restarting, the connection was
/// lost or refused, or no connection could be had in time.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // class 08: connection exceptions; 57P01-57P03: the server is
        // shutting down, crashed or starting up; 53300: too many connections
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")),
        _ => false,
    }
}

/// A database failure as a coded GraphQL error: [`SERVICE_UNAVAILABLE`] when
/// the database cannot be reached, else [`INTERNAL`]; logged with its detail.
pub fn database_error(error: sqlx::Error) -> async_graphql::Error {
    ApiError::from(error).into()
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let code = error.code();
        let message = match error {
            ApiError::BadUserInput(message) | ApiError::NotFound(message) => message,
            ApiError::Unavailable(detail) => {
                tracing::warn!(%detail, "the database is unavailable");
                UNAVAILABLE_MESSAGE.to_string()
            }
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error while resolving a query");
                "internal error".to_string()
            }
        };
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", code);
        async_graphql::Error {
            message,
            source: None,
            extensions: Some(extensions),
        }
    }
}

/// A GraphQL error with a code, for failures outside execution.
pub fn server_error(code: &'static str, message: impl Into<String>) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

/// The code of an error, if it has one.
pub fn code_of(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code),
        _ => None,
    }
}

/// Gives every error a code: async-graphql's own errors (validation, limits,
/// argument coercion) come without one. Unknown execution errors are logged
/// and made generic.
pub fn normalize(errors: &mut [ServerError]) {
    for error in errors {
        if code_of(error).is_some() {
            continue;
        }
        let message = error.message.as_str();
        let code = if message.starts_with("Query is too complex")
            || message.starts_with("The recursion depth of the query")
        {
            QUERY_TOO_COMPLEX
        } else if error.path.is_empty() {
            // errors without a path come from before execution: validation
            VALIDATION_FAILED
        } else if message.starts_with("Invalid value for argument") || message.starts_with("Failed to parse") {
            BAD_USER_INPUT
        } else {
            tracing::error!(message = %error.message, path = ?error.path, "unclassified error while resolving a query");
            error.message = "internal error".to_string();
            INTERNAL
        };
        error
            .extensions
            .get_or_insert_with(ErrorExtensionValues::default)
            .set("code", code);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> sqlx::Error {
        sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_service_unavailable_not_internal() {
        for error in [sqlx::Error::PoolTimedOut, sqlx::Error::PoolClosed, refused()] {
            assert!(is_unavailable(&error), "{error}");
            let graphql = database_error(error);
            assert_eq!(graphql.message, UNAVAILABLE_MESSAGE);
            let code = graphql.extensions.as_ref().and_then(|e| e.get("code")).cloned();
            assert_eq!(code, Some(Value::from(SERVICE_UNAVAILABLE)));
        }
        for error in [
            sqlx::Error::RowNotFound,
            sqlx::Error::Protocol("unexpected message".into()),
        ] {
            assert!(!is_unavailable(&error), "{error}");
            assert_eq!(ApiError::from(error).code(), INTERNAL);
        }
    }
}
