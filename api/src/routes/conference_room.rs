//! The conference room: `/conference/{id}` for the hall's projector and
//! `/conference/{id}/ballot` for the representatives' phones (HTML, without JavaScript).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::domain::questionnaire::Lang;
use crate::error::ApiError;
use crate::http::BODY_LIMIT;
use crate::routes::pages::PageQuery;
use crate::routes::public::language;
use crate::services::evaluation::ballot_sheet::{self, BallotSheet};
use crate::services::evaluation::conference::{self, Ballot};
use crate::services::evaluation::feedback;
use crate::web::conference_room::{self, BallotForm, BallotPage, MessagePage, ProjectorPage};
use crate::web::feedback::FeedbackPage;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(projector)
        .service(ballot_page)
        .service(cast_ballot)
        .service(ballot_counted)
        .service(feedback_form)
        .service(feedback_page)
        .service(feedback_document);
}

/// The title of the campaign a session belongs to (404 for no such session).
async fn campaign_title(state: &State, session: Uuid) -> Result<String, ApiError> {
    let session = conference::find_session(&state.db, session).await?;
    Ok(crate::services::registry::campaigns::find(&state.db, session.campaign_id).await?.title)
}

/// A page made per request, never stored (a ballot page may carry its code).
fn html(status: StatusCode, page: &impl askama::Template) -> HttpResponse {
    match page.render() {
        Ok(body) => {
            let mut response = crate::web::html::response(status, body);
            response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            response
        }
        Err(err) => ApiError::internal(err).error_response(),
    }
}

fn message(status: StatusCode, lang: Lang, title: String, heading: &'static str, text: &'static str) -> HttpResponse {
    html(status, &MessagePage::new(lang, title, heading, text))
}

/// What a request that failed shows, in the page's language.
fn failure(lang: Lang, title: String, err: &ApiError) -> HttpResponse {
    let words = conference_room::words(lang);
    let mut response = match err {
        ApiError::Gone(_) => message(StatusCode::GONE, lang, title, words.closed, words.closed_message),
        other => message(other.status_code(), lang, title, words.error, words.error_message),
    };
    if let Some(seconds) = err.retry_after() {
        response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
    }
    if let ApiError::Internal(_) | ApiError::Unavailable(_) = err {
        // Logged as the JSON API logs it.
        let _ = err.error_response();
    }
    response
}

