//! Yearly campaigns.

use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::domain::campaign::ScoringSettings;
use crate::error::ApiResult;
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::registry::campaigns::{self, CampaignDto, CampaignInput};
use crate::services::registry::year_copy::{self, YearCopied, YearCopy};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_campaign)
        .service(list_campaigns)
        .service(get_campaign)
        .service(change_phase)
        .service(change_settings)
        .service(copy_year);
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phase": "survey"}))]
pub struct PhaseChange {
    /// The next phase (phases move forward one at a time).
    pub phase: crate::domain::vocabulary::Phase,
}

/// Move the campaign to its next phase. What each phase allows is listed in the README.
#[utoipa::path(tag = "campaigns", params(("id" = Uuid, Path)), request_body = PhaseChange, security(("bearer" = [])), responses((status = 200, body = CampaignDto), WriteErrors))]
#[post("/campaigns/{id}/phase")]
pub async fn change_phase(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<PhaseChange>,
) -> ApiResult<HttpResponse> {
    let campaign = campaigns::advance(&state.db, &state.link_changes, &who, *id, body.0.phase).await?;
    Ok(HttpResponse::Ok().json(CampaignDto::try_from(campaign)?))
}

/// Replace the campaign's scoring settings (weights, grade bounds, bottom N, sample minimum).
#[utoipa::path(tag = "campaigns", params(("id" = Uuid, Path)), request_body = ScoringSettings, security(("bearer" = [])), responses((status = 200, body = CampaignDto), WriteErrors))]
#[put("/campaigns/{id}/settings")]
pub async fn change_settings(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<ScoringSettings>,
) -> ApiResult<HttpResponse> {
    let campaign = campaigns::set_settings(&state.db, &state.link_changes, &who, *id, &body.0).await?;
    Ok(HttpResponse::Ok().json(CampaignDto::try_from(campaign)?))
}

/// Create a campaign; phases default to the plan's calendar and settings to the plan's values.
#[utoipa::path(tag = "campaigns", request_body = CampaignInput, security(("bearer" = [])), responses((status = 201, body = CampaignDto), WriteErrors))]
#[post("/campaigns")]
pub async fn create_campaign(state: State, who: Principal, body: ValidJson<CampaignInput>) -> ApiResult<HttpResponse> {
    let campaign = campaigns::create(&state.db, &who, body.0).await?;
    Ok(HttpResponse::Created().json(CampaignDto::try_from(campaign)?))
}

/// List campaigns, newest year first.
#[utoipa::path(tag = "campaigns", params(PageParams), security(("bearer" = [])), responses((status = 200, body = Page<CampaignDto>), ReadErrors))]
#[get("/campaigns")]
pub async fn list_campaigns(state: State, who: Principal, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let (limit, offset) = page.resolve()?;
    let (items, total) = campaigns::list(&state.db, &who, limit, offset).await?;
    let items = items.into_iter().map(CampaignDto::try_from).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page { items, total, limit, offset }))
}

/// One campaign.
#[utoipa::path(tag = "campaigns", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = CampaignDto), ReadErrors))]
#[get("/campaigns/{id}")]
pub async fn get_campaign(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(CampaignDto::try_from(campaigns::get(&state.db, &who, *id).await?)?))
}

/// Set up the next year from this campaign: its settings, its bottom units carried over as
/// key units, its published questionnaires published again, and a fresh link for every
/// carried-over unit on each channel it had (a web link when it had none).
#[utoipa::path(tag = "campaigns", params(("id" = Uuid, Path, description = "the previous campaign")), request_body = YearCopy, security(("bearer" = [])), responses((status = 201, body = YearCopied), WriteErrors))]
#[post("/campaigns/{id}/copy")]
pub async fn copy_year(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<YearCopy>,
) -> ApiResult<HttpResponse> {
    let copied = year_copy::copy_year(&state.db, &state.link_changes, &who, *id, body.0).await?;
    Ok(HttpResponse::Created().json(copied))
}
