//! The error responses each kind of endpoint may give, declared once for the OpenAPI
//! document (`responses(..., ReadErrors)` on a path), each with an example of its own status.

use actix_web::HttpResponse;
use actix_web::http::header;
use utoipa::IntoResponses;

use crate::http::problem::Problem;

/// Errors any authenticated read may answer with.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ReadErrors {
    #[response(status = 400, description = "Malformed query or path", content_type = "application/problem+json",
        example = json!({"type": "/problems/bad-request", "title": "The request could not be read", "status": 400, "detail": "the path contains a NUL character or bytes that are not UTF-8 text"})
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "Missing, expired or invalid token",
        content_type = "application/problem+json",
        example = json!({"type": "/problems/unauthorized", "title": "Authentication is required", "status": 401, "detail": "the token is not valid: ExpiredSignature"})
    )]
    Unauthorized(Problem),
    #[response(status = 403, description = "The role may not do this", content_type = "application/problem+json",
        example = json!({"type": "/problems/forbidden", "title": "Not allowed for this account", "status": 403, "detail": "the observer role may not do this"})
    )]
    Forbidden(Problem),
    #[response(status = 404, description = "No such resource", content_type = "application/problem+json",
        example = json!({"type": "/problems/not-found", "title": "Not found", "status": 404, "detail": "no campaign 7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11"})
    )]
    NotFound(Problem),
    #[response(
        status = 422,
        description = "Invalid query values, each named",
        content_type = "application/problem+json",
        example = json!({"type": "/problems/validation-error", "title": "The request has invalid fields", "status": 422, "detail": "1 field is invalid", "errors": [{"field": "answers.overall", "message": "unknown option \"great\""}]})
    )]
    Invalid(Problem),
    #[response(
        status = 503,
        description = "Database unavailable; retry after the Retry-After delay",
        content_type = "application/problem+json",
        example = json!({"type": "/problems/unavailable", "title": "The service is temporarily unavailable", "status": 503, "detail": "the database cannot be reached; retry shortly"})
    )]
    Unavailable(Problem),
}

/// Errors any authenticated write may answer with.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum WriteErrors {
    #[response(status = 400, description = "Malformed JSON, or not JSON", content_type = "application/problem+json",
        example = json!({"type": "/problems/bad-request", "title": "The request could not be read", "status": 400, "detail": "malformed JSON: expected value at line 1 column 1"})
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "Missing, expired or invalid token",
        content_type = "application/problem+json",
        example = json!({"type": "/problems/unauthorized", "title": "Authentication is required", "status": 401, "detail": "the token is not valid: ExpiredSignature"})
    )]
    Unauthorized(Problem),
    #[response(status = 403, description = "The role may not do this", content_type = "application/problem+json",
        example = json!({"type": "/problems/forbidden", "title": "Not allowed for this account", "status": 403, "detail": "the observer role may not do this"})
    )]
    Forbidden(Problem),
    #[response(status = 404, description = "No such resource", content_type = "application/problem+json",
        example = json!({"type": "/problems/not-found", "title": "Not found", "status": 404, "detail": "no campaign 7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11"})
    )]
    NotFound(Problem),
    #[response(
        status = 409,
        description = "Conflicts with the current state",
        content_type = "application/problem+json",
        example = json!({"type": "/problems/conflict", "title": "Conflicts with the current state", "status": 409, "detail": "the campaign is in its survey phase; this needs the assessment phase"})
    )]
    Conflict(Problem),
    #[response(
        status = 408,
        description = "The body did not arrive within the body deadline (10 s by default); the connection is closed",
        content_type = "application/problem+json",
        example = json!({"type": "/problems/request-timeout", "title": "The request body arrived too slowly", "status": 408, "detail": "the body did not arrive within 10 s"})
    )]
    TooSlow(Problem),
    #[response(status = 413, description = "Body larger than 256 KiB", content_type = "application/problem+json",
        example = json!({"type": "/problems/payload-too-large", "title": "The request body is too large", "status": 413, "detail": "the body may be at most 262144 bytes"})
    )]
    TooLarge(Problem),
    #[response(status = 422, description = "Invalid fields, each named", content_type = "application/problem+json",
        example = json!({"type": "/problems/validation-error", "title": "The request has invalid fields", "status": 422, "detail": "1 field is invalid", "errors": [{"field": "answers.overall", "message": "unknown option \"great\""}]})
    )]
    Invalid(Problem),
    #[response(
        status = 503,
        description = "Database unavailable; retry after the Retry-After delay",
        content_type = "application/problem+json",
        example = json!({"type": "/problems/unavailable", "title": "The service is temporarily unavailable", "status": 503, "detail": "the database cannot be reached; retry shortly"})
    )]
    Unavailable(Problem),
}

