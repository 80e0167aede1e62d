//! The read side for other systems: anonymous response rows with a stable cursor, and
//! exports of rows and figures as CSV and XLSX.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::domain::vocabulary::Source;
use crate::error::{ApiError, ApiResult};
use crate::http::responses::ReadErrors;
use crate::services::query::rows::{self, RowFilter, RowPage};
use crate::services::query::{exports, figures};
use crate::totals::reports::{self, Granularity, Grouping, SatisfactionFilter};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_responses)
        .service(export_responses_csv)
        .service(export_responses_xlsx)
        .service(export_satisfaction_csv)
        .service(export_satisfaction_xlsx);
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Anonymous response rows of one source, oldest first by (hour, id). Rows appear once the
/// hour they arrived in is over, so paging with `after` never misses or repeats a row while
/// responses keep arriving.
#[utoipa::path(tag = "query", params(("id" = Uuid, Path, description = "campaign id"), RowFilter), security(("bearer" = [])), responses((status = 200, body = RowPage), ReadErrors))]
#[get("/campaigns/{id}/responses")]
pub async fn list_responses(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    filter: web::Query<RowFilter>,
) -> ApiResult<HttpResponse> {
    let query = rows::query_for(&state.db, &who, *id, &filter).await?;
    Ok(HttpResponse::Ok().json(rows::page(&state.db, &query).await?))
}

fn attachment(name: &str) -> (header::HeaderName, String) {
    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))
}

/// Every response row of one source as CSV (one line per answer; UTF-8 with BOM), streamed.
#[utoipa::path(tag = "query", params(("id" = Uuid, Path, description = "campaign id"), RowFilter), security(("bearer" = [])), responses((status = 200, description = "CSV", content_type = "text/csv"), ReadErrors))]
#[get("/campaigns/{id}/exports/responses.csv")]
pub async fn export_responses_csv(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    filter: web::Query<RowFilter>,
) -> ApiResult<HttpResponse> {
    let query = rows::query_for(&state.db, &who, *id, &filter).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(attachment("responses.csv"))
        .streaming(exports::responses_csv(state.db.clone(), query)))
}

fn stream_file(file: std::fs::File, content_type: &'static str, name: &str) -> HttpResponse {
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    HttpResponse::Ok().content_type(content_type).insert_header(attachment(name)).streaming(stream)
}

/// Every response row of one source as XLSX (one line per answer).
#[utoipa::path(tag = "query", params(("id" = Uuid, Path, description = "campaign id"), RowFilter), security(("bearer" = [])), responses((status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ReadErrors))]
#[get("/campaigns/{id}/exports/responses.xlsx")]
pub async fn export_responses_xlsx(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    filter: web::Query<RowFilter>,
) -> ApiResult<HttpResponse> {
    let query = rows::query_for(&state.db, &who, *id, &filter).await?;
    Ok(stream_file(exports::responses_xlsx(&state.db, query).await?, XLSX, "responses.xlsx"))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportGrouping {
    Unit,
    Dimension,
    Channel,
    Source,
    Period,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `unit` (default), `dimension`, `channel`, `source` or `period`.
    pub grouping: Option<ExportGrouping>,
    pub unit_id: Option<Uuid>,
    pub source: Option<Source>,
    pub granularity: Option<Granularity>,
}

async fn export_report(
    state: &State,
    who: &Principal,
    campaign_id: Uuid,
    query: &ExportQuery,
) -> ApiResult<std::sync::Arc<reports::SatisfactionReport>> {
    let grouping = match query.grouping.unwrap_or(ExportGrouping::Unit) {
        ExportGrouping::Unit => Grouping::Unit,
        ExportGrouping::Dimension => Grouping::UnitDimension,
        ExportGrouping::Channel => Grouping::Channel,
        ExportGrouping::Source => Grouping::UnitSource,
        ExportGrouping::Period => Grouping::Period,
    };
    let filter = SatisfactionFilter { unit_id: query.unit_id, source: query.source, granularity: query.granularity };
    figures::export(&state.db, &state.reports, who, campaign_id, grouping, &filter, state.settings.min_cell_size).await
}

/// Satisfaction figures as CSV (UTF-8 with BOM), with the same small-cell rule as the API.
#[utoipa::path(tag = "query", params(("id" = Uuid, Path, description = "campaign id"), ExportQuery), security(("bearer" = [])), responses((status = 200, description = "CSV", content_type = "text/csv"), ReadErrors))]
#[get("/campaigns/{id}/exports/satisfaction.csv")]
pub async fn export_satisfaction_csv(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    query: web::Query<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let report = export_report(&state, &who, *id, &query).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(attachment("satisfaction.csv"))
        .body(exports::report_csv(&report)?))
}

/// Satisfaction figures as XLSX, with the same small-cell rule as the API.
#[utoipa::path(tag = "query", params(("id" = Uuid, Path, description = "campaign id"), ExportQuery), security(("bearer" = [])), responses((status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ReadErrors))]
#[get("/campaigns/{id}/exports/satisfaction.xlsx")]
pub async fn export_satisfaction_xlsx(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    query: web::Query<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let report = export_report(&state, &who, *id, &query).await?;
    let file = web::block(move || exports::report_xlsx(&report)).await.map_err(ApiError::internal)??;
    Ok(stream_file(file, XLSX, "satisfaction.xlsx"))
}
