//! The public notice board (公示): the JSON for other systems, and the printable page of a
//! campaign and of each of its units (linked from the unit's answer page).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::error::{ApiError, ApiResult};
use crate::http::responses::PublicErrors;
use crate::routes::pages::{PageQuery, error_page};
use crate::routes::public::language;
use crate::services::evaluation::notice_board::{self, NoticeBoard};
use crate::web::notice_board::NoticeBoardPage;

/// Under `/api/v1`.
pub fn configure_api(cfg: &mut ServiceConfig) {
    cfg.service(public_problems);
}

pub fn configure_pages(cfg: &mut ServiceConfig) {
    cfg.service(campaign_page).service(unit_page);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// Only this unit's (which must be evaluated in the campaign).
    pub unit_id: Option<Uuid>,
}

/// The problems a campaign's units made public, with their measures (never the responsible
/// post) and the rectification reports made public: the notice board (公示).
#[utoipa::path(tag = "public", params(("id" = Uuid, Path, description = "campaign id"), NoticeQuery), responses((status = 200, body = NoticeBoard), PublicErrors))]
#[get("/public/campaigns/{id}/problems")]
pub async fn public_problems(
    state: State,
    id: web::Path<Uuid>,
    query: web::Query<NoticeQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(notice_board::board(&state.db, *id, query.unit_id).await?))
}

async fn page(
    state: &State,
    req: &HttpRequest,
    lang: crate::domain::questionnaire::Lang,
    campaign: &str,
    unit: Option<&str>,
) -> HttpResponse {
    let read = async {
        let campaign = campaign.parse::<Uuid>().map_err(|_| ApiError::NotFound("no such campaign".to_owned()))?;
        let unit =
            unit.map(|u| u.parse::<Uuid>().map_err(|_| ApiError::NotFound("no such unit".to_owned()))).transpose()?;
        let board = notice_board::board(&state.db, campaign, unit).await?;
        NoticeBoardPage::new(lang, board, unit.is_some(), req.path()).render().map_err(ApiError::internal)
    };
    match read.await {
        Ok(body) => crate::web::html::response(StatusCode::OK, body),
        Err(err) => error_page(lang, &err),
    }
}

/// A campaign's notice board: every unit that made something public, each linking to its own.
#[utoipa::path(
    tag = "pages",
    params(("campaign" = Uuid, Path, description = "campaign id"), PageQuery),
    responses(
        (status = 200, description = "Printable notice board", content_type = "text/html"),
        (status = 400, description = "Malformed query string (an unknown `lang`)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign (a friendly page)", content_type = "text/html")
    )
)]
#[get("/notice/{campaign}")]
pub async fn campaign_page(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    page(&state, &req, language(query.lang, &req), &path, None).await
}

/// A unit's notice board in a campaign: its public problems with their measures and progress,
/// and its public rectification reports.
#[utoipa::path(
    tag = "pages",
    params(("campaign" = Uuid, Path, description = "campaign id"), ("unit" = Uuid, Path, description = "unit id"), PageQuery),
    responses(
        (status = 200, description = "Printable notice board of the unit", content_type = "text/html"),
        (status = 400, description = "Malformed query string (an unknown `lang`)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign, or the unit is not evaluated in it (a friendly page)", content_type = "text/html")
    )
)]
#[get("/notice/{campaign}/{unit}")]
pub async fn unit_page(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    page(&state, &req, language(query.lang, &req), &path.0, Some(&path.1)).await
}
