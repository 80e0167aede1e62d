//! The console's links page: every link of a campaign with its unit, channel, state, times,
//! QR code and posters, making one, revoking one, and all the posters at once as a zip.
//! Through `services::registry::links` and the posters' own routes, as the API. One link's
//! times and controls are in `link_settings`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::session::SignedIn;
use crate::console::views::{Chrome, local_time, read_local_input};
use crate::console::words::{self, LinkWords};
use crate::console::{CsrfForm, begin, begin_form, failure, page_id, render, see_other};
use crate::domain::vocabulary::Channel;
use crate::error::{ApiError, ApiResult};
use crate::routes::integrity::{PosterFormat, campaign_posters, channel_name};
use crate::services::registry::links::{self, Controls, LinkFilter, LinkState, NewLink};
use crate::services::registry::{campaign_units, campaigns, questionnaires};
use entity::vocabulary::QuestionnaireStatus;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/console/campaigns/{id}/links").route(web::get().to(links_page)).route(web::post().to(create)),
    )
    .service(web::resource("/console/campaigns/{id}/posters.zip").route(web::get().to(posters)))
    .service(web::resource("/console/links/{id}/revoke").route(web::post().to(revoke)));
}

pub struct LinkRow {
    pub id: Uuid,
    pub slug: String,
    pub url: String,
    pub unit: String,
    pub channel: &'static str,
    pub state: &'static str,
    pub opens: String,
    pub closes: String,
    /// Takes answers now or will: its QR code and posters are offered.
    pub live: bool,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "console/links.html")]
pub struct LinksPage {
    pub chrome: Chrome,
    pub lw: &'static LinkWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub csrf: String,
    pub may_manage: bool,
    pub links: Vec<LinkRow>,
    pub errors: Vec<(&'static str, &'static str)>,
    /// Published questionnaires: (id, "title（version）").
    pub questionnaires: Vec<(String, String)>,
    /// The campaign's units: (id, name).
    pub units: Vec<(String, String)>,
    pub channels: Vec<(&'static str, &'static str)>,
    pub typed: NewLinkFields,
}

impl LinksPage {
    fn invalid(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| *f == field)
    }
}

/// The form making a link, as typed.
#[derive(Deserialize, Default)]
pub struct NewLinkFields {
    #[serde(default)]
    pub questionnaire: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub opens: String,
    #[serde(default)]
    pub closes: String,
}

fn state_name(lw: &LinkWords, state: LinkState) -> &'static str {
    match state {
        LinkState::Open => lw.open,
        LinkState::NotYetOpen => lw.not_yet_open,
        LinkState::Closed => lw.closed,
        LinkState::Revoked => lw.revoked,
        LinkState::QuestionnaireNotOpen => lw.questionnaire_not_open,
    }
}

async fn load(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    id: Uuid,
    typed: NewLinkFields,
    errors: Vec<(&'static str, &'static str)>,
) -> ApiResult<LinksPage> {
    let lang = chrome.lang;
    let lw = words::link_words(lang);
    let who = user.principal();
    let campaign = campaigns::get(&state.db, &who, id).await?;
    let filter = LinkFilter { unit_id: None, channel: None };
    let (found, _) = links::list(&state.db, &who, id, &filter, 100_000, 0).await?;
    let members = campaign_units::list(&state.db, &who, id).await?;
    let names: HashMap<Uuid, String> = members.iter().map(|m| (m.unit_id, m.unit_name.clone())).collect();
    let (versions, _) = questionnaires::list(&state.db, &who, id, 10_000, 0).await?;
    let statuses: HashMap<Uuid, QuestionnaireStatus> = versions.iter().map(|q| (q.model.id, q.status)).collect();
    let now = chrono::Utc::now().fixed_offset();
    let base = state.settings.public_url.trim_end_matches('/').to_owned();
    let mut rows = Vec::new();
    for link in found {
        let status = statuses.get(&link.questionnaire_id).copied().unwrap_or(QuestionnaireStatus::Draft);
        let link_state = links::state(&link, status, now);
        let unit = match names.get(&link.unit_id) {
            Some(name) => name.clone(),
            None => crate::services::registry::units::find(&state.db, link.unit_id).await?.name,
        };
        rows.push(LinkRow {
            id: link.id,
            url: format!("{base}/s/{}", link.slug),
            slug: link.slug,
            unit,
            channel: channel_name(link.channel, lang),
            state: state_name(lw, link_state),
            opens: link.opens_at.map_or_else(|| lw.whenever.to_owned(), local_time),
            closes: link.closes_at.map_or_else(|| lw.whenever.to_owned(), local_time),
            live: matches!(link_state, LinkState::Open | LinkState::NotYetOpen),
            revoked: link.revoked_at.is_some(),
        });
    }
    rows.sort_by(|a, b| a.unit.cmp(&b.unit).then(a.channel.cmp(b.channel)));
    let mut units: Vec<(String, String)> = members.into_iter().map(|m| (m.unit_id.to_string(), m.unit_name)).collect();
    units.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(LinksPage {
        lw,
        campaign_id: id,
        title: campaign.title,
        csrf: user.session.csrf_token.clone(),
        may_manage: who.may(Permission::ManageCampaigns),
        links: rows,
        errors,
        questionnaires: versions
            .iter()
            .filter(|q| q.status == QuestionnaireStatus::Published)
            .map(|q| (q.model.id.to_string(), format!("{}（{}）", q.title.get(lang), q.model.version)))
            .collect(),
        units,
        channels: Channel::ALL.iter().map(|c| (c.as_str(), channel_name(*c, lang))).collect(),
        typed,
        chrome,
    })
}

