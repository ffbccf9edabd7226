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

/// What went wrong in a resolver.
#[derive(Debug)]
pub enum ApiError {
    /// The caller sent something unusable (bad id, cursor, page size...).
    BadUserInput(String),
    /// A thing named explicitly does not exist (for this caller).
    NotFound(String),
    /// A bug or an unavailable database; the detail is logged, not returned.
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
            Self::Internal(_) => INTERNAL,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(format!("database: {error}"))
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let code = error.code();
        let message = match error {
            ApiError::BadUserInput(message) | ApiError::NotFound(message) => message,
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
            || message.starts_with("Query is nested too deep")
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
