//! Ballot-integrity administration: link controls, invitation codes, the burst report,
//! batch exclusions, and the campaign's posters as one zip.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::domain::questionnaire::Lang;
use crate::error::{ApiError, ApiResult};
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::integrity::bursts::BurstRule;
use crate::services::integrity::exclusions::{self, BurstReport, ExclusionDto, NewExclusion};
use crate::services::integrity::invitations::{self, Invitations, NewInvitations};
use crate::services::registry::links::{self, Controls, LinkDto};
use crate::services::registry::{campaigns, units};
use crate::web::poster::{self, PosterContent};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(set_controls)
        .service(create_invitations)
        .service(burst_report)
        .service(list_exclusions)
        .service(create_exclusion)
        .service(undo_exclusion)
        .service(posters_zip);
}

/// Change a link's ballot-integrity controls.
#[utoipa::path(tag = "integrity", params(("id" = Uuid, Path)), request_body = Controls, security(("bearer" = [])), responses((status = 200, body = LinkDto), WriteErrors))]
#[put("/links/{id}/controls")]
pub async fn set_controls(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<Controls>,
) -> ApiResult<HttpResponse> {
    let link = links::set_controls(&state.db, &state.link_changes, &who, *id, &body.0).await?;
    Ok(HttpResponse::Ok().json(LinkDto::new(link, &state.settings.public_url)))
}

/// Make single-use invitation codes for a link. The codes are in this reply only.
#[utoipa::path(tag = "integrity", params(("id" = Uuid, Path)), request_body = NewInvitations, security(("bearer" = [])), responses((status = 201, body = Invitations), WriteErrors))]
#[post("/links/{id}/invitations")]
pub async fn create_invitations(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewInvitations>,
) -> ApiResult<HttpResponse> {
    let made = invitations::generate(&state.db, &who, *id, body.0.count).await?;
    Ok(HttpResponse::Created().insert_header((header::CACHE_CONTROL, "no-store")).json(made))
}

/// Hours in which a link took far more responses than it normally does.
#[utoipa::path(tag = "integrity", params(("id" = Uuid, Path, description = "campaign id")), security(("bearer" = [])), responses((status = 200, body = BurstReport), ReadErrors))]
#[get("/campaigns/{id}/bursts")]
pub async fn burst_report(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(exclusions::bursts(&state.db, &who, *id, BurstRule::default()).await?))
}

/// Every batch exclusion of a campaign, undone ones included.
#[utoipa::path(tag = "integrity", params(("id" = Uuid, Path, description = "campaign id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<ExclusionDto>), ReadErrors))]
#[get("/campaigns/{id}/exclusions")]
pub async fn list_exclusions(
    state: State,
    who: Principal,
    page: web::Query<PageParams>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let records = exclusions::list(&state.db, &who, *id).await?;
    Ok(HttpResponse::Ok().json(Page::of_all(records.into_iter().map(ExclusionDto::from).collect::<Vec<_>>(), *page)?))
}

/// Leave one link's responses of one (finished) hour out of every figure, with a reason.
#[utoipa::path(tag = "integrity", request_body = NewExclusion, security(("bearer" = [])), responses((status = 201, body = ExclusionDto), WriteErrors))]
#[post("/exclusions")]
pub async fn create_exclusion(state: State, who: Principal, body: ValidJson<NewExclusion>) -> ApiResult<HttpResponse> {
    let record = exclusions::exclude(&state.db, &who, body.0).await?;
    Ok(HttpResponse::Created().json(ExclusionDto::from(record)))
}

/// Undo an exclusion: the batch counts again; the record stays, completed.
#[utoipa::path(tag = "integrity", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = ExclusionDto), WriteErrors))]
#[post("/exclusions/{id}/undo")]
pub async fn undo_exclusion(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ExclusionDto::from(exclusions::undo(&state.db, &who, *id).await?)))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PosterFormat {
    #[default]
    Svg,
    Png,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PosterQuery {
    /// `svg` (default) or `png`.
    pub format: Option<PosterFormat>,
    /// `zh-CN` (default) or `en`.
    pub lang: Option<Lang>,
}

/// All posters of a campaign's live links, one file per link, in a zip.
#[utoipa::path(
    tag = "integrity",
    params(("id" = Uuid, Path, description = "campaign id"), PosterQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A zip of A4 posters", content_type = "application/zip"), ReadErrors)
)]
#[get("/campaigns/{id}/posters.zip")]
pub async fn posters_zip(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    query: web::Query<PosterQuery>,
) -> ApiResult<HttpResponse> {
    let live = links::live_of_campaign(&state.db, &who, *id).await?;
    let campaign = campaigns::find(&state.db, *id).await?;
    let format = query.format.unwrap_or_default();
    let lang = query.lang.unwrap_or_default();
    let mut sources = Vec::new();
    for link in live {
        let unit = units::find(&state.db, link.unit_id).await?;
        let name = format!(
            "{}-{}-{}.{}",
            unit.code,
            link.channel,
            link.slug,
            if format == PosterFormat::Png { "png" } else { "svg" }
        );
        sources.push((name, unit.name, format!("{}/s/{}", state.settings.public_url, link.slug)));
    }
    let title = campaign.title;
    let archive = web::block(move || {
        let files = sources
            .into_iter()
            .map(|(name, unit_name, url)| {
                let content = PosterContent { unit_name: &unit_name, campaign_title: &title, url: &url, lang };
                let bytes = match format {
                    PosterFormat::Svg => poster::svg(&content).map(String::into_bytes),
                    PosterFormat::Png => poster::png(&content, poster::PNG_WIDTH),
                }?;
                Ok((name, bytes))
            })
            .collect::<Result<Vec<_>, poster::PosterError>>()?;
        poster::zip(files)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"posters-{}.zip\"", campaign.year)))
        .body(archive))
}
