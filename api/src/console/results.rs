//! The console's results pages: a campaign's result versions and computing a new one; a
//! version's review table (every component with its sample and interval, the composite
//! with its range, the grade, the rank in its group, the ties and the uncertainty at the
//! bottom line), deciding a tie, approving as oneself, publishing, downloads, and the
//! what-if: the same inputs under other rules, computed and shown beside the version and
//! never saved. Every action is `services::evaluation::results`, as the JSON API's.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use entity::vocabulary::ResultStatus;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::session::SignedIn;
use crate::console::views::{Chrome, local_time};
use crate::console::words::{self, ResultWords};
use crate::console::{CsrfForm, begin, begin_form, failure, page_id, render, see_other};
use crate::domain::composite::{Grade, Rules, UnitInputs};
use crate::domain::questionnaire::Lang;
use crate::domain::vocabulary::Phase;
use crate::error::{ApiError, ApiResult};
use crate::services::evaluation::official_notices::{self, NewOfficialNotice, OfficialNoticeDto};
use crate::services::evaluation::results::{self, NamedResult, ResultVersionDto, TieChoice};
use crate::services::query::exports;
use crate::services::registry::campaigns;
use crate::web::notice_document;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/console/campaigns/{id}/results").route(web::get().to(versions)).route(web::post().to(compute)),
    )
    .service(web::resource("/console/results/{id}").route(web::get().to(version_page)))
    .service(web::resource("/console/results/{id}/tie").route(web::post().to(decide_tie)))
    .service(web::resource("/console/results/{id}/approve").route(web::post().to(approve)))
    .service(web::resource("/console/results/{id}/publish").route(web::post().to(publish)))
    .service(web::resource("/console/results/{id}/official-notices").route(web::post().to(issue_notice)))
    .service(web::resource("/console/official-notices/{id}/notice.{format}").route(web::get().to(notice_file)))
    .service(web::resource("/console/results/{id}/report.csv").route(web::get().to(report_csv)))
    .service(web::resource("/console/results/{id}/report.xlsx").route(web::get().to(report_xlsx)));
}

fn status_name(rw: &ResultWords, status: ResultStatus) -> &'static str {
    match status {
        ResultStatus::Draft => rw.draft,
        ResultStatus::Approved => rw.approved,
        _ => rw.published,
    }
}

fn grade_name(rw: &ResultWords, grade: Grade) -> &'static str {
    match grade {
        Grade::Excellent => rw.excellent,
        Grade::Qualified => rw.qualified,
        Grade::Unqualified => rw.unqualified,
        Grade::NotScored => rw.not_scored,
    }
}

pub struct VersionRow {
    pub id: Uuid,
    pub version: i32,
    pub computed: String,
    pub status: &'static str,
    pub approvals: usize,
}

#[derive(Template)]
#[template(path = "console/results.html")]
pub struct VersionsPage {
    pub chrome: Chrome,
    pub rw: &'static ResultWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub csrf: String,
    pub may_compute: bool,
    pub error: Option<String>,
    pub versions: Vec<VersionRow>,
}

impl VersionsPage {
    async fn load(state: &State, user: &SignedIn, id: Uuid, chrome: Chrome, error: Option<String>) -> ApiResult<Self> {
        let who = user.principal();
        let campaign = campaigns::get(&state.db, &who, id).await?;
        let rw = words::result_words(chrome.lang);
        let mut versions = Vec::new();
        for version in results::list(&state.db, &who, id).await?.into_iter().rev() {
            let dto = results::to_dto(&state.db, version).await?;
            versions.push(VersionRow {
                id: dto.id,
                version: dto.version,
                computed: local_time(dto.computed_at),
                status: status_name(rw, dto.status),
                approvals: dto.approvals.len(),
            });
        }
        Ok(Self {
            rw,
            campaign_id: id,
            title: campaign.title,
            csrf: user.session.csrf_token.clone(),
            may_compute: who.may(Permission::ManageResults) && campaign.current_phase == Phase::Assessment,
            error,
            versions,
            chrome,
        })
    }
}

