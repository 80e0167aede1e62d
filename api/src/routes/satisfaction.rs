//! Satisfaction reports.

use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::ReadErrors;
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult};
use crate::services::satisfaction::{self, Grouping, SatisfactionFilter, SatisfactionReport};
use crate::startup::State;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(by_unit).service(by_unit_dimension).service(by_channel);
}

async fn report(
    state: &State,
    user: &AuthUser,
    campaign_id: Uuid,
    grouping: Grouping,
    filter: &SatisfactionFilter,
) -> ApiResult<HttpResponse> {
    user.require_reader()?;
    let unit = match (user.unit_scope()?, filter.unit_id) {
        (Some(own), Some(asked)) if own != asked => {
            return Err(ApiError::Forbidden("a unit account may read its own unit only".to_owned()));
        }
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let show_small_cells = user.role == Role::Admin;
    let report =
        satisfaction::report(&state.db, campaign_id, grouping, unit, state.settings.min_cell_size, show_small_cells)
            .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Satisfaction per unit, from the overall question.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/units")]
pub async fn by_unit(
    state: State,
    user: AuthUser,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &user, *id, Grouping::Unit, &filter).await
}

/// Satisfaction per unit and dimension.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/dimensions")]
pub async fn by_unit_dimension(
    state: State,
    user: AuthUser,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &user, *id, Grouping::UnitDimension, &filter).await
}

/// Satisfaction per channel, from the overall question.
#[utoipa::path(tag = "satisfaction", params(("id" = Uuid, Path, description = "campaign id"), SatisfactionFilter), security(("bearer" = [])), responses((status = 200, body = SatisfactionReport), ReadErrors))]
#[get("/campaigns/{id}/satisfaction/channels")]
pub async fn by_channel(
    state: State,
    user: AuthUser,
    id: web::Path<Uuid>,
    filter: web::Query<SatisfactionFilter>,
) -> ApiResult<HttpResponse> {
    report(&state, &user, *id, Grouping::Channel, &filter).await
}
