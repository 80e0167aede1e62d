//! The console's deliverables (材料报送) of a campaign: what is due when and how far the units
//! have come; per deliverable, each unit's latest hand-in with its document, the office's
//! review (accept, publish, return with a comment) and the hand-in form (a file upload, so a
//! `multipart/form-data` form, which needs no JavaScript). Unit accounts see and hand in for
//! their own unit. Through `services::evaluation::deliverables`, as the JSON API's
//! `/campaigns/{id}/deliverables`, `/deliverables/{id}/hand-ins` and `/hand-ins/{id}/review`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use entity::vocabulary::{DeliverableKind, HandInStatus, Receiver};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::session::SignedIn;
use crate::console::views::Chrome;
use crate::console::words::{self, DeliverableWords};
use crate::console::{begin, begin_form, failure, page_id, refused_form, render, see_other};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::services::evaluation::deliverables::{self, DeliverableDto, NewDeliverable, Review};
use crate::services::registry::{campaigns, units};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/console/campaigns/{id}/deliverables").route(web::get().to(list)).route(web::post().to(define)),
    )
    .service(web::resource("/console/campaigns/{id}/deliverables/planned").route(web::post().to(define_planned)))
    .service(web::resource("/console/deliverables/{id}").route(web::get().to(detail)))
    .service(web::resource("/console/deliverables/{id}/hand-ins").route(web::post().to(hand_in)))
    .service(web::resource("/console/hand-ins/{id}/review").route(web::post().to(review)))
    .service(web::resource("/console/hand-ins/{id}/document").route(web::get().to(document)));
}

pub fn kind_name(dw: &DeliverableWords, kind: DeliverableKind) -> &'static str {
    match kind {
        DeliverableKind::EvaluationPlan => dw.evaluation_plan,
        DeliverableKind::RectificationReport => dw.rectification_report,
        DeliverableKind::WorkSummary => dw.work_summary,
        DeliverableKind::ConferenceReport => dw.conference_report,
        DeliverableKind::Other => dw.other,
    }
}

fn receiver_name(dw: &DeliverableWords, receiver: Receiver) -> &'static str {
    match receiver {
        Receiver::Office => dw.office,
        Receiver::Cppcc => dw.cppcc,
        Receiver::Representatives => dw.representatives,
    }
}

fn status_name(dw: &DeliverableWords, status: HandInStatus) -> &'static str {
    match status {
        HandInStatus::Submitted => dw.waiting,
        HandInStatus::Accepted => dw.accepted,
        HandInStatus::Returned => dw.returned,
    }
}

pub struct DeliverableRow {
    pub id: Uuid,
    pub title: String,
    pub kind: &'static str,
    pub due_on: String,
    pub receivers: String,
    pub expected: usize,
    pub handed_in: usize,
    pub accepted: usize,
    pub returned: usize,
    pub missing: usize,
    pub late: usize,
    /// Past its due date with some unit still owing it.
    pub overdue: bool,
}

fn row(dw: &DeliverableWords, d: DeliverableDto, today: NaiveDate) -> DeliverableRow {
    let c = &d.counts;
    DeliverableRow {
        overdue: d.due_on < today && c.missing + c.returned > 0,
        expected: c.expected,
        handed_in: c.submitted + c.accepted,
        accepted: c.accepted,
        returned: c.returned,
        missing: c.missing,
        late: c.late,
        id: d.id,
        kind: kind_name(dw, d.kind),
        due_on: d.due_on.to_string(),
        receivers: d.receivers.iter().map(|r| receiver_name(dw, *r)).collect::<Vec<_>>().join("、"),
        title: d.title,
    }
}

/// The form defining a deliverable, as typed.
#[derive(Deserialize, Default)]
pub struct DefineFields {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub due_on: String,
    #[serde(default)]
    pub cppcc: Option<String>,
    #[serde(default)]
    pub representatives: Option<String>,
}

#[derive(Template)]
#[template(path = "console/deliverables.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub dw: &'static DeliverableWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub csrf: String,
    pub may_manage: bool,
    pub rows: Vec<DeliverableRow>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub errors: Vec<(&'static str, &'static str)>,
    pub typed: DefineFields,
}

