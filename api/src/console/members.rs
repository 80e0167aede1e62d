//! The console's page of the units a campaign evaluates: each with its role (a district key
//! unit, a township's key station or window, self-organised), why it is there (designated or
//! carried over from last year's bottom) and the group it is ranked in; adding a unit of the
//! register and moving one to another group. Through `services::registry::campaign_units`, as
//! `POST /campaigns/{id}/units` and `PUT /campaigns/{id}/units/{unit}/group`, audited like them.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::session::SignedIn;
use crate::console::views::Chrome;
use crate::console::words::{self, MemberWords};
use crate::console::{begin, begin_form, failure, page_id, render, see_other};
use crate::domain::questionnaire::Lang;
use crate::domain::vocabulary::UnitKind;
use crate::error::{ApiError, ApiResult};
use crate::services::registry::campaign_units::{
    self, DISTRICT, NewCampaignUnit, RankingGroupChange, UnitReason, UnitRole,
};
use crate::services::registry::campaigns;
use crate::services::registry::units::{self, UnitFilter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/console/campaigns/{id}/members").route(web::get().to(members_page)).route(web::post().to(add)),
    )
    .service(web::resource("/console/campaigns/{id}/members/{unit}/group").route(web::post().to(set_group)));
}

pub struct MemberRow {
    pub unit_id: Uuid,
    pub name: String,
    pub role: &'static str,
    pub reason: &'static str,
    pub carried_over: bool,
    pub group: String,
    /// The group's key, or "" when the unit is not ranked.
    pub group_key: String,
}

#[derive(Template)]
#[template(path = "console/members.html")]
pub struct MembersPage {
    pub chrome: Chrome,
    pub mw: &'static MemberWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub csrf: String,
    pub may_manage: bool,
    pub problem: Option<String>,
    pub members: Vec<MemberRow>,
    /// Units of the register not yet in the campaign: (id, "name（code）").
    pub candidates: Vec<(String, String)>,
    pub roles: Vec<(&'static str, &'static str)>,
    /// Every group a unit can be put in: (key, name).
    pub groups: Vec<(String, String)>,
}

pub fn role_name(mw: &MemberWords, role: UnitRole) -> &'static str {
    match role {
        UnitRole::DistrictKey => mw.district_key,
        UnitRole::TownshipKey => mw.township_key,
        UnitRole::SelfOrganised => mw.self_organised,
    }
}

async fn load(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    campaign_id: Uuid,
    problem: Option<String>,
) -> ApiResult<MembersPage> {
    let who = user.principal();
    let mw = words::member_words(chrome.lang);
    let campaign = campaigns::get(&state.db, &who, campaign_id).await?;
    let listed = campaign_units::list(&state.db, &who, campaign_id).await?;
    let filter = UnitFilter { parent_id: None, category: None };
    let (register, _) = units::list(&state.db, &who, &filter, 100_000, 0).await?;
    let mut groups: BTreeMap<String, String> = BTreeMap::new();
    groups.insert(DISTRICT.to_owned(), campaign_units::group_name(&state.db, DISTRICT).await?);
    for township in register.iter().filter(|u| u.kind == UnitKind::Township) {
        groups.insert(format!("township:{}", township.id), format!("{}重点评议单位", township.name));
    }
    let mut members: Vec<MemberRow> = listed
        .into_iter()
        .map(|m| {
            if let (Some(key), Some(name)) = (&m.ranking_group, &m.group_name) {
                groups.entry(key.clone()).or_insert_with(|| name.clone());
            }
            MemberRow {
                unit_id: m.unit_id,
                name: m.unit_name,
                role: role_name(mw, m.role),
                reason: match m.reason {
                    UnitReason::Designated => mw.designated,
                    UnitReason::CarriedOver => mw.carried_over,
                },
                carried_over: m.reason == UnitReason::CarriedOver,
                group: m.group_name.unwrap_or_else(|| mw.not_ranked.to_owned()),
                group_key: m.ranking_group.unwrap_or_default(),
            }
        })
        .collect();
    members.sort_by(|a, b| a.group.cmp(&b.group).then(a.name.cmp(&b.name)));
    let taken: std::collections::HashSet<Uuid> = members.iter().map(|m| m.unit_id).collect();
    Ok(MembersPage {
        mw,
        campaign_id,
        title: campaign.title,
        csrf: user.session.csrf_token.clone(),
        may_manage: who.may(Permission::ManageCampaigns),
        problem,
        members,
        candidates: register
            .into_iter()
            .filter(|u| !taken.contains(&u.id) && u.kind != UnitKind::Township)
            .map(|u| (u.id.to_string(), format!("{}（{}）", u.name, u.code)))
            .collect(),
        roles: UnitRole::ALL.iter().map(|r| (r.as_str(), role_name(mw, *r))).collect(),
        groups: groups.into_iter().collect(),
        chrome,
    })
}

