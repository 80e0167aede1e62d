//! Problems, rectification measures and units' reports.

use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::evaluation::rectification::{
    self, MeasureDto, NewMeasure, NewProblem, NewReport, ProblemDto, ReportDto, StatusChange,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(add_problem)
        .service(list_problems)
        .service(add_measure)
        .service(set_status)
        .service(list_measures)
        .service(add_report)
        .service(list_reports);
}

/// Record a problem found in the survey (admin for any unit; unit accounts for their own).
#[utoipa::path(tag = "rectification", params(("id" = Uuid, Path, description = "campaign id")), request_body = NewProblem, security(("bearer" = [])), responses((status = 201, body = ProblemDto), WriteErrors))]
#[post("/campaigns/{id}/problems")]
pub async fn add_problem(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewProblem>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(ProblemDto::from(rectification::add_problem(&state.db, &who, *id, body.0).await?)))
}

/// Problems of a campaign (unit accounts: their own unit's).
#[utoipa::path(tag = "rectification", params(("id" = Uuid, Path, description = "campaign id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<ProblemDto>), ReadErrors))]
#[get("/campaigns/{id}/problems")]
pub async fn list_problems(
    state: State,
    who: Principal,
    page: web::Query<PageParams>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let list = rectification::problems(&state.db, &who, *id).await?;
    Ok(HttpResponse::Ok().json(Page::of_all(list.into_iter().map(ProblemDto::from).collect::<Vec<_>>(), *page)?))
}

/// Add a rectification measure to a problem.
#[utoipa::path(tag = "rectification", params(("id" = Uuid, Path, description = "problem id")), request_body = NewMeasure, security(("bearer" = [])), responses((status = 201, body = MeasureDto), WriteErrors))]
#[post("/problems/{id}/measures")]
pub async fn add_measure(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewMeasure>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(MeasureDto::from(rectification::add_measure(&state.db, &who, *id, body.0).await?)))
}

/// Change a measure's status; only the office marks one `verified`.
#[utoipa::path(tag = "rectification", params(("id" = Uuid, Path, description = "measure id")), request_body = StatusChange, security(("bearer" = [])), responses((status = 200, body = MeasureDto), WriteErrors))]
#[put("/measures/{id}/status")]
pub async fn set_status(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<StatusChange>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(MeasureDto::from(rectification::set_status(&state.db, &who, *id, body.0.status).await?)))
}

/// Measures of a campaign, earliest deadline first, each flagged when overdue.
#[utoipa::path(tag = "rectification", params(("id" = Uuid, Path, description = "campaign id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<MeasureDto>), ReadErrors))]
#[get("/campaigns/{id}/measures")]
pub async fn list_measures(
    state: State,
    who: Principal,
    page: web::Query<PageParams>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let list = rectification::measures(&state.db, &who, *id).await?;
    Ok(HttpResponse::Ok().json(Page::of_all(list.into_iter().map(MeasureDto::from).collect::<Vec<_>>(), *page)?))
}

/// Submit a unit's rectification report.
#[utoipa::path(tag = "rectification", params(("id" = Uuid, Path, description = "campaign id")), request_body = NewReport, security(("bearer" = [])), responses((status = 201, body = ReportDto), WriteErrors))]
#[post("/campaigns/{id}/rectification-reports")]
pub async fn add_report(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewReport>,
) -> ApiResult<HttpResponse> {
    let report = rectification::add_report(&state.db, &who, *id, body.0).await?;
    Ok(HttpResponse::Created().json(ReportDto::from(report)))
}

/// Rectification reports of a campaign.
#[utoipa::path(tag = "rectification", params(("id" = Uuid, Path, description = "campaign id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<ReportDto>), ReadErrors))]
#[get("/campaigns/{id}/rectification-reports")]
pub async fn list_reports(
    state: State,
    who: Principal,
    page: web::Query<PageParams>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Page::of_all(rectification::reports(&state.db, &who, *id).await?, *page)?))
}
