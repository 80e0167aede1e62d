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
use crate::services::registry::campaigns;
use crate::services::registry::links::{self, Controls, LinkDto};
use crate::web::poster;
use entity::vocabulary::Channel;

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
    Pdf,
}

impl PosterFormat {
    fn extension(self) -> &'static str {
        match self {
            Self::Svg => "svg",
            Self::Png => "png",
            Self::Pdf => "pdf",
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PosterQuery {
    /// `svg` (default), `png` or `pdf`.
    pub format: Option<PosterFormat>,
    /// `zh-CN` (default) or `en`.
    pub lang: Option<Lang>,
}

/// The channel as a poster file's name gives it.
pub fn channel_name(channel: Channel, lang: Lang) -> &'static str {
    match (channel, lang) {
        (Channel::WindowQr, Lang::ZhCn) => "窗口二维码",
        (Channel::Web, Lang::ZhCn) => "网页",
        (Channel::Sms, Lang::ZhCn) => "短信",
        (Channel::OnSite, Lang::ZhCn) => "现场",
        (Channel::Other, Lang::ZhCn) => "其他",
        (Channel::WindowQr, Lang::En) => "window-qr",
        (Channel::Web, Lang::En) => "web",
        (Channel::Sms, Lang::En) => "sms",
        (Channel::OnSite, Lang::En) => "on-site",
        (Channel::Other, Lang::En) => "other",
    }
}

/// The zip of a campaign's posters (see `posters_zip`) and the campaign's year, for the API
/// and the console.
pub async fn campaign_posters(
    state: &State,
    who: &Principal,
    id: Uuid,
    format: PosterFormat,
    lang: Lang,
) -> ApiResult<(Vec<u8>, i32)> {
    let live = links::live_of_campaign(&state.db, who, id).await?;
    let campaign = campaigns::find(&state.db, id).await?;
    let mut posters = Vec::new();
    for link in &live {
        let facts = match crate::routes::pages::poster_facts(state, &link.slug).await {
            Ok((_, facts)) => facts,
            Err(ApiError::Gone(_)) => continue,
            Err(other) => return Err(other),
        };
        let base = format!("{}-{}", facts.unit_name.replace(['/', '\\'], "_"), channel_name(link.channel, lang));
        let shared = live.iter().filter(|l| l.unit_id == link.unit_id && l.channel == link.channel).count() > 1;
        let name = if shared { format!("{base}-{}", link.slug) } else { base };
        posters.push((format!("{name}.{}", format.extension()), facts));
    }
    let made_at = chrono::Local::now().naive_local();
    let archive = web::block(move || {
        let files = posters
            .into_iter()
            .map(|(name, facts)| {
                let content = facts.content(lang);
                let bytes = match format {
                    PosterFormat::Svg => poster::svg(&content).map(String::into_bytes),
                    PosterFormat::Png => poster::png(&content, poster::PNG_WIDTH),
                    PosterFormat::Pdf => poster::pdf(&content),
                }?;
                Ok((name, bytes))
            })
            .collect::<Result<Vec<_>, poster::PosterError>>()?;
        poster::zip(files, made_at)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok((archive, campaign.year))
}

/// All posters of a campaign's links that still take (or will take) answers, one file per
/// link, in a zip: each named by its unit and channel (and the link, when a unit has two of
/// one channel), dated when the archive was made.
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
    let (archive, year) =
        campaign_posters(&state, &who, *id, query.format.unwrap_or_default(), query.lang.unwrap_or_default()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"posters-{year}.zip\"")))
        .body(archive))
}
