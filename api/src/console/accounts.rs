//! The console's accounts page, for admins: every account with its role, unit and state;
//! adding one (with a one-time password its holder replaces at first sign-in), disabling and
//! enabling, and resetting a password. Through `services::registry::accounts`, as the API.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use entity::vocabulary::Role;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::session::SignedIn;
use crate::console::views::Chrome;
use crate::console::words::{self, AccountWords};
use crate::console::{begin, begin_form, failure, render};
use crate::error::{ApiError, ApiResult};
use crate::services::registry::accounts::{self, OneTimePassword};
use crate::services::registry::units::{self, UnitFilter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console/accounts").route(web::get().to(accounts_page)).route(web::post().to(add)))
        .service(web::resource("/console/accounts/{id}/disable").route(web::post().to(disable)))
        .service(web::resource("/console/accounts/{id}/enable").route(web::post().to(enable)))
        .service(web::resource("/console/accounts/{id}/reset").route(web::post().to(reset)))
        .service(web::resource("/console/accounts/{id}/email").route(web::post().to(set_email)));
}

/// The roles an account may have (pollsters and readers are API clients).
const ACCOUNT_ROLES: [Role; 4] = [Role::Admin, Role::Observer, Role::Approver, Role::Unit];

pub struct AccountRow {
    pub id: Uuid,
    pub username: String,
    pub role: &'static str,
    pub unit: String,
    pub state: &'static str,
    pub disabled: bool,
    /// The signed-in admin's own account: not disabled or reset from here.
    pub is_self: bool,
    /// Where its reminder digests are mailed.
    pub email: String,
}

#[derive(Template)]
#[template(path = "console/accounts.html")]
pub struct AccountsPage {
    pub chrome: Chrome,
    pub aw: &'static AccountWords,
    pub csrf: String,
    pub error: Option<&'static str>,
    pub accounts: Vec<AccountRow>,
    pub roles: Vec<(&'static str, &'static str)>,
    pub units: Vec<(String, String)>,
    pub username: String,
    pub role: String,
    pub unit: String,
}

#[derive(serde::Deserialize, Default)]
struct AddForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
}

impl AccountsPage {
    async fn load(
        state: &State,
        user: &SignedIn,
        chrome: Chrome,
        form: AddForm,
        error: Option<&'static str>,
    ) -> ApiResult<Self> {
        let who = user.principal();
        who.require(Permission::ManageAccounts)?;
        let lang = chrome.lang;
        let words = chrome.words;
        let (found, _) = accounts::list(&state.db, &who, 10_000, 0).await?;
        let filter = UnitFilter { parent_id: None, category: None };
        let (register, _) = units::list(&state.db, &who, &filter, 100_000, 0).await?;
        let unit_names: HashMap<Uuid, String> = register.iter().map(|u| (u.id, u.name.clone())).collect();
        let accounts = found
            .into_iter()
            .map(|a| AccountRow {
                id: a.id,
                role: words::role_name(lang, a.role),
                unit: a.unit_id.and_then(|id| unit_names.get(&id).cloned()).unwrap_or_default(),
                state: if a.disabled_at.is_some() {
                    words.disabled
                } else if a.must_change_password {
                    words.needs_new_password
                } else {
                    words.enabled
                },
                disabled: a.disabled_at.is_some(),
                is_self: a.id == user.account.id,
                email: a.email.unwrap_or_default(),
                username: a.username,
            })
            .collect();
        Ok(Self {
            aw: words::account_words(lang),
            csrf: user.session.csrf_token.clone(),
            error,
            accounts,
            roles: ACCOUNT_ROLES.iter().map(|r| (r.as_str(), words::role_name(lang, *r))).collect(),
            units: register.into_iter().map(|u| (u.id.to_string(), format!("{}（{}）", u.name, u.code))).collect(),
            username: form.username,
            role: if form.role.is_empty() { Role::Admin.as_str().to_owned() } else { form.role },
            unit: form.unit,
            chrome,
        })
    }
}

async fn page(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    status: StatusCode,
    form: AddForm,
    error: Option<&'static str>,
) -> HttpResponse {
    match AccountsPage::load(state, user, chrome.clone(), form, error).await {
        Ok(page) => render(status, &page),
        Err(err) => failure(chrome, &err),
    }
}

