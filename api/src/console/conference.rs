//! The console's conference pages: representatives by group, scoring sessions and their
//! scope, printable ballot-code slips and blank paper ballots, paper-ballot entry by two
//! clerks, closing a session and its tally. Every action goes through
//! `services::evaluation::conference` and `paper_ballots`, as the JSON API does.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use entity::vocabulary::SessionStatus;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::{Permission, Principal};
use crate::console::session::SignedIn;
use crate::console::views::{Chrome, local_time};
use crate::console::words::{self, ConferenceWords, Words};
use crate::console::{CsrfForm, begin, begin_form, failure, page_id, render, see_other};
use crate::domain::questionnaire::Lang;
use crate::error::{ApiError, ApiResult};
use crate::services::evaluation::ballot_sheet::{self, BallotSheet};
use crate::services::evaluation::conference::{self, Ballot, NewEvaluators, NewSession, ScoringMode};
use crate::services::evaluation::paper_ballots::{self, PaperOutcome};
use crate::services::registry::{campaign_units, campaigns};
use crate::web::conference_room::{BallotForm, BallotPage, ProblemLink, ResultRow, UnitView, ranked};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console/campaigns/{id}/conference").route(web::get().to(conference_page)))
        .service(
            web::resource("/console/campaigns/{id}/conference/representatives")
                .route(web::post().to(add_representatives)),
        )
        .service(web::resource("/console/campaigns/{id}/conference/sessions").route(web::post().to(open_session)))
        .service(web::resource("/console/conference/{session}").route(web::get().to(session_page)))
        .service(web::resource("/console/conference/{session}/slips").route(web::post().to(print_slips)))
        .service(web::resource("/console/conference/{session}/reissue").route(web::post().to(reissue_slip)))
        .service(web::resource("/console/conference/{session}/paper-form").route(web::get().to(blank_paper)))
        .service(
            web::resource("/console/conference/{session}/paper")
                .route(web::get().to(paper_form))
                .route(web::post().to(enter_paper)),
        )
        .service(
            web::resource("/console/conference/{session}/paper/{entry}/discard").route(web::post().to(discard_paper)),
        )
        .service(web::resource("/console/conference/{session}/close").route(web::post().to(close_session)));
}

/// The groups representatives are recruited from, as the plan names them.
const GROUPS: [(&str, &str, &str); 6] = [
    ("deputies", "区人大代表", "District people's congress deputies"),
    ("cppcc_members", "区政协委员", "District CPPCC members"),
    ("leading_group", "评议领导小组成员", "Members of the evaluation leading group"),
    ("representatives", "政风行风评议代表", "Evaluation representatives"),
    ("supervisors", "政风行风监督员", "Conduct supervisors"),
    ("service_users", "服务对象代表", "Service users"),
];

fn group_name(lang: Lang, key: &str) -> String {
    GROUPS.iter().find(|(k, ..)| *k == key).map_or_else(
        || key.to_owned(),
        |(_, zh, en)| if lang == Lang::En { (*en).to_owned() } else { (*zh).to_owned() },
    )
}

fn mode_name(cw: &ConferenceWords, mode: ScoringMode) -> &'static str {
    match mode {
        ScoringMode::Overall => cw.overall_mode,
        ScoringMode::Dimensions => cw.dimensions_mode,
    }
}

fn status_name(cw: &ConferenceWords, status: SessionStatus) -> &'static str {
    match status {
        SessionStatus::Open => cw.open,
        _ => cw.closed,
    }
}

pub struct GroupRow {
    pub name: String,
    pub count: usize,
    pub codes: String,
}

pub struct SessionRow {
    pub id: Uuid,
    pub opened: String,
    pub mode: &'static str,
    pub status: &'static str,
    pub ballots: i32,
}

pub struct ScopeUnit {
    pub id: Uuid,
    pub name: String,
    pub group: Option<String>,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "console/conference.html")]
