//! The one public error type. Every error a client sees carries a stable `extensions.code`;
//! database failures are logged with their cause and reach the client only as `INTERNAL`.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

/// The stable codes clients may match on (`errors[].extensions.code`).
pub mod code {
    /// No object exists with the given ID or slug.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// An argument is malformed or out of range.
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// The change clashes with existing data.
    pub const CONFLICT: &str = "CONFLICT";
    /// No valid credentials were given.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// The credentials do not allow this.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// Too many requests.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// The service is busy (SQLite: another writer held the database past the busy timeout; or
    /// no pooled connection came free in time); the same request may be sent again (see
    /// `Retry-After`).
    pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";
    /// The answer would expose a group of participant views smaller than the small-cell
    /// threshold (`PUBLIC_VOICE_MIN_CELL_COUNT`); an editor token sees it.
    pub const SUPPRESSED: &str = "SUPPRESSED";
    /// Something failed on the server; the log has the cause.
    pub const INTERNAL: &str = "INTERNAL";
    /// The document is not valid GraphQL syntax.
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The document does not validate against the schema.
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The document is nested deeper than the configured limit.
    pub const QUERY_TOO_DEEP: &str = "QUERY_TOO_DEEP";
    /// The document's computed cost exceeds the configured limit.
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    /// The HTTP request itself is malformed (not JSON, no query...).
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// The request body is larger than the configured limit.
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    /// The request's Content-Type is not accepted (CSRF protection: only application/json).
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
    /// None of the media types in the Accept header can be served.
    pub const NOT_ACCEPTABLE: &str = "NOT_ACCEPTABLE";
    /// The operation cannot run over this HTTP method (mutations over GET).
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    /// The persisted document's hash is unknown here: send the text with the hash (Apollo APQ).
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    /// Automatic persisted queries are turned off (`PUBLIC_VOICE_APQ_CACHE_SIZE=0`).
    pub const PERSISTED_QUERY_NOT_SUPPORTED: &str = "PERSISTED_QUERY_NOT_SUPPORTED";
    /// The server runs trusted documents only, and this document is not one.
    pub const PERSISTED_QUERY_REQUIRED: &str = "PERSISTED_QUERY_REQUIRED";
}

/// An error returned to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    NotFound(String),
    BadUserInput {
        message: String,
        /// The argument or input field at fault, e.g. `id` or `filter.from`.
        field: Option<String>,
    },
    Conflict(String),
    Unauthenticated(String),
    Forbidden(String),
    /// Retryable: the database was busy past the configured wait.
    Unavailable(String),
    /// Small-cell suppression refused a drill-down into fewer than `threshold` views.
    Suppressed {
        threshold: u64,
    },
    Internal,
}

impl ApiError {
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            message: message.into(),
            field: Some(field.to_string()),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => code::NOT_FOUND,
            Self::BadUserInput { .. } => code::BAD_USER_INPUT,
            Self::Conflict(_) => code::CONFLICT,
            Self::Unauthenticated(_) => code::UNAUTHENTICATED,
            Self::Forbidden(_) => code::FORBIDDEN,
            Self::Unavailable(_) => code::SERVICE_UNAVAILABLE,
            Self::Suppressed { .. } => code::SUPPRESSED,
            Self::Internal => code::INTERNAL,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::NotFound(m)
            | Self::Conflict(m)
            | Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::Unavailable(m) => m.clone(),
            Self::BadUserInput { message, .. } => message.clone(),
            Self::Suppressed { threshold } => format!(
                "Withheld: this would show fewer than {threshold} participant views \
                 (small-cell suppression, PUBLIC_VOICE_MIN_CELL_COUNT={threshold}); \
                 widen the filter, or use an editor token"
            ),
            Self::Internal => "Internal server error".to_string(),
        }
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let Self::BadUserInput {
                field: Some(field), ..
            } = self
            {
                ext.set("field", field.as_str());
            }
        })
    }
}

// ApiError deliberately does not implement Display: async-graphql's blanket conversion for
// Display types would keep only the message and drop `extensions.code`.
/// Something the schema was built with (the database handle, the page limits, the hub). Every
/// request has it; one without it is a server fault (`INTERNAL`), never a panic.
pub fn data<'a, T: std::any::Any + Send + Sync>(
    ctx: &async_graphql::Context<'a>,
) -> ApiResult<&'a T> {
    ctx.data::<T>().map_err(|_| {
        tracing::error!(
            data = std::any::type_name::<T>(),
            "the schema lacks its data"
        );
        ApiError::Internal
    })
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.extend()
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(detail)) = err.sql_err() {
            tracing::info!(%detail, "unique constraint violated");
            return Self::Conflict("An object with the same unique key already exists".into());
        }
        if let DbErr::ConnectionAcquire(_) = err {
            // Every pooled connection stayed busy past the acquire timeout: overload, not a fault.
            tracing::warn!(error = %err, "no database connection free in time");
            return Self::Unavailable(
                "The service is busy; nothing was done, retry shortly".into(),
            );
        }
        if is_busy(&err) {
            tracing::warn!(error = %err, "database busy past the busy timeout");
            return Self::Unavailable(
                "The database is busy with another writer; nothing was written, retry shortly"
                    .into(),
            );
        }
        tracing::error!(error = %err, "database error");
        Self::Internal
    }
}

/// Whether the database refused because another connection held its lock past the busy timeout
/// (SQLite's `SQLITE_BUSY` and `SQLITE_LOCKED`, primary codes 5 and 6, extended codes included).
fn is_busy(err: &DbErr) -> bool {
    let sqlx = match err {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    let Some(db_err) = sqlx.as_database_error() else {
        return false;
    };
    // SQLite's codes are numbers below 5 digits; PostgreSQL's SQLSTATEs always have 5 characters.
    db_err
        .code()
        .filter(|c| c.len() < 5)
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// Result type of resolvers: errors are always `ApiError`, converted at the edge.
pub type ApiResult<T> = Result<T, ApiError>;

/// Converts a database result into an API result, logging the cause of any failure.
pub fn db<T>(result: Result<T, DbErr>) -> ApiResult<T> {
    result.map_err(ApiError::from)
}
