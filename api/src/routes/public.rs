//! The citizens' side of the API: no authentication, nothing identifying stored.

use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::PublicErrors;
use crate::domain::questionnaire::{Lang, QuestionKind};
use crate::domain::vocabulary::Channel;
use crate::error::ApiResult;
use crate::services::submissions::{self, Receipt, Submission};
use crate::services::{campaigns, units};
use crate::startup::State;
use crate::validation::ValidJson;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_survey).service(submit_response);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// `zh-CN` (default) or `en`; without it, `Accept-Language` decides.
    pub lang: Option<Lang>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicOption {
    #[schema(example = "satisfied")]
    pub key: String,
    #[schema(example = "满意")]
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicQuestion {
    #[schema(example = "overall")]
    pub key: String,
    pub kind: QuestionKind,
    pub required: bool,
    #[schema(example = "您对该单位的总体评价")]
    pub text: String,
    pub options: Vec<PublicOption>,
    /// Text questions: the longest accepted answer in characters.
    pub max_length: Option<u32>,
}

/// What a citizen needs to fill in the questionnaire behind a link.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyView {
    pub slug: String,
    pub lang: Lang,
    #[schema(example = "区交通运输局")]
    pub unit_name: String,
    #[schema(example = "昭化区2017年度民主评议政风行风")]
    pub campaign_title: String,
    pub title: String,
    pub channel: Channel,
    /// The exact questionnaire version that a submission will be checked against.
    pub questionnaire_id: Uuid,
    pub questionnaire_version: i32,
    pub questions: Vec<PublicQuestion>,
}

fn language(query: Option<Lang>, req: &HttpRequest) -> Lang {
    query.unwrap_or_else(|| {
        let header = req.headers().get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if header.trim_start().to_ascii_lowercase().starts_with("en") { Lang::En } else { Lang::ZhCn }
    })
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
    let (link, questionnaire) = submissions::open_link(&state.db, &slug).await?;
    let unit = units::find(&state.db, link.unit_id).await?;
    let campaign = campaigns::find(&state.db, questionnaire.model.campaign_id).await?;
    let questions = questionnaire
        .questions
        .iter()
        .map(|q| PublicQuestion {
            key: q.key.clone(),
            kind: q.kind,
            required: q.required,
            text: q.text.get(lang).to_owned(),
            options: q
                .options
                .iter()
                .map(|o| PublicOption { key: o.key.clone(), label: o.label.get(lang).to_owned() })
                .collect(),
            max_length: (q.kind == QuestionKind::Text).then(|| q.text_limit() as u32),
        })
        .collect();
    Ok(HttpResponse::Ok().json(SurveyView {
        slug: link.slug,
        lang,
        unit_name: unit.name,
        campaign_title: campaign.title,
        title: questionnaire.title.get(lang).to_owned(),
        channel: Channel::parse(&link.channel).unwrap_or(Channel::Other),
        questionnaire_id: questionnaire.model.id,
        questionnaire_version: questionnaire.model.version,
        questions,
    }))
}

/// Submit an anonymous response. Idempotent on `submission_id`: a retry returns the
/// original receipt (200) without storing anything; the same id with other answers is 409.
#[utoipa::path(
    tag = "public",
    params(("slug" = String, Path)),
    request_body = Submission,
    responses((status = 201, description = "Stored", body = Receipt), (status = 200, description = "A retry of a stored submission", body = Receipt), PublicErrors)
)]
#[post("/public/surveys/{slug}/responses")]
pub async fn submit_response(
    state: State,
    slug: web::Path<String>,
    body: ValidJson<Submission>,
) -> ApiResult<HttpResponse> {
    let receipt = submissions::submit(&state.db, &slug, body.0).await?;
    let mut response = if receipt.replayed { HttpResponse::Ok() } else { HttpResponse::Created() };
    Ok(response.json(receipt))
}