/// The session named in a page's path: anything but a session's id is a page not found
/// (a friendly one, like every other answer of these pages).
fn session_id(text: &str) -> Result<Uuid, ApiError> {
    text.parse().map_err(|_| ApiError::NotFound("no such scoring session".to_owned()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectorQuery {
    /// `en` for English; the projector is in Chinese otherwise, whatever the browser prefers.
    pub lang: Option<Lang>,
}

/// The projector page of a conference session, made for a 1920 × 1080 screen in a hall: the
/// campaign's name and the ballots counted while the session is open (the page reloads
/// itself), the scores in rank order with their column headings once it is closed.
#[utoipa::path(
    tag = "pages",
    params(("id" = Uuid, Path, description = "session id"), ProjectorQuery),
    responses(
        (status = 200, description = "Projector page", content_type = "text/html"),
        (status = 400, description = "Malformed query string (an unknown `lang`)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session (a friendly page)", content_type = "text/html"),
        (status = 503, description = "Database unavailable; see Retry-After", content_type = "text/html")
    )
)]
#[get("/conference/{id}")]
pub async fn projector(state: State, id: web::Path<String>, query: web::Query<ProjectorQuery>) -> HttpResponse {
    let lang = query.lang.unwrap_or_default();
    let read = async {
        let id = session_id(&id)?;
        let session = conference::find_session(&state.db, id).await?;
        let title = crate::services::registry::campaigns::find(&state.db, session.campaign_id).await?.title;
        let tally = conference::tally(&state.db, id).await?;
        Ok::<_, ApiError>(ProjectorPage::new(lang, title, session.mode, tally))
    };
    match read.await {
        Ok(page) => html(StatusCode::OK, &page),
        Err(err) => failure(lang, String::new(), &err),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BallotQuery {
    /// `zh-CN` (default) or `en`; without it, `Accept-Language` decides.
    pub lang: Option<Lang>,
    /// The ballot code, as the slip's QR code carries it; typed in otherwise.
    pub code: Option<String>,
}

/// The ballot a representative fills in on their phone: every unit of the session with the
/// rating levels and 不了解, and the ballot code from the slip.
#[utoipa::path(
    tag = "pages",
    params(("id" = Uuid, Path, description = "session id"), BallotQuery),
    responses(
        (status = 200, description = "Ballot page", content_type = "text/html"),
        (status = 400, description = "Malformed query string (an unknown `lang`)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session (a friendly page)", content_type = "text/html"),
        (status = 410, description = "The session is closed", content_type = "text/html"),
        (status = 503, description = "Database unavailable; see Retry-After", content_type = "text/html")
    )
)]
#[get("/conference/{id}/ballot")]
pub async fn ballot_page(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<BallotQuery>,
) -> HttpResponse {
    let lang = language(query.lang, &req);
    let sheet = async { ballot_sheet::sheet(&state.db, session_id(&id)?).await };
    let sheet = match sheet.await {
        Ok(sheet) => sheet,
        Err(err) => return failure(lang, String::new(), &err),
    };
    if let Err(closed) = still_open(&sheet) {
        return failure(lang, sheet.campaign_title, &closed);
    }
    let form = BallotForm { code: query.code.clone().unwrap_or_default(), ..BallotForm::default() };
    html(StatusCode::OK, &BallotPage::new(&sheet, lang, &form, &[], None))
}

fn still_open(sheet: &BallotSheet) -> Result<(), ApiError> {
    match sheet.session.status {
        entity::vocabulary::SessionStatus::Open => Ok(()),
        _ => Err(ApiError::Gone("this scoring session is closed".to_owned())),
    }
}

/// Submit the ballot (a form post): counted once per code; an incomplete ballot or a code
/// that cannot vote comes back with the choices kept and each problem named.
#[utoipa::path(
    tag = "pages",
    params(("id" = Uuid, Path, description = "session id"), PageQuery),
    request_body(content_type = "application/x-www-form-urlencoded", description = "`code`, and `s.{unit_id}.{dimension}` = option key for every question"),
    responses(
        (status = 303, description = "Counted: to the confirmation page"),
        (status = 400, description = "A query string that cannot be read (a problem) or a form that cannot be read (a friendly page)", content((crate::http::problem::Problem = "application/problem+json"), (String = "text/html"))),
        (status = 403, description = "The code cannot vote (unknown or used); the ballot again, choices kept", content_type = "text/html"),
        (status = 404, description = "No such session (a friendly page)", content_type = "text/html"),
        (status = 408, description = "The form did not arrive within the body deadline", content_type = "text/html"),
        (status = 410, description = "The session is closed", content_type = "text/html"),
        (status = 413, description = "Body larger than 256 KiB", content_type = "text/html"),
        (status = 422, description = "Something is missing; the ballot again, each problem named", content_type = "text/html"),
        (status = 503, description = "Database unavailable; see Retry-After", content_type = "text/html")
    )
)]
#[post("/conference/{id}/ballot")]
pub async fn cast_ballot(state: State, req: HttpRequest, id: web::Path<String>, payload: web::Payload) -> HttpResponse {
    // Read here rather than by an extractor, so that a query that cannot be read gets this
    // page's answer (HTML), as a form that cannot be read does.
    let query = web::Query::<PageQuery>::from_query(req.query_string());
    let lang = language(query.as_ref().ok().and_then(|q| q.lang), &req);
    if query.is_err() {
        return failure(lang, String::new(), &ApiError::BadRequest("invalid query string".to_owned()));
    }
    let words = conference_room::words(lang);
    let sheet = async { ballot_sheet::sheet(&state.db, session_id(&id)?).await };
    let sheet = match sheet.await {
        Ok(sheet) => sheet,
        Err(err) => return failure(lang, String::new(), &err),
    };
    let pairs = async {
        let body = crate::http::json::read_body(payload, BODY_LIMIT).await?;
        crate::http::clean_text::check_form(&body)?;
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .map_err(|e| ApiError::BadRequest(format!("invalid form: {e}")))
    };
    let form = match pairs.await {
        Ok(pairs) => BallotForm::from_pairs(pairs),
        Err(err) => return failure(lang, sheet.campaign_title, &err),
    };
    if let Err(closed) = still_open(&sheet) {
        return failure(lang, sheet.campaign_title, &closed);
    }
    let again =
        |status, missing: &[Uuid], code_error| html(status, &BallotPage::new(&sheet, lang, &form, missing, code_error));
    let code_error = form.code.is_empty().then_some(words.code_missing);
    let scores = match form.scores(&sheet) {
        Ok(scores) if code_error.is_none() => scores,
        Ok(_) => return again(StatusCode::UNPROCESSABLE_ENTITY, &[], code_error),
        Err(missing) => return again(StatusCode::UNPROCESSABLE_ENTITY, &missing, code_error),
    };
    let ballot = Ballot { code: form.code.clone(), scores };
    match conference::cast(&state.db, &state.spend_key, sheet.session.id, ballot).await {
        Ok(_) => HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/conference/{}/ballot/counted?lang={}", sheet.session.id, lang.code()),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        Err(ApiError::Forbidden(_)) => again(StatusCode::FORBIDDEN, &[], Some(words.code_refused)),
        Err(ApiError::Validation(errors)) if errors.iter().all(|e| e.field == "code") => {
            again(StatusCode::UNPROCESSABLE_ENTITY, &[], Some(words.code_refused))
        }
        Err(err) => failure(lang, sheet.campaign_title.clone(), &err),
    }
}

