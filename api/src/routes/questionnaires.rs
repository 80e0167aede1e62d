//! Questionnaires, their templates, versions and life cycle.

use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Principal;
use crate::domain::templates::Template;
use crate::error::ApiResult;
use crate::http::json::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::responses::{ReadErrors, WriteErrors};
use crate::services::registry::questionnaires::{self, DraftUpdate, NewQuestionnaire, QuestionnaireDto};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_templates)
        .service(create_questionnaire)
        .service(list_questionnaires)
        .service(get_questionnaire)
        .service(update_questionnaire)
        .service(publish_questionnaire)
        .service(close_questionnaire)
        .service(new_questionnaire_version);
}

/// The shipped reference questionnaires, one per category.
#[utoipa::path(tag = "questionnaires", params(PageParams), security(("bearer" = [])), responses((status = 200, body = Page<Template>), ReadErrors))]
#[get("/questionnaire-templates")]
pub async fn list_templates(who: Principal, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Page::of_all(questionnaires::templates(&who)?, *page)?))
}

/// Create a draft questionnaire from the category's template, or from the given questions.
#[utoipa::path(tag = "questionnaires", params(("id" = Uuid, Path, description = "campaign id")), request_body = NewQuestionnaire, security(("bearer" = [])), responses((status = 201, body = QuestionnaireDto), WriteErrors))]
#[post("/campaigns/{id}/questionnaires")]
pub async fn create_questionnaire(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<NewQuestionnaire>,
) -> ApiResult<HttpResponse> {
    let created = questionnaires::create(&state.db, &who, *id, body.0).await?;
    Ok(HttpResponse::Created().json(QuestionnaireDto::from(created)))
}

/// The questionnaires (all versions) of a campaign.
#[utoipa::path(tag = "questionnaires", params(("id" = Uuid, Path, description = "campaign id"), PageParams), security(("bearer" = [])), responses((status = 200, body = Page<QuestionnaireDto>), ReadErrors))]
#[get("/campaigns/{id}/questionnaires")]
pub async fn list_questionnaires(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let (limit, offset) = page.resolve()?;
    let (items, total) = questionnaires::list(&state.db, &who, *id, limit, offset).await?;
    let items: Vec<QuestionnaireDto> = items.into_iter().map(QuestionnaireDto::from).collect();
    Ok(HttpResponse::Ok().json(Page { items, total, limit, offset }))
}

/// One questionnaire version.
#[utoipa::path(tag = "questionnaires", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = QuestionnaireDto), ReadErrors))]
#[get("/questionnaires/{id}")]
pub async fn get_questionnaire(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(QuestionnaireDto::from(questionnaires::get(&state.db, &who, *id).await?)))
}

/// Replace a draft's title and questions. Published and closed versions answer 409.
#[utoipa::path(tag = "questionnaires", params(("id" = Uuid, Path)), request_body = DraftUpdate, security(("bearer" = [])), responses((status = 200, body = QuestionnaireDto), WriteErrors))]
#[put("/questionnaires/{id}")]
pub async fn update_questionnaire(
    state: State,
    who: Principal,
    id: web::Path<Uuid>,
    body: ValidJson<DraftUpdate>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(QuestionnaireDto::from(questionnaires::update_draft(&state.db, &who, *id, body.0).await?)))
}

/// Publish a draft: from now on it never changes and its links take responses.
#[utoipa::path(tag = "questionnaires", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = QuestionnaireDto), WriteErrors))]
#[post("/questionnaires/{id}/publish")]
pub async fn publish_questionnaire(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(QuestionnaireDto::from(questionnaires::publish(&state.db, &state.link_changes, &who, *id).await?)))
}

/// Close a published questionnaire: its links stop taking responses.
#[utoipa::path(tag = "questionnaires", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = QuestionnaireDto), WriteErrors))]
#[post("/questionnaires/{id}/close")]
pub async fn close_questionnaire(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(QuestionnaireDto::from(questionnaires::close(&state.db, &state.link_changes, &who, *id).await?)))
}

/// Start a new draft version from this one (the way to change a published questionnaire).
#[utoipa::path(tag = "questionnaires", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 201, body = QuestionnaireDto), WriteErrors))]
#[post("/questionnaires/{id}/versions")]
pub async fn new_questionnaire_version(state: State, who: Principal, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(QuestionnaireDto::from(questionnaires::new_version(&state.db, &who, *id).await?)))
}
