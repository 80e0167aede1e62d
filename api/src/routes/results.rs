//! Composite results: compute, approve, publish, and the public read.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{PublicErrors, ReadErrors, WriteErrors};
use crate::services::evaluation::results::{self, PublicResult, ResultVersionDto, TieChoice, WhatIf, WhatIfRequest};
use crate::services::query::exports;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(compute)
        .service(list)
        .service(get_one)
        .service(decide_tie)
        .service(what_if)
        .service(approve)
        .service(publish)
        .service(public_results)
        .service(report_csv)
        .service(report_xlsx)
        .service(report_html);
}

/// Compute the composite result from everything recorded so far, as a new draft version
/// (assessment phase only).
#[utoipa::path(tag = "results", params(("id" = Uuid, Path, description = "campaign id")), security(("bearer" = [])), responses((status = 201, body = ResultVersionDto), WriteErrors))]
#[post("/campaigns/{id}/results")]
pub async fn compute(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let version = results::compute(&state.db, &state.reports, &who, *id).await?;
    Ok(HttpResponse::Created().json(results::to_dto(&state.db, version).await?))
}

/// Every result version of a campaign.
#[utoipa::path(tag = "results", params(("id" = Uuid, Path, description = "campaign id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<ResultVersionDto>), ReadErrors))]
#[get("/campaigns/{id}/results")]
pub async fn list(
    state: State,
    who: Principal,
    page: web::Query<PageParams>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let mut out = Vec::new();
    for version in results::list(&state.db, &who, *id).await? {
        out.push(results::to_dto(&state.db, version).await?);
    }
    Ok(HttpResponse::Ok().json(Page::of_all(out, *page)?))
}

/// One result version.
#[utoipa::path(tag = "results", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = ResultVersionDto), ReadErrors))]
#[get("/results/{id}")]
pub async fn get_one(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let version = results::get(&state.db, &who, *id).await?;
    Ok(HttpResponse::Ok().json(results::to_dto(&state.db, version).await?))
}

/// Decide a tie at a ranking group's bottom-N line, with the reason (approvers, before anyone
/// approves the draft): the tied units named are placed in the bottom N, the others not.
#[utoipa::path(tag = "results", params(("id" = Uuid, Path)), request_body = TieChoice, security(("bearer" = [])), responses((status = 200, body = ResultVersionDto), WriteErrors))]
#[post("/results/{id}/tie-decision")]
pub async fn decide_tie(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<TieChoice>,
) -> ApiResult<HttpResponse> {
    let version = results::decide_tie(&state.db, &who, *id, body.0).await?;
    Ok(HttpResponse::Ok().json(results::to_dto(&state.db, version).await?))
}

/// Approve a draft (leading-group approvers); the second distinct approval freezes it.
#[utoipa::path(tag = "results", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = ResultVersionDto), WriteErrors))]
#[post("/results/{id}/approve")]
pub async fn approve(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let version = results::approve(&state.db, &who, *id).await?;
    Ok(HttpResponse::Ok().json(results::to_dto(&state.db, version).await?))
}

/// Publish an approved version: readable by anyone, without authentication.
#[utoipa::path(tag = "results", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = ResultVersionDto), WriteErrors))]
#[post("/results/{id}/publish")]
pub async fn publish(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let version = results::publish(&state.db, &who, *id).await?;
    Ok(HttpResponse::Ok().json(results::to_dto(&state.db, version).await?))
}

/// The newest published result of a campaign (government affairs are public).
#[utoipa::path(tag = "public", params(("id" = Uuid, Path, description = "campaign id")), responses((status = 200, body = PublicResult), PublicErrors))]
#[get("/public/campaigns/{id}/results")]
pub async fn public_results(state: State, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let version = results::published(&state.db, *id).await?;
    Ok(HttpResponse::Ok().json(results::to_public(&state.db, version).await?))
}

/// What the version's units would be under other rules (weights, grade bounds, bottom N),
/// computed from the inputs it recorded. Nothing is saved.
#[utoipa::path(tag = "results", params(("id" = Uuid, Path)), request_body = WhatIfRequest, security(("bearer" = [])), responses((status = 200, body = WhatIf), WriteErrors))]
#[post("/results/{id}/what-if")]
pub async fn what_if(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<WhatIfRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(results::what_if(&state.db, &who, *id, body.0.rules).await?))
}

/// The results report as CSV (UTF-8 with BOM).
#[utoipa::path(tag = "results", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, description = "CSV", content_type = "text/csv"), ReadErrors))]
#[get("/results/{id}/report.csv")]
pub async fn report_csv(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let version = results::get(&state.db, &who, *id).await?;
    let report = results::report(&state.db, &version).await?;
    let bytes = exports::csv_file(&exports::RESULT_COLUMNS, report.rows.iter().map(exports::result_line))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"results.csv\""))
        .body(bytes))
}

/// The results report as XLSX.
#[utoipa::path(tag = "results", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ReadErrors))]
#[get("/results/{id}/report.xlsx")]
pub async fn report_xlsx(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let version = results::get(&state.db, &who, *id).await?;
    let report = results::report(&state.db, &version).await?;
    let lines: Vec<Vec<exports::Cell>> = report.rows.iter().map(exports::result_line).collect();
    let file = web::block(move || exports::workbook_file("results", &exports::RESULT_COLUMNS, lines.into_iter()))
        .await
        .map_err(crate::error::ApiError::internal)??;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(("Content-Disposition", "attachment; filename=\"results.xlsx\""))
        .streaming(stream))
}

/// The printable results page (HTML with an SVG bar chart) of a published version.
#[utoipa::path(tag = "public", params(("id" = Uuid, Path)), responses((status = 200, description = "Printable page", content_type = "text/html"), PublicErrors))]
#[get("/public/results/{id}/report.html")]
pub async fn report_html(state: State, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let version = results::find(&state.db, *id).await?;
    if version.status != entity::vocabulary::ResultStatus::Published {
        return Err(crate::error::ApiError::NotFound("no published result with this id".to_owned()));
    }
    let campaign = crate::services::registry::campaigns::find(&state.db, version.campaign_id).await?;
    let report = results::report(&state.db, &version).await?;
    let page = crate::web::report::html(&format!("{} 综合评议结果", campaign.title), version.version, &report);
    Ok(crate::web::html::response(actix_web::http::StatusCode::OK, page))
}
