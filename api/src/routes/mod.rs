//! HTTP routes. Handlers are thin: parse, check the role, call a service, map to DTOs.
//! Every route is registered with `.service(...)` so that it lands in the OpenAPI document.

mod accounts;
mod auth;
mod campaigns;
mod clients;
mod conference;
mod conference_room;
pub mod deliverables;
mod evaluation;
mod health;
pub mod integrity;
mod links;
mod notice_board;
mod official_notices;
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

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

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
            .configure(rectification::configure)
            .configure(deliverables::configure)
            .configure(official_notices::configure)
            .configure(notice_board::configure_api),
    )
    .configure(pages::configure)
    .configure(notice_board::configure_pages)
    .configure(conference_room::configure)
    .service(health::healthz)
    .service(health::readyz)
    .service(health::metrics);
}