pub struct ConferencePage {
    pub chrome: Chrome,
    pub cw: &'static ConferenceWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub csrf: String,
    pub may_run: bool,
    pub error: Option<String>,
    pub sessions: Vec<SessionRow>,
    pub units: Vec<ScopeUnit>,
    pub groups: Vec<GroupRow>,
    pub group_choices: Vec<(&'static str, String)>,
}

impl ConferencePage {
    async fn load(state: &State, user: &SignedIn, id: Uuid, chrome: Chrome, error: Option<String>) -> ApiResult<Self> {
        let who = user.principal();
        let lang = chrome.lang;
        let cw = words::conference_words(lang);
        let campaign = campaigns::get(&state.db, &who, id).await?;
        let representatives = conference::evaluators(&state.db, &who, id).await?;
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for r in representatives {
            match groups.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, codes)) => codes.push(r.code),
                None => groups.push((r.group, vec![r.code])),
            }
        }
        let groups = groups
            .into_iter()
            .map(|(group, codes)| GroupRow {
                name: group_name(lang, &group),
                count: codes.len(),
                codes: code_ranges(&codes),
            })
            .collect();
        let sessions = conference::sessions(&state.db, &who, id)
            .await?
            .into_iter()
            .map(|s| SessionRow {
                id: s.id,
                opened: local_time(s.opened_at),
                mode: mode_name(cw, s.mode),
                status: status_name(cw, s.status),
                ballots: s.ballots,
            })
            .collect();
        let may_run = who.may(Permission::RunConference);
        let units = if may_run {
            campaign_units::list(&state.db, &who, id)
                .await?
                .into_iter()
                .map(|m| ScopeUnit {
                    id: m.unit_id,
                    name: m.unit_name,
                    checked: m.ranking_group.is_some(),
                    group: m.group_name,
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(Self {
            csrf: user.session.csrf_token.clone(),
            chrome,
            cw,
            campaign_id: id,
            title: campaign.title,
            may_run,
            error,
            sessions,
            units,
            groups,
            group_choices: GROUPS.iter().map(|(key, ..)| (*key, group_name(lang, key))).collect(),
        })
    }
}

/// `E-001–E-004, E-007` for a sorted list of codes.
fn code_ranges(codes: &[String]) -> String {
    let number = |code: &str| code.strip_prefix("E-").and_then(|n| n.parse::<u32>().ok());
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<(String, u32, String, u32)> = None;
    for code in codes {
        match (number(code), &mut run) {
            (Some(n), Some((_, _, last_code, last))) if n == *last + 1 => {
                *last = n;
                *last_code = code.clone();
            }
            (n, current) => {
                if let Some((first_code, first, last_code, last)) = current.take() {
                    parts.push(if first == last { first_code } else { format!("{first_code}–{last_code}") });
                }
                match n {
                    Some(n) => run = Some((code.clone(), n, code.clone(), n)),
                    None => parts.push(code.clone()),
                }
            }
        }
    }
    if let Some((first_code, first, last_code, last)) = run {
        parts.push(if first == last { first_code } else { format!("{first_code}–{last_code}") });
    }
    parts.join(", ")
}

async fn conference_page(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let loaded = async { ConferencePage::load(&state, &user, page_id(&id)?, chrome.clone(), None).await };
    match loaded.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct RepresentativesForm {
    #[serde(default)]
    group: String,
    #[serde(default)]
    count: String,
}

async fn add_representatives(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, form) = match begin_form::<RepresentativesForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound("no such campaign".to_owned())) };
    let cw = words::conference_words(lang);
    let added = match form.count.trim().parse::<u32>() {
        Ok(count) if (1..=500).contains(&count) => {
            let input = NewEvaluators { group: form.group, count };
            match validator::Validate::validate(&input) {
                Ok(()) => conference::add_evaluators(&state.db, &user.principal(), id, input).await.map(|_| ()),
                Err(errors) => Err(ApiError::from(errors)),
            }
        }
        _ => Err(ApiError::invalid("count", cw.bad_count)),
    };
    match added {
        Ok(()) => see_other(&format!("/console/campaigns/{id}/conference#representatives")),
        Err(err) => again(&state, &user, id, chrome, &err, cw).await,
    }
}

