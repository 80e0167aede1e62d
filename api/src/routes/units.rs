//! The register of units.

use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::registry::units::{self, UnitDto, UnitFilter, UnitInput};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_unit).service(list_units).service(get_unit).service(update_unit);
}

/// Register a unit.
#[utoipa::path(tag = "units", request_body = UnitInput, security(("bearer" = [])), responses((status = 201, body = UnitDto), WriteErrors))]
#[post("/units")]
pub async fn create_unit(state: State, who: Principal, body: ValidJson<UnitInput>) -> ApiResult<HttpResponse> {
    let unit = units::create(&state.db, &who, body.0).await?;
    Ok(HttpResponse::Created().json(UnitDto::try_from(unit)?))
}

/// List units by code; filter by parent to roll township-level units up under their township.
#[utoipa::path(tag = "units", params(PageParams, UnitFilter), security(("bearer" = [])), responses((status = 200, body = Page<UnitDto>), ReadErrors))]
#[get("/units")]
pub async fn list_units(
    state: State,
    who: Principal,
    page: web::Query<PageParams>,
    filter: web::Query<UnitFilter>,
) -> ApiResult<HttpResponse> {
    let (limit, offset) = page.resolve()?;
    let (items, total) = units::list(&state.db, &who, &filter, limit, offset).await?;
    let items = items.into_iter().map(UnitDto::try_from).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page { items, total, limit, offset }))
}

/// One unit.
#[utoipa::path(tag = "units", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = UnitDto), ReadErrors))]
#[get("/units/{id}")]
pub async fn get_unit(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(UnitDto::try_from(units::get(&state.db, &who, *id).await?)?))
}

/// Replace a unit's fields.
#[utoipa::path(tag = "units", params(("id" = Uuid, Path)), request_body = UnitInput, security(("bearer" = [])), responses((status = 200, body = UnitDto), WriteErrors))]
#[put("/units/{id}")]
pub async fn update_unit(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<UnitInput>,
) -> ApiResult<HttpResponse> {
    let unit = units::update(&state.db, &who, *id, body.0).await?;
    Ok(HttpResponse::Ok().json(UnitDto::try_from(unit)?))
}
