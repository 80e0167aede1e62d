//! The API's errors as RFC 9457 `application/problem+json` documents. Only this module maps
//! an error to an HTTP status; internal causes are logged with their whole chain, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError, cause_chain};

pub const PROBLEM_JSON: &str = "application/problem+json";

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

impl ApiError {
    fn kind_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest(_) => ("bad-request", "The request could not be read"),
            Self::Validation(_) => ("validation-error", "The request has invalid fields"),
            Self::Unauthorized(_) => ("unauthorized", "Authentication is required"),
            Self::Forbidden(_) => ("forbidden", "Not allowed for this account"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::Conflict(_) | Self::Duplicate(_) => ("conflict", "Conflicts with the current state"),
            Self::Gone(_) => ("gone", "No longer available"),
            Self::PayloadTooLarge(_) => ("payload-too-large", "The request body is too large"),
            Self::RequestTimeout(_) => ("request-timeout", "The request body arrived too slowly"),
            Self::MethodNotAllowed(_) => ("method-not-allowed", "This method is not allowed here"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Self::Unavailable(_) | Self::ShuttingDown => ("unavailable", "The service is temporarily unavailable"),
            Self::Internal(_) => ("internal-error", "Internal error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Validation(errors) if errors.len() == 1 => "1 field is invalid".to_owned(),
            Self::Validation(errors) => format!("{} fields are invalid", errors.len()),
            Self::Unavailable(_) => "the database cannot be reached; retry shortly".to_owned(),
            Self::ShuttingDown => "this replica is stopping; other replicas take requests".to_owned(),
            Self::Internal(_) => "an unexpected error occurred; it has been logged".to_owned(),
            Self::TooManyRequests { detail, .. } => detail.clone(),
            Self::Duplicate(duplicate) => duplicate.describe(),
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
            Self::Duplicate(duplicate) => {
                duplicate.fields.iter().map(|field| FieldError::new(field.clone(), "is taken already")).collect()
            }
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
            Self::Conflict(_) | Self::Duplicate(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(error = %cause_chain(cause.as_ref()), "internal error"),
            Self::Unavailable(cause) => tracing::warn!(error = %cause_chain(cause), "database unavailable"),
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
