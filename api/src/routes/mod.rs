//! HTTP routes. Handlers are thin: parse, check the role, call a service, map to DTOs.
//! Every route is registered with `.service(...)` so that it lands in the OpenAPI document.

mod accounts;
mod auth;
mod campaigns;
mod clients;
mod conference;
mod evaluation;
mod health;
pub mod integrity;
pub mod known;
mod links;
mod pages;
mod pollster;
mod public;
pub mod query;
mod questionnaires;
mod rectification;
mod results;
mod satisfaction;
mod units;
mod webhooks;

use utoipa::IntoResponses;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::Problem;

/// actix tries routes in the order they are registered, matching each pattern in turn: the
/// API, and in it the citizens' routes, which take most requests, come first.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            .configure(public::configure)
            .configure(auth::configure)
            .configure(accounts::configure)
            .configure(clients::configure)
            .configure(units::configure)
            .configure(campaigns::configure)
            .configure(questionnaires::configure)
            .configure(links::configure)
            .configure(satisfaction::configure)
            .configure(integrity::configure)
            .configure(pollster::configure)
            .configure(query::configure)
            .configure(webhooks::configure)
            .configure(evaluation::configure)
            .configure(conference::configure)
            .configure(results::configure)
            .configure(rectification::configure),
    )
    .configure(pages::configure)
    .service(health::healthz)
    .service(health::readyz)
    .service(health::metrics);
}

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
