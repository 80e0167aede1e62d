//! The register of units.

use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::query::exports;
use crate::services::registry::unit_import::{self, ImportOutcome};
use crate::services::registry::units::{self, UnitDto, UnitFilter, UnitInput};

pub fn configure(cfg: &mut ServiceConfig) {
    // `/units/{id}` takes only an id's characters, so that `/units/import` and the exports
    // are never read as an id (another method on them is a 405, not a 404).
    cfg.service(create_unit)
        .service(list_units)
        .service(import_units)
        .service(export_csv)
        .service(export_xlsx)
        .service(get_unit)
        .service(update_unit);
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
#[get("/units/{id:[0-9a-fA-F-]+}")]
pub async fn get_unit(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(UnitDto::try_from(units::get(&state.db, &who, *id).await?)?))
}

/// Replace a unit's fields.
#[utoipa::path(tag = "units", params(("id" = Uuid, Path)), request_body = UnitInput, security(("bearer" = [])), responses((status = 200, body = UnitDto), WriteErrors))]
#[put("/units/{id:[0-9a-fA-F-]+}")]
pub async fn update_unit(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<UnitInput>,
) -> ApiResult<HttpResponse> {
    let unit = units::update(&state.db, &who, *id, body.0).await?;
    Ok(HttpResponse::Ok().json(UnitDto::try_from(unit)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Only check the file, and say what it would do.
    #[serde(default)]
    pub dry_run: bool,
}

/// Import units from an XLSX workbook or a CSV file (UTF-8 or GB18030), told apart by their
/// bytes. The header names the columns (`code` 代码, `name` 名称, `category` 类别, `kind` 类型,
/// optional `parent_code` 上级单位代码); a row whose code is registered updates that unit, any
/// other adds one. Every row is checked first: a file with a problem writes nothing, and
/// each problem is named as `rows[{line}].{column}` (the header is line 1).
#[utoipa::path(
    tag = "units",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "A CSV file, or an XLSX workbook (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet)"),
    security(("bearer" = [])),
    responses((status = 200, body = ImportOutcome), WriteErrors)
)]
#[post("/units/import")]
pub async fn import_units(
    state: State,
    who: Principal,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = crate::http::json::read_body(payload, unit_import::MAX_FILE_BYTES).await?;
    match unit_import::import(&state.db, &who, &body, query.dry_run).await? {
        Ok(outcome) => Ok(HttpResponse::Ok().json(outcome)),
        Err(problems) => Err(unit_import::validation_error(&problems)),
    }
}

/// The register as CSV (UTF-8 with BOM) in the import's columns, with Chinese headers and
/// names: edit it and import it again.
#[utoipa::path(tag = "units", security(("bearer" = [])), responses((status = 200, description = "CSV", content_type = "text/csv"), ReadErrors))]
#[get("/units/export.csv")]
pub async fn export_csv(state: State, who: Principal) -> ApiResult<HttpResponse> {
    let bytes = exports::csv_file(&unit_import::EXPORT_COLUMNS, unit_import::export_lines(&state.db, &who).await?)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"units.csv\""))
        .body(bytes))
}

/// The register as an XLSX workbook in the import's columns.
#[utoipa::path(tag = "units", security(("bearer" = [])), responses((status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ReadErrors))]
#[get("/units/export.xlsx")]
pub async fn export_xlsx(state: State, who: Principal) -> ApiResult<HttpResponse> {
    let lines = unit_import::export_lines(&state.db, &who).await?;
    let file = web::block(move || exports::workbook_file("units", &unit_import::EXPORT_COLUMNS, lines.into_iter()))
        .await
        .map_err(crate::error::ApiError::internal)??;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(("Content-Disposition", "attachment; filename=\"units.xlsx\""))
        .streaming(stream))
}