/// The conference page again with what went wrong said at its top, or the failure page
/// when the error is not one the form can fix.
async fn again(
    state: &State,
    user: &SignedIn,
    id: Uuid,
    chrome: Chrome,
    err: &ApiError,
    cw: &ConferenceWords,
) -> HttpResponse {
    let message = match err {
        ApiError::Validation(errors) if errors.iter().any(|e| e.field == "count") => cw.bad_count.to_owned(),
        ApiError::Validation(errors) if errors.iter().any(|e| e.field.starts_with("unit_ids")) => {
            cw.no_scope.to_owned()
        }
        // The service's own sentence: a phase that does not allow the action, say.
        ApiError::Conflict(reason) => reason.clone(),
        _ => return failure(chrome, err),
    };
    match ConferencePage::load(state, user, id, chrome.clone(), Some(message)).await {
        Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(err) => failure(chrome, &err),
    }
}

async fn open_session(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, pairs) = match begin_form::<Vec<(String, String)>>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(id) = page_id(&id) else { return failure(chrome, &ApiError::NotFound("no such campaign".to_owned())) };
    let cw = words::conference_words(lang);
    let mode = if pairs.iter().any(|(n, v)| n == "mode" && v == "dimensions") {
        ScoringMode::Dimensions
    } else {
        ScoringMode::Overall
    };
    let units: Vec<Uuid> = pairs.iter().filter(|(n, _)| n == "unit").filter_map(|(_, v)| v.parse().ok()).collect();
    if units.is_empty() {
        return again(&state, &user, id, chrome, &ApiError::invalid("unit_ids", cw.no_scope), cw).await;
    }
    let input = NewSession { mode, unit_ids: Some(units), scale: None };
    match conference::open_session(&state.db, &user.principal(), id, input).await {
        Ok(session) => see_other(&format!("/console/conference/{}", session.id)),
        Err(err) => again(&state, &user, id, chrome, &err, cw).await,
    }
}

pub struct PendingRow {
    pub id: Uuid,
    pub hint: String,
    pub clerks: String,
    pub mismatch: bool,
    pub state: String,
}

#[derive(Template)]
#[template(path = "console/conference_session.html")]
pub struct SessionPage {
    pub chrome: Chrome,
    pub cw: &'static ConferenceWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub session_id: Uuid,
    pub opened: String,
    pub mode: &'static str,
    pub status: &'static str,
    pub open: bool,
    pub ballots: i64,
    pub csrf: String,
    pub may_run: bool,
    pub error: Option<String>,
    pub ballot_url: String,
    pub projector_url: String,
    pub pending: Vec<PendingRow>,
    pub results: Vec<ResultRow>,
}

/// The unit names of a disagreement, as one phrase.
fn unit_list(lang: Lang, units: &[paper_ballots::UnitRef]) -> String {
    let separator = if lang == Lang::En { ", " } else { "、" };
    units.iter().map(|u| u.unit_name.as_str()).collect::<Vec<_>>().join(separator)
}

