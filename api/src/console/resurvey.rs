//! The console's before-and-after page (回头看): pick a unit of the campaign, see its second
//! survey window and its satisfaction per dimension before and within it, with intervals; the
//! office sets the window. Through `services::evaluation::resurvey`, as the JSON API's
//! `PUT /campaigns/{id}/units/{unit}/resurvey` and `GET …/before-after`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::session::SignedIn;
use crate::console::views::{Chrome, local_input, local_time, read_local_input};
use crate::console::words::{self, ResurveyWords};
use crate::console::{begin, begin_form, failure, page_id, render, see_other};
use crate::domain::questionnaire::Lang;
use crate::domain::satisfaction::Interval;
use crate::error::{ApiError, ApiResult};
use crate::services::evaluation::resurvey::{self, ResurveyWindow, SideFigures};
use crate::services::registry::{campaign_units, campaigns, units};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/console/campaigns/{id}/before-after").route(web::get().to(page)).route(web::post().to(set)),
    );
}

pub struct SideView {
    pub responses: i64,
    /// The rate as a percentage with its interval, or why it is not shown.
    pub figure: String,
}

pub struct Row {
    pub dimension: String,
    pub before: SideView,
    pub after: SideView,
    pub change: String,
    pub clear: bool,
}

#[derive(Template)]
#[template(path = "console/before_after.html")]
pub struct BeforeAfterPage {
    pub chrome: Chrome,
    pub sw: &'static ResurveyWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub csrf: String,
    /// The units the account may pick: (id, name).
    pub units: Vec<(String, String)>,
    pub chosen: String,
    pub window: Option<String>,
    pub opens: String,
    pub closes: String,
    pub may_set: bool,
    pub error: Option<&'static str>,
    pub rows: Vec<Row>,
}

fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}

fn side(sw: &ResurveyWords, figures: &SideFigures) -> SideView {
    let figure = match (figures.satisfaction_rate, figures.interval, figures.suppressed) {
        (_, _, true) => sw.withheld.to_owned(),
        (Some(rate), Some(Interval { low, high }), _) => {
            format!("{}（{}–{}）", percent(rate), percent(low), percent(high))
        }
        (Some(rate), None, _) => percent(rate),
        (None, ..) => "—".to_owned(),
    };
    SideView { responses: figures.responses, figure }
}

#[derive(Deserialize, Default)]
struct Query {
    #[serde(default)]
    unit: String,
}

async fn load(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    campaign_id: Uuid,
    chosen: Option<Uuid>,
    error: Option<&'static str>,
) -> ApiResult<BeforeAfterPage> {
    let who = user.principal();
    let sw = words::resurvey_words(chrome.lang);
    let campaign = campaigns::get(&state.db, &who, campaign_id).await?;
    let members = campaign_units::unit_ids(&state.db, campaign_id).await?;
    let scope = who.unit_scope()?;
    let allowed: Vec<Uuid> =
        members.into_iter().filter(|m| scope.as_ref().is_none_or(|units| units.contains(m))).collect();
    let names = units::by_ids(&state.db, allowed.iter().copied()).await?;
    let mut choices: Vec<(String, String)> =
        allowed.iter().map(|id| (id.to_string(), names.get(id).map(|u| u.name.clone()).unwrap_or_default())).collect();
    choices.sort_by(|a, b| a.1.cmp(&b.1));
    let chosen = chosen.or_else(|| choices.first().and_then(|c| c.0.parse().ok()));
    let mut page = BeforeAfterPage {
        sw,
        campaign_id,
        title: campaign.title,
        csrf: user.session.csrf_token.clone(),
        units: choices,
        chosen: chosen.map(|c| c.to_string()).unwrap_or_default(),
        window: None,
        opens: String::new(),
        closes: String::new(),
        may_set: who.may(Permission::ManageCampaigns),
        error,
        rows: Vec::new(),
        chrome,
    };
    let Some(unit_id) = chosen else { return Ok(page) };
    let report = resurvey::before_after(&state.db, &who, campaign_id, unit_id, state.settings.min_cell_size).await?;
    let category = names.get(&unit_id).map(|u| u.category);
    let label = |key: &str| {
        if key == crate::domain::questionnaire::OVERALL {
            return sw.overall.to_owned();
        }
        category.and_then(|c| crate::domain::templates::dimensions(c).iter().find(|(k, ..)| *k == key)).map_or_else(
            || key.to_owned(),
            |(_, zh, en)| if page.chrome.lang == Lang::En { (*en).to_owned() } else { (*zh).to_owned() },
        )
    };
    page.rows = report
        .dimensions
        .iter()
        .map(|d| Row {
            dimension: label(&d.dimension),
            before: side(sw, &d.before),
            after: side(sw, &d.after),
            change: d.change.map_or_else(|| "—".to_owned(), |c| format!("{:+.1}", c * 100.0)),
            clear: d.clear,
        })
        .collect();
    if let Some(window) = report.window {
        page.window = Some(format!("{} – {}", local_time(window.opens_at), local_time(window.closes_at)));
        page.opens = local_input(window.opens_at);
        page.closes = local_input(window.closes_at);
    }
    Ok(page)
}

async fn page(state: State, req: HttpRequest, id: web::Path<String>, query: web::Query<Query>) -> HttpResponse {
    let (lang, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    if req.query_string().contains("notice=saved") {
        chrome.notice = Some(words::words(lang).saved.to_owned());
    }
    let shown = async {
        let chosen = if query.unit.is_empty() { None } else { Some(page_id(&query.unit)?) };
        load(&state, &user, chrome.clone(), page_id(&id)?, chosen, None).await
    };
    match shown.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct WindowFields {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    opens_at: String,
    #[serde(default)]
    closes_at: String,
}

async fn set(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, fields) = match begin_form::<WindowFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let (Ok(campaign_id), Ok(unit_id)) = (page_id(&id), page_id(&fields.unit)) else {
        return failure(chrome, &ApiError::NotFound("no such page".to_owned()));
    };
    let window = match (read_local_input(&fields.opens_at), read_local_input(&fields.closes_at)) {
        (Ok(Some(opens_at)), Ok(Some(closes_at))) => Some(ResurveyWindow { opens_at, closes_at }),
        _ => None,
    };
    let saved = match window {
        Some(window) => {
            resurvey::set_window(&state.db, &state.link_changes, &user.principal(), campaign_id, unit_id, window).await
        }
        None => Err(ApiError::invalid("opens_at", "not a time")),
    };
    match saved {
        Ok(_) => see_other(&format!("/console/campaigns/{campaign_id}/before-after?unit={unit_id}&notice=saved")),
        Err(ApiError::Validation(_) | ApiError::Conflict(_)) => {
            let error = Some(words::resurvey_words(lang).window_bad);
            match load(&state, &user, chrome.clone(), campaign_id, Some(unit_id), error).await {
                Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
                Err(err) => failure(chrome, &err),
            }
        }
        Err(err) => failure(chrome, &err),
    }
}