async fn versions(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let page = async { VersionsPage::load(&state, &user, page_id(&id)?, chrome.clone(), None).await };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

async fn compute(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, _) = match begin_form::<CsrfForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound(String::new())) };
    match results::compute(&state.db, &state.reports, &user.principal(), id).await {
        Ok(version) => see_other(&format!("/console/results/{}", version.id)),
        Err(ApiError::Conflict(reason)) => {
            match VersionsPage::load(&state, &user, id, chrome.clone(), Some(reason)).await {
                Ok(page) => render(StatusCode::CONFLICT, &page),
                Err(err) => failure(chrome, &err),
            }
        }
        Err(err) => failure(chrome, &err),
    }
}

/// What the what-if changed for a unit.
pub struct WhatIfCells {
    pub composite: String,
    pub rank: String,
    pub change: String,
    pub grade: &'static str,
    pub bottom: bool,
}

pub struct ReviewRow {
    pub rank: String,
    pub name: String,
    /// Conference, third party, citizens, supervision: the figure and, when it did not
    /// count, why.
    pub components: Vec<(String, Option<String>)>,
    pub composite: String,
    pub range: Option<String>,
    pub grade: &'static str,
    pub bottom: bool,
    pub violation: bool,
    pub what_if: Option<WhatIfCells>,
}

pub struct TieForm {
    pub group: String,
    pub units: Vec<(Uuid, String)>,
}

pub struct GroupTable {
    pub name: String,
    pub rows: Vec<ReviewRow>,
    pub notes: Vec<String>,
    pub tie_form: Option<TieForm>,
}

/// The what-if's rules as the form shows them: weights in percent.
pub struct RulesForm {
    pub w_conference: String,
    pub w_third_party: String,
    pub w_citizen_links: String,
    pub w_supervision: String,
    pub qualified_min: String,
    pub excellent_min: String,
    pub bottom_n: u32,
    pub group_bottom_n: u32,
}

