//! The evaluation office's console at `/console/`: pages rendered on the server from askama
//! templates (`api/templates/console/`, escaped at compile time), Chinese first with an
//! English switch, working without JavaScript. Every page acts as the signed-in account
//! through the same service functions as the JSON API, so the same permissions and audit
//! apply; what a role may not do, the console does not offer (and refuses if asked).

mod accounts;
mod clients;
mod conference;
mod deliverables;
mod integrity;
mod link_settings;
mod links;
mod members;
mod questionnaires;
mod records;
mod rectification;
mod results;
mod resurvey;
pub mod session;
mod settings;
mod townships;
mod units;
mod views;
mod words;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::app::State;
use crate::domain::questionnaire::Lang;
use crate::error::ApiError;
use crate::services::registry::accounts as account_service;
use session::SignedIn;
use views::{Chrome, Page};
use words::Words;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console").route(web::get().to(to_console)))
        .service(web::resource("/console/").route(web::get().to(home)))
        .service(web::resource("/console/campaigns").route(web::post().to(create_campaign)))
        .service(web::resource("/console/sign-in").route(web::get().to(sign_in_form)).route(web::post().to(sign_in)))
        .service(web::resource("/console/sign-out").route(web::post().to(sign_out)))
        .service(
            web::resource("/console/password")
                .route(web::get().to(password_form))
                .route(web::post().to(change_password)),
        )
        .service(web::resource("/console/campaigns/{id}").route(web::get().to(dashboard)))
        .service(web::resource("/console/campaigns/{id}/phase").route(web::post().to(advance_phase)))
        .service(web::resource("/console/units").route(web::get().to(units_page)))
        .service(web::resource("/console/language/{code}").route(web::get().to(switch_language)))
        .configure(accounts::configure)
        .configure(conference::configure)
        .configure(units::configure)
        .configure(results::configure)
        .configure(records::configure)
        .configure(links::configure)
        .configure(settings::configure)
        .configure(members::configure)
        .configure(questionnaires::configure)
        .configure(rectification::configure)
        .configure(deliverables::configure)
        .configure(resurvey::configure)
        .configure(townships::configure)
        .configure(integrity::configure)
        .configure(clients::configure)
        .configure(link_settings::configure);
}

/// The console's language: English when the browser chose it with the switch, else Chinese.
const LANGUAGE_COOKIE: &str = "pingyi_console_lang";

fn language(req: &HttpRequest) -> Lang {
    if crate::http::cookies::cookie(req, LANGUAGE_COOKIE).as_deref() == Some("en") { Lang::En } else { Lang::ZhCn }
}

fn secure(state: &State) -> bool {
    state.settings.public_url.starts_with("https://")
}

