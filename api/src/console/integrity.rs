//! The console's review of suspicious bursts (数据核查) of a campaign: what the last burst
//! check found (a link's hour with far more answers than it usually takes), each with its
//! unit, channel and figures; the office checks again at once, leaves a batch out of every
//! figure with a reason, or counts it again; and every exclusion made, undone ones too.
//! Through `services::integrity::burst_watch` and `exclusions`, as `GET /campaigns/{id}/bursts`,
//! `POST /exclusions` and `POST /exclusions/{id}/undo`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::session::SignedIn;
use crate::console::views::{Chrome, local_time};
use crate::console::words::{self, IntegrityWords};
use crate::console::{CsrfForm, begin, begin_form, failure, page_id, render, see_other};
use crate::error::{ApiError, ApiResult};
use crate::routes::integrity::channel_name;
use crate::services::integrity::burst_watch;
use crate::services::integrity::exclusions::{self, NewExclusion};
use crate::services::registry::{campaigns, links, units};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console/campaigns/{id}/integrity").route(web::get().to(review)))
        .service(web::resource("/console/campaigns/{id}/integrity/check").route(web::post().to(check)))
        .service(web::resource("/console/campaigns/{id}/integrity/exclude").route(web::post().to(exclude)))
        .service(web::resource("/console/campaigns/{id}/integrity/undo").route(web::post().to(undo)));
}

pub struct BurstRow {
    pub link_id: Uuid,
    pub unit: String,
    pub channel: &'static str,
    pub hour: String,
    /// The hour as the form sends it back (RFC 3339).
    pub hour_value: String,
    pub responses: i64,
    pub median: String,
    /// The exclusion covering the batch now, if any.
    pub exclusion: Option<Uuid>,
}

pub struct ExclusionRow {
    pub unit: String,
    pub channel: &'static str,
    pub hour: String,
    pub reason: String,
    pub excluded: String,
    pub undone: Option<String>,
}

#[derive(Template)]
#[template(path = "console/integrity.html")]
pub struct ReviewPage {
    pub chrome: Chrome,
    pub iw: &'static IntegrityWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub csrf: String,
    pub may_manage: bool,
    /// When the last check ran; `None` before any.
    pub checked_at: Option<String>,
    pub rule: String,
    pub bursts: Vec<BurstRow>,
    pub exclusions: Vec<ExclusionRow>,
    /// The batch whose reason was missing, to mark its field.
    pub missing_reason: Option<String>,
}

