//! Citizens' pages: `/s/{slug}` to answer (HTML, works with and without JavaScript), and
//! the link's QR code and printable poster.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::domain::questionnaire::Lang;
use crate::error::{ApiError, ApiResult};
use crate::http::BODY_LIMIT;
use crate::http::compression::{self, Coding};
use crate::http::kept_body::KeptBody;
use crate::intake::link_cache::LinkContext;
use crate::intake::submit::{self, Submission};
use crate::intake::survey;
use crate::routes::public::{language, sender};
use crate::services::registry::links::{self, LinkState};
use crate::web::page_gzip::SplitPage;
use crate::web::pages::{self, FormState};
use crate::web::poster::{self, PosterContent};
use crate::web::qr;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(answer_page)
        .service(submit_form)
        .service(qr_svg)
        .service(qr_png)
        .service(poster_svg)
        .service(poster_png)
        .service(poster_pdf);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// `zh-CN` (default) or `en`; without it, `Accept-Language` decides.
    pub lang: Option<Lang>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SizeQuery {
    /// Pixels, 128 to 2048 (default 512).
    #[param(minimum = 128, maximum = 2048)]
    pub size: Option<u32>,
}

/// A page that is made per request (it may carry a fresh submission id): never stored.
fn html(status: StatusCode, body: String) -> HttpResponse {
    let mut response = crate::web::html::response(status, body);
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}
/// A friendly page for an error, in the reader's language (with `Retry-After` when it says).
pub fn error_page(lang: Lang, err: &ApiError) -> HttpResponse {
    let mut response = html(err.status_code(), pages::error(lang, err));
    if let Some(seconds) = err.retry_after() {
        response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
    }
    response
}

/// Whether this browser sent the "answered" cookie of the link (set after a submission).
fn has_answered(req: &HttpRequest, slug: &str) -> bool {
    crate::http::cookies::cookie(req, &pages::cookie_name(slug)).is_some()
}

/// The answer page of a link.
#[utoipa::path(
    tag = "pages",
    params(("slug" = String, Path), PageQuery),
    responses(
        (status = 200, description = "The questionnaire as a form, or a note that this browser already answered", content_type = "text/html"),
        (status = 400, description = "Malformed query string (an unknown `lang`)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown link (a friendly page)", content_type = "text/html"),
        (status = 409, description = "Not open yet", content_type = "text/html"),
        (status = 410, description = "Closed or withdrawn", content_type = "text/html")
    )
)]
#[get("/s/{slug}")]
pub async fn answer_page(
    state: State,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let lang = language(query.lang, &req);
    let mut response = match submit::open_link(&state.db, &state.intake.links, &slug).await {
        Ok(context) if !context.link.kiosk && has_answered(&req, &slug) => {
            html(StatusCode::OK, pages::already_answered(lang))
        }
        Ok(context) => fresh_form(&context, lang, compression::accepts(req.headers(), Coding::Gzip)).await,
        Err(err) => error_page(lang, &err),
    };
    // The device cookie lets the duplicate guard tell this device from others behind the
    // same address (see `public::DEVICE_COOKIE`).
    if crate::routes::public::device_cookie(&req).is_none()
        && let Ok(value) = header::HeaderValue::from_str(&crate::routes::public::new_device_cookie())
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Where a kept answer page holds its submission id: each view puts a new one there.
const PLACEHOLDER_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000);

/// An answer page kept for a link and language: split around its submission id (see
/// `page_gzip`), with its content security policy.
struct KeptPage {
    split: Option<SplitPage>,
    whole: String,
    policy: String,
}