/// A page of the console: never stored by a cache, never framed.
fn html(status: StatusCode, page: String) -> HttpResponse {
    let mut response = crate::web::html::response(status, page);
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

fn set_cookie(response: &mut HttpResponse, cookie: &str) {
    if let Ok(value) = header::HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// What a failed service call shows: the console's own words for what a person can act on,
/// the problem's status otherwise.
fn failure(chrome: Chrome, err: &ApiError) -> HttpResponse {
    let words = chrome.words;
    let status = actix_web::ResponseError::status_code(err);
    let message = match err {
        ApiError::Forbidden(_) => words.forbidden,
        ApiError::NotFound(_) => words.not_found,
        ApiError::Unavailable(_) | ApiError::ShuttingDown => words.try_again,
        _ => words.error,
    };
    if let ApiError::Internal(_) | ApiError::Unavailable(_) = err {
        // Logged as the JSON API logs it.
        let _ = actix_web::ResponseError::error_response(err);
    }
    render(status, &views::Message { chrome, heading: words.error, message })
}

fn render(status: StatusCode, page: &impl Page) -> HttpResponse {
    match page.render_page() {
        Ok(body) => html(status, body),
        Err(err) => actix_web::ResponseError::error_response(&ApiError::internal(err)),
    }
}

/// The signed-in account, or where to send the browser instead: the sign-in page, or the
/// password page while the account must choose a new password.
async fn signed_in(state: &State, req: &HttpRequest, lang: Lang) -> Result<SignedIn, HttpResponse> {
    match session::current(state, req).await {
        Ok(Some(user)) if user.account.must_change_password && req.path() != "/console/password" => {
            Err(see_other("/console/password"))
        }
        Ok(Some(user)) => Ok(user),
        Ok(None) if crate::http::cookies::cookie(req, session::SESSION_COOKIE).is_some() => {
            Err(see_other("/console/sign-in?notice=session-ended"))
        }
        Ok(None) => Err(see_other("/console/sign-in")),
        Err(err) => Err(failure(Chrome::new(lang, req, None, None), &err)),
    }
}

/// The signed-in account and the page's chrome, or the response that sends the browser
/// elsewhere.
async fn begin(state: &State, req: &HttpRequest) -> Result<(Lang, SignedIn, Chrome), HttpResponse> {
    let lang = language(req);
    let user = signed_in(state, req, lang).await?;
    let chrome = Chrome::new(lang, req, Some(&user), None);
    Ok((lang, user, chrome))
}

async fn to_console() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/console/")).finish()
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

fn notice(words: &'static Words, query: &NoticeQuery) -> Option<&'static str> {
    match query.notice.as_deref()? {
        "signed-out" => Some(words.signed_out),
        "session-ended" => Some(words.session_ended),
        "password-changed" => Some(words.password_changed),
        "saved" => Some(words.saved),
        _ => None,
    }
}

async fn sign_in_form(state: State, req: HttpRequest, query: web::Query<NoticeQuery>) -> HttpResponse {
    let lang = language(&req);
    if let Ok(Some(_)) = session::current(&state, &req).await {
        return see_other("/console/");
    }
    let chrome = Chrome::new(lang, &req, None, notice(words::words(lang), &query));
    sign_in_page(&state, StatusCode::OK, chrome, String::new(), None)
}

/// The sign-in page with a new form token, set in its cookie too.
fn sign_in_page(
    state: &State,
    status: StatusCode,
    chrome: Chrome,
    username: String,
    error: Option<&'static str>,
) -> HttpResponse {
    let csrf = session::random_token();
    let mut response = render(status, &views::SignIn { chrome, csrf: csrf.clone(), username, error });
    set_cookie(&mut response, &session::cookie_header(session::SIGN_IN_COOKIE, &csrf, secure(state)));
    response
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// The id in a page's path: anything that is not one names a page that does not exist.
fn page_id(text: &str) -> Result<uuid::Uuid, ApiError> {
    text.parse().map_err(|_| ApiError::NotFound("no such page".to_owned()))
}

/// Whether a form sent carries the session's own token; a form that cannot be read does not.
fn form_token_matches(body: &[u8], user: &SignedIn) -> bool {
    read_form::<CsrfForm>(body).is_ok_and(|form| session::csrf_matches(&user.session.csrf_token, Some(&form.csrf)))
}

/// The signed-in account, the page's chrome and the form sent, once its token is the
/// session's; otherwise the response that refuses it, having changed nothing.
async fn begin_form<T: serde::de::DeserializeOwned>(
    state: &State,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(Lang, SignedIn, Chrome, T), HttpResponse> {
    let (lang, user, chrome) = begin(state, req).await?;
    let form: T = read_form(body).map_err(|err| failure(chrome.clone(), &err))?;
    if !form_token_matches(body, &user) {
        return Err(refused_form(lang, req, &user));
    }
    Ok((lang, user, chrome, form))
}

/// A form's fields; text that is not clean (a NUL) or not a form is refused like the API does.
fn read_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    crate::http::clean_text::check_form(body)?;
    serde_urlencoded::from_bytes(body).map_err(|e| ApiError::BadRequest(format!("invalid form: {e}")))
}

async fn sign_in(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let lang = language(&req);
    let words = words::words(lang);
    let chrome = || Chrome::new(lang, &req, None, None);
    let form: SignInForm = match read_form(&body) {
        Ok(form) => form,
        Err(err) => return failure(chrome(), &err),
    };
    let expected = crate::http::cookies::cookie(&req, session::SIGN_IN_COOKIE).unwrap_or_default();
    if !session::csrf_matches(&expected, Some(&form.csrf)) {
        return sign_in_page(&state, StatusCode::FORBIDDEN, chrome(), form.username, Some(words.form_expired));
    }
    let account = match crate::http::sign_in::sign_in(&state, &req, form.username.trim(), &form.password).await {
        Ok(account) => account,
        Err(err @ ApiError::TooManyRequests { .. }) => {
            let mut response = sign_in_page(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                chrome(),
                form.username,
                Some(words.too_many_attempts),
            );
            if let Some(seconds) = err.retry_after() {
                response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
            }
            return response;
        }
        Err(ApiError::Unauthorized(reason)) => {
            let error = if reason.contains("disabled") { words.disabled_account } else { words.wrong_password };
            return sign_in_page(&state, StatusCode::UNAUTHORIZED, chrome(), form.username, Some(error));
        }
        Err(err) => return failure(chrome(), &err),
    };
    let token = match session::start(&state, &account).await {
        Ok(token) => token,
        Err(err) => return failure(chrome(), &err),
    };
    let mut response = see_other(if account.must_change_password { "/console/password" } else { "/console/" });
    let secure = secure(&state);
    set_cookie(&mut response, &session::cookie_header(session::SESSION_COOKIE, &token, secure));
    set_cookie(&mut response, &session::cleared_cookie_header(session::SIGN_IN_COOKIE, secure));
    response
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let lang = language(&req);
    let user = match signed_in(&state, &req, lang).await {
        Ok(user) => user,
        Err(elsewhere) => return elsewhere,
    };
    let form: CsrfForm = read_form(&body).unwrap_or(CsrfForm { csrf: String::new() });
    if !session::csrf_matches(&user.session.csrf_token, Some(&form.csrf)) {
        return refused_form(lang, &req, &user);
    }
    if let Err(err) = session::end(&state.db, user.session.id).await {
        return failure(Chrome::new(lang, &req, Some(&user), None), &err);
    }
    let mut response = see_other("/console/sign-in?notice=signed-out");
    set_cookie(&mut response, &session::cleared_cookie_header(session::SESSION_COOKIE, secure(&state)));
    response
}

/// A form sent without the session's token: not from this console, or from a page older
/// than the session. Nothing is done.
fn refused_form(lang: Lang, req: &HttpRequest, user: &SignedIn) -> HttpResponse {
    let chrome = Chrome::new(lang, req, Some(user), None);
    let words = chrome.words;
    render(StatusCode::FORBIDDEN, &views::Message { chrome, heading: words.error, message: words.form_expired })
}

async fn password_form(state: State, req: HttpRequest) -> HttpResponse {
    let lang = language(&req);
    match signed_in(&state, &req, lang).await {
        Ok(user) => password_page(lang, &req, &user, StatusCode::OK, None),
        Err(elsewhere) => elsewhere,
    }
}

fn password_page(
    lang: Lang,
    req: &HttpRequest,
    user: &SignedIn,
    status: StatusCode,
    error: Option<&'static str>,
) -> HttpResponse {
    let page = views::Password {
        chrome: Chrome::new(lang, req, Some(user), None),
        csrf: user.session.csrf_token.clone(),
        username: user.account.username.clone(),
        must_change: user.account.must_change_password,
        error,
    };
    render(status, &page)
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    repeat_password: String,
}

async fn change_password(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let lang = language(&req);
    let words = words::words(lang);
    let user = match signed_in(&state, &req, lang).await {
        Ok(user) => user,
        Err(elsewhere) => return elsewhere,
    };
    let form: PasswordForm = match read_form(&body) {
        Ok(form) => form,
        Err(err) => return failure(Chrome::new(lang, &req, Some(&user), None), &err),
    };
    if !session::csrf_matches(&user.session.csrf_token, Some(&form.csrf)) {
        return refused_form(lang, &req, &user);
    }
    let refuse = |error| password_page(lang, &req, &user, StatusCode::UNPROCESSABLE_ENTITY, Some(error));
    if form.new_password != form.repeat_password {
        return refuse(words.passwords_differ);
    }
    if form.new_password.chars().count() < 12 {
        return refuse(words.password_too_short);
    }
    let change =
        account_service::PasswordChange { current_password: form.current_password, new_password: form.new_password };
    match account_service::change_own_password(&state.db, &user.principal(), change).await {
        // The change ended every session of the account, this one too.
        Ok(()) => {
            let mut response = see_other("/console/sign-in?notice=password-changed");
            set_cookie(&mut response, &session::cleared_cookie_header(session::SESSION_COOKIE, secure(&state)));
            response
        }
        Err(ApiError::Validation(errors)) if errors.iter().any(|e| e.field == "current_password") => {
            refuse(words.wrong_current_password)
        }
        Err(ApiError::Validation(_)) => refuse(words.same_password),
        Err(err) => failure(Chrome::new(lang, &req, Some(&user), None), &err),
    }
}

async fn home(state: State, req: HttpRequest) -> HttpResponse {
    let lang = language(&req);
    let user = match signed_in(&state, &req, lang).await {
        Ok(user) => user,
        Err(elsewhere) => return elsewhere,
    };
    let chrome = Chrome::new(lang, &req, Some(&user), None);
    match views::Home::load(&state, &user.principal(), chrome.clone(), None, None).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct CampaignForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    copy_from: String,
}

/// Creates a campaign, blank or set up from a previous one, and goes to its dashboard.
async fn create_campaign(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, form) = match begin_form::<CampaignForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let words = chrome.words;
    let who = user.principal();
    let year = form.year.trim().parse::<i32>().ok().filter(|y| (2000..=2100).contains(y));
    let title = form.title.trim().to_owned();
    let title_ok =
        !title.is_empty() && title.chars().count() <= 200 && crate::domain::text::single_line(&title).is_ok();
    let outcome: Result<(), &'static str> = match (year, title_ok) {
        (None, _) => Err(words.year_bad),
        (_, false) => Err(words.title_bad),
        (Some(year), true) => {
            let made = match form.copy_from.parse::<uuid::Uuid>() {
                Ok(previous) => {
                    let input = crate::services::registry::year_copy::YearCopy { year, title };
                    crate::services::registry::year_copy::copy_year(
                        &state.db,
                        &state.link_changes,
                        &who,
                        previous,
                        input,
                    )
                    .await
                    .map(|copied| {
                        let counts = format!("{}-{}-{}", copied.carried_units, copied.questionnaires, copied.links);
                        format!("/console/campaigns/{}?copied={counts}", copied.campaign.id)
                    })
                }
                Err(_) => {
                    let input = crate::services::registry::campaigns::CampaignInput {
                        year,
                        title,
                        phases: None,
                        settings: None,
                        carry_over_from: None,
                    };
                    crate::services::registry::campaigns::create(&state.db, &who, input)
                        .await
                        .map(|made| format!("/console/campaigns/{}?notice=created", made.id))
                }
            };
            match made {
                Ok(to) => return see_other(&to),
                Err(ApiError::Duplicate(_)) => Err(words.year_taken),
                Err(ApiError::Conflict(_)) => Err(words.copy_needs_result),
                Err(err) => return failure(chrome, &err),
            }
        }
    };
    let error = outcome.err();
    let typed = Some((form.year, form.title, form.copy_from));
    match views::Home::load(&state, &who, chrome.clone(), typed, error).await {
        Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct DashboardQuery {
    notice: Option<String>,
    /// After a year was set up from another: carried units, questionnaires, links.
    copied: Option<String>,
}

async fn dashboard(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<DashboardQuery>,
) -> HttpResponse {
    let lang = language(&req);
    let user = match signed_in(&state, &req, lang).await {
        Ok(user) => user,
        Err(elsewhere) => return elsewhere,
    };
    let mut chrome = Chrome::new(lang, &req, Some(&user), None);
    let words = chrome.words;
    chrome.notice = match (&query.copied, query.notice.as_deref()) {
        (Some(counts), _) => {
            let counts: Vec<&str> = counts.split('-').collect();
            let count = |i: usize| counts.get(i).and_then(|c| c.parse::<u32>().ok()).unwrap_or(0).to_string();
            Some(
                words
                    .campaign_copied
                    .replace("{units}", &count(0))
                    .replace("{questionnaires}", &count(1))
                    .replace("{links}", &count(2)),
            )
        }
        (None, Some("created")) => Some(words.campaign_created.to_owned()),
        (None, Some("phase-changed")) => Some(words.phase_changed.to_owned()),
        (None, Some("phase-conflict")) => Some(words.phase_conflict.to_owned()),
        _ => None,
    };
    let Ok(id) = id.parse() else { return failure(chrome, &ApiError::NotFound("no such campaign".to_owned())) };
    match views::Dashboard::load(&state, &user.principal(), id, chrome.clone(), user.session.csrf_token.clone()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct PhaseForm {
    #[serde(default)]
    phase: String,
}

/// Moves the campaign on to the phase the dashboard offered; if someone moved it meanwhile,
/// the dashboard says so and shows where it stands.
async fn advance_phase(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, form) = match begin_form::<PhaseForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return failure(chrome, &ApiError::NotFound("no such campaign".to_owned()));
    };
    let Some(to) = crate::domain::vocabulary::Phase::parse(&form.phase) else {
        return failure(chrome, &ApiError::BadRequest("unknown phase".to_owned()));
    };
    let dashboard = format!("/console/campaigns/{id}");
    match crate::services::registry::campaigns::advance(&state.db, &state.link_changes, &user.principal(), id, to).await
    {
        Ok(_) => see_other(&format!("{dashboard}?notice=phase-changed")),
        Err(ApiError::Conflict(_)) => see_other(&format!("{dashboard}?notice=phase-conflict")),
        Err(err) => failure(chrome, &err),
    }
}

async fn units_page(state: State, req: HttpRequest, query: web::Query<NoticeQuery>) -> HttpResponse {
    let lang = language(&req);
    let user = match signed_in(&state, &req, lang).await {
        Ok(user) => user,
        Err(elsewhere) => return elsewhere,
    };
    let chrome = Chrome::new(lang, &req, Some(&user), notice(words::words(lang), &query));
    match views::Units::load(&state, &user.principal(), chrome.clone()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct BackQuery {
    back: Option<String>,
}

/// Switches the console's language and goes back to the page it was switched on (a console
/// page only).
async fn switch_language(state: State, code: web::Path<String>, query: web::Query<BackQuery>) -> HttpResponse {
    let value = if code.as_str() == "en" { "en" } else { "zh-CN" };
    let back = query.back.as_deref().filter(|b| b.starts_with("/console/") && !b.contains("//")).unwrap_or("/console/");
    let mut response = see_other(back);
    set_cookie(
        &mut response,
        &format!("{}; Max-Age=31536000", session::cookie_header(LANGUAGE_COOKIE, value, secure(&state))),
    );
    response
}
