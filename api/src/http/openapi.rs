//! The top of the OpenAPI document: info, security scheme and shared schemas.
//! Paths are collected from the registered routes by utoipa-actix-web.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::FieldError;
use crate::http::problem::Problem;
use crate::routes::integrity::PosterFormat;
use crate::routes::query::ExportGrouping;
use crate::totals::reports::Granularity;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pingyi API",
        description = "Citizen evaluation of government departments and public-service companies (民主评议政风行风). \
            Errors are RFC 9457 problem documents (`application/problem+json`). \
            Write bodies reject unknown fields.",
        license(name = "Apache-2.0"),
    ),
    // Schemas that only query parameters refer to are not collected from the routes.
    components(schemas(Problem, FieldError, Granularity, ExportGrouping, PosterFormat)),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Access tokens"),
        (name = "accounts", description = "Accounts of the office, observers and units"),
        (name = "clients", description = "API clients: pollsters and reading systems"),
        (name = "pollster", description = "Third-party pollsters' pushes: raw responses, CSV, summary figures"),
        (name = "query", description = "Read API for other systems: response rows, exports"),
        (name = "webhooks", description = "Event subscriptions, signed per Standard Webhooks"),
        (name = "evaluation", description = "Campaign units, evaluators, supervision notices, violations, audit"),
        (name = "conference", description = "The assessment conference: sessions, ballots, tally"),
        (name = "results", description = "Composite results: compute, approve, publish, reports"),
        (name = "rectification", description = "Problems, rectification measures and reports"),
        (name = "deliverables", description = "The plan's deliverables, units' hand-ins and the office's review"),
        (name = "units", description = "The register of evaluated units"),
        (name = "campaigns", description = "Yearly evaluation campaigns"),
        (name = "questionnaires", description = "Questionnaires, templates and versions"),
        (name = "links", description = "Public survey links per unit and channel"),
        (name = "public", description = "Citizens' side: no authentication"),
        (name = "satisfaction", description = "Aggregated satisfaction figures"),
        (name = "integrity", description = "Ballot integrity: controls, invitation codes, bursts and exclusions"),
        (name = "pages", description = "Citizens' HTML pages, QR codes and posters"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The OpenAPI document as committed: pretty JSON with a final newline.
pub fn render_openapi() -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&crate::app::openapi())?;
    text.push('\n');
    Ok(text)
}