async fn links_page(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (lang, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let lw = words::link_words(lang);
    chrome.notice = match req.query_string() {
        "notice=revoked" => Some(lw.revoked.to_owned()),
        "notice=created" => Some(lw.created.to_owned()),
        _ => None,
    };
    let typed = NewLinkFields { channel: Channel::Web.as_str().to_owned(), ..Default::default() };
    let page = async { load(&state, &user, chrome.clone(), page_id(&id)?, typed, Vec::new()).await };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

async fn create(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, typed) = match begin_form::<NewLinkFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let Ok(campaign_id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound("no such page".into())) };
    let lw = words::link_words(lang);
    let mut errors = Vec::new();
    let questionnaire = typed.questionnaire.parse::<Uuid>().ok();
    if questionnaire.is_none() {
        errors.push(("questionnaire", lw.questionnaire_bad));
    }
    let unit_id = typed.unit.parse::<Uuid>().ok();
    if unit_id.is_none() {
        errors.push(("unit", lw.unit_bad));
    }
    let opens_at = read_local_input(&typed.opens).unwrap_or_else(|()| {
        errors.push(("opens", lw.time_bad));
        None
    });
    let closes_at = read_local_input(&typed.closes).unwrap_or_else(|()| {
        errors.push(("closes", lw.time_bad));
        None
    });
    let channel = Channel::parse(&typed.channel).unwrap_or(Channel::Web);
    if let (Some(questionnaire), Some(unit_id), true) = (questionnaire, unit_id, errors.is_empty()) {
        let input = NewLink { unit_id, channel, opens_at, closes_at, controls: Controls::default() };
        match links::create(&state.db, &user.principal(), questionnaire, input).await {
            Ok(_) => return see_other(&format!("/console/campaigns/{campaign_id}/links?notice=created")),
            Err(ApiError::Duplicate(_)) => errors.push(("channel", lw.duplicate)),
            Err(ApiError::Conflict(_)) => errors.push(("questionnaire", lw.questionnaire_bad)),
            Err(ApiError::Validation(problems)) => {
                if problems.iter().any(|p| p.field == "closes_at") {
                    errors.push(("closes", lw.window_bad));
                } else {
                    errors.push(("unit", lw.category_bad));
                }
            }
            Err(err) => return failure(chrome, &err),
        }
    }
    match load(&state, &user, chrome.clone(), campaign_id, typed, errors).await {
        Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct PostersQuery {
    format: Option<PosterFormat>,
}

async fn posters(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (lang, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let format = web::Query::<PostersQuery>::from_query(req.query_string()).ok().and_then(|q| q.format);
    let archive = async {
        campaign_posters(&state, &user.principal(), page_id(&id)?, format.unwrap_or(PosterFormat::Pdf), lang).await
    };
    match archive.await {
        Ok((bytes, year)) => HttpResponse::Ok()
            .content_type("application/zip")
            .insert_header(("Content-Disposition", format!("attachment; filename=\"posters-{year}.zip\"")))
            .insert_header(("Cache-Control", "no-store"))
            .body(bytes),
        Err(err) => failure(chrome, &err),
    }
}

async fn revoke(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, _) = match begin_form::<CsrfForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let revoked = async {
        let link = links::revoke(&state.db, &state.link_changes, &user.principal(), page_id(&id)?).await?;
        let questionnaire = questionnaires::find(&state.db, link.questionnaire_id).await?;
        Ok::<_, ApiError>(questionnaire.model.campaign_id)
    };
    match revoked.await {
        Ok(campaign) => see_other(&format!("/console/campaigns/{campaign}/links?notice=revoked")),
        Err(err) => failure(chrome, &err),
    }
}