async fn load_list(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    campaign_id: Uuid,
    typed: DefineFields,
    errors: Vec<(&'static str, &'static str)>,
) -> ApiResult<ListPage> {
    let who = user.principal();
    let dw = words::deliverable_words(chrome.lang);
    let campaign = campaigns::get(&state.db, &who, campaign_id).await?;
    let today = crate::domain::calendar::plan_today();
    let rows = deliverables::list(&state.db, &who, campaign_id).await?.into_iter().map(|d| row(dw, d, today)).collect();
    Ok(ListPage {
        dw,
        campaign_id,
        title: campaign.title,
        csrf: user.session.csrf_token.clone(),
        may_manage: who.may(Permission::ManageDeliverables),
        rows,
        kinds: DeliverableKind::ALL.iter().map(|k| (k.as_str(), kind_name(dw, *k))).collect(),
        errors,
        typed,
        chrome,
    })
}

async fn list(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (lang, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    if req.query_string() == "notice=saved" {
        chrome.notice = Some(words::words(lang).saved.to_owned());
    }
    let typed = DefineFields { kind: "other".to_owned(), ..DefineFields::default() };
    let page = async { load_list(&state, &user, chrome.clone(), page_id(&id)?, typed, Vec::new()).await };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

async fn define_planned(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, _) = match begin_form::<crate::console::CsrfForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let made = async {
        let campaign_id = page_id(&id)?;
        deliverables::define_planned(&state.db, &user.principal(), campaign_id).await?;
        Ok::<_, ApiError>(campaign_id)
    };
    match made.await {
        Ok(campaign_id) => see_other(&format!("/console/campaigns/{campaign_id}/deliverables?notice=saved")),
        Err(err) => failure(chrome, &err),
    }
}

async fn define(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, typed) = match begin_form::<DefineFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let Ok(campaign_id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound("no such page".into())) };
    let dw = words::deliverable_words(lang);
    let mut receivers = vec![Receiver::Office];
    if typed.cppcc.is_some() {
        receivers.push(Receiver::Cppcc);
    }
    if typed.representatives.is_some() {
        receivers.push(Receiver::Representatives);
    }
    let due_on = NaiveDate::parse_from_str(typed.due_on.trim(), "%Y-%m-%d").ok();
    let input = NewDeliverable {
        kind: DeliverableKind::parse(&typed.kind).unwrap_or(DeliverableKind::Other),
        title: typed.title.trim().to_owned(),
        due_on: due_on.unwrap_or_default(),
        units: None,
        receivers,
    };
    let mut errors = Vec::new();
    if validator::Validate::validate(&input).is_err() {
        errors.push(("d-title", dw.title_bad));
    }
    if due_on.is_none() {
        errors.push(("d-due", dw.date_bad));
    }
    if !errors.is_empty() {
        return again_list(&state, &user, chrome, campaign_id, typed, errors).await;
    }
    match deliverables::define(&state.db, &user.principal(), campaign_id, input).await {
        Ok(_) => see_other(&format!("/console/campaigns/{campaign_id}/deliverables?notice=saved")),
        Err(ApiError::Duplicate(_)) => {
            again_list(&state, &user, chrome, campaign_id, typed, vec![("d-title", dw.title_taken)]).await
        }
        Err(err) => failure(chrome, &err),
    }
}

async fn again_list(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    campaign_id: Uuid,
    typed: DefineFields,
    errors: Vec<(&'static str, &'static str)>,
) -> HttpResponse {
    match load_list(state, user, chrome.clone(), campaign_id, typed, errors).await {
        Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(err) => failure(chrome, &err),
    }
}

pub struct StandingRow {
    pub unit: String,
    pub overdue: bool,
    /// The latest hand-in, if any.
    pub latest: Option<HandInRow>,
}

pub struct HandInRow {
    pub id: Uuid,
    pub version: i32,
    pub handed_in_at: String,
    pub late: bool,
    pub status: &'static str,
    pub waiting: bool,
    pub public: bool,
    pub note: String,
    pub file_name: Option<String>,
    pub comment: Option<String>,
}

