//! The console's rectification board (整改) of a campaign: per unit, the problems found with
//! their measures, each measure's responsible post, deadline and status, and what is overdue
//! marked; recording a problem, adding a measure and moving a measure on. Unit accounts see
//! and act on their own unit only. Through `services::evaluation::rectification`, as
//! `POST /campaigns/{id}/problems`, `POST /problems/{id}/measures` and
//! `PUT /measures/{id}/status`.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::session::SignedIn;
use crate::console::views::Chrome;
use crate::console::words::{self, RectificationWords};
use crate::console::{begin, begin_form, failure, page_id, render, see_other};
use crate::error::{ApiError, ApiResult};
use crate::services::evaluation::rectification::{
    self, MeasureStatus, NewMeasure, NewProblem, ProblemSource, is_overdue,
};
use crate::services::registry::{campaigns, units};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console/campaigns/{id}/rectification").route(web::get().to(board)))
        .service(web::resource("/console/campaigns/{id}/rectification/problems").route(web::post().to(add_problem)))
        .service(web::resource("/console/problems/{id}/measures").route(web::post().to(add_measure)))
        .service(web::resource("/console/measures/{id}/status").route(web::post().to(set_status)));
}

pub struct MeasureRow {
    pub id: Uuid,
    pub description: String,
    pub responsible: String,
    pub deadline: String,
    pub status: &'static str,
    pub status_key: &'static str,
    pub overdue: bool,
}

pub struct ProblemRow {
    pub id: Uuid,
    pub found_on: String,
    pub source: &'static str,
    pub description: String,
    pub public: bool,
    pub measures: Vec<MeasureRow>,
}

pub struct UnitBoard {
    pub name: String,
    pub problems: Vec<ProblemRow>,
    pub measures: usize,
    pub finished: usize,
    pub overdue: usize,
}

/// The problem form as typed, to show again with its problems.
#[derive(Deserialize, Default)]
pub struct ProblemFields {
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub found_on: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub public: Option<String>,
}

#[derive(Template)]
#[template(path = "console/rectification.html")]
pub struct BoardPage {
    pub chrome: Chrome,
    pub rw: &'static RectificationWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub csrf: String,
    pub may_act: bool,
    pub errors: Vec<(&'static str, &'static str)>,
    pub units: Vec<UnitBoard>,
    pub overdue: usize,
    /// The units a problem can be recorded for: (id, name).
    pub choices: Vec<(String, String)>,
    pub sources: Vec<(&'static str, &'static str)>,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub typed: ProblemFields,
}

fn status_name(rw: &RectificationWords, status: MeasureStatus) -> &'static str {
    match status {
        MeasureStatus::Planned => rw.planned,
        MeasureStatus::InProgress => rw.in_progress,
        MeasureStatus::Done => rw.done,
        MeasureStatus::Verified => rw.verified,
    }
}

fn source_name(rw: &RectificationWords, source: ProblemSource) -> &'static str {
    match source {
        ProblemSource::FreeText => rw.free_text,
        ProblemSource::Forum => rw.forum,
        ProblemSource::Visit => rw.visit,
        ProblemSource::Other => rw.other,
    }
}

