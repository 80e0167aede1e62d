//! API clients, administered by the evaluation office.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::registry::clients::{self, ClientDto, ClientWithSecret, NewClient};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_client)
        .service(list_clients)
        .service(get_client)
        .service(rotate_secret)
        .service(disable_client)
        .service(enable_client);
}

/// Register a pollster or reader; the reply holds its secret, shown this once.
#[utoipa::path(tag = "clients", request_body = NewClient, security(("bearer" = [])), responses((status = 201, body = ClientWithSecret), WriteErrors))]
#[post("/clients")]
pub async fn create_client(state: State, who: Principal, body: ValidJson<NewClient>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(clients::create(&state.db, &who, body.0).await?))
}

/// Every API client.
#[utoipa::path(tag = "clients", params(PageParams), security(("bearer" = [])), responses((status = 200, body = Page<ClientDto>), ReadErrors))]
#[get("/clients")]
pub async fn list_clients(state: State, who: Principal, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let list =
        clients::list(&state.db, &who).await?.into_iter().map(ClientDto::try_from).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page::of_all(list, *page)?))
}

/// One API client.
#[utoipa::path(tag = "clients", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = ClientDto), ReadErrors))]
#[get("/clients/{id}")]
pub async fn get_client(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ClientDto::try_from(clients::get(&state.db, &who, *id).await?)?))
}

/// Replace the client's secret; the old one stops working at once.
#[utoipa::path(tag = "clients", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = ClientWithSecret), WriteErrors))]
#[post("/clients/{id}/secret")]
pub async fn rotate_secret(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(clients::rotate_secret(&state.db, &who, *id).await?))
}

/// Disable a client: its next request, even with an unexpired token, is refused (401).
#[utoipa::path(tag = "clients", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = ClientDto), WriteErrors))]
#[post("/clients/{id}/disable")]
pub async fn disable_client(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ClientDto::try_from(clients::set_disabled(&state.db, &who, *id, true).await?)?))
}

/// Enable a disabled client again.
#[utoipa::path(tag = "clients", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = ClientDto), WriteErrors))]
#[post("/clients/{id}/enable")]
pub async fn enable_client(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ClientDto::try_from(clients::set_disabled(&state.db, &who, *id, false).await?)?))
}