async fn accounts_page(state: State, req: HttpRequest, query: web::Query<crate::console::NoticeQuery>) -> HttpResponse {
    let (_, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    chrome.notice = crate::console::notice(chrome.words, &query).map(str::to_owned);
    page(&state, &user, chrome, StatusCode::OK, AddForm::default(), None).await
}

#[derive(Template)]
#[template(path = "console/one_time_password.html")]
pub struct OneTimePasswordPage {
    pub chrome: Chrome,
    pub aw: &'static AccountWords,
    pub note: String,
    pub password: String,
}

fn one_time_password_page(chrome: Chrome, issued: OneTimePassword) -> HttpResponse {
    let aw = words::account_words(chrome.lang);
    let note = aw.one_time_password_note.replace("{name}", &issued.account.username);
    render(StatusCode::OK, &OneTimePasswordPage { chrome, aw, note, password: issued.one_time_password })
}

async fn add(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, form) = match begin_form::<AddForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let aw = words::account_words(lang);
    let Some(role) = Role::parse(&form.role).filter(|r| ACCOUNT_ROLES.contains(r)) else {
        return failure(chrome, &ApiError::BadRequest("unknown role".to_owned()));
    };
    let unit_id = form.unit.parse::<Uuid>().ok();
    let username = form.username.trim().to_owned();
    match accounts::invite(&state.db, &user.principal(), username, role, unit_id).await {
        Ok(issued) => one_time_password_page(chrome, issued),
        Err(err) => {
            let error = match &err {
                ApiError::Duplicate(_) => aw.username_taken,
                ApiError::Validation(errors) if errors.iter().any(|e| e.field == "username") => aw.username_bad,
                ApiError::Validation(errors) if errors.iter().any(|e| e.field == "unit_id") && role == Role::Unit => {
                    aw.unit_needed
                }
                ApiError::Validation(errors) if errors.iter().any(|e| e.field == "unit_id") => aw.unit_not_for_role,
                _ => return failure(chrome, &err),
            };
            page(&state, &user, chrome, StatusCode::UNPROCESSABLE_ENTITY, form, Some(error)).await
        }
    }
}

/// A posted action on account `id`, its form token checked; `Err` is the response to send.
async fn action_on(
    state: &State,
    req: &HttpRequest,
    id: &str,
    body: &[u8],
) -> Result<(SignedIn, Chrome, Uuid), HttpResponse> {
    let (_, user, chrome, _) = begin_form::<crate::console::CsrfForm>(state, req, body).await?;
    let id = id.parse().map_err(|_| failure(chrome.clone(), &ApiError::NotFound("no such account".to_owned())))?;
    Ok((user, chrome, id))
}

async fn set_disabled(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
    disabled: bool,
) -> HttpResponse {
    let (user, chrome, id) = match action_on(&state, &req, &id, &body).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    match accounts::set_disabled(&state.db, &user.principal(), id, disabled).await {
        Ok(_) => crate::console::see_other("/console/accounts?notice=saved"),
        Err(ApiError::Conflict(_)) => {
            let last_admin = words::account_words(chrome.lang).last_admin;
            page(&state, &user, chrome, StatusCode::CONFLICT, AddForm::default(), Some(last_admin)).await
        }
        Err(err) => failure(chrome, &err),
    }
}

async fn disable(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    set_disabled(state, req, id, body, true).await
}

async fn enable(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    set_disabled(state, req, id, body, false).await
}

async fn reset(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (user, chrome, id) = match action_on(&state, &req, &id, &body).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    match accounts::reset_password(&state.db, &user.principal(), id).await {
        Ok(issued) => one_time_password_page(chrome, issued),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(serde::Deserialize)]
struct EmailFields {
    #[serde(default)]
    email: String,
}

async fn set_email(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, fields) = match begin_form::<EmailFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let Ok(id) = id.parse::<Uuid>() else { return failure(chrome, &ApiError::NotFound("no such account".to_owned())) };
    let email = Some(fields.email.trim().to_owned()).filter(|e| !e.is_empty());
    let change = accounts::EmailChange { email };
    let saved = match validator::Validate::validate(&change) {
        Ok(()) => accounts::set_email(&state.db, &user.principal(), id, change).await,
        Err(errors) => Err(ApiError::from(errors)),
    };
    match saved {
        Ok(_) => crate::console::see_other("/console/accounts?notice=saved"),
        Err(ApiError::Validation(_)) => {
            let bad = words::account_words(lang).email_bad;
            page(&state, &user, chrome, StatusCode::UNPROCESSABLE_ENTITY, AddForm::default(), Some(bad)).await
        }
        Err(err) => failure(chrome, &err),
    }
}