/// An empty answer page with a new submission id. The page is rendered (and deflated) once
/// per link entry and language, with its policy; a view only puts its own id in, gzipped
/// when the browser takes gzip.
async fn fresh_form(context: &LinkContext, lang: Lang, accepts_gzip: bool) -> HttpResponse {
    let kept = context
        .renders
        .get_or_make(&format!("page:{}", lang.code()), || async {
            let empty = BTreeMap::new();
            let form = FormState {
                submission_id: PLACEHOLDER_ID,
                values: &empty,
                invitation_code: "",
                errors: &[],
                alert: None,
            };
            let whole = pages::survey(&survey::view_of(context, lang), &form);
            let policy = crate::web::html::content_security_policy(&whole);
            Ok::<_, std::convert::Infallible>(KeptPage {
                split: SplitPage::new(&whole, &PLACEHOLDER_ID.to_string()),
                whole,
                policy,
            })
        })
        .await;
    let Ok(kept) = kept;
    let id = Uuid::new_v4().to_string();
    let mut response = match &kept.split {
        Some(split) if accepts_gzip => {
            let mut response = crate::web::html::response_with_policy(StatusCode::OK, split.gzip(&id), &kept.policy);
            response.headers_mut().insert(header::CONTENT_ENCODING, header::HeaderValue::from_static("gzip"));
            response
        }
        Some(split) => crate::web::html::response_with_policy(StatusCode::OK, split.plain(&id), &kept.policy),
        None => crate::web::html::response_with_policy(
            StatusCode::OK,
            kept.whole.replacen(&PLACEHOLDER_ID.to_string(), &id, 1),
            &kept.policy,
        ),
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    headers.insert(header::VARY, header::HeaderValue::from_static("accept-encoding"));
    response
}

/// A plain form post, split into the submission and the language it was made in.
fn read_form(body: &[u8]) -> Result<(Submission, Lang), ApiError> {
    crate::http::clean_text::check_form(body)?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| ApiError::BadRequest(format!("invalid form: {e}")))?;
    let mut answers = BTreeMap::new();
    let (mut submission_id, mut lang, mut invitation_code) = (None, Lang::ZhCn, None);
    for (name, value) in pairs {
        match name.as_str() {
            "submission_id" => submission_id = value.parse::<Uuid>().ok(),
            "lang" if value == "en" => lang = Lang::En,
            "invitation_code" if !value.trim().is_empty() => invitation_code = Some(value),
            _ => {
                if let Some(key) = name.strip_prefix("a.") {
                    answers.insert(key.to_owned(), value);
                }
            }
        }
    }
    let submission_id =
        submission_id.ok_or_else(|| ApiError::invalid("submission_id", "is missing; reload the page"))?;
    Ok((Submission { submission_id, answers, invitation_code }, lang))
}

// Only documents the body for the OpenAPI document: `read_form` reads it field by field.
/// The answer page's form, as the browser posts it.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "a schema for the OpenAPI document, never constructed")]
struct AnswerForm {
    submission_id: Uuid,
    /// `zh-CN` or `en`; the page answers in the default language for anything else.
    #[schema(nullable = false)]
    lang: Option<String>,
    #[schema(nullable = false)]
    invitation_code: Option<String>,
    /// `a.<question key>` → the option key, or the text.
    #[serde(flatten)]
    answers: BTreeMap<String, String>,
}

