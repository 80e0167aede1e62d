//! The plan's deliverables: defining them, units' hand-ins (a `multipart/form-data` upload,
//! as a browser form sends it), the office's review, and the documents.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::json::ValidJson;
use crate::http::multipart::Part;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{PublicErrors, ReadErrors, WriteErrors};
use crate::services::evaluation::deliverables::{
    self, DeliverableDetail, DeliverableDto, Document, HandInDto, HandInForm, NewDeliverable, Review, Upload,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(define)
        .service(define_planned)
        .service(list)
        .service(detail)
        .service(hand_in)
        .service(versions)
        .service(review)
        .service(document)
        .service(public_document);
}

/// Define a deliverable of the campaign (admin).
#[utoipa::path(tag = "deliverables", params(("id" = Uuid, Path, description = "campaign id")), request_body = NewDeliverable, security(("bearer" = [])), responses((status = 201, body = DeliverableDto), WriteErrors))]
#[post("/campaigns/{id}/deliverables")]
pub async fn define(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewDeliverable>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(deliverables::define(&state.db, &who, *id, body.0).await?))
}

/// Define the plan's deliverables the campaign lacks: the unit's evaluation plan (20 June),
/// the rectification report (30 November), the work summary (20 December) and the head's
/// report at the conference (its first day). Returns all the campaign's deliverables.
#[utoipa::path(tag = "deliverables", params(("id" = Uuid, Path, description = "campaign id")), security(("bearer" = [])), responses((status = 200, body = Vec<DeliverableDto>), WriteErrors))]
#[post("/campaigns/{id}/deliverables/planned")]
pub async fn define_planned(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(deliverables::define_planned(&state.db, &who, *id).await?))
}

/// The campaign's deliverables, earliest due first, with how far the units have come (unit
/// accounts: their own unit; observers: what the CPPCC office receives).
#[utoipa::path(tag = "deliverables", params(("id" = Uuid, Path, description = "campaign id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<DeliverableDto>), ReadErrors))]
#[get("/campaigns/{id}/deliverables")]
pub async fn list(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Page::of_all(deliverables::list(&state.db, &who, *id).await?, *page)?))
}

/// A deliverable with each unit's standing: its latest version, or overdue.
#[utoipa::path(tag = "deliverables", params(("id" = Uuid, Path, description = "deliverable id")), security(("bearer" = [])), responses((status = 200, body = DeliverableDetail), ReadErrors))]
#[get("/deliverables/{id}")]
pub async fn detail(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(deliverables::detail(&state.db, &who, *id).await?))
}

/// A hand-in as uploaded: `multipart/form-data`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct HandInUpload {
    /// The unit handing in (unit accounts: their own).
    unit_id: Uuid,
    /// A short text (up to 2000 characters); required without a document.
    note: Option<String>,
    /// PDF, DOCX, XLSX, PNG or JPEG, told by its bytes; at most `PINGYI_MAX_DOCUMENT_MB`.
    #[schema(value_type = Option<String>, format = Binary)]
    document: Option<String>,
}

/// Room for a form's fields and boundaries beside its document.
const FORM_OVERHEAD: usize = 64 * 1024;

/// Reads a hand-in's form: each bad field named.
pub fn read_form(parts: &[Part]) -> ApiResult<HandInForm> {
    let field = |name: &str| parts.iter().find(|p| p.name == name);
    let mut errors = Vec::new();
    let unit_id = match field("unit_id").map(|p| std::str::from_utf8(&p.data).ok().and_then(|s| s.trim().parse().ok()))
    {
        Some(Some(id)) => Some(id),
        Some(None) => {
            errors.push(FieldError::new("unit_id", "must be a unit id"));
            None
        }
        None => {
            errors.push(FieldError::new("unit_id", "is required"));
            None
        }
    };
    let note = match field("note").map(|p| String::from_utf8(p.data.clone())) {
        Some(Ok(note)) => note,
        Some(Err(_)) => {
            errors.push(FieldError::new("note", "must be UTF-8 text"));
            String::new()
        }
        None => String::new(),
    };
    let upload = field("document")
        .filter(|p| !p.data.is_empty())
        .map(|p| Upload { file_name: p.filename.clone().unwrap_or_default(), bytes: p.data.clone() });
    match unit_id {
        Some(unit_id) if errors.is_empty() => Ok(HandInForm { unit_id, note, document: upload }),
        _ => Err(ApiError::Validation(errors)),
    }
}

/// Hand in a deliverable for a unit: a new version, numbered after the last, marked late
/// after the due date. The document's type is read from its bytes, not its name.
#[utoipa::path(
    tag = "deliverables",
    params(("id" = Uuid, Path, description = "deliverable id")),
    request_body(content = HandInUpload, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, body = HandInDto),
        (status = 413, description = "The document is larger than allowed", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        WriteErrors
    )
)]
#[post("/deliverables/{id}/hand-ins")]
pub async fn hand_in(
    state: State,
    who: Principal,
    req: HttpRequest,
    id: web::Path<Uuid>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let settings = &state.settings.documents;
    let body = crate::http::json::read_body(payload, settings.max_bytes + FORM_OVERHEAD).await?;
    let form = read_form(&crate::http::multipart::parse(content_type, &body)?)?;
    let made = deliverables::hand_in(&state.db, settings, &who, *id, form).await?;
    Ok(HttpResponse::Created().json(made))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// The unit whose versions are listed.
    pub unit_id: Uuid,
}

/// Every version a unit handed in of a deliverable, newest first.
#[utoipa::path(tag = "deliverables", params(("id" = Uuid, Path, description = "deliverable id"), UnitQuery, PageParams), security(("bearer" = [])), responses((status = 200, body = Page<HandInDto>), ReadErrors))]
#[get("/deliverables/{id}/hand-ins")]
pub async fn versions(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    query: web::Query<UnitQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let versions = deliverables::versions(&state.db, &who, *id, query.unit_id).await?;
    Ok(HttpResponse::Ok().json(Page::of_all(versions, *page)?))
}

/// Accept a unit's latest hand-in (optionally making it public on its notice board) or
/// return it with a comment (admin).
#[utoipa::path(tag = "deliverables", params(("id" = Uuid, Path, description = "hand-in id")), request_body = Review, security(("bearer" = [])), responses((status = 200, body = HandInDto), WriteErrors))]
#[put("/hand-ins/{id}/review")]
pub async fn review(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<Review>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(deliverables::review(&state.db, &who, *id, body.0).await?))
}

/// Serves a handed-in document for download, never for the browser to run.
pub fn serve(doc: Document) -> HttpResponse {
    crate::http::responses::download(doc.bytes, doc.media_type, &doc.file_name)
}

/// A hand-in's document.
#[utoipa::path(tag = "deliverables", params(("id" = Uuid, Path, description = "hand-in id")), security(("bearer" = [])), responses((status = 200, description = "The document, as handed in", content_type = "application/octet-stream"), ReadErrors))]
#[get("/hand-ins/{id}/document")]
pub async fn document(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(serve(deliverables::document(&state.db, &state.settings.documents, &who, *id).await?))
}

/// The document of a hand-in the office accepted and made public (linked from the notice
/// board); anything else is 404.
#[utoipa::path(tag = "public", params(("id" = Uuid, Path, description = "hand-in id")), responses((status = 200, description = "The document", content_type = "application/octet-stream"), PublicErrors))]
#[get("/public/hand-ins/{id}/document")]
pub async fn public_document(state: State, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(serve(deliverables::public_document(&state.db, &state.settings.documents, *id).await?))
}
