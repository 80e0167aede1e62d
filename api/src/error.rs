//! The one error type of the API and its RFC 9457 `application/problem+json` rendering.
//!
//! Only this module knows HTTP status codes. Internal causes are logged, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request, named by its JSON path (`answers.overall`, `questions[2].key`).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    #[schema(example = "answers.overall")]
    pub field: String,
    #[schema(example = "unknown option \"great\"")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation-error",
    "title": "The request has invalid fields",
    "status": 422,
    "detail": "2 fields are invalid",
    "errors": [{"field": "code", "message": "must be 1 to 64 characters"}]
}))]
pub struct Problem {
    /// A relative URI naming the kind of problem; see the README's list.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Present on validation errors: every invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

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

    fn kind_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest(_) => ("bad-request", "The request could not be read"),
            Self::Validation(_) => ("validation-error", "The request has invalid fields"),
            Self::Unauthorized(_) => ("unauthorized", "Authentication is required"),
            Self::Forbidden(_) => ("forbidden", "Not allowed for this account"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::Conflict(_) => ("conflict", "Conflicts with the current state"),
            Self::Gone(_) => ("gone", "No longer available"),
            Self::PayloadTooLarge(_) => ("payload-too-large", "The request body is too large"),
            Self::RequestTimeout(_) => ("request-timeout", "The request body arrived too slowly"),
            Self::MethodNotAllowed(_) => ("method-not-allowed", "This method is not allowed here"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Self::Unavailable(_) => ("unavailable", "The service is temporarily unavailable"),
            Self::Internal(_) => ("internal-error", "Internal error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Validation(errors) if errors.len() == 1 => "1 field is invalid".to_owned(),
            Self::Validation(errors) => format!("{} fields are invalid", errors.len()),
            Self::Unavailable(_) => "the database cannot be reached; retry shortly".to_owned(),
            Self::Internal(_) => "an unexpected error occurred; it has been logged".to_owned(),
            Self::TooManyRequests { detail, .. } => detail.clone(),
            Self::MethodNotAllowed(allowed) => format!("this path takes {allowed}"),
            Self::BadRequest(d)
            | Self::Unauthorized(d)
            | Self::Forbidden(d)
            | Self::NotFound(d)
            | Self::Conflict(d)
            | Self::Gone(d)
            | Self::PayloadTooLarge(d)
            | Self::RequestTimeout(d) => d.clone(),
        }
    }

    pub fn problem(&self) -> Problem {
        let (kind, title) = self.kind_and_title();
        let errors = match self {
            Self::Validation(errors) => errors.clone(),
            _ => Vec::new(),
        };
        Problem {
            kind: format!("/problems/{kind}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            Self::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            Self::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            Self::MethodNotAllowed(allowed) => {
                response.insert_header((header::ALLOW, allowed.as_str()));
            }
            // The rest of the body may still be on its way: the connection cannot be reused.
            Self::RequestTimeout(_) => {
                response.force_close();
            }
            _ => {}
        }
        if let Some(seconds) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds));
        }
        response.json(self.problem())
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
        crate::validation::flatten(&errors, "", &mut fields);
        Self::Validation(fields)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