fn number(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl From<&Rules> for RulesForm {
    fn from(rules: &Rules) -> Self {
        let w = &rules.weights;
        Self {
            w_conference: number(w.conference * 100.0),
            w_third_party: number(w.third_party * 100.0),
            w_citizen_links: number(w.citizen_links * 100.0),
            w_supervision: number(w.supervision * 100.0),
            qualified_min: number(rules.qualified_min),
            excellent_min: number(rules.excellent_min),
            bottom_n: rules.bottom_n,
            group_bottom_n: rules.group_bottom_n,
        }
    }
}

/// The what-if form as sent: every field is optional, a version's own rule standing in.
#[derive(Deserialize, Default)]
struct WhatIfQuery {
    w_conference: Option<f64>,
    w_third_party: Option<f64>,
    w_citizen_links: Option<f64>,
    w_supervision: Option<f64>,
    qualified_min: Option<f64>,
    excellent_min: Option<f64>,
    bottom_n: Option<u32>,
    group_bottom_n: Option<u32>,
}

impl WhatIfQuery {
    fn asked(&self) -> bool {
        self.w_conference.is_some()
            || self.w_third_party.is_some()
            || self.w_citizen_links.is_some()
            || self.w_supervision.is_some()
            || self.qualified_min.is_some()
            || self.excellent_min.is_some()
            || self.bottom_n.is_some()
            || self.group_bottom_n.is_some()
    }

    fn rules(&self, base: &Rules) -> Rules {
        let mut rules = *base;
        let percent = |value: Option<f64>, current: f64| value.map_or(current, |v| v / 100.0);
        rules.weights.conference = percent(self.w_conference, base.weights.conference);
        rules.weights.third_party = percent(self.w_third_party, base.weights.third_party);
        rules.weights.citizen_links = percent(self.w_citizen_links, base.weights.citizen_links);
        rules.weights.supervision = percent(self.w_supervision, base.weights.supervision);
        rules.qualified_min = self.qualified_min.unwrap_or(base.qualified_min);
        rules.excellent_min = self.excellent_min.unwrap_or(base.excellent_min);
        rules.bottom_n = self.bottom_n.unwrap_or(base.bottom_n);
        rules.group_bottom_n = self.group_bottom_n.unwrap_or(base.group_bottom_n);
        rules
    }
}

#[derive(Template)]
#[template(path = "console/result.html")]
pub struct VersionPage {
    pub chrome: Chrome,
    pub rw: &'static ResultWords,
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub title: String,
    pub version: i32,
    pub status: &'static str,
    pub is_draft: bool,
    pub is_published: bool,
    pub approvers: String,
    pub approvals_note: String,
    pub csrf: String,
    pub error: Option<String>,
    pub groups: Vec<GroupTable>,
    pub decisions: Vec<String>,
    pub may_approve: bool,
    pub may_publish: bool,
    pub what_if: bool,
    pub what_if_error: Option<&'static str>,
    pub rules: RulesForm,
    /// The official notices issued from this version.
    pub notices: Vec<OfficialNoticeDto>,
    /// Whether the office may issue a notice now (the version is published), and the form's
    /// defaults: the issuing body, today, the plan's recipients.
    pub may_issue: bool,
    pub issuing_body: String,
    pub today: String,
    pub recipients: String,
}

const SOURCES: [&str; 4] = ["conference", "third_party", "citizen_links", "supervision"];

/// A component's cell: its score, sample and interval when it counted; otherwise the
/// figure there is and why it did not count.
fn component_cell(
    lang: Lang,
    rw: &ResultWords,
    unit: &NamedResult,
    inputs: Option<&UnitInputs>,
    source: &str,
) -> (String, Option<String>) {
    let Some(component) = unit.result.components.iter().find(|c| c.source == source) else {
        return ("—".to_owned(), None);
    };
    let note = component.note.as_ref().map(|n| if lang == Lang::En { n.en.clone() } else { n.zh.clone() });
    if source == "supervision" && unit.result.supervision_points != 0.0 {
        return (format!("{:+} {}", unit.result.supervision_points, rw.points), None);
    }
    let interval = inputs
        .and_then(|i| match source {
            "conference" => i.conference,
            "third_party" => i.third_party,
            "citizen_links" => i.citizen_links,
            _ => None,
        })
        .and_then(|c| c.interval);
    let figure = match (component.score, component.sample, interval) {
        (Some(score), Some(sample), Some(i)) => format!("{score:.2}（n={sample}，{:.1}–{:.1}）", i.low, i.high),
        (Some(score), Some(sample), None) => format!("{score:.2}（n={sample}）"),
        (Some(score), None, _) => format!("{score:.2}"),
        (None, _, _) => "—".to_owned(),
    };
    (figure, if component.counted { None } else { note })
}

fn names(units: &[Uuid], by_id: &HashMap<Uuid, String>, lang: Lang) -> String {
    let separator = if lang == Lang::En { ", " } else { "、" };
    units.iter().map(|u| by_id.get(u).cloned().unwrap_or_else(|| u.to_string())).collect::<Vec<_>>().join(separator)
}

impl VersionPage {
    async fn load(
        state: &State,
        user: &SignedIn,
        id: Uuid,
        chrome: Chrome,
        query: &WhatIfQuery,
        error: Option<String>,
    ) -> ApiResult<Self> {
        let who = user.principal();
        let lang = chrome.lang;
        let rw = words::result_words(lang);
        let dto: ResultVersionDto = results::to_dto(&state.db, results::get(&state.db, &who, id).await?).await?;
        let campaign = campaigns::get(&state.db, &who, dto.campaign_id).await?;
        let mut what_if_error = None;
        let what_if = if query.asked() {
            match results::what_if(&state.db, &who, id, query.rules(&dto.rules)).await {
                Ok(what_if) => Some(what_if),
                Err(ApiError::Validation(_)) => {
                    what_if_error = Some(rw.rules_invalid);
                    None
                }
                Err(err) => return Err(err),
            }
        } else {
            None
        };
        let by_id: HashMap<Uuid, String> = dto.units.iter().map(|u| (u.result.unit_id, u.unit_name.clone())).collect();
        let inputs: HashMap<Uuid, &UnitInputs> = dto.inputs.iter().map(|i| (i.unit_id, i)).collect();
        let other: HashMap<Uuid, &NamedResult> =
            what_if.iter().flat_map(|w| w.units.iter()).map(|u| (u.result.unit_id, u)).collect();
        let approvals = dto.approvals.len();
        let may_decide = who.may(Permission::ApproveResults) && dto.status == ResultStatus::Draft && approvals == 0;
        let mut groups: Vec<GroupTable> = Vec::new();
        for unit in &dto.units {
            let key = unit.result.group.clone();
            let name = unit.group_name.clone().unwrap_or_else(|| rw.ungrouped.to_owned());
            if groups.last().is_none_or(|g| g.name != name) {
                let line = key.as_ref().and_then(|k| dto.lines.iter().find(|l| &l.group == k));
                let mut notes = Vec::new();
                let mut tie_form = None;
                if let Some(line) = line {
                    if let Some(tie) = &line.tie {
                        notes.push(
                            rw.tie
                                .replace("{rank}", &tie.rank.to_string())
                                .replace("{units}", &names(&tie.units, &by_id, lang)),
                        );
                        if may_decide {
                            tie_form = Some(TieForm {
                                group: line.group.clone(),
                                units: tie
                                    .units
                                    .iter()
                                    .map(|u| (*u, by_id.get(u).cloned().unwrap_or_default()))
                                    .collect(),
                            });
                        }
                    }
                    if !line.uncertain.is_empty() {
                        notes.push(rw.uncertain.replace("{units}", &names(&line.uncertain, &by_id, lang)));
                    }
                }
                groups.push(GroupTable { name, rows: Vec::new(), notes, tie_form });
            }
            let result = &unit.result;
            let what_if = other.get(&result.unit_id).map(|o| {
                let change = match (result.rank, o.result.rank) {
                    (Some(before), Some(after)) if after < before => format!("↑{}", before - after),
                    (Some(before), Some(after)) if after > before => format!("↓{}", after - before),
                    _ => "—".to_owned(),
                };
                WhatIfCells {
                    composite: o.result.composite.map_or_else(|| "—".to_owned(), |c| format!("{c:.2}")),
                    rank: o.result.rank.map_or_else(|| "—".to_owned(), |r| r.to_string()),
                    change,
                    grade: grade_name(rw, o.result.grade),
                    bottom: o.result.bottom,
                }
            });
            let row = ReviewRow {
                rank: result.rank.map_or_else(|| "—".to_owned(), |r| r.to_string()),
                name: unit.unit_name.clone(),
                components: SOURCES
                    .iter()
                    .map(|source| component_cell(lang, rw, unit, inputs.get(&result.unit_id).copied(), source))
                    .collect(),
                composite: result.composite.map_or_else(|| "—".to_owned(), |c| format!("{c:.2}")),
                range: result.composite_range.map(|r| format!("{:.2}–{:.2}", r.low, r.high)),
                grade: grade_name(rw, result.grade),
                bottom: result.bottom,
                violation: result.violation,
                what_if,
            };
            if let Some(group) = groups.last_mut() {
                group.rows.push(row);
            }
        }
        let decisions = dto
            .decisions
            .iter()
            .map(|d| {
                let group = dto
                    .units
                    .iter()
                    .find(|u| u.result.group.as_deref() == Some(d.group.as_str()))
                    .and_then(|u| u.group_name.clone())
                    .unwrap_or_else(|| d.group.clone());
                rw.decided
                    .replace("{group}", &group)
                    .replace("{units}", &names(&d.bottom, &by_id, lang))
                    .replace("{reason}", &d.reason)
            })
            .collect();
        let mut approvers = Vec::new();
        for subject in &dto.approvals {
            let name = match subject.parse::<Uuid>() {
                Ok(account) => crate::services::registry::accounts::find(&state.db, account)
                    .await
                    .map_or_else(|_| subject.clone(), |a| a.username),
                Err(_) => subject.clone(),
            };
            approvers.push(name);
        }
        let already = dto.approvals.contains(&who.subject);
        let notices = if who.may(Permission::ReadResults) {
            official_notices::list(&state.db, &who, dto.campaign_id)
                .await?
                .into_iter()
                .filter(|n| n.result_version_id == id)
                .collect()
        } else {
            Vec::new()
        };
        let may_issue = who.may(Permission::ManageResults) && dto.status == ResultStatus::Published;
        let recipients = if may_issue {
            official_notices::default_recipients(&state.db, dto.campaign_id).await?.join("\n")
        } else {
            String::new()
        };
        let issuing_body = campaigns::settings_of(&campaign)?.organiser.unwrap_or_default();
        Ok(Self {
            notices,
            may_issue,
            issuing_body,
            today: crate::domain::calendar::plan_today().to_string(),
            recipients,
            rw,
            id,
            campaign_id: dto.campaign_id,
            title: campaign.title,
            version: dto.version,
            status: status_name(rw, dto.status),
            is_draft: dto.status == ResultStatus::Draft,
            is_published: dto.status == ResultStatus::Published,
            approvers: approvers.join(if lang == Lang::En { ", " } else { "、" }),
            approvals_note: rw.approvals_needed.replace("{n}", &results::APPROVALS_NEEDED.to_string()),
            csrf: user.session.csrf_token.clone(),
            error,
            groups,
            decisions,
            may_approve: who.may(Permission::ApproveResults) && dto.status == ResultStatus::Draft && !already,
            may_publish: who.may(Permission::ManageResults) && dto.status == ResultStatus::Approved,
            what_if: what_if.is_some(),
            what_if_error,
            rules: RulesForm::from(&what_if.as_ref().map_or(dto.rules, |w| w.rules)),
            chrome,
        })
    }
}

async fn version_page(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let query = web::Query::<WhatIfQuery>::from_query(req.query_string()).map(|q| q.into_inner()).unwrap_or_default();
    let page = async { VersionPage::load(&state, &user, page_id(&id)?, chrome.clone(), &query, None).await };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

/// The version page again with `message` at its top.
async fn version_again(
    state: &State,
    user: &SignedIn,
    id: Uuid,
    chrome: Chrome,
    status: StatusCode,
    message: String,
) -> HttpResponse {
    match VersionPage::load(state, user, id, chrome.clone(), &WhatIfQuery::default(), Some(message)).await {
        Ok(page) => render(status, &page),
        Err(err) => failure(chrome, &err),
    }
}

/// Runs a posted action on the version and comes back to its page.
async fn act<F, Fut>(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes, action: F) -> HttpResponse
where
    F: FnOnce(State, crate::auth::Principal, Uuid, Vec<(String, String)>) -> Fut,
    Fut: std::future::Future<Output = ApiResult<()>>,
{
    let (lang, user, chrome, pairs) = match begin_form::<Vec<(String, String)>>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound(String::new())) };
    match action(state.clone(), user.principal(), id, pairs).await {
        Ok(()) => see_other(&format!("/console/results/{id}")),
        Err(ApiError::Conflict(reason)) => version_again(&state, &user, id, chrome, StatusCode::CONFLICT, reason).await,
        Err(ApiError::Validation(_)) => {
            let message = words::result_words(lang).tie_needs_choice.to_owned();
            version_again(&state, &user, id, chrome, StatusCode::UNPROCESSABLE_ENTITY, message).await
        }
        Err(err) => failure(chrome, &err),
    }
}