impl SessionPage {
    async fn load(
        state: &State,
        user: &SignedIn,
        session_id: Uuid,
        chrome: Chrome,
        error: Option<String>,
    ) -> ApiResult<Self> {
        let who = user.principal();
        who.require(Permission::ReadEvaluators)?;
        let lang = chrome.lang;
        let cw = words::conference_words(lang);
        let session = conference::find_session(&state.db, session_id).await?;
        let campaign = campaigns::get(&state.db, &who, session.campaign_id).await?;
        let may_run = who.may(Permission::RunConference);
        let pending = if may_run {
            paper_ballots::pending(&state.db, &who, session_id)
                .await?
                .into_iter()
                .map(|p| PendingRow {
                    id: p.id,
                    state: if p.mismatch {
                        cw.mismatch.replace("{units}", &unit_list(lang, &p.differing_units))
                    } else {
                        cw.awaiting_second.to_owned()
                    },
                    hint: p.code_hint,
                    clerks: p.clerks.join(", "),
                    mismatch: p.mismatch,
                })
                .collect()
        } else {
            Vec::new()
        };
        let tally = conference::tally(&state.db, session_id).await?;
        let open = session.status == SessionStatus::Open;
        let results = if open { Vec::new() } else { ranked(tally.units) };
        let base = state.settings.public_url.trim_end_matches('/');
        Ok(Self {
            chrome,
            cw,
            campaign_id: campaign.id,
            title: campaign.title,
            session_id,
            opened: local_time(session.opened_at),
            mode: mode_name(cw, session.mode),
            status: status_name(cw, session.status),
            open,
            ballots: tally.ballots,
            csrf: user.session.csrf_token.clone(),
            may_run,
            error,
            ballot_url: format!("{base}/conference/{session_id}/ballot"),
            projector_url: format!("/conference/{session_id}"),
            pending,
            results,
        })
    }
}

async fn session_page(state: State, req: HttpRequest, session: web::Path<String>) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let loaded = async { SessionPage::load(&state, &user, page_id(&session)?, chrome.clone(), None).await };
    match loaded.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

/// The session page again with `message` at its top.
async fn session_again(
    state: &State,
    user: &SignedIn,
    session_id: Uuid,
    chrome: Chrome,
    status: StatusCode,
    message: String,
) -> HttpResponse {
    match SessionPage::load(state, user, session_id, chrome.clone(), Some(message)).await {
        Ok(page) => render(status, &page),
        Err(err) => failure(chrome, &err),
    }
}