/// Receives the answer page's form when JavaScript is off.
#[utoipa::path(
    tag = "pages",
    params(("slug" = String, Path)),
    request_body(content = inline(AnswerForm), content_type = "application/x-www-form-urlencoded", description = "`submission_id`, `lang`, optional `invitation_code`, and `a.<question key>` per answer"),
    responses(
        (status = 200, description = "Thank-you page", content_type = "text/html"),
        (status = 400, description = "A form that cannot be read (a friendly page)", content_type = "text/html"),
        (status = 403, description = "The form again, asking for a valid invitation code", content_type = "text/html"),
        (status = 404, description = "Unknown link (a friendly page)", content_type = "text/html"),
        (status = 409, description = "Not open yet, or the submission id was used with other answers", content_type = "text/html"),
        (status = 410, description = "Closed or withdrawn", content_type = "text/html"),
        (status = 408, description = "The form did not arrive within the body deadline", content_type = "text/html"),
        (status = 413, description = "Body larger than 256 KiB", content_type = "text/html"),
        (status = 422, description = "The form again, with each problem marked", content_type = "text/html"),
        (status = 429, description = "Too many submissions; see Retry-After", content_type = "text/html"),
        (status = 503, description = "Database unavailable; see Retry-After", content_type = "text/html")
    )
)]
#[post("/s/{slug}")]
pub async fn submit_form(
    state: State,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let body = match crate::http::json::read_body(payload, BODY_LIMIT).await {
        Ok(body) => body,
        Err(err) => return error_page(language(None, &req), &err),
    };
    let (submission, lang) = match read_form(&body) {
        Ok(parsed) => parsed,
        Err(err) => return error_page(language(None, &req), &err),
    };
    let (submission_id, values, code) =
        (submission.submission_id, submission.answers.clone(), submission.invitation_code.clone());
    match submit::submit(&state.db, &state.intake, &sender(&state, &req), &slug, submission).await {
        Ok(_) => {
            let context = state.intake.links.get(&state.db, &slug).await.ok();
            let kiosk = context.as_ref().is_some_and(|c| c.link.kiosk);
            let unit = context.as_ref().map(|c| c.unit.name.as_str());
            let thanks = pages::thanks(lang, unit, kiosk.then_some(slug.as_str()));
            let mut response = html(StatusCode::OK, thanks);
            if kiosk {
                return response;
            }
            let cookie = format!(
                "{}=1; Path=/s/{}; Max-Age=31536000; SameSite=Lax; HttpOnly",
                pages::cookie_name(&slug),
                slug.as_str()
            );
            if let Ok(value) = header::HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(err @ (ApiError::Validation(_) | ApiError::Forbidden(_))) => {
            let Ok(view) = survey::view(&state.db, &state.intake.links, &slug, lang).await else {
                return error_page(lang, &err);
            };
            let (errors, alert) = match &err {
                ApiError::Validation(errors) => (errors.as_slice(), Some(crate::web::texts::texts(lang).fix_errors)),
                _ => (&[][..], Some(crate::web::texts::texts(lang).forbidden_title)),
            };
            let form = FormState {
                submission_id,
                values: &values,
                invitation_code: code.as_deref().unwrap_or_default(),
                errors,
                alert,
            };
            html(err.status_code(), pages::survey(&view, &form))
        }
        Err(err) => error_page(lang, &err),
    }
}

/// What a poster of a link shows, apart from its language.
pub struct PosterFacts {
    pub url: String,
    pub unit_name: String,
    pub campaign_title: String,
    pub organiser: Option<String>,
    pub contact: Option<String>,
    pub closes_on: chrono::NaiveDate,
}

impl PosterFacts {
    pub fn content(&self, lang: Lang) -> PosterContent<'_> {
        PosterContent {
            unit_name: &self.unit_name,
            campaign_title: &self.campaign_title,
            url: &self.url,
            lang,
            organiser: self.organiser.as_deref(),
            contact: self.contact.as_deref(),
            closes_on: self.closes_on,
        }
    }
}

/// What a poster of the link at `slug` shows; 410 once the link takes no more answers (a
/// poster is made before the survey opens, never after it ends).
pub async fn poster_facts(state: &State, slug: &str) -> ApiResult<(Arc<LinkContext>, PosterFacts)> {
    let context = state.intake.links.get(&state.db, slug).await?;
    match links::state(&context.link, context.questionnaire.status, crate::store::now()) {
        LinkState::Revoked => return Err(ApiError::Gone(submit::refusals::WITHDRAWN.to_owned())),
        LinkState::Closed | LinkState::QuestionnaireNotOpen => {
            return Err(ApiError::Gone(submit::refusals::CLOSED.to_owned()));
        }
        LinkState::Open | LinkState::NotYetOpen => {}
    }
    let campaign = &context.campaign;
    if campaign.current_phase > entity::vocabulary::Phase::Survey && !context.campaign_settings.responses_outside_survey
    {
        return Err(ApiError::Gone(submit::refusals::CLOSED.to_owned()));
    }
    let phase_ends = campaign.survey_ends_on;
    let facts = PosterFacts {
        url: format!("{}/s/{}", state.settings.public_url, context.link.slug),
        unit_name: context.unit.name.clone(),
        campaign_title: campaign.title.clone(),
        organiser: context.campaign_settings.organiser.clone(),
        contact: context.campaign_settings.contact.clone(),
        closes_on: context.link.closes_at.map_or(phase_ends, |at| at.date_naive().min(phase_ends)),
    };
    Ok((context, facts))
}

/// A rendering of a link, kept in its cache entry under `key`, or made now off the request
/// threads (rendering a poster takes tens of milliseconds).
async fn kept_render(
    context: &LinkContext,
    key: String,
    content_type: &'static str,
    make: impl FnOnce() -> Result<Vec<u8>, poster::PosterError> + Send + 'static,
) -> ApiResult<Arc<KeptBody>> {
    context
        .renders
        .get_or_make(&key, || async move {
            web::block(move || {
                KeptBody::new(content_type, make().map_err(ApiError::internal)?).map_err(ApiError::internal)
            })
            .await
            .map_err(ApiError::internal)?
        })
        .await
}