/// The confirmation that a ballot was counted.
#[utoipa::path(
    tag = "pages",
    params(("id" = Uuid, Path, description = "session id"), PageQuery),
    responses(
        (status = 200, description = "Confirmation page", content_type = "text/html"),
        (status = 400, description = "Malformed query string (an unknown `lang`)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session (a friendly page)", content_type = "text/html"),
        (status = 503, description = "Database unavailable; see Retry-After", content_type = "text/html")
    )
)]
#[get("/conference/{id}/ballot/counted")]
pub async fn ballot_counted(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let lang = language(query.lang, &req);
    let words = conference_room::words(lang);
    let title = async { campaign_title(&state, session_id(&id)?).await };
    match title.await {
        Ok(title) => message(StatusCode::OK, lang, title, words.counted, words.counted_message),
        Err(err) => failure(lang, String::new(), &err),
    }
}

/// The representatives' feedback (整改情况反馈): the code form, filled in from the slip's QR
/// code when it carries one.
#[utoipa::path(
    tag = "pages",
    params(("id" = Uuid, Path, description = "session id"), BallotQuery),
    responses(
        (status = 200, description = "The code form", content_type = "text/html"),
        (status = 400, description = "Malformed query string (an unknown `lang`)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session (a friendly page)", content_type = "text/html"),
        (status = 503, description = "Database unavailable; see Retry-After", content_type = "text/html")
    )
)]
#[get("/conference/{id}/feedback")]
pub async fn feedback_form(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<BallotQuery>,
) -> HttpResponse {
    let lang = language(query.lang, &req);
    let read = async {
        let session = session_id(&id)?;
        Ok::<_, ApiError>((session, campaign_title(&state, session).await?))
    };
    match read.await {
        Ok((session, title)) => {
            let code = query.code.clone().unwrap_or_default();
            html(StatusCode::OK, &FeedbackPage::form(lang, session, title, code, None))
        }
        Err(err) => failure(lang, String::new(), &err),
    }
}

/// The code a feedback form sent, and the page's language.
async fn feedback_code(req: &HttpRequest, payload: web::Payload) -> Result<(Lang, String), (Lang, ApiError)> {
    let query = web::Query::<PageQuery>::from_query(req.query_string());
    let lang = language(query.as_ref().ok().and_then(|q| q.lang), req);
    if query.is_err() {
        return Err((lang, ApiError::BadRequest("invalid query string".to_owned())));
    }
    let pairs = async {
        let body = crate::http::json::read_body(payload, 4096).await?;
        crate::http::clean_text::check_form(&body)?;
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .map_err(|e| ApiError::BadRequest(format!("invalid form: {e}")))
    };
    let pairs = pairs.await.map_err(|err| (lang, err))?;
    let code = pairs.into_iter().find(|(k, _)| k == "code").map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    Ok((lang, code))
}

