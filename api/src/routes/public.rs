//! The citizens' side of the API: no authentication, nothing identifying stored.

use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::{AppState, State};
use crate::domain::questionnaire::Lang;
use crate::error::{ApiError, ApiResult};
use crate::http::client_address::client_ip;
use crate::http::cookies::cookie;
use crate::http::json::ValidJson;
use crate::http::kept_body::KeptBody;
use crate::http::responses::PublicErrors;
use crate::intake::Receipt;
use crate::intake::submit::{self, Sender, Submission};
use crate::intake::survey::{self, SurveyView};

pub fn configure(cfg: &mut ServiceConfig) {
    // Submitting first: it takes most requests, and each pattern tried costs a regex match.
    cfg.service(submit_response).service(get_survey);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `zh-CN` (default) or `en`; without it, `Accept-Language` decides.
    pub lang: Option<Lang>,
}

/// The language asked for, else the browser's preference, else Chinese.
pub fn language(query: Option<Lang>, req: &HttpRequest) -> Lang {
    query.unwrap_or_else(|| {
        let header = req.headers().get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if header.trim_start().to_ascii_lowercase().starts_with("en") { Lang::En } else { Lang::ZhCn }
    })
}

/// The in-memory controls' view of who is sending: day-scoped keys of the address and of
/// the device cookie the answer page set, if the browser sent it back.
pub fn sender(state: &AppState, req: &HttpRequest) -> Sender {
    let guard = &state.intake.guard;
    let source = client_ip(req, &state.settings.trusted_proxies).map(|ip| guard.source_key(ip));
    let device = device_cookie(req).map(|cookie| guard.device_key(&cookie));
    Sender { source, device }
}

/// The cookie that tells one device from another behind a shared address. It is random, made
/// by the answer page, lives a day, and is only ever turned into an in-memory key: it is never
/// stored or logged, and says nothing about the person.
pub const DEVICE_COOKIE: &str = "pingyi_device";

/// The device cookie's value, if the request carries a well-formed one (32 hex digits).
pub fn device_cookie(req: &HttpRequest) -> Option<String> {
    let value = cookie(req, DEVICE_COOKIE)?;
    (value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit())).then_some(value)
}

/// A new device cookie: 128 random bits, for a day, sent back only to this site.
pub fn new_device_cookie() -> String {
    let value: u128 = rand::random();
    format!("{DEVICE_COOKIE}={value:032x}; Path=/; Max-Age=86400; SameSite=Lax; HttpOnly")
}

/// The questionnaire behind a public link, in the requested language.
#[utoipa::path(tag = "public", params(("slug" = String, Path), LangQuery), responses((status = 200, body = SurveyView), PublicErrors))]
#[get("/public/surveys/{slug}")]
pub async fn get_survey(
    state: State,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<LangQuery>,
) -> ApiResult<HttpResponse> {
    let lang = language(query.lang, &req);
    let context = submit::open_link(&state.db, &state.intake.links, &slug).await?;
    let kept = context
        .renders
        .get_or_make(&format!("survey.json:{}", lang.code()), || async {
            let json = serde_json::to_vec(&survey::view_of(&context, lang)).map_err(ApiError::internal)?;
            web::block(move || KeptBody::new("application/json", json))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)
        })
        .await?;
    Ok(kept.respond(&req, "no-cache"))
}

/// Submit an anonymous response. Idempotent on `submission_id`: a retry returns the
/// original receipt (200) without storing anything; the same id with other answers is 409.
/// Per-source rate limits answer 429 with `Retry-After`; links that require an invitation
/// code answer 403 without a valid, unused one.
#[utoipa::path(
    tag = "public",
    params(("slug" = String, Path)),
    request_body = Submission,
    responses((status = 201, description = "Stored", body = Receipt), (status = 200, description = "A retry of a stored submission", body = Receipt), PublicErrors)
)]
#[post("/public/surveys/{slug}/responses")]
pub async fn submit_response(
    state: State,
    req: HttpRequest,
    slug: web::Path<String>,
    body: ValidJson<Submission>,
) -> ApiResult<HttpResponse> {
    let receipt = submit::submit(&state.db, &state.intake, &sender(&state, &req), &slug, body.0).await?;
    let mut response = if receipt.replayed { HttpResponse::Ok() } else { HttpResponse::Created() };
    Ok(response.json(receipt))
}