/// Images may be kept by browsers and proxies for an hour: a link's code and poster change
/// only when the link is withdrawn, which the page itself then says.
const IMAGE_CACHE: &str = "public, max-age=3600";

fn size(query: &SizeQuery) -> ApiResult<u32> {
    let size = query.size.unwrap_or(qr::DEFAULT_SIZE);
    if (qr::MIN_SIZE..=qr::MAX_SIZE).contains(&size) {
        Ok(size)
    } else {
        Err(ApiError::invalid("size", format!("must be between {} and {}", qr::MIN_SIZE, qr::MAX_SIZE)))
    }
}

/// The link's QR code as SVG.
#[utoipa::path(tag = "pages", params(("slug" = String, Path), SizeQuery), responses((status = 200, description = "QR code (level M) of the link's public URL", content_type = "image/svg+xml"), crate::http::responses::PublicErrors))]
#[get("/s/{slug}/qr.svg")]
pub async fn qr_svg(
    state: State,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<SizeQuery>,
) -> ApiResult<HttpResponse> {
    // The request is checked before the link, so a bad size is a 422 whatever the link's state.
    let size = size(&query)?;
    let (context, facts) = poster_facts(&state, &slug).await?;
    let svg = kept_render(&context, format!("qr.svg:{size}"), "image/svg+xml", move || {
        Ok(qr::svg(&facts.url, size)?.into_bytes())
    })
    .await?;
    Ok(svg.respond(&req, IMAGE_CACHE))
}

/// The link's QR code as PNG.
#[utoipa::path(tag = "pages", params(("slug" = String, Path), SizeQuery), responses((status = 200, description = "QR code (level M) of the link's public URL", content_type = "image/png"), crate::http::responses::PublicErrors))]
#[get("/s/{slug}/qr.png")]
pub async fn qr_png(
    state: State,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<SizeQuery>,
) -> ApiResult<HttpResponse> {
    // The request is checked before the link, so a bad size is a 422 whatever the link's state.
    let size = size(&query)?;
    let (context, facts) = poster_facts(&state, &slug).await?;
    let png =
        kept_render(&context, format!("qr.png:{size}"), "image/png", move || Ok(qr::png(&facts.url, size)?)).await?;
    Ok(png.respond(&req, IMAGE_CACHE))
}

/// A printable A4 poster of the link (SVG).
#[utoipa::path(tag = "pages", params(("slug" = String, Path), PageQuery), responses((status = 200, description = "A4 poster", content_type = "image/svg+xml"), crate::http::responses::PublicErrors))]
#[get("/s/{slug}/poster.svg")]
pub async fn poster_svg(
    state: State,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (context, facts) = poster_facts(&state, &slug).await?;
    let lang = language(query.lang, &req);
    let svg = kept_render(&context, format!("poster.svg:{}", lang.code()), "image/svg+xml", move || {
        Ok(poster::svg(&facts.content(lang))?.into_bytes())
    })
    .await?;
    Ok(svg.respond(&req, IMAGE_CACHE))
}

/// A printable A4 poster of the link (PNG, 1240 × 1754 px: A4 at 150 dpi).
#[utoipa::path(tag = "pages", params(("slug" = String, Path), PageQuery), responses((status = 200, description = "A4 poster", content_type = "image/png"), crate::http::responses::PublicErrors))]
#[get("/s/{slug}/poster.png")]
pub async fn poster_png(
    state: State,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (context, facts) = poster_facts(&state, &slug).await?;
    let lang = language(query.lang, &req);
    let png = kept_render(&context, format!("poster.png:{}", lang.code()), "image/png", move || {
        poster::png(&facts.content(lang), poster::PNG_WIDTH)
    })
    .await?;
    Ok(png.respond(&req, IMAGE_CACHE))
}

/// A printable A4 poster of the link (PDF, one page).
#[utoipa::path(tag = "pages", params(("slug" = String, Path), PageQuery), responses((status = 200, description = "A4 poster", content_type = "application/pdf"), crate::http::responses::PublicErrors))]
#[get("/s/{slug}/poster.pdf")]
pub async fn poster_pdf(
    state: State,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (context, facts) = poster_facts(&state, &slug).await?;
    let lang = language(query.lang, &req);
    let pdf = kept_render(&context, format!("poster.pdf:{}", lang.code()), "application/pdf", move || {
        poster::pdf(&facts.content(lang))
    })
    .await?;
    Ok(pdf.respond(&req, IMAGE_CACHE))
}
