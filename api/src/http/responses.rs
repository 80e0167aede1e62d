//! The error responses each kind of endpoint may give, declared once for the OpenAPI
//! document (`responses(..., ReadErrors)` on a path).

use utoipa::IntoResponses;

use crate::http::problem::Problem;

/// Errors any authenticated read may answer with.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ReadErrors {
    #[response(status = 400, description = "Malformed query or path", content_type = "application/problem+json")]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "Missing, expired or invalid token",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(status = 403, description = "The role may not do this", content_type = "application/problem+json")]
    Forbidden(Problem),
    #[response(status = 404, description = "No such resource", content_type = "application/problem+json")]
    NotFound(Problem),
    #[response(
        status = 422,
        description = "Invalid query values, each named",
        content_type = "application/problem+json"
    )]
    Invalid(Problem),
    #[response(
        status = 503,
        description = "Database unavailable; retry after the Retry-After delay",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// Errors any authenticated write may answer with.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum WriteErrors {
    #[response(status = 400, description = "Malformed JSON, or not JSON", content_type = "application/problem+json")]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "Missing, expired or invalid token",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(status = 403, description = "The role may not do this", content_type = "application/problem+json")]
    Forbidden(Problem),
    #[response(status = 404, description = "No such resource", content_type = "application/problem+json")]
    NotFound(Problem),
    #[response(
        status = 409,
        description = "Conflicts with the current state",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    #[response(
        status = 408,
        description = "The body did not arrive within the body deadline (10 s by default); the connection is closed",
        content_type = "application/problem+json"
    )]
    TooSlow(Problem),
    #[response(status = 413, description = "Body larger than 256 KiB", content_type = "application/problem+json")]
    TooLarge(Problem),
    #[response(status = 422, description = "Invalid fields, each named", content_type = "application/problem+json")]
    Invalid(Problem),
    #[response(
        status = 503,
        description = "Database unavailable; retry after the Retry-After delay",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// Errors of the citizens' endpoints.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum PublicErrors {
    #[response(status = 400, description = "Malformed JSON, or not JSON", content_type = "application/problem+json")]
    BadRequest(Problem),
    #[response(status = 404, description = "No survey at this address", content_type = "application/problem+json")]
    NotFound(Problem),
    #[response(
        status = 409,
        description = "Not open yet, or the submission id was used with other answers",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    #[response(
        status = 403,
        description = "An invitation code is required, or it is invalid or used",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(status = 410, description = "Closed or withdrawn", content_type = "application/problem+json")]
    Gone(Problem),
    #[response(
        status = 429,
        description = "Rate limit or daily cap reached; see Retry-After",
        content_type = "application/problem+json"
    )]
    TooMany(Problem),
    #[response(
        status = 408,
        description = "The body did not arrive within the body deadline (10 s by default); the connection is closed",
        content_type = "application/problem+json"
    )]
    TooSlow(Problem),
    #[response(status = 413, description = "Body larger than 256 KiB", content_type = "application/problem+json")]
    TooLarge(Problem),
    #[response(status = 422, description = "Invalid answers, each named", content_type = "application/problem+json")]
    Invalid(Problem),
    #[response(
        status = 503,
        description = "Database unavailable; retry after the Retry-After delay",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}
