//! The API's error kinds and their `extensions.code`.
//!
//! Resolvers return [`ApiError`]; it deliberately has no `Display`, so it
//! can only become a GraphQL error through [`From`] below, which always sets
//! `extensions.code`. Internal errors are logged with their detail and
//! returned with a generic message. [`normalize`] gives a code to the errors
//! async-graphql produces itself (validation, limits).

use async_graphql::{ErrorExtensionValues, ServerError, Value};
pub use newsgraph_shared::error_code::{ErrorCode, UNAVAILABLE_MESSAGE, is_unavailable};

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

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadUserInput(_) => ErrorCode::BadUserInput,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Unavailable(_) => ErrorCode::ServiceUnavailable,
            Self::Internal(_) => ErrorCode::Internal,
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

/// A database failure as a coded GraphQL error: `SERVICE_UNAVAILABLE` when
/// the database cannot be reached, else `INTERNAL`; logged with its detail.
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
        coded(code, message)
    }
}

/// A GraphQL error with `extensions.code`: the one way the api gives an
/// error its code.
pub fn coded(code: ErrorCode, message: impl Into<String>) -> async_graphql::Error {
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    async_graphql::Error {
        message: message.into(),
        source: None,
        extensions: Some(extensions),
    }
}

/// [`coded`], for failures outside execution (no path, no location).
pub fn server_error(code: ErrorCode, message: impl Into<String>) -> ServerError {
    let coded = coded(code, message);
    let mut error = ServerError::new(coded.message, None);
    error.extensions = coded.extensions;
    error
}

/// The code of an error, if it has one.
pub fn code_of(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code),
        _ => None,
    }
}

/// Whether the error has this code.
pub fn has_code(error: &ServerError, code: ErrorCode) -> bool {
    code_of(error) == Some(code.as_str())
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
            ErrorCode::QueryTooComplex
        } else if error.path.is_empty() {
            // errors without a path come from before execution: validation
            ErrorCode::ValidationFailed
        } else if message.starts_with("Invalid value for argument") || message.starts_with("Failed to parse") {
            ErrorCode::BadUserInput
        } else {
            tracing::error!(message = %error.message, path = ?error.path, "unclassified error while resolving a query");
            error.message = "internal error".to_string();
            ErrorCode::Internal
        };
        error
            .extensions
            .get_or_insert_with(ErrorExtensionValues::default)
            .set("code", code.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_cannot_be_reached_is_service_unavailable_not_internal() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let graphql = database_error(refused);
        assert_eq!(graphql.message, UNAVAILABLE_MESSAGE);
        let code = graphql.extensions.as_ref().and_then(|e| e.get("code")).cloned();
        assert_eq!(code, Some(Value::from("SERVICE_UNAVAILABLE")));
        assert_eq!(ApiError::from(sqlx::Error::RowNotFound).code(), ErrorCode::Internal);
    }
}
