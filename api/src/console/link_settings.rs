//! One link's page in the console: when it takes responses (opening and closing times) and
//! its ballot-integrity controls (pace per address, daily cap, duplicate window, invitation
//! codes, kiosk). Through `links::set_window` and `links::set_controls`, as
//! `PUT /links/{id}/window` and `PUT /links/{id}/controls`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::session::SignedIn;
use crate::console::views::{Chrome, local_input, read_local_input};
use crate::console::words::{self, LinkWords};
use crate::console::{begin, begin_form, failure, page_id, render, see_other};
use crate::error::{ApiError, ApiResult};
use crate::routes::integrity::channel_name;
use crate::services::registry::links::{self, Controls, LinkWindow};
use crate::services::registry::{questionnaires, units};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console/links/{id}").route(web::get().to(link_page)))
        .service(web::resource("/console/links/{id}/window").route(web::post().to(set_window)))
        .service(web::resource("/console/links/{id}/controls").route(web::post().to(set_controls)));
}

/// The two forms' fields as typed, to show again with their problems.
#[derive(Deserialize, Default)]
pub struct LinkFields {
    #[serde(default)]
    pub opens: String,
    #[serde(default)]
    pub closes: String,
    #[serde(default)]
    pub rate: String,
    #[serde(default)]
    pub cap: String,
    #[serde(default)]
    pub duplicate: String,
    #[serde(default)]
    pub invitation: Option<String>,
    #[serde(default)]
    pub kiosk: Option<String>,
}

#[derive(Template)]
#[template(path = "console/link.html")]
pub struct LinkPage {
    pub chrome: Chrome,
    pub lw: &'static LinkWords,
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub unit: String,
    pub channel: &'static str,
    pub url: String,
    pub csrf: String,
    pub may_manage: bool,
    pub may_control: bool,
    pub errors: Vec<(&'static str, &'static str)>,
    pub typed: LinkFields,
}

impl LinkPage {
    fn invalid(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| *f == field)
    }
}

/// The link's page; `typed` is what a refused form sent, else the link as stored.
async fn load(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    id: Uuid,
    typed: Option<LinkFields>,
    errors: Vec<(&'static str, &'static str)>,
) -> ApiResult<LinkPage> {
    let who = user.principal();
    let link = links::get(&state.db, &who, id).await?;
    let questionnaire = questionnaires::find(&state.db, link.questionnaire_id).await?;
    let controls = Controls::of(&link);
    let typed = typed.unwrap_or_else(|| LinkFields {
        opens: link.opens_at.map(local_input).unwrap_or_default(),
        closes: link.closes_at.map(local_input).unwrap_or_default(),
        rate: controls.rate_limit_per_hour.to_string(),
        cap: controls.daily_cap.map(|c| c.to_string()).unwrap_or_default(),
        duplicate: controls.duplicate_window_seconds.to_string(),
        invitation: controls.requires_invitation.then(|| "on".to_owned()),
        kiosk: controls.kiosk.then(|| "on".to_owned()),
    });
    Ok(LinkPage {
        lw: words::link_words(chrome.lang),
        id,
        campaign_id: questionnaire.model.campaign_id,
        unit: units::find(&state.db, link.unit_id).await?.name,
        channel: channel_name(link.channel, chrome.lang),
        url: format!("{}/s/{}", state.settings.public_url.trim_end_matches('/'), link.slug),
        csrf: user.session.csrf_token.clone(),
        may_manage: who.may(Permission::ManageCampaigns) && link.revoked_at.is_none(),
        may_control: who.may(Permission::ManageIntegrity) && link.revoked_at.is_none(),
        errors,
        typed,
        chrome,
    })
}

async fn link_page(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (lang, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    if req.query_string() == "notice=saved" {
        chrome.notice = Some(words::words(lang).saved.to_owned());
    }
    let page = async { load(&state, &user, chrome.clone(), page_id(&id)?, None, Vec::new()).await };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

/// Back to the link's page when saved; the form again with its problems when refused.
async fn saved_or_again(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    id: Uuid,
    fields: LinkFields,
    outcome: Result<(), Vec<(&'static str, &'static str)>>,
) -> HttpResponse {
    match outcome {
        Ok(()) => see_other(&format!("/console/links/{id}?notice=saved")),
        Err(errors) => match load(state, user, chrome.clone(), id, Some(fields), errors).await {
            Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
            Err(err) => failure(chrome, &err),
        },
    }
}

async fn set_window(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, fields) = match begin_form::<LinkFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let Ok(id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound("no such link".into())) };
    let lw = words::link_words(chrome.lang);
    let mut errors = Vec::new();
    let opens_at = read_local_input(&fields.opens).unwrap_or_else(|()| {
        errors.push(("opens", lw.time_bad));
        None
    });
    let closes_at = read_local_input(&fields.closes).unwrap_or_else(|()| {
        errors.push(("closes", lw.time_bad));
        None
    });
    let outcome = if errors.is_empty() {
        let window = LinkWindow { opens_at, closes_at };
        match links::set_window(&state.db, &state.link_changes, &user.principal(), id, &window).await {
            Ok(_) => Ok(()),
            Err(ApiError::Validation(_)) => Err(vec![("closes", lw.window_bad)]),
            Err(err) => return failure(chrome, &err),
        }
    } else {
        Err(errors)
    };
    saved_or_again(&state, &user, chrome, id, fields, outcome).await
}

async fn set_controls(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, fields) = match begin_form::<LinkFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let Ok(id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound("no such link".into())) };
    let lw = words::link_words(chrome.lang);
    let mut errors = Vec::new();
    let rate = fields.rate.trim().parse::<u32>().ok().filter(|r| (1..=100_000).contains(r));
    if rate.is_none() {
        errors.push(("rate", lw.rate_bad));
    }
    let cap = match fields.cap.trim() {
        "" => Some(None),
        text => text.parse::<u32>().ok().filter(|c| (1..=10_000_000).contains(c)).map(Some),
    };
    if cap.is_none() {
        errors.push(("cap", lw.cap_bad));
    }
    let duplicate = fields.duplicate.trim().parse::<u32>().ok().filter(|d| *d <= 86_400);
    if duplicate.is_none() {
        errors.push(("duplicate", lw.duplicate_bad));
    }
    let outcome = match (rate, cap, duplicate) {
        (Some(rate_limit_per_hour), Some(daily_cap), Some(duplicate_window_seconds)) => {
            let controls = Controls {
                rate_limit_per_hour,
                daily_cap,
                duplicate_window_seconds,
                requires_invitation: fields.invitation.is_some(),
                kiosk: fields.kiosk.is_some(),
            };
            match links::set_controls(&state.db, &state.link_changes, &user.principal(), id, &controls).await {
                Ok(_) => Ok(()),
                Err(err) => return failure(chrome, &err),
            }
        }
        _ => Err(errors),
    };
    saved_or_again(&state, &user, chrome, id, fields, outcome).await
}
