//! The one error type of the service's operations, whatever calls them. `http::problem`
//! renders it as an RFC 9457 problem document with its status code.

use sea_orm::{DbErr, SqlErr};
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

pub use crate::domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("invalid fields")]
    Validation(Vec<FieldError>),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// The path exists but not with this method; holds the methods it takes (`Allow`).
    #[error("method not allowed; allowed: {0}")]
    MethodNotAllowed(String),
    #[error("gone: {0}")]
    Gone(String),
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// The body did not arrive within the body deadline (`body_deadline`).
    #[error("request timeout: {0}")]
    RequestTimeout(String),
    #[error("too many requests: {detail}")]
    TooManyRequests { detail: String, retry_after_seconds: u64 },
    #[error("database unavailable")]
    Unavailable(#[source] DbErr),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(err))
    }

    /// Seconds a client should wait before retrying, for the `Retry-After` header.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Unavailable(_) => Some(5),
            Self::TooManyRequests { retry_after_seconds, .. } => Some((*retry_after_seconds).max(1)),
            _ => None,
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                return Self::Conflict("a record with the same unique value already exists".to_owned());
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                return Self::invalid("id", "refers to a record that does not exist");
            }
            _ => {}
        }
        if is_unavailable(&err) { Self::Unavailable(err) } else { Self::internal(err) }
    }
}

/// True when the database could not be reached or is restarting, rather than the query being
/// wrong: the client may retry later (503), and the service recovers by itself.
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    let (DbErr::Exec(runtime) | DbErr::Query(runtime) | DbErr::Conn(runtime)) = err else {
        return matches!(err, DbErr::ConnectionAcquire(_));
    };
    let sea_orm::RuntimeErr::SqlxError(cause) = runtime else { return matches!(err, DbErr::Conn(_)) };
    match cause.as_ref() {
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed | Sqlx::Protocol(_) => true,
        Sqlx::Tls(_) => true,
        Sqlx::Database(db) => db.code().is_some_and(|code| {
            // PostgreSQL: connection exceptions (08…), shutdown and start-up (57P01–57P03),
            // too many connections (53300); SQLite: busy and locked (5, 6, and their extended codes).
            code.starts_with("08")
                || ["57P01", "57P02", "57P03", "53300", "5", "6", "261", "262", "517", "773"].contains(&code.as_ref())
        }),
        _ => matches!(err, DbErr::Conn(_)),
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields = Vec::new();
        flatten(&errors, "", &mut fields);
        Self::Validation(fields)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Turns validator's nested error tree into a flat list of JSON paths.
pub fn flatten(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.extend(list.iter().map(|e| FieldError::new(path.clone(), describe(e))));
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
    out.sort_by(|a, b| a.field.cmp(&b.field));
}

fn describe(error: &ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters"),
            (None, Some(max)) => format!("must be at most {max} characters"),
            (Some(min), None) => format!("must be at least {min} characters"),
            _ => "has an invalid length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            _ => "is out of range".to_owned(),
        },
        code => format!("is invalid ({code})"),
    }
}
