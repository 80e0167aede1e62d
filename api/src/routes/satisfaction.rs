//! Satisfaction reports, with `ETag` / `If-None-Match` so that pollers can skip unchanged data.

use actix_web::{HttpRequest, HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Role;
use crate::error::{ApiError, ApiResult};
use crate::http::etag::json_with_etag;
use crate::http::principal::AuthUser;
use crate::http::responses::ReadErrors;
use crate::totals::reports::{Grouping, ReportRequest, SatisfactionFilter, SatisfactionReport};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(by_unit).service(by_unit_dimension).service(by_channel).service(by_source).service(by_period);
}

/// The unit a caller may see: the `unit` role only its own.
fn unit_for(user: &AuthUser, asked: Option<Uuid>) -> ApiResult<Option<Uuid>> {
    match (user.unit_scope()?, asked) {
        (Some(own), Some(asked)) if own != asked => {
            Err(ApiError::Forbidden("a unit account may read its own unit only".to_owned()))
        }
        (Some(own), _) => Ok(Some(own)),
        (None, asked) => Ok(asked),
    }
}

async fn report(
    state: &State,
    req: &HttpRequest,
    user: &AuthUser,
    campaign_id: Uuid,
    grouping: Grouping,
    filter: &SatisfactionFilter,
) -> ApiResult<HttpResponse> {
    user.require_reader()?;
    user.require_campaign(campaign_id)?;
    let request = ReportRequest {
        campaign_id,
        grouping,
        unit: unit_for(user, filter.unit_id)?,
        source: filter.source,
        granularity: filter.granularity.unwrap_or_default(),
        min_cell_size: state.settings.min_cell_size,
        show_small_cells: user.role == Role::Admin,
    };
    json_with_etag(req, &state.reports.report(&state.db, request).await?)
}

/// Satisfaction per unit, from the overall question.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), (status = 304, description = "Unchanged since the ETag sent in If-None-Match"), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/units")]
pub async fn by_unit(
    state: State,
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &req, &user, *id, Grouping::Unit, &filter).await
}

/// Satisfaction per unit and dimension.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), (status = 304, description = "Unchanged since the ETag sent in If-None-Match"), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/dimensions")]
pub async fn by_unit_dimension(
    state: State,
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &req, &user, *id, Grouping::UnitDimension, &filter).await
}

/// Satisfaction per channel, from the overall question.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), (status = 304, description = "Unchanged since the ETag sent in If-None-Match"), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/channels")]
pub async fn by_channel(
    state: State,
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &req, &user, *id, Grouping::Channel, &filter).await
}

/// Satisfaction per unit and source (citizens' links, pollster), from the overall question.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), (status = 304, description = "Unchanged since the ETag sent in If-None-Match"), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/sources")]
pub async fn by_source(
    state: State,
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &req, &user, *id, Grouping::UnitSource, &filter).await
}

/// Satisfaction per day or month (UTC) of answering, from the overall question.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), (status = 304, description = "Unchanged since the ETag sent in If-None-Match"), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/periods")]
pub async fn by_period(
    state: State,
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &req, &user, *id, Grouping::Period, &filter).await
}
