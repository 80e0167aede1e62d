//! The evaluation's records: the units of a campaign, evaluators, supervision notices,
//! violation cases, and the audit log.

use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::audit::{self, AuditDto, ChainCheck};
use crate::services::evaluation::conference::{self, EvaluatorDto, NewEvaluators};
use crate::services::evaluation::supervision::{self, NewNotice, NewViolation, NoticeDto, ViolationDto};
use crate::services::registry::campaign_units::{self, CampaignUnitDto, NewCampaignUnit, RankingGroupChange};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(add_unit)
        .service(list_units)
        .service(set_ranking_group)
        .service(add_evaluators)
        .service(list_evaluators)
        .service(add_notice)
        .service(list_notices)
        .service(add_violation)
        .service(list_violations)
        .service(audit_log)
        .service(verify_audit);
}

/// Add a unit to a campaign as a district key unit, a township's key unit (a station or
/// window; two per township at most) or a self-organised one.
#[utoipa::path(tag = "evaluation", params(("id" = Uuid, Path, description = "campaign id")), request_body = NewCampaignUnit, security(("bearer" = [])), responses((status = 201, body = CampaignUnitDto), WriteErrors))]
#[post("/campaigns/{id}/units")]
pub async fn add_unit(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewCampaignUnit>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(campaign_units::add(&state.db, &who, *id, body.0).await?))
}

/// Put a campaign unit in a ranking group (for example a self-organised unit the district
/// ranks with its key units), or take it out of ranking with `null`.
#[utoipa::path(tag = "evaluation", params(("id" = Uuid, Path, description = "campaign id"), ("unit_id" = Uuid, Path)), request_body = RankingGroupChange, security(("bearer" = [])), responses((status = 200, body = CampaignUnitDto), WriteErrors))]
#[put("/campaigns/{id}/units/{unit_id}")]
pub async fn set_ranking_group(
    state: State,
    who: Principal,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<RankingGroupChange>,
) -> ApiResult<HttpResponse> {
    let (campaign, unit) = path.into_inner();
    Ok(HttpResponse::Ok().json(campaign_units::set_group(&state.db, &who, campaign, unit, body.0).await?))
}

/// The units of a campaign with their role, reason and ranking group.
#[utoipa::path(tag = "evaluation", params(("id" = Uuid, Path, description = "campaign id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<CampaignUnitDto>), ReadErrors))]
#[get("/campaigns/{id}/units")]
pub async fn list_units(
    state: State,
    who: Principal,
    page: web::Query<PageParams>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Page::of_all(campaign_units::list(&state.db, &who, *id).await?, *page)?))
}

/// Recruit evaluators (评议代表): anonymous codes in a group.
#[utoipa::path(tag = "evaluation", params(("id" = Uuid, Path, description = "campaign id")), request_body = NewEvaluators, security(("bearer" = [])), responses((status = 201, body = Vec<EvaluatorDto>), WriteErrors))]
#[post("/campaigns/{id}/evaluators")]
pub async fn add_evaluators(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewEvaluators>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(conference::add_evaluators(&state.db, &who, *id, body.0).await?))
}

/// The evaluators of a campaign.
#[utoipa::path(tag = "evaluation", params(("id" = Uuid, Path, description = "campaign id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<EvaluatorDto>), ReadErrors))]
#[get("/campaigns/{id}/evaluators")]
pub async fn list_evaluators(
    state: State,
    who: Principal,
    page: web::Query<PageParams>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Page::of_all(conference::evaluators(&state.db, &who, *id).await?, *page)?))
}

/// Record a supervision notice about a unit.
#[utoipa::path(tag = "evaluation", params(("id" = Uuid, Path, description = "campaign id")), request_body = NewNotice, security(("bearer" = [])), responses((status = 201, body = NoticeDto), WriteErrors))]
#[post("/campaigns/{id}/notices")]
pub async fn add_notice(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewNotice>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(NoticeDto::from(supervision::add_notice(&state.db, &who, *id, body.0).await?)))
}

/// The supervision notices of a campaign.
#[utoipa::path(tag = "evaluation", params(("id" = Uuid, Path, description = "campaign id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<NoticeDto>), ReadErrors))]
#[get("/campaigns/{id}/notices")]
pub async fn list_notices(
    state: State,
    who: Principal,
    page: web::Query<PageParams>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Page::of_all(
        supervision::notices(&state.db, &who, *id).await?.into_iter().map(NoticeDto::from).collect::<Vec<_>>(),
        *page,
    )?))
}

/// Record a violation case confirmed by the disciplinary or law-enforcement authorities:
/// the unit is unqualified whatever its score.
#[utoipa::path(tag = "evaluation", params(("id" = Uuid, Path, description = "campaign id")), request_body = NewViolation, security(("bearer" = [])), responses((status = 201, body = ViolationDto), WriteErrors))]
#[post("/campaigns/{id}/violations")]
pub async fn add_violation(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewViolation>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(ViolationDto::from(supervision::add_violation(&state.db, &who, *id, body.0).await?)))
}

/// The violation cases of a campaign.
#[utoipa::path(tag = "evaluation", params(("id" = Uuid, Path, description = "campaign id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<ViolationDto>), ReadErrors))]
#[get("/campaigns/{id}/violations")]
pub async fn list_violations(
    state: State,
    who: Principal,
    page: web::Query<PageParams>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Page::of_all(
        supervision::violations(&state.db, &who, *id).await?.into_iter().map(ViolationDto::from).collect::<Vec<_>>(),
        *page,
    )?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Records after this sequence number (default 0).
    pub after: Option<i64>,
    /// 1 to 1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// The audit log, oldest first.
#[utoipa::path(tag = "evaluation", params(AuditQuery), security(("bearer" = [])), responses((status = 200, body = Vec<AuditDto>), ReadErrors))]
#[get("/audit")]
pub async fn audit_log(state: State, who: Principal, query: web::Query<AuditQuery>) -> ApiResult<HttpResponse> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    let records = audit::list(&state.db, &who, query.after.unwrap_or(0), limit).await?;
    Ok(HttpResponse::Ok().json(records.into_iter().map(AuditDto::from).collect::<Vec<_>>()))
}

/// Recompute the audit chain and report the first record that does not match.
#[utoipa::path(tag = "evaluation", security(("bearer" = [])), responses((status = 200, body = ChainCheck), ReadErrors))]
#[get("/audit/verify")]
pub async fn verify_audit(state: State, who: Principal) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(audit::verify(&state.db, &who).await?))
}