/// A1 slips, eight to an A4 page, with dashed cut lines; on screen, a note above them.
const SLIPS_STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:14px/1.4 system-ui,\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;color:#000;background:#fff}\
main{padding:1rem}\
.screen-only{max-width:60rem}\
.warning{border:2px solid #a4161a;border-radius:6px;padding:.6rem .8rem;color:#a4161a;font-weight:600}\
a{color:#0b57a4}\
.sheet{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(2,95mm);grid-auto-rows:68mm}\
.slip{border:1px dashed #555;padding:4mm 5mm;display:grid;grid-template-columns:30mm 1fr;grid-template-rows:auto auto 1fr auto;column-gap:4mm;break-inside:avoid}\
.slip-title{grid-column:1/3;margin:0;font-weight:700;font-size:12px}\
.slip-sub{grid-column:1/3;margin:0 0 2mm;font-size:12px}\
.qr{grid-row:3/5;width:30mm;height:30mm}\
.code{margin:0;font:700 17px/1.3 ui-monospace,Menlo,Consolas,monospace;letter-spacing:.04em;align-self:center}\
.how{margin:0;font-size:10px;overflow-wrap:anywhere}\
@page{size:A4;margin:10mm}\
@media print{.screen-only{display:none}main{padding:0}.sheet{grid-template-rows:repeat(4,68mm)}}";

pub struct Slip {
    pub code: String,
    pub qr_path: String,
    pub qr_width: usize,
    pub short_url: String,
}

#[derive(Template)]
#[template(path = "console/slips.html")]
pub struct SlipsPage {
    pub words: &'static Words,
    pub cw: &'static ConferenceWords,
    pub style: &'static str,
    pub title: String,
    pub session_id: Uuid,
    pub printed_note: String,
    pub slips: Vec<Slip>,
}

fn slips_page(
    state: &State,
    lang: Lang,
    title: String,
    session_id: Uuid,
    codes: Vec<String>,
    note: String,
) -> ApiResult<SlipsPage> {
    let base = state.settings.public_url.trim_end_matches('/');
    let mut slips = Vec::new();
    for code in codes {
        let url = format!("{base}/conference/{session_id}/ballot?code={code}");
        let (qr_path, qr_width) = crate::web::qr::path(&url).map_err(ApiError::internal)?;
        slips.push(Slip { code, qr_path, qr_width, short_url: format!("{base}/conference/{session_id}/ballot") });
    }
    Ok(SlipsPage {
        words: words::words(lang),
        cw: words::conference_words(lang),
        style: SLIPS_STYLE,
        title,
        session_id,
        printed_note: note,
        slips,
    })
}

async fn campaign_title(state: &State, who: &Principal, session_id: Uuid) -> ApiResult<String> {
    let session = conference::find_session(&state.db, session_id).await?;
    Ok(campaigns::get(&state.db, who, session.campaign_id).await?.title)
}

async fn print_slips(state: State, req: HttpRequest, session: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, _) = match begin_form::<CsrfForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(session_id) = page_id(&session) else { return failure(chrome, &ApiError::NotFound(String::new())) };
    let who = user.principal();
    let cw = words::conference_words(lang);
    let issued = match conference::issue_codes(&state.db, &who, session_id).await {
        Ok(issued) => issued,
        Err(ApiError::Conflict(_)) => {
            return session_again(
                &state,
                &user,
                session_id,
                chrome,
                StatusCode::CONFLICT,
                cw.session_closed.to_owned(),
            )
            .await;
        }
        Err(err) => return failure(chrome, &err),
    };
    if issued.is_empty() {
        return session_again(&state, &user, session_id, chrome, StatusCode::OK, cw.no_new_slips.to_owned()).await;
    }
    let note = cw.slips_printed.replace("{n}", &issued.len().to_string());
    let page = async {
        let title = campaign_title(&state, &who, session_id).await?;
        slips_page(&state, lang, title, session_id, issued.into_iter().map(|i| i.ballot_code).collect(), note)
    };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Deserialize)]
struct ReissueForm {
    #[serde(default)]
    evaluator: String,
}

async fn reissue_slip(state: State, req: HttpRequest, session: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, form) = match begin_form::<ReissueForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(session_id) = page_id(&session) else { return failure(chrome, &ApiError::NotFound(String::new())) };
    let who = user.principal();
    let cw = words::conference_words(lang);
    let evaluator = form.evaluator.trim().to_ascii_uppercase();
    let issued = match conference::reissue(&state.db, &who, session_id, &evaluator).await {
        Ok(issued) => issued,
        Err(ApiError::NotFound(_)) => {
            let message = cw.no_such_representative.to_owned();
            return session_again(&state, &user, session_id, chrome, StatusCode::UNPROCESSABLE_ENTITY, message).await;
        }
        Err(ApiError::Conflict(_)) => {
            return session_again(
                &state,
                &user,
                session_id,
                chrome,
                StatusCode::CONFLICT,
                cw.session_closed.to_owned(),
            )
            .await;
        }
        Err(err) => return failure(chrome, &err),
    };
    let page = async {
        let title = campaign_title(&state, &who, session_id).await?;
        slips_page(&state, lang, title, session_id, vec![issued.ballot_code], cw.reissued.to_owned())
    };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

pub struct PaperRow {
    pub first: bool,
    pub span: usize,
    pub unit: String,
    pub question: String,
}

/// A blank paper ballot for representatives without a phone: always in Chinese, the
/// hall's language.
#[derive(Template)]
#[template(path = "console/paper_form.html")]
pub struct BlankPaper {
    pub words: &'static Words,
    pub style: &'static str,
    pub title: String,
    pub dimensions: bool,
    pub levels: Vec<String>,
    pub rows: Vec<PaperRow>,
}

const PAPER_STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:14px/1.4 system-ui,\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;color:#000;background:#fff}\
main{padding:1rem;max-width:190mm}\
h1{font-size:18px;margin:0}\
.slip-sub{margin:.2rem 0 .6rem}\
.code-line{font-size:16px}\
.blank{display:inline-block;width:60mm;border-bottom:1px solid #000}\
table{border-collapse:collapse;width:100%}\
th,td{border:1px solid #000;padding:3px 5px;text-align:left}\
.box{text-align:center;font-size:18px}\
@page{size:A4;margin:12mm}";

impl BlankPaper {
    fn new(sheet: &BallotSheet) -> Self {
        let mut levels: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        let mut dimensions = false;
        for unit in &sheet.units {
            dimensions |= unit.questions.len() > 1;
            for (index, question) in unit.questions.iter().enumerate() {
                for option in &question.options {
                    if !levels.contains(&option.label.zh) {
                        levels.push(option.label.zh.clone());
                    }
                }
                rows.push(PaperRow {
                    first: index == 0,
                    span: unit.questions.len(),
                    unit: unit.name.clone(),
                    question: question.label.zh.clone(),
                });
            }
        }
        Self {
            words: words::words(Lang::ZhCn),
            style: PAPER_STYLE,
            title: sheet.campaign_title.clone(),
            dimensions,
            levels,
            rows,
        }
    }
}

async fn blank_paper(state: State, req: HttpRequest, session: web::Path<String>) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let page = async {
        user.principal().require(Permission::RunConference)?;
        Ok::<_, ApiError>(BlankPaper::new(&ballot_sheet::sheet(&state.db, page_id(&session)?).await?))
    };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

#[derive(Template)]
#[template(path = "console/paper_entry.html")]
pub struct PaperEntry {
    pub chrome: Chrome,
    pub cw: &'static ConferenceWords,
    pub title: String,
    pub session_id: Uuid,
    pub csrf: String,
    pub outcome: Option<String>,
    pub outcome_is_problem: bool,
    pub code: String,
    pub code_error: bool,
    pub problems: Vec<ProblemLink>,
    pub units: Vec<UnitView>,
}

impl PaperEntry {
    /// The entry form for `sheet`, filled from `form` when it comes back with problems.
    fn new(
        chrome: Chrome,
        user: &SignedIn,
        sheet: &BallotSheet,
        form: &BallotForm,
        missing: &[Uuid],
        code_error: Option<&'static str>,
        outcome: Option<(String, bool)>,
    ) -> Self {
        let lang = chrome.lang;
        let cw = words::conference_words(lang);
        let ballot = BallotPage::new(sheet, lang, form, missing, code_error);
        let problems = ballot
            .problems
            .into_iter()
            .map(|p| match sheet.units.iter().find(|u| format!("u-{}", u.id) == p.anchor) {
                Some(unit) => ProblemLink { anchor: p.anchor, text: cw.choose_for.replace("{unit}", &unit.name) },
                None => p,
            })
            .collect();
        Self {
            chrome,
            cw,
            title: sheet.campaign_title.clone(),
            session_id: sheet.session.id,
            csrf: user.session.csrf_token.clone(),
            outcome_is_problem: outcome.as_ref().is_some_and(|(_, problem)| *problem),
            outcome: outcome.map(|(text, _)| text),
            code: form.code.clone(),
            code_error: code_error.is_some(),
            problems,
            units: ballot.units,
        }
    }
}

async fn paper_form(state: State, req: HttpRequest, session: web::Path<String>) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let sheet = async {
        user.principal().require(Permission::RunConference)?;
        ballot_sheet::sheet(&state.db, page_id(&session)?).await
    };
    match sheet.await {
        Ok(sheet) => {
            render(StatusCode::OK, &PaperEntry::new(chrome, &user, &sheet, &BallotForm::default(), &[], None, None))
        }
        Err(err) => failure(chrome, &err),
    }
}

async fn enter_paper(state: State, req: HttpRequest, session: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, pairs) = match begin_form::<Vec<(String, String)>>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let who = user.principal();
    let sheet = async {
        who.require(Permission::RunConference)?;
        ballot_sheet::sheet(&state.db, page_id(&session)?).await
    };
    let sheet = match sheet.await {
        Ok(sheet) => sheet,
        Err(err) => return failure(chrome, &err),
    };
    let cw = words::conference_words(lang);
    let form = BallotForm::from_pairs(pairs);
    let back = |status, missing: &[Uuid], code_error, outcome| {
        render(status, &PaperEntry::new(chrome.clone(), &user, &sheet, &form, missing, code_error, outcome))
    };
    let code_error = form.code.is_empty().then_some(cw.code_missing);
    let scores = match form.scores(&sheet) {
        Ok(scores) if code_error.is_none() => scores,
        Ok(_) => return back(StatusCode::UNPROCESSABLE_ENTITY, &[], code_error, None),
        Err(missing) => return back(StatusCode::UNPROCESSABLE_ENTITY, &missing, code_error, None),
    };
    let ballot = Ballot { code: form.code.clone(), scores };
    let entered = paper_ballots::enter(&state.db, &who, &state.spend_key, sheet.session.id, ballot).await;
    let blank = BallotForm::default();
    let fresh = |status, outcome: (String, bool)| {
        render(status, &PaperEntry::new(chrome.clone(), &user, &sheet, &blank, &[], None, Some(outcome)))
    };
    match entered {
        Ok(result) => {
            let hint = result.code_hint;
            match result.outcome {
                PaperOutcome::Counted => fresh(StatusCode::OK, (cw.entry_counted.replace("{hint}", &hint), false)),
                PaperOutcome::AwaitingSecondEntry => {
                    fresh(StatusCode::OK, (cw.entry_awaiting.replace("{hint}", &hint), false))
                }
                PaperOutcome::Mismatch => {
                    let text = cw
                        .entry_mismatch
                        .replace("{hint}", &hint)
                        .replace("{units}", &unit_list(lang, &result.differing_units));
                    fresh(StatusCode::OK, (text, true))
                }
            }
        }
        Err(ApiError::Validation(errors)) if errors.iter().any(|e| e.field == "code") => {
            back(StatusCode::UNPROCESSABLE_ENTITY, &[], Some(cw.code_unknown), None)
        }
        Err(ApiError::Conflict(reason)) if reason.contains("counted") => {
            fresh(StatusCode::CONFLICT, (cw.code_used.to_owned(), true))
        }
        Err(ApiError::Conflict(_)) => fresh(StatusCode::CONFLICT, (cw.session_closed.to_owned(), true)),
        Err(err) => failure(chrome.clone(), &err),
    }
}

async fn discard_paper(
    state: State,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let (lang, user, chrome, _) = match begin_form::<CsrfForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let (Ok(session_id), Ok(entry)) = (page_id(&path.0), page_id(&path.1)) else {
        return failure(chrome, &ApiError::NotFound(String::new()));
    };
    match paper_ballots::discard(&state.db, &user.principal(), session_id, entry).await {
        Ok(()) => {
            let message = words::conference_words(lang).discarded.to_owned();
            session_again(&state, &user, session_id, chrome, StatusCode::OK, message).await
        }
        Err(err) => failure(chrome, &err),
    }
}

async fn close_session(state: State, req: HttpRequest, session: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, _) = match begin_form::<CsrfForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(session_id) = page_id(&session) else { return failure(chrome, &ApiError::NotFound(String::new())) };
    let cw = words::conference_words(lang);
    match conference::close(&state.db, &user.principal(), session_id).await {
        Ok(_) => see_other(&format!("/console/conference/{session_id}#tally")),
        Err(ApiError::Conflict(reason)) => {
            let waiting = paper_ballots::pending(&state.db, &user.principal(), session_id).await.map(|p| p.len());
            let message = match waiting {
                Ok(n) if n > 0 && reason.contains("paper") => cw.papers_waiting.replace("{n}", &n.to_string()),
                _ => cw.session_closed.to_owned(),
            };
            session_again(&state, &user, session_id, chrome, StatusCode::CONFLICT, message).await
        }
        Err(err) => failure(chrome, &err),
    }
}