async fn load(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    campaign_id: Uuid,
    missing_reason: Option<String>,
) -> ApiResult<ReviewPage> {
    let who = user.principal();
    who.require(Permission::ReadIntegrity)?;
    let iw = words::integrity_words(chrome.lang);
    let campaign = campaigns::get(&state.db, &who, campaign_id).await?;
    let links_of: HashMap<Uuid, entity::survey_link::Model> =
        links::all_of_campaign(&state.db, campaign_id).await?.into_iter().map(|l| (l.id, l)).collect();
    let names: HashMap<Uuid, String> = units::by_ids(&state.db, links_of.values().map(|l| l.unit_id))
        .await?
        .into_iter()
        .map(|(id, unit)| (id, unit.name))
        .collect();
    let describe = |link_id: &Uuid| -> (String, &'static str) {
        links_of.get(link_id).map_or((String::new(), ""), |l| {
            (names.get(&l.unit_id).cloned().unwrap_or_default(), channel_name(l.channel, chrome.lang))
        })
    };
    let checked = state.bursts.latest(campaign_id);
    let mut bursts = Vec::new();
    if let Some(checked) = &checked {
        for reviewed in burst_watch::reviewed(&state.db, &who, checked).await? {
            let (unit, channel) = describe(&reviewed.burst.link_id);
            bursts.push(BurstRow {
                link_id: reviewed.burst.link_id,
                unit,
                channel,
                hour: local_time(reviewed.burst.hour),
                hour_value: reviewed.burst.hour.to_rfc3339(),
                responses: reviewed.burst.responses,
                median: format!("{:.1}", reviewed.burst.link_median),
                exclusion: reviewed.exclusion,
            });
        }
    }
    // Those still to review first, then the largest.
    bursts.sort_by(|a, b| a.exclusion.is_some().cmp(&b.exclusion.is_some()).then(b.responses.cmp(&a.responses)));
    let exclusions = exclusions::list(&state.db, &who, campaign_id)
        .await?
        .into_iter()
        .rev()
        .map(|e| {
            let (unit, channel) = describe(&e.link_id);
            ExclusionRow {
                unit,
                channel,
                hour: local_time(e.hour),
                reason: e.reason,
                excluded: local_time(e.created_at),
                undone: e.undone_at.map(local_time),
            }
        })
        .collect();
    let rule = checked.as_ref().map_or_else(String::new, |c| {
        iw.rule.replace("{minimum}", &c.report.minimum.to_string()).replace("{factor}", &c.report.factor.to_string())
    });
    Ok(ReviewPage {
        iw,
        campaign_id,
        title: campaign.title,
        csrf: user.session.csrf_token.clone(),
        may_manage: who.may(Permission::ManageIntegrity),
        checked_at: checked.map(|c| local_time(c.at.fixed_offset())),
        rule,
        bursts,
        exclusions,
        missing_reason,
        chrome,
    })
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn review(state: State, req: HttpRequest, id: web::Path<String>, query: web::Query<NoticeQuery>) -> HttpResponse {
    let (lang, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let iw = words::integrity_words(lang);
    chrome.notice = match query.notice.as_deref() {
        Some("checked") => Some(iw.checked.to_owned()),
        Some("excluded") => Some(iw.excluded_notice.to_owned()),
        Some("restored") => Some(iw.restored_notice.to_owned()),
        _ => None,
    };
    let page = async { load(&state, &user, chrome.clone(), page_id(&id)?, None).await };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

fn back_to(campaign_id: Uuid, notice: &str) -> HttpResponse {
    see_other(&format!("/console/campaigns/{campaign_id}/integrity?notice={notice}"))
}

/// Runs the burst check of the campaign now (it reads every response: seconds on a large one).
async fn check(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, _) = match begin_form::<CsrfForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let who = user.principal();
    let checked = async {
        let campaign_id = page_id(&id)?;
        who.require(Permission::ManageIntegrity)?;
        state.bursts.check(&state.db, &who, campaign_id).await?;
        Ok::<_, ApiError>(campaign_id)
    };
    match checked.await {
        Ok(campaign_id) => back_to(campaign_id, "checked"),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct ExcludeForm {
    #[serde(default)]
    link: String,
    #[serde(default)]
    hour: String,
    #[serde(default)]
    reason: String,
}

async fn exclude(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, form) = match begin_form::<ExcludeForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let Ok(campaign_id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound(String::new())) };
    let (Ok(link_id), Ok(hour)) = (form.link.parse::<Uuid>(), chrono::DateTime::parse_from_rfc3339(&form.hour)) else {
        return failure(chrome, &ApiError::BadRequest("no such batch".to_owned()));
    };
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return match load(&state, &user, chrome.clone(), campaign_id, Some(link_id.to_string() + &form.hour)).await {
            Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
            Err(err) => failure(chrome, &err),
        };
    }
    let input = NewExclusion { link_id, hour, reason };
    match exclusions::exclude(&state.db, &user.principal(), input).await {
        // Excluding a batch already excluded (another tab, a colleague) leaves it as it is.
        Ok(_) | Err(ApiError::Conflict(_) | ApiError::Duplicate(_)) => back_to(campaign_id, "excluded"),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct UndoForm {
    #[serde(default)]
    exclusion: String,
}

async fn undo(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, form) = match begin_form::<UndoForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let (Ok(campaign_id), Ok(exclusion)) = (page_id(&id), form.exclusion.parse::<Uuid>()) else {
        return failure(chrome, &ApiError::NotFound("no such exclusion".to_owned()));
    };
    match exclusions::undo(&state.db, &user.principal(), exclusion).await {
        Ok(_) | Err(ApiError::Conflict(_)) => back_to(campaign_id, "restored"),
        Err(err) => failure(chrome, &err),
    }
}
