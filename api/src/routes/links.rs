//! Survey links per unit and channel.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Role;
use crate::error::ApiResult;
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::principal::AuthUser;
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::registry::links::{self, LinkDto, LinkFilter, NewLink};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_link).service(list_links).service(get_link).service(revoke_link);
}

/// Publish a questionnaire as a link for one unit and channel.
#[utoipa::path(tag = "links", params(("id" = Uuid, Path, description = "questionnaire id")), request_body = NewLink, security(("bearer" = [])), responses((status = 201, body = LinkDto), WriteErrors))]
#[post("/questionnaires/{id}/links")]
pub async fn create_link(
    state: State,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: ValidJson<NewLink>,
) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let link = links::create(&state.db, *id, body.0).await?;
    Ok(HttpResponse::Created().json(LinkDto::new(link, &state.settings.public_url)))
}

/// The links of a campaign, oldest first.
#[utoipa::path(tag = "links", params(("id" = Uuid, Path, description = "campaign id"), PageParams, LinkFilter), security(("bearer" = [])), responses((status = 200, body = Page<LinkDto>), ReadErrors))]
#[get("/campaigns/{id}/links")]
pub async fn list_links(
    state: State,
    user: AuthUser,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
    filter: web::Query<LinkFilter>,
) -> ApiResult<HttpResponse> {
    user.require(&[Role::Admin, Role::Observer])?;
    let (limit, offset) = page.resolve()?;
    let (items, total) = links::list(&state.db, *id, &filter, limit, offset).await?;
    let items: Vec<LinkDto> = items.into_iter().map(|l| LinkDto::new(l, &state.settings.public_url)).collect();
    Ok(HttpResponse::Ok().json(Page { items, total, limit, offset }))
}

/// One link.
#[utoipa::path(tag = "links", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = LinkDto), ReadErrors))]
#[get("/links/{id}")]
pub async fn get_link(state: State, user: AuthUser, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    user.require(&[Role::Admin, Role::Observer])?;
    Ok(HttpResponse::Ok().json(LinkDto::new(links::find(&state.db, *id).await?, &state.settings.public_url)))
}

/// Withdraw a link: it stops taking responses at once (410). Revoking twice is harmless.
#[utoipa::path(tag = "links", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = LinkDto), WriteErrors))]
#[post("/links/{id}/revoke")]
pub async fn revoke_link(state: State, user: AuthUser, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    Ok(HttpResponse::Ok()
        .json(LinkDto::new(links::revoke(&state.db, &state.link_changes, *id).await?, &state.settings.public_url)))
}