#[derive(Template)]
#[template(path = "console/deliverable.html")]
pub struct DetailPage {
    pub chrome: Chrome,
    pub dw: &'static DeliverableWords,
    pub campaign_id: Uuid,
    pub campaign_title: String,
    pub id: Uuid,
    pub row: DeliverableRow,
    pub csrf: String,
    pub may_review: bool,
    pub may_hand_in: bool,
    pub standings: Vec<StandingRow>,
    /// The units a hand-in can be made for: (id, name).
    pub choices: Vec<(String, String)>,
    pub errors: Vec<(&'static str, &'static str)>,
}

async fn load_detail(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    id: Uuid,
    errors: Vec<(&'static str, &'static str)>,
) -> ApiResult<DetailPage> {
    let who = user.principal();
    let dw = words::deliverable_words(chrome.lang);
    let found = deliverables::detail(&state.db, &who, id).await?;
    let campaign_id = found.deliverable.campaign_id;
    let campaign = campaigns::get(&state.db, &who, campaign_id).await?;
    let names: HashMap<Uuid, String> = units::by_ids(&state.db, found.standings.iter().map(|s| s.unit_id))
        .await?
        .into_iter()
        .map(|(id, unit)| (id, unit.name))
        .collect();
    let name = |id: &Uuid| names.get(id).cloned().unwrap_or_default();
    let mut standings: Vec<StandingRow> = found
        .standings
        .iter()
        .map(|s| StandingRow {
            unit: name(&s.unit_id),
            overdue: s.overdue,
            latest: s.latest.as_ref().map(|h| HandInRow {
                id: h.id,
                version: h.version,
                handed_in_at: crate::console::views::local_time(h.handed_in_at),
                late: h.late,
                status: status_name(dw, h.status),
                waiting: h.status == HandInStatus::Submitted,
                public: h.public,
                note: h.note.clone(),
                file_name: h.file_name.clone(),
                comment: h.review_comment.clone(),
            }),
        })
        .collect();
    standings.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.unit.cmp(&b.unit)));
    // The units whose hand-in this account may make now: not those already accepted.
    let may_hand_in = who.may(Permission::HandIn);
    let mut choices: Vec<(String, String)> = found
        .standings
        .iter()
        .filter(|s| s.latest.as_ref().is_none_or(|h| h.status != HandInStatus::Accepted))
        .map(|s| (s.unit_id.to_string(), name(&s.unit_id)))
        .collect();
    choices.sort_by(|a, b| a.1.cmp(&b.1));
    let today = crate::domain::calendar::plan_today();
    Ok(DetailPage {
        dw,
        campaign_id,
        campaign_title: campaign.title,
        id,
        row: row(dw, found.deliverable, today),
        csrf: user.session.csrf_token.clone(),
        may_review: who.may(Permission::ManageDeliverables),
        may_hand_in,
        standings,
        choices,
        errors,
        chrome,
    })
}

