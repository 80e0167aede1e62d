//! Yearly campaigns.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::{ReadErrors, WriteErrors};
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::pagination::{Page, PageParams};
use crate::services::campaigns::{self, CampaignDto, CampaignInput};
use crate::startup::State;
use crate::validation::ValidJson;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_campaign).service(list_campaigns).service(get_campaign);
}

/// Create a campaign; phases default to the plan's calendar and settings to the plan's values.
#[utoipa::path(tag = "campaigns", request_body = CampaignInput, security(("bearer" = [])), responses((status = 201, body = CampaignDto), WriteErrors))]
#[post("/campaigns")]
pub async fn create_campaign(state: State, user: AuthUser, body: ValidJson<CampaignInput>) -> ApiResult<HttpResponse> {
    user.require_admin()?;
    let campaign = campaigns::create(&state.db, body.0).await?;
    Ok(HttpResponse::Created().json(CampaignDto::try_from(campaign)?))
}

/// List campaigns, newest year first.
#[utoipa::path(tag = "campaigns", params(PageParams), security(("bearer" = [])), responses((status = 200, body = Page<CampaignDto>), ReadErrors))]
#[get("/campaigns")]
pub async fn list_campaigns(state: State, _user: AuthUser, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let (limit, offset) = page.resolve()?;
    let (items, total) = campaigns::list(&state.db, limit, offset).await?;
    let items = items.into_iter().map(CampaignDto::try_from).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page { items, total, limit, offset }))
}

/// One campaign.
#[utoipa::path(tag = "campaigns", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = CampaignDto), ReadErrors))]
#[get("/campaigns/{id}")]
pub async fn get_campaign(state: State, _user: AuthUser, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(CampaignDto::try_from(campaigns::find(&state.db, *id).await?)?))
}
