//! The console's questionnaires of a campaign: every version with its state, a preview exactly
//! as a citizen sees it, starting one from the plan's reference questionnaire of a category,
//! publishing a draft, closing a published one and starting a new version. Through
//! `services::registry::questionnaires`, as the JSON API.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::views::{Chrome, local_time};
use crate::console::words::{self, QuestionnaireWords};
use crate::console::{CsrfForm, begin, begin_form, failure, html, page_id, render, see_other};
use crate::domain::questionnaire::Lang;
use crate::domain::vocabulary::Category;
use crate::error::ApiError;
use crate::services::registry::campaigns;
use crate::services::registry::questionnaires::{self, NewQuestionnaire};
use entity::vocabulary::QuestionnaireStatus;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/console/campaigns/{id}/questionnaires")
            .route(web::get().to(questionnaires_page))
            .route(web::post().to(create)),
    )
    .service(web::resource("/console/questionnaires/{id}/preview").route(web::get().to(preview)))
    .service(web::resource("/console/questionnaires/{id}/{action}").route(web::post().to(act)));
}

pub struct QuestionnaireRow {
    pub id: Uuid,
    pub title: String,
    pub category: &'static str,
    pub version: i32,
    pub status: &'static str,
    pub questions: usize,
    pub published: String,
    pub is_draft: bool,
    pub is_published: bool,
}

#[derive(Template)]
#[template(path = "console/questionnaires.html")]
pub struct QuestionnairesPage {
    pub chrome: Chrome,
    pub qw: &'static QuestionnaireWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub csrf: String,
    pub may_manage: bool,
    pub problem: Option<&'static str>,
    pub questionnaires: Vec<QuestionnaireRow>,
    pub categories: Vec<(&'static str, &'static str)>,
}

fn status_name(qw: &QuestionnaireWords, status: QuestionnaireStatus) -> &'static str {
    match status {
        QuestionnaireStatus::Draft => qw.draft,
        QuestionnaireStatus::Published => qw.published,
        QuestionnaireStatus::Closed => qw.closed,
    }
}

async fn questionnaires_page(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (lang, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let qw = words::questionnaire_words(lang);
    chrome.notice = match req.query_string() {
        "notice=published" => Some(qw.now_published.to_owned()),
        "notice=closed" => Some(qw.now_closed.to_owned()),
        "notice=saved" => Some(words::words(lang).saved.to_owned()),
        _ => None,
    };
    let problem = (req.query_string() == "problem=conflict").then_some(qw.conflict);
    let page = async {
        let id = page_id(&id)?;
        let who = user.principal();
        let campaign = campaigns::get(&state.db, &who, id).await?;
        let (found, _) = questionnaires::list(&state.db, &who, id, 10_000, 0).await?;
        let rows = found
            .into_iter()
            .map(|q| QuestionnaireRow {
                id: q.model.id,
                title: q.title.get(lang).to_owned(),
                category: crate::domain::vocabulary::category_name(lang, q.category),
                version: q.model.version,
                status: status_name(qw, q.status),
                questions: q.questions.len(),
                published: q.model.published_at.map(local_time).unwrap_or_default(),
                is_draft: q.status == QuestionnaireStatus::Draft,
                is_published: q.status == QuestionnaireStatus::Published,
            })
            .collect();
        Ok::<_, ApiError>(QuestionnairesPage {
            chrome: chrome.clone(),
            qw,
            campaign_id: id,
            title: campaign.title,
            csrf: user.session.csrf_token.clone(),
            may_manage: who.may(Permission::ManageCampaigns),
            problem,
            questionnaires: rows,
            categories: Category::ALL
                .iter()
                .map(|c| (c.as_str(), crate::domain::vocabulary::category_name(lang, *c)))
                .collect(),
        })
    };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct PreviewQuery {
    lang: Option<String>,
}

/// The citizen's page of a questionnaire, in the language the preview's own switch asks for.
async fn preview(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (console_lang, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let asked = web::Query::<PreviewQuery>::from_query(req.query_string()).ok().and_then(|q| q.lang.clone());
    let lang = match asked.as_deref() {
        Some("en") => Lang::En,
        Some(_) => Lang::ZhCn,
        None => console_lang,
    };
    let qw = words::questionnaire_words(lang);
    let page = async {
        let who = user.principal();
        let questionnaire = questionnaires::get(&state.db, &who, page_id(&id)?).await?;
        let campaign = campaigns::get(&state.db, &who, questionnaire.model.campaign_id).await?;
        let settings = campaigns::settings_of(&campaign)?;
        let view = crate::intake::survey::preview_of(&questionnaire, &campaign, &settings, qw.sample_unit, lang);
        Ok::<_, ApiError>(crate::web::pages::preview(&view, qw.preview_notice))
    };
    match page.await {
        Ok(page) => html(StatusCode::OK, page),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct CreateFields {
    #[serde(default)]
    category: String,
}

async fn create(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, fields) = match begin_form::<CreateFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let created = async {
        let campaign_id = page_id(&id)?;
        let category =
            Category::parse(&fields.category).ok_or_else(|| ApiError::BadRequest("unknown category".to_owned()))?;
        let input = NewQuestionnaire { category, title: None, questions: None };
        questionnaires::create(&state.db, &user.principal(), campaign_id, input).await?;
        Ok::<_, ApiError>(campaign_id)
    };
    match created.await {
        Ok(campaign_id) => see_other(&format!("/console/campaigns/{campaign_id}/questionnaires?notice=saved")),
        Err(err) => failure(chrome, &err),
    }
}

/// Publishes, closes or starts a new version of a questionnaire.
async fn act(state: State, req: HttpRequest, path: web::Path<(String, String)>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, _) = match begin_form::<CsrfForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(id) = page_id(&path.0) else { return failure(chrome, &ApiError::NotFound("no such page".into())) };
    let who = user.principal();
    let campaign_id = match questionnaires::get(&state.db, &who, id).await {
        Ok(found) => found.model.campaign_id,
        Err(err) => return failure(chrome, &err),
    };
    let (done, notice) = match path.1.as_str() {
        "publish" => (questionnaires::publish(&state.db, &state.link_changes, &who, id).await, "published"),
        "close" => (questionnaires::close(&state.db, &state.link_changes, &who, id).await, "closed"),
        "version" => (questionnaires::new_version(&state.db, &who, id).await, "saved"),
        _ => return failure(chrome, &ApiError::NotFound("no such page".into())),
    };
    let page = format!("/console/campaigns/{campaign_id}/questionnaires");
    match done {
        Ok(_) => see_other(&format!("{page}?notice={notice}")),
        // Someone else published or closed it meanwhile: the list shows how it stands now.
        Err(ApiError::Conflict(_)) => see_other(&format!("{page}?problem=conflict")),
        Err(err) => failure(chrome, &err),
    }
}