async fn load(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    campaign_id: Uuid,
    typed: ProblemFields,
    errors: Vec<(&'static str, &'static str)>,
) -> ApiResult<BoardPage> {
    let who = user.principal();
    let rw = words::rectification_words(chrome.lang);
    let campaign = campaigns::get(&state.db, &who, campaign_id).await?;
    let problems = rectification::problems(&state.db, &who, campaign_id).await?;
    let measures = rectification::measures(&state.db, &who, campaign_id).await?;
    let today = chrono::Utc::now().date_naive();
    let mut by_problem: HashMap<Uuid, Vec<MeasureRow>> = HashMap::new();
    let mut overdue_of: HashMap<Uuid, (usize, usize, usize)> = HashMap::new();
    for m in measures {
        let overdue = is_overdue(&m, today);
        let counts = overdue_of.entry(m.unit_id).or_default();
        counts.0 += 1;
        counts.1 += usize::from(matches!(m.status, MeasureStatus::Done | MeasureStatus::Verified));
        counts.2 += usize::from(overdue);
        by_problem.entry(m.problem_id).or_default().push(MeasureRow {
            id: m.id,
            description: m.description,
            responsible: m.responsible,
            deadline: m.deadline.to_string(),
            status: status_name(rw, m.status),
            status_key: m.status.as_str(),
            overdue,
        });
    }
    let mut boards: BTreeMap<Uuid, Vec<ProblemRow>> = BTreeMap::new();
    for p in problems {
        boards.entry(p.unit_id).or_default().push(ProblemRow {
            id: p.id,
            found_on: p.found_on.to_string(),
            source: source_name(rw, p.source),
            description: p.description,
            public: p.public,
            measures: by_problem.remove(&p.id).unwrap_or_default(),
        });
    }
    // A unit account records for its own unit (a township's, also for its stations); the
    // office for any unit of the campaign.
    let members = crate::services::registry::campaign_units::unit_ids(&state.db, campaign_id).await?;
    let choices: Vec<Uuid> = match who.unit_scope()? {
        Some(units) => members.into_iter().filter(|m| units.contains(m)).collect(),
        None => members,
    };
    let wanted: std::collections::HashSet<Uuid> = boards.keys().chain(choices.iter()).copied().collect();
    let names: HashMap<Uuid, String> =
        units::by_ids(&state.db, wanted).await?.into_iter().map(|(id, unit)| (id, unit.name)).collect();
    let name = |id: &Uuid| names.get(id).cloned().unwrap_or_default();
    let mut units: Vec<UnitBoard> = boards
        .into_iter()
        .map(|(unit, problems)| {
            let (measures, finished, overdue) = overdue_of.get(&unit).copied().unwrap_or_default();
            UnitBoard { name: name(&unit), problems, measures, finished, overdue }
        })
        .collect();
    units.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.name.cmp(&b.name)));
    let mut choices: Vec<(String, String)> = choices.iter().map(|id| (id.to_string(), name(id))).collect();
    choices.sort_by(|a, b| a.1.cmp(&b.1));
    let may_verify = who.may(Permission::VerifyMeasures);
    Ok(BoardPage {
        rw,
        campaign_id,
        title: campaign.title,
        csrf: user.session.csrf_token.clone(),
        may_act: who.may(Permission::ActOnRectification),
        errors,
        overdue: units.iter().map(|u| u.overdue).sum(),
        units,
        choices,
        sources: ProblemSource::ALL.iter().map(|s| (s.as_str(), source_name(rw, *s))).collect(),
        statuses: MeasureStatus::ALL
            .iter()
            .filter(|s| may_verify || **s != MeasureStatus::Verified)
            .map(|s| (s.as_str(), status_name(rw, *s)))
            .collect(),
        typed,
        chrome,
    })
}