async fn members_page(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (lang, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    if req.query_string() == "notice=saved" {
        chrome.notice = Some(words::words(lang).saved.to_owned());
    }
    let page = async { load(&state, &user, chrome.clone(), page_id(&id)?, None).await };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

/// What a person can act on when a change is refused, in the page's language; anything else
/// is the console's general failure.
fn refusal(lang: Lang, err: &ApiError) -> Option<String> {
    let mw = words::member_words(lang);
    match err {
        ApiError::Duplicate(_) => Some(mw.already_in.to_owned()),
        ApiError::Conflict(_) => Some(mw.refused.to_owned()),
        ApiError::Validation(problems) => {
            let role = problems.iter().any(|p| p.field == "role" || p.field == "unit_id");
            Some(if role { mw.township_key_rule.to_owned() } else { mw.group_bad.to_owned() })
        }
        _ => None,
    }
}

#[derive(Deserialize)]
struct AddFields {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    group: String,
}

/// Reads a group as the form sends it: "" for the role's own, "none" for none.
fn group_of(text: &str) -> Option<Option<String>> {
    match text.trim() {
        "" => None,
        "none" => Some(None),
        key => Some(Some(key.to_owned())),
    }
}

async fn add(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, fields) = match begin_form::<AddFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let Ok(campaign_id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound("no such page".into())) };
    let (Ok(unit_id), Some(role)) = (fields.unit.parse::<Uuid>(), UnitRole::parse(&fields.role)) else {
        return failure(chrome, &ApiError::BadRequest("unknown unit or role".to_owned()));
    };
    let input = NewCampaignUnit { unit_id, role, ranking_group: group_of(&fields.group).flatten() };
    if let Err(problems) = validator::Validate::validate(&input) {
        let err = ApiError::from(problems);
        return answer(&state, &user, chrome, campaign_id, &err).await;
    }
    match campaign_units::add(&state.db, &user.principal(), campaign_id, input).await {
        Ok(_) => see_other(&format!("/console/campaigns/{campaign_id}/members?notice=saved")),
        Err(err) => answer(&state, &user, chrome, campaign_id, &err).await,
    }
}

/// The page again with the refusal named, or the general failure.
async fn answer(state: &State, user: &SignedIn, chrome: Chrome, campaign_id: Uuid, err: &ApiError) -> HttpResponse {
    let Some(problem) = refusal(chrome.lang, err) else { return failure(chrome, err) };
    match load(state, user, chrome.clone(), campaign_id, Some(problem)).await {
        Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct GroupFields {
    #[serde(default)]
    group: String,
    /// A group of the office's own, typed in; it wins over the list.
    #[serde(default)]
    new_group: String,
}

async fn set_group(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let (_, user, chrome, fields) = match begin_form::<GroupFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let (Ok(campaign_id), Ok(unit_id)) = (page_id(&path.0), page_id(&path.1)) else {
        return failure(chrome, &ApiError::NotFound("no such page".into()));
    };
    let chosen = if fields.new_group.trim().is_empty() { fields.group.as_str() } else { fields.new_group.as_str() };
    let change = RankingGroupChange { ranking_group: group_of(chosen).flatten() };
    if let Err(problems) = validator::Validate::validate(&change) {
        return answer(&state, &user, chrome, campaign_id, &ApiError::from(problems)).await;
    }
    match campaign_units::set_group(&state.db, &user.principal(), campaign_id, unit_id, change).await {
        Ok(_) => see_other(&format!("/console/campaigns/{campaign_id}/members?notice=saved")),
        Err(err) => answer(&state, &user, chrome, campaign_id, &err).await,
    }
}
