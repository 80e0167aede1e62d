//! Survey links per unit and channel.

use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::registry::links::{self, LinkDto, LinkFilter, LinkWindow, NewLink};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_link).service(list_links).service(get_link).service(revoke_link).service(set_window);
}

/// Publish a questionnaire as a link for one unit and channel.
#[utoipa::path(tag = "links", params(("id" = Uuid, Path, description = "questionnaire id")), request_body = NewLink, security(("bearer" = [])), responses((status = 201, body = LinkDto), WriteErrors))]
#[post("/questionnaires/{id}/links")]
pub async fn create_link(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewLink>,
) -> ApiResult<HttpResponse> {
    let link = links::create(&state.db, &who, *id, body.0).await?;
    Ok(HttpResponse::Created().json(LinkDto::new(link, &state.settings.public_url)))
}

/// The links of a campaign, oldest first.
#[utoipa::path(tag = "links", params(("id" = Uuid, Path, description = "campaign id"), PageParams, LinkFilter), security(("bearer" = [])), responses((status = 200, body = Page<LinkDto>), ReadErrors))]
#[get("/campaigns/{id}/links")]
pub async fn list_links(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
    filter: web::Query<LinkFilter>,
) -> ApiResult<HttpResponse> {
    let (limit, offset) = page.resolve()?;
    let (items, total) = links::list(&state.db, &who, *id, &filter, limit, offset).await?;
    let items: Vec<LinkDto> = items.into_iter().map(|l| LinkDto::new(l, &state.settings.public_url)).collect();
    Ok(HttpResponse::Ok().json(Page { items, total, limit, offset }))
}

/// One link.
#[utoipa::path(tag = "links", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = LinkDto), ReadErrors))]
#[get("/links/{id}")]
pub async fn get_link(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(LinkDto::new(links::get(&state.db, &who, *id).await?, &state.settings.public_url)))
}

/// Withdraw a link: it stops taking responses at once (410). Revoking twice is harmless.
#[utoipa::path(tag = "links", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = LinkDto), WriteErrors))]
#[post("/links/{id}/revoke")]
pub async fn revoke_link(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(LinkDto::new(
        links::revoke(&state.db, &state.link_changes, &who, *id).await?,
        &state.settings.public_url,
    )))
}

/// Set when a link takes responses. The answer page follows at once; answers already taken stay.
#[utoipa::path(tag = "links", params(("id" = Uuid, Path)), request_body = LinkWindow, security(("bearer" = [])), responses((status = 200, body = LinkDto), WriteErrors))]
#[put("/links/{id}/window")]
pub async fn set_window(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<LinkWindow>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(LinkDto::new(
        links::set_window(&state.db, &state.link_changes, &who, *id, &body.0).await?,
        &state.settings.public_url,
    )))
}
