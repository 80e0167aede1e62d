//! The read side for other systems: anonymous response rows with a stable cursor, and
//! exports of rows and figures as CSV and XLSX.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Role;
use crate::domain::vocabulary::Source;
use crate::error::{ApiError, ApiResult};
use crate::http::principal::AuthUser;
use crate::http::responses::ReadErrors;
use crate::services::query::exports;
use crate::services::query::rows::{self, Cursor, RowFilter, RowPage, RowQuery};
use crate::totals::reports::{self, Granularity, Grouping, ReportRequest};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_responses)
        .service(export_responses_csv)
        .service(export_responses_xlsx)
        .service(export_satisfaction_csv)
        .service(export_satisfaction_xlsx);
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Who may read which rows: pollsters their own pushes only; units none.
async fn row_query(state: &State, user: &AuthUser, campaign_id: Uuid, filter: &RowFilter) -> ApiResult<RowQuery> {
    user.require(&[Role::Admin, Role::Observer, Role::Reader, Role::Pollster])?;
    user.require_campaign(campaign_id)?;
    let source = filter.source.unwrap_or(Source::CitizenLink);
    let client_id = if user.role == Role::Pollster {
        if source != Source::Pollster {
            return Err(ApiError::Forbidden(
                "a pollster may read the rows it pushed only (source=pollster)".to_owned(),
            ));
        }
        user.client_id()
    } else {
        None
    };
    crate::services::registry::campaigns::find(&state.db, campaign_id).await?;
    let limit = filter.limit.unwrap_or(rows::DEFAULT_LIMIT);
    if !(1..=rows::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("must be between 1 and {}", rows::MAX_LIMIT)));
    }
    Ok(RowQuery {
        campaign_id,
        source,
        unit_id: filter.unit_id,
        channel: filter.channel.clone(),
        client_id,
        // An empty `after` is the same as none: the first page.
        after: filter.after.as_deref().filter(|a| !a.is_empty()).map(Cursor::decode).transpose()?,
        limit,
        include_current_hour: false,
    })
}

/// Anonymous response rows of one source, oldest first by (hour, id). Rows appear once the
/// hour they arrived in is over, so paging with `after` never misses or repeats a row while
/// responses keep arriving.
#[utoipa::path(tag = "query", params(("id" = Uuid, Path, description = "campaign id"), RowFilter), security(("bearer" = [])), responses((status = 200, body = RowPage), ReadErrors))]
#[get("/campaigns/{id}/responses")]
pub async fn list_responses(
    state: State,
    user: AuthUser,
    id: web::Path<Uuid>,
    filter: web::Query<RowFilter>,
) -> ApiResult<HttpResponse> {
    let query = row_query(&state, &user, *id, &filter).await?;
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
    user: AuthUser,
    id: web::Path<Uuid>,
    filter: web::Query<RowFilter>,
) -> ApiResult<HttpResponse> {
    let query = row_query(&state, &user, *id, &filter).await?;
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
    user: AuthUser,
    id: web::Path<Uuid>,
    filter: web::Query<RowFilter>,
) -> ApiResult<HttpResponse> {
    let query = row_query(&state, &user, *id, &filter).await?;
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
    user: &AuthUser,
    campaign_id: Uuid,
    query: &ExportQuery,
) -> ApiResult<std::sync::Arc<reports::SatisfactionReport>> {
    user.require(&[Role::Admin, Role::Observer, Role::Reader])?;
    user.require_campaign(campaign_id)?;
    let grouping = match query.grouping.unwrap_or(ExportGrouping::Unit) {
        ExportGrouping::Unit => Grouping::Unit,
        ExportGrouping::Dimension => Grouping::UnitDimension,
        ExportGrouping::Channel => Grouping::Channel,
        ExportGrouping::Source => Grouping::UnitSource,
        ExportGrouping::Period => Grouping::Period,
    };
    let request = ReportRequest {
        campaign_id,
        grouping,
        unit: query.unit_id,
        source: query.source,
        granularity: query.granularity.unwrap_or_default(),
        min_cell_size: state.settings.min_cell_size,
        show_small_cells: user.role == Role::Admin,
    };
    state.reports.report(&state.db, request).await
}

/// Satisfaction figures as CSV (UTF-8 with BOM), with the same small-cell rule as the API.
#[utoipa::path(tag = "query", params(("id" = Uuid, Path, description = "campaign id"), ExportQuery), security(("bearer" = [])), responses((status = 200, description = "CSV", content_type = "text/csv"), ReadErrors))]
#[get("/campaigns/{id}/exports/satisfaction.csv")]
pub async fn export_satisfaction_csv(
    state: State,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: web::Query<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let report = export_report(&state, &user, *id, &query).await?;
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
    user: AuthUser,
    id: web::Path<Uuid>,
    query: web::Query<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let report = export_report(&state, &user, *id, &query).await?;
    let file = web::block(move || exports::report_xlsx(&report)).await.map_err(ApiError::internal)??;
    Ok(stream_file(file, XLSX, "satisfaction.xlsx"))
}
