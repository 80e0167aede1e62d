//! Satisfaction reports, with `ETag` / `If-None-Match` so that pollers can skip unchanged data.

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::http::etag::json_with_etag;
use crate::http::json::ValidJson;
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::evaluation::resurvey;
use crate::services::query::figures;
use crate::totals::reports::{Grouping, SatisfactionFilter, SatisfactionReport};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(by_unit)
        .service(by_unit_dimension)
        .service(by_channel)
        .service(by_source)
        .service(by_period)
        .service(township)
        .service(set_resurvey)
        .service(before_after);
}

async fn report(
    state: &State,
    req: &HttpRequest,
    who: &Principal,
    campaign_id: Uuid,
    grouping: Grouping,
    filter: &SatisfactionFilter,
) -> ApiResult<HttpResponse> {
    let min_cell_size = state.settings.min_cell_size;
    let report = figures::satisfaction(&state.db, &state.reports, who, campaign_id, grouping, filter, min_cell_size);
    json_with_etag(req, &report.await?)
}

/// Satisfaction per unit, from the overall question.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), (status = 304, description = "Unchanged since the ETag sent in If-None-Match"), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/units")]
pub async fn by_unit(
    state: State,
    req: HttpRequest,
    who: Principal,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &req, &who, *id, Grouping::Unit, &filter).await
}

/// Satisfaction per unit and dimension.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), (status = 304, description = "Unchanged since the ETag sent in If-None-Match"), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/dimensions")]
pub async fn by_unit_dimension(
    state: State,
    req: HttpRequest,
    who: Principal,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &req, &who, *id, Grouping::UnitDimension, &filter).await
}

/// Satisfaction per channel, from the overall question.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), (status = 304, description = "Unchanged since the ETag sent in If-None-Match"), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/channels")]
pub async fn by_channel(
    state: State,
    req: HttpRequest,
    who: Principal,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &req, &who, *id, Grouping::Channel, &filter).await
}

/// Satisfaction per unit and source (citizens' links, pollster), from the overall question.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), (status = 304, description = "Unchanged since the ETag sent in If-None-Match"), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/sources")]
pub async fn by_source(
    state: State,
    req: HttpRequest,
    who: Principal,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &req, &who, *id, Grouping::UnitSource, &filter).await
}

/// Satisfaction per day or month (UTC) of answering, from the overall question.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), (status = 304, description = "Unchanged since the ETag sent in If-None-Match"), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/periods")]
pub async fn by_period(
    state: State,
    req: HttpRequest,
    who: Principal,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &req, &who, *id, Grouping::Period, &filter).await
}

/// A township's figures: each of its stations and windows per dimension, and all of them
/// counted together (for the office, observers, readers and the township's own account).
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), ("township" = Uuid, Path, description = "the township's unit id")), security(("bearer" = [])), responses((status = 200, body = figures::TownshipReport), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/townships/{township}")]
pub async fn township(state: State, who: Principal, path: web::Path<(Uuid, Uuid)>) -> ApiResult<HttpResponse> {
    let (campaign, township) = path.into_inner();
    let min_cell_size = state.settings.min_cell_size;
    let report = figures::township(&state.db, &state.reports, &who, campaign, township, min_cell_size).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Give a unit's links a second survey window after rectification (回头看; admin): in the
/// rectification phase they take answers again from `opens_at` until `closes_at`. Returns how
/// many links took it.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), ("unit" = Uuid, Path, description = "unit id")), request_body = resurvey::ResurveyWindow, security(("bearer" = [])), responses((status = 200, body = ResurveyOutcome), WriteErrors))]
#[put("/campaigns/{id}/units/{unit}/resurvey")]
pub async fn set_resurvey(
    state: State,
    who: Principal,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<resurvey::ResurveyWindow>,
) -> ApiResult<HttpResponse> {
    let (campaign, unit) = path.into_inner();
    let links = resurvey::set_window(&state.db, &state.link_changes, &who, campaign, unit, body.0).await?;
    Ok(HttpResponse::Ok().json(ResurveyOutcome { links }))
}

/// How many links took the second window.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ResurveyOutcome {
    pub links: usize,
}

/// A unit's satisfaction per dimension before and after rectification: its citizens' answers
/// before its second survey window against those within it, with rates, 95% intervals and the
/// change.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), ("unit" = Uuid, Path, description = "unit id")), security(("bearer" = [])), responses((status = 200, body = resurvey::BeforeAfter), ReadErrors))]
#[get("/campaigns/{id}/units/{unit}/before-after")]
pub async fn before_after(state: State, who: Principal, path: web::Path<(Uuid, Uuid)>) -> ApiResult<HttpResponse> {
    let (campaign, unit) = path.into_inner();
    let min_cell_size = state.settings.min_cell_size;
    Ok(HttpResponse::Ok().json(resurvey::before_after(&state.db, &who, campaign, unit, min_cell_size).await?))
}