async fn detail(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (lang, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    if req.query_string() == "notice=saved" {
        chrome.notice = Some(words::words(lang).saved.to_owned());
    }
    let page = async { load_detail(&state, &user, chrome.clone(), page_id(&id)?, Vec::new()).await };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

async fn again_detail(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    id: Uuid,
    errors: Vec<(&'static str, &'static str)>,
) -> HttpResponse {
    match load_detail(state, user, chrome.clone(), id, errors).await {
        Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(err) => failure(chrome, &err),
    }
}

/// What a refused hand-in's fields say, in the page's words: a document refused is either
/// missing (with no note either) or not of an accepted type.
fn hand_in_errors(
    dw: &'static DeliverableWords,
    fields: &[FieldError],
    had_document: bool,
) -> Vec<(&'static str, &'static str)> {
    fields
        .iter()
        .map(|f| match f.field.as_str() {
            "unit_id" => ("h-unit", dw.unit_bad),
            "note" => ("h-note", dw.note_bad),
            _ if had_document => ("h-file", dw.document_bad),
            _ => ("h-file", dw.empty_bad),
        })
        .collect()
}

async fn hand_in(state: State, req: HttpRequest, id: web::Path<String>, payload: web::Payload) -> HttpResponse {
    let (lang, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(deliverable_id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound("no such page".into())) };
    let dw = words::deliverable_words(lang);
    let settings = &state.settings.documents;
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let parts = async {
        let body = crate::http::json::read_body(payload, settings.max_bytes + 64 * 1024).await?;
        crate::http::multipart::parse(&content_type, &body)
    };
    let parts = match parts.await {
        Ok(parts) => parts,
        Err(ApiError::PayloadTooLarge(_)) => {
            return again_detail(&state, &user, chrome, deliverable_id, vec![("h-file", dw.document_large)]).await;
        }
        Err(err) => return failure(chrome, &err),
    };
    let csrf = parts.iter().find(|p| p.name == "csrf").map(|p| String::from_utf8_lossy(&p.data).into_owned());
    if !crate::console::session::csrf_matches(&user.session.csrf_token, csrf.as_deref()) {
        return refused_form(lang, &req, &user);
    }
    let made = async {
        let form = crate::routes::deliverables::read_form(&parts)?;
        deliverables::hand_in(&state.db, settings, &user.principal(), deliverable_id, form).await
    };
    match made.await {
        Ok(_) => see_other(&format!("/console/deliverables/{deliverable_id}?notice=saved")),
        Err(ApiError::Validation(fields)) => {
            let had_document = parts.iter().any(|p| p.name == "document" && !p.data.is_empty());
            again_detail(&state, &user, chrome, deliverable_id, hand_in_errors(dw, &fields, had_document)).await
        }
        Err(ApiError::PayloadTooLarge(_)) => {
            again_detail(&state, &user, chrome, deliverable_id, vec![("h-file", dw.document_large)]).await
        }
        Err(ApiError::Conflict(_)) => {
            again_detail(&state, &user, chrome, deliverable_id, vec![("h-unit", dw.already_accepted)]).await
        }
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct ReviewFields {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
}

async fn review(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, fields) = match begin_form::<ReviewFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let dw = words::deliverable_words(lang);
    let Ok(hand_in_id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound("no such page".into())) };
    let deliverable_id = match deliverable_of(&state, hand_in_id).await {
        Ok(found) => found,
        Err(err) => return failure(chrome, &err),
    };
    let (decision, public) = match fields.decision.as_str() {
        "accepted" => (HandInStatus::Accepted, false),
        "published" => (HandInStatus::Accepted, true),
        _ => (HandInStatus::Returned, false),
    };
    let comment = Some(fields.comment.trim().to_owned()).filter(|c| !c.is_empty());
    let input = Review { decision, comment, public };
    if validator::Validate::validate(&input).is_err() {
        return again_detail(&state, &user, chrome, deliverable_id, vec![("reviews", dw.comment_bad)]).await;
    }
    match deliverables::review(&state.db, &user.principal(), hand_in_id, input).await {
        Ok(_) => see_other(&format!("/console/deliverables/{deliverable_id}?notice=saved")),
        Err(ApiError::Validation(_)) => {
            again_detail(&state, &user, chrome, deliverable_id, vec![("reviews", dw.comment_bad)]).await
        }
        Err(ApiError::Conflict(_)) => {
            again_detail(&state, &user, chrome, deliverable_id, vec![("reviews", dw.already_reviewed)]).await
        }
        Err(err) => failure(chrome, &err),
    }
}

/// The deliverable a hand-in belongs to, for coming back to its page.
async fn deliverable_of(state: &State, hand_in_id: Uuid) -> ApiResult<Uuid> {
    use sea_orm::{EntityTrait, QuerySelect};
    entity::hand_in::Entity::find_by_id(hand_in_id)
        .select_only()
        .column(entity::hand_in::Column::DeliverableId)
        .into_tuple::<Uuid>()
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such hand-in".to_owned()))
}

async fn document(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let found =
        async { deliverables::document(&state.db, &state.settings.documents, &user.principal(), page_id(&id)?).await };
    match found.await {
        Ok(doc) => crate::routes::deliverables::serve(doc),
        Err(err) => failure(chrome, &err),
    }
}
