//! The console's pages for what is recorded rather than measured: a campaign's supervision
//! notices and violation cases (listed, and added through forms), and the audit log with its
//! verification. Through `services::evaluation::supervision` and `services::audit`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::session::SignedIn;
use crate::console::views::{Chrome, local_time};
use crate::console::words::{self, RecordWords};
use crate::console::{begin, begin_form, failure, page_id, render, see_other};
use crate::error::{ApiError, ApiResult};
use crate::services::evaluation::supervision::{self, NewNotice, NewViolation};
use crate::services::registry::{campaign_units, campaigns};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console/campaigns/{id}/supervision").route(web::get().to(supervision_page)))
        .service(web::resource("/console/campaigns/{id}/supervision/notices").route(web::post().to(add_notice)))
        .service(web::resource("/console/campaigns/{id}/supervision/violations").route(web::post().to(add_violation)))
        .service(web::resource("/console/audit").route(web::get().to(audit_page)));
}

/// A recorded notice or case as listed.
pub struct RecordRow {
    pub date: String,
    pub unit: String,
    pub by: String,
    pub text: String,
    pub figure: String,
}

/// A form's fields as typed, to show again with its problems.
#[derive(Deserialize, Default, Clone)]
pub struct RecordForm {
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub by: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub points: String,
    #[serde(default)]
    pub score: String,
}

#[derive(Template)]
#[template(path = "console/supervision.html")]
pub struct SupervisionPage {
    pub chrome: Chrome,
    pub w: &'static RecordWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub csrf: String,
    pub may_record: bool,
    /// (field id, message).
    pub errors: Vec<(&'static str, &'static str)>,
    pub notices: Vec<RecordRow>,
    pub violations: Vec<RecordRow>,
    pub units: Vec<(String, String)>,
    pub notice: RecordForm,
    pub violation: RecordForm,
}

impl SupervisionPage {
    async fn load(
        state: &State,
        user: &SignedIn,
        id: Uuid,
        chrome: Chrome,
        typed: (RecordForm, RecordForm),
        errors: Vec<(&'static str, &'static str)>,
    ) -> ApiResult<Self> {
        let who = user.principal();
        let campaign = campaigns::get(&state.db, &who, id).await?;
        let members = campaign_units::list(&state.db, &who, id).await?;
        let names: HashMap<Uuid, String> = members.iter().map(|m| (m.unit_id, m.unit_name.clone())).collect();
        let name = |unit: Uuid| names.get(&unit).cloned().unwrap_or_default();
        let notices = supervision::notices(&state.db, &who, id)
            .await?
            .into_iter()
            .map(|n| RecordRow {
                date: n.issued_on.to_string(),
                unit: name(n.unit_id),
                by: n.issuing_body,
                text: n.summary,
                figure: match (n.points, n.score) {
                    (Some(points), _) => format!("{points:+}"),
                    (None, Some(score)) => format!("{score:.1}"),
                    (None, None) => String::new(),
                },
            })
            .collect();
        let violations = supervision::violations(&state.db, &who, id)
            .await?
            .into_iter()
            .map(|v| RecordRow {
                date: v.confirmed_on.to_string(),
                unit: name(v.unit_id),
                by: v.authority,
                text: v.reference,
                figure: String::new(),
            })
            .collect();
        Ok(Self {
            w: words::record_words(chrome.lang),
            campaign_id: id,
            title: campaign.title,
            csrf: user.session.csrf_token.clone(),
            may_record: who.may(Permission::ManageCampaigns),
            errors,
            notices,
            violations,
            units: members.into_iter().map(|m| (m.unit_id.to_string(), m.unit_name)).collect(),
            notice: typed.0,
            violation: typed.1,
            chrome,
        })
    }
}