async fn board(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (lang, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    if req.query_string() == "notice=saved" {
        chrome.notice = Some(words::words(lang).saved.to_owned());
    }
    let typed = ProblemFields { found_on: chrono::Utc::now().date_naive().to_string(), ..Default::default() };
    let page = async { load(&state, &user, chrome.clone(), page_id(&id)?, typed, Vec::new()).await };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

/// The board again with `errors` named, or the general failure.
async fn again(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    campaign_id: Uuid,
    typed: ProblemFields,
    errors: Vec<(&'static str, &'static str)>,
) -> HttpResponse {
    match load(state, user, chrome.clone(), campaign_id, typed, errors).await {
        Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(err) => failure(chrome, &err),
    }
}

async fn add_problem(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, typed) = match begin_form::<ProblemFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let Ok(campaign_id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound("no such page".into())) };
    let rw = words::rectification_words(lang);
    let mut errors = Vec::new();
    let unit_id = typed.unit.parse::<Uuid>().ok();
    if unit_id.is_none() {
        errors.push(("p-unit", rw.unit_bad));
    }
    let found_on = NaiveDate::parse_from_str(typed.found_on.trim(), "%Y-%m-%d").ok();
    if found_on.is_none() {
        errors.push(("p-date", rw.date_bad));
    }
    let description = typed.description.trim().to_owned();
    if description.is_empty() || description.chars().count() > 5000 {
        errors.push(("p-text", rw.description_bad));
    }
    let source = ProblemSource::parse(&typed.source).unwrap_or(ProblemSource::Other);
    let (Some(unit_id), Some(found_on), true) = (unit_id, found_on, errors.is_empty()) else {
        return again(&state, &user, chrome, campaign_id, typed, errors).await;
    };
    let input = NewProblem { unit_id, source, description, found_on, public: typed.public.is_some() };
    if validator::Validate::validate(&input).is_err() {
        return again(&state, &user, chrome, campaign_id, typed, vec![("p-text", rw.description_bad)]).await;
    }
    match rectification::add_problem(&state.db, &user.principal(), campaign_id, input).await {
        Ok(_) => see_other(&format!("/console/campaigns/{campaign_id}/rectification?notice=saved")),
        Err(ApiError::Conflict(_)) => {
            again(&state, &user, chrome, campaign_id, typed, vec![("p-unit", rw.phase_bad)]).await
        }
        Err(ApiError::Validation(_)) => {
            again(&state, &user, chrome, campaign_id, typed, vec![("p-unit", rw.unit_bad)]).await
        }
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct MeasureFields {
    #[serde(default)]
    description: String,
    #[serde(default)]
    responsible: String,
    #[serde(default)]
    deadline: String,
}

/// The campaign a problem belongs to, for coming back to its board.
async fn campaign_of_problem(state: &State, problem_id: Uuid) -> ApiResult<Uuid> {
    use sea_orm::EntityTrait;
    entity::problem::Entity::find_by_id(problem_id)
        .one(&state.db)
        .await?
        .map(|p| p.campaign_id)
        .ok_or_else(|| ApiError::NotFound("no such problem".to_owned()))
}

async fn add_measure(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, fields) = match begin_form::<MeasureFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let rw = words::rectification_words(lang);
    let problem_id = match page_id(&id) {
        Ok(problem_id) => problem_id,
        Err(err) => return failure(chrome, &err),
    };
    let campaign_id = match campaign_of_problem(&state, problem_id).await {
        Ok(campaign_id) => campaign_id,
        Err(err) => return failure(chrome, &err),
    };
    let mut errors = Vec::new();
    let deadline = NaiveDate::parse_from_str(fields.deadline.trim(), "%Y-%m-%d").ok();
    if deadline.is_none() {
        errors.push(("measures", rw.deadline_bad));
    }
    let input = NewMeasure {
        description: fields.description.trim().to_owned(),
        responsible: fields.responsible.trim().to_owned(),
        deadline: deadline.unwrap_or_default(),
    };
    if validator::Validate::validate(&input).is_err() {
        errors.push(("measures", rw.measure_bad));
    }
    if !errors.is_empty() {
        return again(&state, &user, chrome, campaign_id, ProblemFields::default(), errors).await;
    }
    match rectification::add_measure(&state.db, &user.principal(), problem_id, input).await {
        Ok(_) => see_other(&format!("/console/campaigns/{campaign_id}/rectification?notice=saved")),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct StatusFields {
    #[serde(default)]
    status: String,
}

async fn set_status(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, fields) = match begin_form::<StatusFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let changed = async {
        let status =
            MeasureStatus::parse(&fields.status).ok_or_else(|| ApiError::BadRequest("unknown status".to_owned()))?;
        let measure = rectification::set_status(&state.db, &user.principal(), page_id(&id)?, status).await?;
        campaign_of_problem(&state, measure.problem_id).await
    };
    match changed.await {
        Ok(campaign_id) => see_other(&format!("/console/campaigns/{campaign_id}/rectification?notice=saved")),
        Err(err) => failure(chrome, &err),
    }
}
