//! The error codes clients see, defined once: GraphQL's `extensions.code`,
//! the legacy pages' `error.code`, and the codes of the services' errors
//! (`auth`, `editorial`), so every layer speaks the same vocabulary.

/// What kind of failure an answer reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The caller sent something unusable (a bad id, cursor, page size...).
    BadUserInput,
    /// The HTTP request itself is wrong (not JSON, a batch, a mutation over GET...).
    BadRequest,
    /// A thing named explicitly does not exist (for this caller).
    NotFound,
    /// The article changed since the caller read it (`expectedVersion`).
    Conflict,
    /// This needs a valid API token.
    Unauthenticated,
    /// The token's role does not allow this.
    Forbidden,
    QueryTooComplex,
    ParseFailed,
    ValidationFailed,
    /// The request body is over the body limit (HTTP 413).
    PayloadTooLarge,
    /// The request was not complete and answered in time (HTTP 408).
    RequestTimeout,
    /// The database cannot be reached right now (down, restarting,
    /// connection lost, or no connection free in time); retrying shortly may
    /// succeed. Over HTTP such an answer has status 503 and `Retry-After`.
    ServiceUnavailable,
    /// A bug; the detail is logged, never returned.
    Internal,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::BadRequest => "BAD_REQUEST",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::ParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::ValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }

    /// A database failure's code: [`ErrorCode::ServiceUnavailable`] when the
    /// database cannot be reached right now, else [`ErrorCode::Internal`].
    pub fn of_database(error: &sqlx::Error) -> Self {
        if is_unavailable(error) {
            Self::ServiceUnavailable
        } else {
            Self::Internal
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The message of a [`ErrorCode::ServiceUnavailable`] answer.
pub const UNAVAILABLE_MESSAGE: &str = "the database is unavailable; retry shortly";

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_cannot_be_reached_is_service_unavailable_not_internal() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        for error in [sqlx::Error::PoolTimedOut, sqlx::Error::PoolClosed, refused] {
            assert_eq!(ErrorCode::of_database(&error), ErrorCode::ServiceUnavailable, "{error}");
        }
        for error in [
            sqlx::Error::RowNotFound,
            sqlx::Error::Protocol("unexpected message".into()),
        ] {
            assert_eq!(ErrorCode::of_database(&error), ErrorCode::Internal, "{error}");
        }
        assert_eq!(ErrorCode::Internal, "INTERNAL");
    }
}
