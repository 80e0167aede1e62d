//! Accounts, administered by the evaluation office.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::State;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::registry::accounts::{self, AccountDto, AccountInput};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_account).service(list_accounts);
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
