//! The console's links page: every link of a campaign with its unit, channel, state, times,
//! QR code and posters, revoking one, and all the posters at once as a zip. Through
//! `services::registry::links` and the posters' own routes, as the API.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::views::{Chrome, local_time};
use crate::console::words::{self, LinkWords};
use crate::console::{CsrfForm, begin, failure, read_form, refused_form, render, see_other};
use crate::error::{ApiError, ApiResult};
use crate::routes::integrity::{PosterFormat, campaign_posters, channel_name};
use crate::services::registry::links::{self, LinkFilter, LinkState};
use crate::services::registry::{campaign_units, campaigns, questionnaires};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console/campaigns/{id}/links").route(web::get().to(links_page)))
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

fn parse_id(text: &str) -> ApiResult<Uuid> {
    text.parse().map_err(|_| ApiError::NotFound("no such page".to_owned()))
}

async fn links_page(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (_, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let lang = chrome.lang;
    let lw = words::link_words(lang);
    if req.query_string() == "notice=revoked" {
        chrome.notice = Some(lw.revoked.to_owned());
    }
    let page = async {
        let id = parse_id(&id)?;
        let who = user.principal();
        let campaign = campaigns::get(&state.db, &who, id).await?;
        let filter = LinkFilter { unit_id: None, channel: None };
        let (found, _) = links::list(&state.db, &who, id, &filter, 100_000, 0).await?;
        let names: HashMap<Uuid, String> =
            campaign_units::list(&state.db, &who, id).await?.into_iter().map(|m| (m.unit_id, m.unit_name)).collect();
        let mut statuses = HashMap::new();
        let now = chrono::Utc::now().fixed_offset();
        let base = state.settings.public_url.trim_end_matches('/').to_owned();
        let mut rows = Vec::new();
        for link in found {
            let status = match statuses.get(&link.questionnaire_id) {
                Some(status) => *status,
                None => {
                    let status = questionnaires::find(&state.db, link.questionnaire_id).await?.status;
                    statuses.insert(link.questionnaire_id, status);
                    status
                }
            };
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
        Ok::<_, ApiError>(LinksPage {
            chrome: chrome.clone(),
            lw,
            campaign_id: id,
            title: campaign.title,
            csrf: user.session.csrf_token.clone(),
            may_manage: who.may(Permission::ManageCampaigns),
            links: rows,
        })
    };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
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
        campaign_posters(&state, &user.principal(), parse_id(&id)?, format.unwrap_or(PosterFormat::Pdf), lang).await
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
    let (lang, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    match read_form::<CsrfForm>(&body) {
        Ok(form) if crate::console::session::csrf_matches(&user.session.csrf_token, Some(&form.csrf)) => {}
        _ => return refused_form(lang, &req, &user),
    }
    let revoked = async {
        let link = links::revoke(&state.db, &state.link_changes, &user.principal(), parse_id(&id)?).await?;
        let questionnaire = questionnaires::find(&state.db, link.questionnaire_id).await?;
        Ok::<_, ApiError>(questionnaire.model.campaign_id)
    };
    match revoked.await {
        Ok(campaign) => see_other(&format!("/console/campaigns/{campaign}/links?notice=revoked")),
        Err(err) => failure(chrome, &err),
    }
}
