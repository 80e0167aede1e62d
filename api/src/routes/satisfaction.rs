//! Satisfaction reports, with `ETag` / `If-None-Match` so that pollers can skip unchanged data.

use actix_web::http::header::{self, EntityTag};
use actix_web::{HttpRequest, HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::ReadErrors;
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult};
use crate::services::satisfaction::{self, Grouping, ReportRequest, SatisfactionFilter, SatisfactionReport};
use crate::startup::State;

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

/// Serves `value` as JSON with a strong ETag of its bytes, or 304 when the client has it.
pub fn json_with_etag<T: serde::Serialize>(req: &HttpRequest, value: &T) -> ApiResult<HttpResponse> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    // A fast 64-bit hash: SHA-256 of a report took a sixth of its time, and a validator needs
    // no cryptographic strength (a new release may change the tags: one cache miss).
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hasher::write(&mut hasher, &body);
    let tag = EntityTag::new_strong(format!("{:016x}", std::hash::Hasher::finish(&hasher)));
    let matches =
        req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            v.split(',').any(|candidate| candidate.trim() == tag.to_string() || candidate.trim() == "*")
        });
    let mut response = if matches { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response.insert_header(header::ETag(tag)).insert_header((header::CACHE_CONTROL, "private, no-cache"));
    if matches { Ok(response.finish()) } else { Ok(response.content_type("application/json").body(body)) }
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
    json_with_etag(req, &satisfaction::report(&state.db, request).await?)
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
