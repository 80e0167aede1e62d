//! Third-party pollsters' pushes.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::http::json::{ValidJson, read_body, read_valid_json};
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::pollster::{self, FigureDto, NewFigure, PushBatch, PushReport};

/// Batches of 1,000 interviews need more room than other bodies (8 MiB).
pub const PUSH_BODY_LIMIT: usize = 8 * 1024 * 1024;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(push_responses).service(push_csv).service(push_figure).service(list_figures);
}

/// Push up to 1,000 raw interviews. Per item: valid items are stored (or reported unchanged
/// or conflicting when their `external_id` was pushed before); invalid ones are reported with
/// their index and reasons. Naming a unit outside the client's scope refuses the batch (403).
#[utoipa::path(tag = "pollster", params(("id" = Uuid, Path, description = "campaign id")), request_body = PushBatch, security(("bearer" = [])), responses((status = 200, body = PushReport), WriteErrors))]
#[post("/campaigns/{id}/pollster/responses")]
pub async fn push_responses(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let batch: PushBatch = read_valid_json(payload, PUSH_BODY_LIMIT).await?;
    Ok(HttpResponse::Ok().json(pollster::push(&state.db, &who, *id, batch.items).await?))
}

/// The same as a JSON batch, as CSV: UTF-8 with or without BOM, a header line naming
/// `external_id,unit_id,questionnaire_id,channel,interview_date` and then one column per
/// question key; an empty cell is no answer. Outcomes name the line (the header is line 1).
#[utoipa::path(
    tag = "pollster",
    params(("id" = Uuid, Path, description = "campaign id")),
    request_body(content = String, content_type = "text/csv", description = "external_id,unit_id,questionnaire_id,channel,interview_date,overall,…"),
    security(("bearer" = [])),
    responses((status = 200, body = PushReport), WriteErrors)
)]
#[post("/campaigns/{id}/pollster/responses.csv")]
pub async fn push_csv(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = read_body(payload, PUSH_BODY_LIMIT).await?;
    Ok(HttpResponse::Ok().json(pollster::push_csv(&state.db, &who, *id, &body).await?))
}

/// Push a per-unit summary figure; it becomes the current one for (campaign, unit, client)
/// and the previous one is kept, marked superseded.
#[utoipa::path(tag = "pollster", params(("id" = Uuid, Path, description = "campaign id")), request_body = NewFigure, security(("bearer" = [])), responses((status = 201, body = FigureDto), WriteErrors))]
#[post("/campaigns/{id}/pollster/figures")]
pub async fn push_figure(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewFigure>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(FigureDto::from(pollster::push_figure(&state.db, &who, *id, body.0).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FigureQuery {
    pub unit_id: Option<Uuid>,
    /// Include superseded figures (default: current ones only).
    pub history: Option<bool>,
}

/// Pollsters' summary figures of a campaign (a pollster sees its own).
#[utoipa::path(tag = "pollster", params(("id" = Uuid, Path, description = "campaign id"), FigureQuery, PageParams), security(("bearer" = [])), responses((status = 200, body = Page<FigureDto>), ReadErrors))]
#[get("/campaigns/{id}/pollster/figures")]
pub async fn list_figures(
    state: State,
    who: Principal,
    page: web::Query<PageParams>,
    id: web::Path<Uuid>,
    query: web::Query<FigureQuery>,
) -> ApiResult<HttpResponse> {
    let list = pollster::figures(&state.db, &who, *id, query.unit_id, query.history.unwrap_or(false)).await?;
    Ok(HttpResponse::Ok().json(Page::of_all(list.into_iter().map(FigureDto::from).collect::<Vec<_>>(), *page)?))
}