/// The feedback the code opens: per unit of the session, its rectification reports and the
/// accepted hand-ins meant for the representatives; a code that is not the session's gets
/// the form again.
#[utoipa::path(
    tag = "pages",
    params(("id" = Uuid, Path, description = "session id"), PageQuery),
    request_body(content_type = "application/x-www-form-urlencoded", description = "`code`: the code on the slip"),
    responses(
        (status = 200, description = "The feedback", content_type = "text/html"),
        (status = 400, description = "A query string that cannot be read (a problem) or a form that cannot be read (a friendly page)", content((crate::http::problem::Problem = "application/problem+json"), (String = "text/html"))),
        (status = 403, description = "Not a code of this session; the form again", content_type = "text/html"),
        (status = 404, description = "No such session (a friendly page)", content_type = "text/html"),
        (status = 408, description = "The form did not arrive within the body deadline", content_type = "text/html"),
        (status = 413, description = "Body larger than 4 KiB", content_type = "text/html"),
        (status = 422, description = "A form with a NUL or other control character (a friendly page)", content_type = "text/html"),
        (status = 503, description = "Database unavailable; see Retry-After", content_type = "text/html")
    )
)]
#[post("/conference/{id}/feedback")]
pub async fn feedback_page(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let (lang, code) = match feedback_code(&req, payload).await {
        Ok(read) => read,
        Err((lang, err)) => return failure(lang, String::new(), &err),
    };
    let Ok(session) = session_id(&id) else {
        return failure(lang, String::new(), &ApiError::NotFound("no such scoring session".to_owned()));
    };
    match feedback::for_code(&state.db, session, &code).await {
        Ok(found) => html(StatusCode::OK, &FeedbackPage::opened(lang, session, code, found)),
        Err(ApiError::Forbidden(_)) => {
            let title = campaign_title(&state, session).await.unwrap_or_default();
            let words = crate::web::feedback::words(lang);
            let page = FeedbackPage::form(lang, session, title, code, Some(words.code_refused));
            html(StatusCode::FORBIDDEN, &page)
        }
        Err(err) => failure(lang, String::new(), &err),
    }
}

/// A document of the feedback, for the holder of a code of the session.
#[utoipa::path(
    tag = "pages",
    params(("id" = Uuid, Path, description = "session id"), ("hand_in" = Uuid, Path, description = "hand-in id"), PageQuery),
    request_body(content_type = "application/x-www-form-urlencoded", description = "`code`: the code on the slip"),
    responses(
        (status = 200, description = "The document, as handed in", content_type = "application/octet-stream"),
        (status = 400, description = "A query string that cannot be read (a problem) or a form that cannot be read (a friendly page)", content((crate::http::problem::Problem = "application/problem+json"), (String = "text/html"))),
        (status = 403, description = "Not a code of this session (a friendly page)", content_type = "text/html"),
        (status = 404, description = "No such document for this session (a friendly page)", content_type = "text/html"),
        (status = 408, description = "The form did not arrive within the body deadline", content_type = "text/html"),
        (status = 413, description = "Body larger than 4 KiB", content_type = "text/html"),
        (status = 422, description = "A form with a NUL or other control character (a friendly page)", content_type = "text/html"),
        (status = 503, description = "Database unavailable; see Retry-After", content_type = "text/html")
    )
)]
#[post("/conference/{id}/feedback/{hand_in}")]
pub async fn feedback_document(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> HttpResponse {
    let (lang, code) = match feedback_code(&req, payload).await {
        Ok(read) => read,
        Err((lang, err)) => return failure(lang, String::new(), &err),
    };
    let (session, hand_in) = path.into_inner();
    let found = async {
        let session = session_id(&session)?;
        let hand_in = hand_in.parse().map_err(|_| ApiError::NotFound("no such document".to_owned()))?;
        feedback::document(&state.db, &state.settings.documents, session, &code, hand_in).await
    };
    match found.await {
        Ok(doc) => crate::routes::deliverables::serve(doc),
        Err(err) => failure(lang, String::new(), &err),
    }
}