/// Errors of the citizens' endpoints.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum PublicErrors {
    #[response(status = 400, description = "Malformed JSON, or not JSON", content_type = "application/problem+json",
        example = json!({"type": "/problems/bad-request", "title": "The request could not be read", "status": 400, "detail": "malformed JSON: expected value at line 1 column 1"})
    )]
    BadRequest(Problem),
    #[response(status = 404, description = "No survey at this address", content_type = "application/problem+json",
        example = json!({"type": "/problems/not-found", "title": "Not found", "status": 404, "detail": "no campaign 7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11"})
    )]
    NotFound(Problem),
    #[response(
        status = 409,
        description = "Not open yet, or the submission id was used with other answers",
        content_type = "application/problem+json",
        example = json!({"type": "/problems/conflict", "title": "Conflicts with the current state", "status": 409, "detail": "the campaign is in its survey phase; this needs the assessment phase"})
    )]
    Conflict(Problem),
    #[response(
        status = 403,
        description = "An invitation code is required, or it is invalid or used",
        content_type = "application/problem+json",
        example = json!({"type": "/problems/forbidden", "title": "Not allowed for this account", "status": 403, "detail": "the observer role may not do this"})
    )]
    Forbidden(Problem),
    #[response(status = 410, description = "Closed or withdrawn", content_type = "application/problem+json",
        example = json!({"type": "/problems/gone", "title": "No longer available", "status": 410, "detail": "this survey link has been withdrawn"})
    )]
    Gone(Problem),
    #[response(
        status = 429,
        description = "Rate limit or daily cap reached; see Retry-After",
        content_type = "application/problem+json",
        example = json!({"type": "/problems/too-many-requests", "title": "Too many requests", "status": 429, "detail": "too many submissions from this connection; please wait a little"})
    )]
    TooMany(Problem),
    #[response(
        status = 408,
        description = "The body did not arrive within the body deadline (10 s by default); the connection is closed",
        content_type = "application/problem+json",
        example = json!({"type": "/problems/request-timeout", "title": "The request body arrived too slowly", "status": 408, "detail": "the body did not arrive within 10 s"})
    )]
    TooSlow(Problem),
    #[response(status = 413, description = "Body larger than 256 KiB", content_type = "application/problem+json",
        example = json!({"type": "/problems/payload-too-large", "title": "The request body is too large", "status": 413, "detail": "the body may be at most 262144 bytes"})
    )]
    TooLarge(Problem),
    #[response(status = 422, description = "Invalid answers, each named", content_type = "application/problem+json",
        example = json!({"type": "/problems/validation-error", "title": "The request has invalid fields", "status": 422, "detail": "1 field is invalid", "errors": [{"field": "answers.overall", "message": "unknown option \"great\""}]})
    )]
    Invalid(Problem),
    #[response(
        status = 503,
        description = "Database unavailable; retry after the Retry-After delay",
        content_type = "application/problem+json",
        example = json!({"type": "/problems/unavailable", "title": "The service is temporarily unavailable", "status": 503, "detail": "the database cannot be reached; retry shortly"})
    )]
    Unavailable(Problem),
}

/// A file for download, never for the browser to show or run: an attachment under its own
/// name (UTF-8), not sniffed, in a sandbox, kept by no shared cache.
pub fn download(bytes: Vec<u8>, media_type: &str, name: &str) -> HttpResponse {
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename*=UTF-8''{encoded}")))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}