async fn decide_tie(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    act(state, req, id, body, |state, who, id, pairs| async move {
        let value = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let choice = TieChoice {
            group: value("group"),
            bottom: pairs.iter().filter(|(k, _)| k == "bottom").filter_map(|(_, v)| v.parse().ok()).collect(),
            reason: value("reason").trim().to_owned(),
        };
        validator::Validate::validate(&choice).map_err(ApiError::from)?;
        results::decide_tie(&state.db, &who, id, choice).await.map(|_| ())
    })
    .await
}

async fn approve(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    act(
        state,
        req,
        id,
        body,
        |state, who, id, _| async move { results::approve(&state.db, &who, id).await.map(|_| ()) },
    )
    .await
}

async fn publish(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    act(
        state,
        req,
        id,
        body,
        |state, who, id, _| async move { results::publish(&state.db, &who, id).await.map(|_| ()) },
    )
    .await
}

async fn issue_notice(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, pairs) = match begin_form::<Vec<(String, String)>>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound(String::new())) };
    let value =
        |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let issued = async {
        let version = results::get(&state.db, &user.principal(), id).await?;
        let issued_on = chrono::NaiveDate::parse_from_str(&value("issued_on"), "%Y-%m-%d")
            .map_err(|_| ApiError::invalid("issued_on", "must be a date"))?;
        let recipients: Vec<String> =
            value("recipients").lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
        let input = NewOfficialNotice {
            doc_number: value("doc_number"),
            issuing_body: value("issuing_body"),
            issued_on,
            title: None,
            recipients: (!recipients.is_empty()).then_some(recipients),
        };
        validator::Validate::validate(&input).map_err(ApiError::from)?;
        official_notices::issue(&state.db, &user.principal(), version.campaign_id, input).await
    };
    match issued.await {
        Ok(_) => see_other(&format!("/console/results/{id}#notices")),
        Err(ApiError::Validation(_)) => {
            let message = words::result_words(lang).notice_fields_bad.to_owned();
            version_again(&state, &user, id, chrome, StatusCode::UNPROCESSABLE_ENTITY, message).await
        }
        Err(ApiError::Conflict(reason)) => version_again(&state, &user, id, chrome, StatusCode::CONFLICT, reason).await,
        Err(ApiError::Duplicate(duplicate)) => {
            let message = duplicate.detail.unwrap_or_default();
            version_again(&state, &user, id, chrome, StatusCode::CONFLICT, message).await
        }
        Err(err) => failure(chrome, &err),
    }
}