async fn supervision_page(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (_, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    if req.query_string() == "notice=saved" {
        chrome.notice = Some(words::record_words(chrome.lang).recorded.to_owned());
    }
    let page = async {
        SupervisionPage::load(&state, &user, page_id(&id)?, chrome.clone(), Default::default(), Vec::new()).await
    };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

/// A line of text a form must have: one line of at most 200 characters.
fn line_ok(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty() && text.chars().count() <= 200 && crate::domain::text::single_line(text).is_ok()
}

/// A number typed in a form, if any; `Err` when something is typed that is not one in `range`.
fn optional_number(text: &str, range: std::ops::RangeInclusive<f64>) -> Result<Option<f64>, ()> {
    let text = text.trim().replace('＋', "+").replace('－', "-");
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(value) if range.contains(&value) => Ok(Some(value)),
        _ => Err(()),
    }
}

/// Adds a notice (`violation` false) or a case from the form, or shows the page again with
/// each problem named.
async fn record(
    state: State,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
    violation: bool,
) -> HttpResponse {
    let (lang, user, chrome, form) = match begin_form::<RecordForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound(String::new())) };
    let w = words::record_words(lang);
    let field = |name: &'static str| -> &'static str {
        match (violation, name) {
            (true, "unit") => "v-unit",
            (true, "date") => "v-date",
            (true, "by") => "v-by",
            (true, _) => "v-text",
            (false, "unit") => "n-unit",
            (false, "date") => "n-date",
            (false, "by") => "n-by",
            (false, "points") => "n-points",
            (false, "score") => "n-score",
            (false, _) => "n-text",
        }
    };
    let mut errors = Vec::new();
    let unit_id = form.unit.parse::<Uuid>().ok();
    if unit_id.is_none() {
        errors.push((field("unit"), w.choose_unit));
    }
    let date = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d").ok();
    if date.is_none() {
        errors.push((field("date"), w.bad_date));
    }
    if !line_ok(&form.by) {
        errors.push((field("by"), w.bad_text));
    }
    let text_ok = if violation {
        line_ok(&form.text)
    } else {
        let text = form.text.trim();
        !text.is_empty() && text.chars().count() <= 5000 && crate::domain::text::free_text(text).is_ok()
    };
    if !text_ok {
        errors.push((field("text"), w.bad_text));
    }
    let points = optional_number(&form.points, -100.0..=100.0);
    if points.is_err() {
        errors.push((field("points"), w.bad_points));
    }
    let score = optional_number(&form.score, 0.0..=100.0);
    if score.is_err() {
        errors.push((field("score"), w.bad_score));
    }
    if let (true, Some(unit_id), Some(date)) = (errors.is_empty(), unit_id, date) {
        let who = user.principal();
        let saved = if violation {
            let input = NewViolation {
                unit_id,
                confirmed_on: date,
                authority: form.by.trim().to_owned(),
                reference: form.text.trim().to_owned(),
            };
            supervision::add_violation(&state.db, &who, id, input).await.map(|_| ())
        } else {
            let input = NewNotice {
                unit_id,
                issued_on: date,
                issuing_body: form.by.trim().to_owned(),
                summary: form.text.trim().to_owned(),
                points: points.ok().flatten(),
                score: score.ok().flatten(),
            };
            supervision::add_notice(&state.db, &who, id, input).await.map(|_| ())
        };
        match saved {
            Ok(()) => return see_other(&format!("/console/campaigns/{id}/supervision?notice=saved")),
            Err(ApiError::Validation(problems)) if problems.iter().any(|p| p.field == "unit_id") => {
                errors.push((field("unit"), w.choose_unit));
            }
            Err(ApiError::Validation(_)) => errors.push((field("points"), w.bad_points)),
            Err(err) => return failure(chrome, &err),
        }
    }
    let typed = if violation { (RecordForm::default(), form) } else { (form, RecordForm::default()) };
    match SupervisionPage::load(&state, &user, id, chrome.clone(), typed, errors).await {
        Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(err) => failure(chrome, &err),
    }
}

async fn add_notice(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    record(state, req, id, body, false).await
}

async fn add_violation(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    record(state, req, id, body, true).await
}

pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub w: &'static RecordWords,
    pub records: Vec<AuditRow>,
    pub after: i64,
    pub next: Option<i64>,
    /// The verification's finding, and whether the chain holds.
    pub check: Option<(String, bool)>,
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    after: i64,
    #[serde(default)]
    verify: Option<String>,
}

/// Records shown on one page of the audit log.
const AUDIT_PAGE: u64 = 100;

async fn audit_page(state: State, req: HttpRequest) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let query = web::Query::<AuditQuery>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or(AuditQuery { after: 0, verify: None });
    let page = async {
        let who = user.principal();
        let w = words::record_words(chrome.lang);
        let found = crate::services::audit::list(&state.db, &who, query.after.max(0), AUDIT_PAGE).await?;
        let check = match query.verify {
            Some(_) => {
                let chain = crate::services::audit::verify(&state.db, &who).await?;
                Some(match chain.first_invalid_seq {
                    None if chain.valid => (w.chain_valid.replace("{n}", &chain.records.to_string()), true),
                    seq => (w.chain_broken.replace("{seq}", &seq.map_or_else(String::new, |s| s.to_string())), false),
                })
            }
            None => None,
        };
        let mut names: HashMap<String, String> = HashMap::new();
        let mut records = Vec::new();
        for record in &found {
            if !names.contains_key(&record.actor) {
                let name = match record.actor.parse::<Uuid>() {
                    Ok(id) => crate::services::registry::accounts::find(&state.db, id)
                        .await
                        .map_or_else(|_| record.actor.clone(), |a| a.username),
                    Err(_) => record.actor.clone(),
                };
                names.insert(record.actor.clone(), name);
            }
            records.push(AuditRow {
                seq: record.seq,
                at: local_time(record.at),
                actor: names.get(&record.actor).cloned().unwrap_or_default(),
                action: record.action.clone(),
                entity: format!("{} {}", record.entity, record.entity_id),
            });
        }
        let next = (found.len() as u64 == AUDIT_PAGE).then(|| found.last().map(|r| r.seq)).flatten();
        Ok::<_, ApiError>(AuditPage { chrome: chrome.clone(), w, records, after: query.after, next, check })
    };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}
