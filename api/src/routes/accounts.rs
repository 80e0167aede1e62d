//! Accounts, administered by the evaluation office.

use actix_web::{HttpResponse, delete, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::registry::accounts::{self, AccountDto, AccountInput, EmailChange, OneTimePassword};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_account)
        .service(set_email)
        .service(list_accounts)
        .service(get_account)
        .service(disable_account)
        .service(enable_account)
        .service(delete_account)
        .service(reset_password);
}

/// Create an account (admin, observer, or unit staff linked to one unit).
#[utoipa::path(tag = "accounts", request_body = AccountInput, security(("bearer" = [])), responses((status = 201, body = AccountDto), WriteErrors))]
#[post("/accounts")]
pub async fn create_account(state: State, who: Principal, body: ValidJson<AccountInput>) -> ApiResult<HttpResponse> {
    let account = accounts::create(&state.db, &who, body.0).await?;
    Ok(HttpResponse::Created().json(AccountDto::from(account)))
}

/// List accounts, by username.
#[utoipa::path(tag = "accounts", params(PageParams), security(("bearer" = [])), responses((status = 200, body = Page<AccountDto>), ReadErrors))]
#[get("/accounts")]
pub async fn list_accounts(state: State, who: Principal, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let (limit, offset) = page.resolve()?;
    let (items, total) = accounts::list(&state.db, &who, limit, offset).await?;
    Ok(HttpResponse::Ok().json(Page {
        items: items.into_iter().map(AccountDto::from).collect::<Vec<_>>(),
        total,
        limit,
        offset,
    }))
}

/// One account.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = AccountDto), ReadErrors))]
#[get("/accounts/{id}")]
pub async fn get_account(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(AccountDto::from(accounts::get(&state.db, &who, *id).await?)))
}

/// Disable an account: it cannot sign in, and its next request, even with an unexpired
/// token, is refused (401). The last enabled admin cannot be disabled (409). Audited.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = AccountDto), WriteErrors))]
#[post("/accounts/{id}/disable")]
pub async fn disable_account(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(AccountDto::from(accounts::set_disabled(&state.db, &who, *id, true).await?)))
}

/// Enable a disabled account again. Audited.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = AccountDto), WriteErrors))]
#[post("/accounts/{id}/enable")]
pub async fn enable_account(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(AccountDto::from(accounts::set_disabled(&state.db, &who, *id, false).await?)))
}

/// Delete an account; its tokens fail at their next request, and what it did stays in the
/// audit log under its id. The last enabled admin cannot be deleted (409). Audited.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 204, description = "Deleted"), WriteErrors))]
#[delete("/accounts/{id}")]
pub async fn delete_account(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    accounts::delete(&state.db, &who, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reset an account's password: the reply holds a one-time password, shown this once. The
/// account's tokens fail at once, and after signing in with it, the account may only choose
/// a new password (`POST /auth/password`). Audited.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = OneTimePassword), WriteErrors))]
#[post("/accounts/{id}/password-reset")]
pub async fn reset_password(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(accounts::reset_password(&state.db, &who, *id).await?))
}

/// Set or clear the address an account's reminder digests are mailed to (admins for any
/// account; an account for itself).
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "account id")), request_body = EmailChange, security(("bearer" = [])), responses((status = 200, body = AccountDto), WriteErrors))]
#[put("/accounts/{id}/email")]
pub async fn set_email(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<EmailChange>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(AccountDto::from(accounts::set_email(&state.db, &who, *id, body.0).await?)))
}