/// An official notice's PDF or DOCX, for the signed-in account.
async fn notice_file(state: State, req: HttpRequest, path: web::Path<(String, String)>) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let (id, format) = path.into_inner();
    let file = async {
        let document = official_notices::document(&state.db, &user.principal(), page_id(&id)?).await?;
        match format.as_str() {
            "pdf" => {
                Ok((notice_document::pdf::render(&document), "application/pdf", format!("{}.pdf", document.title)))
            }
            "docx" => Ok((
                notice_document::docx::render(&document).map_err(ApiError::internal)?,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                format!("{}.docx", document.title),
            )),
            _ => Err(ApiError::NotFound("no such page".to_owned())),
        }
    };
    match file.await {
        Ok((bytes, media_type, name)) => crate::http::responses::download(bytes, media_type, &name),
        Err(err) => failure(chrome, &err),
    }
}

async fn report_lines(state: &State, user: &SignedIn, id: &str) -> ApiResult<Vec<Vec<exports::Cell>>> {
    let version = results::get(&state.db, &user.principal(), page_id(id)?).await?;
    let report = results::report(&state.db, &version).await?;
    Ok(report.rows.iter().map(exports::result_line).collect())
}

async fn report_csv(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let bytes = async { exports::csv_file(&exports::RESULT_COLUMNS, report_lines(&state, &user, &id).await?) };
    match bytes.await {
        Ok(bytes) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", "attachment; filename=\"results.csv\""))
            .insert_header(("Cache-Control", "no-store"))
            .body(bytes),
        Err(err) => failure(chrome, &err),
    }
}

async fn report_xlsx(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let file = async {
        let lines = report_lines(&state, &user, &id).await?;
        web::block(move || exports::workbook_file("results", &exports::RESULT_COLUMNS, lines.into_iter()))
            .await
            .map_err(ApiError::internal)?
    };
    match file.await {
        Ok(file) => HttpResponse::Ok()
            .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .insert_header(("Content-Disposition", "attachment; filename=\"results.xlsx\""))
            .insert_header(("Cache-Control", "no-store"))
            .streaming(tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file))),
        Err(err) => failure(chrome, &err),
    }
}
