//! The official notice (通报) of a campaign's published result: issuing it, listing those
//! issued, and downloading each as PDF and DOCX.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::evaluation::official_notices::{self, NewOfficialNotice, OfficialNoticeDto};
use crate::web::notice_document::{docx, pdf};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(issue).service(list).service(notice_pdf).service(notice_docx);
}

/// Issue the official notice of the campaign's published result (admin): its number, issuing
/// body and date, and to whom it goes (left out: 区委, 区人大, 区政府, 区政协, 区委组织部,
/// 市纠风办 and the supervising authorities of the campaign's vertically managed units).
#[utoipa::path(tag = "results", params(("id" = Uuid, Path, description = "campaign id")), request_body = NewOfficialNotice, security(("bearer" = [])), responses((status = 201, body = OfficialNoticeDto), WriteErrors))]
#[post("/campaigns/{id}/official-notices")]
pub async fn issue(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewOfficialNotice>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(official_notices::issue(&state.db, &who, *id, body.0).await?))
}

/// The official notices issued for a campaign, newest first, with to whom.
#[utoipa::path(tag = "results", params(("id" = Uuid, Path, description = "campaign id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<OfficialNoticeDto>), ReadErrors))]
#[get("/campaigns/{id}/official-notices")]
pub async fn list(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Page::of_all(official_notices::list(&state.db, &who, *id).await?, *page)?))
}

/// The notice as a print-ready A4 PDF in the official layout.
#[utoipa::path(tag = "results", params(("id" = Uuid, Path, description = "official notice id")), security(("bearer" = [])), responses((status = 200, description = "PDF", content_type = "application/pdf"), ReadErrors))]
#[get("/official-notices/{id}/notice.pdf")]
pub async fn notice_pdf(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let document = official_notices::document(&state.db, &who, *id).await?;
    Ok(crate::http::responses::download(pdf::render(&document), "application/pdf", &format!("{}.pdf", document.title)))
}

/// The notice as a Word document (DOCX) in the official layout.
#[utoipa::path(tag = "results", params(("id" = Uuid, Path, description = "official notice id")), security(("bearer" = [])), responses((status = 200, description = "DOCX", content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), ReadErrors))]
#[get("/official-notices/{id}/notice.docx")]
pub async fn notice_docx(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let document = official_notices::document(&state.db, &who, *id).await?;
    let bytes = docx::render(&document).map_err(ApiError::internal)?;
    let media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    Ok(crate::http::responses::download(bytes, media_type, &format!("{}.docx", document.title)))
}
