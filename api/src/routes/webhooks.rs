//! Webhook subscriptions of API clients and their delivery log.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::webhooks::subscriptions::{self, DeliveryDto, NewSubscription, SubscriptionDto, SubscriptionWithSecret};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_subscription)
        .service(list_subscriptions)
        .service(disable_subscription)
        .service(list_deliveries)
        .service(redeliver);
}

/// Subscribe the calling API client to events. Deliveries are POSTs of a JSON event signed
/// per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`), retried
/// with exponential backoff; targets on private or loopback addresses are refused unless the
/// service allows them.
#[utoipa::path(tag = "webhooks", request_body = NewSubscription, security(("bearer" = [])), responses((status = 201, body = SubscriptionWithSecret), WriteErrors))]
#[post("/webhooks")]
pub async fn create_subscription(
    state: State,
    who: Principal,
    body: ValidJson<NewSubscription>,
) -> ApiResult<HttpResponse> {
    let made = subscriptions::create(&state.db, &who, state.settings.webhooks.allow_private_targets, body.0).await?;
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(made))
}

/// The caller's subscriptions (admins: all).
#[utoipa::path(tag = "webhooks", params(PageParams), security(("bearer" = [])), responses((status = 200, body = Page<SubscriptionDto>), ReadErrors))]
#[get("/webhooks")]
pub async fn list_subscriptions(state: State, who: Principal, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let list = subscriptions::list(&state.db, &who)
        .await?
        .into_iter()
        .map(SubscriptionDto::try_from)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page::of_all(list, *page)?))
}

/// Stop a subscription; pending deliveries end as failed.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = SubscriptionDto), WriteErrors))]
#[post("/webhooks/{id}/disable")]
pub async fn disable_subscription(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(SubscriptionDto::try_from(subscriptions::disable(&state.db, &who, *id).await?)?))
}

/// The delivery log of a subscription: every delivery with every attempt.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<DeliveryDto>), ReadErrors))]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: State,
    who: Principal,
    page: web::Query<PageParams>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Page::of_all(subscriptions::deliveries(&state.db, &who, *id).await?, *page)?))
}

/// Send a delivery again (same event id), with a fresh series of attempts.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path, description = "delivery id")), security(("bearer" = [])), responses((status = 202, description = "Queued"), WriteErrors))]
#[post("/webhooks/deliveries/{id}/redeliver")]
pub async fn redeliver(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    subscriptions::redeliver(&state.db, &who, *id).await?;
    Ok(HttpResponse::Accepted().finish())
}
