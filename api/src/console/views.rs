//! The console's pages: what each shows, read through the service functions as the signed-in
//! account, and its template.

use std::collections::HashMap;

use askama::Template;
use chrono::{Datelike, NaiveDate};
use entity::unit;
use entity::vocabulary::{Phase, Source};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Permission, Principal};
use crate::console::session::SignedIn;
use crate::console::words::{self, Words};
use crate::domain::questionnaire::Lang;
use crate::error::ApiResult;
use crate::services::query::figures;
use crate::services::registry::{campaign_units, campaigns};
use crate::totals::reports::SatisfactionFilter;
use crate::totals::snapshot::Grouping;

/// Laid out for a 1366 × 768 office screen and a tablet; colours meet WCAG 2.1 AA on white
/// (text #1f2328, accent #0b57a4, error #a4161a, muted #57606a).
const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;color:#1f2328;background:#f4f6f8}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}\
.top{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.5rem 1.5rem;padding:.6rem 1.5rem;background:#0b57a4;color:#fff}\
.top a,.top .link{color:#fff}\
.brand{margin:0;font-weight:700;font-size:1.1rem}\
nav{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem}\
nav ul{display:flex;gap:1.25rem;list-style:none;margin:0;padding:0}\
.who{display:flex;align-items:center;gap:.75rem;margin:0}\
main{max-width:72rem;margin:1rem auto;padding:1rem 1.5rem 2rem;background:#fff;border-radius:8px}\
h1{font-size:1.5rem;margin:.25rem 0 1rem}\
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}\
a{color:#0b57a4}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}\
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top}\
thead th{background:#eef1f4}\
tr.current{background:#eef4fb}\
th.child{padding-left:2rem;font-weight:400}\
.num{text-align:right;font-variant-numeric:tabular-nums}\
.note,.crumb{color:#57606a;font-size:.9rem}\
.short,.alert{color:#a4161a}\
h3{font-size:1.05rem;margin:1.25rem 0 .25rem}\
.problem{border-top:1px solid #d0d7de;padding:.4rem 0}\
details summary{cursor:pointer;color:#0b57a4;margin:.4rem 0;min-height:24px}\
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dl.facts dt{font-weight:600}dl.facts dd{margin:0}\
.field-error{color:#a4161a;font-weight:600;margin:.25rem 0;align-self:flex-end}\
.alert{border:2px solid #a4161a;border-radius:6px;padding:.6rem .8rem;font-weight:600}\
.notice{border:2px solid #0b57a4;border-radius:6px;padding:.6rem .8rem}\
.alerts li{margin:.25rem 0}\
form.narrow{max-width:24rem}\
label{display:block;font-weight:600;margin:1rem 0 .3rem}\
input[type=text],input[type=password],input[type=number],input[type=date],select,textarea{width:100%;font:inherit;padding:.5rem;border:2px solid #8c959f;border-radius:6px;background:#fff}\
input.short-field{max-width:20rem}\
fieldset.plain{border:0;border-top:1px solid #d0d7de;margin:1rem 0 0;padding:.75rem 0 0;min-width:0}\
legend{font-weight:700;padding:0}\
legend.sub{font-weight:600}\
label.inline{display:inline-flex;align-items:center;gap:.4rem;font-weight:400;margin:.25rem 1.25rem .25rem 0;min-height:32px}\
.checks{list-style:none;margin:.25rem 0;padding:0;columns:2 18rem}\
.opts{display:flex;flex-wrap:wrap}\
button.small{min-height:36px;margin:0;padding:.3rem .8rem;font-weight:400}\
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}\
code{font-size:.95rem;overflow-wrap:anywhere}\
.wide{overflow-x:auto}\
.row-actions{display:flex;flex-wrap:wrap;gap:.4rem}\
.secret code{font-size:1.5rem;letter-spacing:.08em;padding:.4rem .6rem;background:#eef1f4;border-radius:6px}\
ul.actions{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;list-style:none;padding:0;margin:.25rem 0 .75rem}\
table.review th,table.review td{font-size:.9rem;padding:.4rem .45rem}\
tr.bottom{background:#fbeeee}\
.tag{display:inline-block;font-size:.8rem;font-weight:600;color:#a4161a;border:1px solid #a4161a;border-radius:4px;padding:0 .3rem}\
.fields{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem}\
.fields label{display:flex;flex-direction:column;gap:.3rem;max-width:14rem;margin:.5rem 0}\
button{font:inherit;font-weight:600;min-height:44px;padding:.5rem 1.25rem;margin-top:1.25rem;color:#fff;background:#0b57a4;border:0;border-radius:6px;cursor:pointer}\
button.link{background:none;border:0;padding:0;margin:0;min-height:0;text-decoration:underline;font-weight:400}\
:focus-visible{outline:3px solid #f0b400;outline-offset:2px}\
@media (max-width:40rem){main{margin:0;border-radius:0;padding:1rem}.top{padding:.6rem 1rem}}";

/// A time as the office reads it: China Standard Time, to the minute.
pub fn local_time(at: chrono::DateTime<chrono::FixedOffset>) -> String {
    let china = chrono::FixedOffset::east_opt(8 * 3600).unwrap_or(at.timezone());
    at.with_timezone(&china).format("%Y-%m-%d %H:%M").to_string()
}

fn china() -> Option<chrono::FixedOffset> {
    chrono::FixedOffset::east_opt(8 * 3600)
}

/// A time as a `datetime-local` field shows it: China Standard Time, to the minute.
pub fn local_input(at: chrono::DateTime<chrono::FixedOffset>) -> String {
    let zone = china().unwrap_or(at.timezone());
    at.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string()
}

/// A `datetime-local` field's value read as China Standard Time: `Ok(None)` when empty,
/// `Err(())` when it is not a time.
pub fn read_local_input(text: &str) -> Result<Option<chrono::DateTime<chrono::FixedOffset>>, ()> {
    use chrono::TimeZone;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| ())?;
    china().and_then(|zone| zone.from_local_datetime(&naive).single()).map(Some).ok_or(())
}

/// What every page of the console has around its content.
#[derive(Clone)]
pub struct Chrome {
    pub words: &'static Words,
    pub lang: Lang,
    pub style: &'static str,
    pub user: Option<UserChrome>,
    /// The page's own path and query, for the language switch to come back to.
    pub path: String,
    pub notice: Option<String>,
}

#[derive(Clone)]
pub struct UserChrome {
    pub name: String,
    pub is_admin: bool,
    pub reads_register: bool,
    pub reads_conference: bool,
    pub reads_evaluation: bool,
    pub reads_results: bool,
    pub reads_audit: bool,
    pub reads_links: bool,
    pub reads_rectification: bool,
    pub reads_integrity: bool,
    pub reads_deliverables: bool,
    /// The office and observers (every township), and a township's own account.
    pub reads_townships: bool,
    pub manages_clients: bool,
    /// The session's form token, for the sign-out form.
    pub csrf: String,
}

impl Chrome {
    pub fn new(
        lang: Lang,
        req: &actix_web::HttpRequest,
        user: Option<&SignedIn>,
        notice: Option<&'static str>,
    ) -> Self {
        let path = match req.query_string() {
            "" => req.path().to_owned(),
            query => format!("{}?{query}", req.path()),
        };
        Self {
            words: words::words(lang),
            lang,
            style: STYLE,
            user: user.map(|user| UserChrome {
                name: user.account.username.clone(),
                is_admin: user.principal().may(Permission::ManageAccounts),
                reads_register: user.principal().may(Permission::ReadRegister),
                reads_conference: user.principal().may(Permission::ReadEvaluators),
                reads_evaluation: user.principal().may(Permission::ReadEvaluation),
                reads_results: user.principal().may(Permission::ReadResults),
                reads_audit: user.principal().may(Permission::ReadAudit),
                reads_links: user.principal().may(Permission::ReadLinks),
                reads_rectification: user.principal().may(Permission::ReadRectification),
                reads_integrity: user.principal().may(Permission::ReadIntegrity),
                reads_deliverables: user.principal().may(Permission::ReadDeliverables),
                reads_townships: user.principal().may(Permission::ReadSatisfaction)
                    && (!user.stations.is_empty() || user.principal().unit_id.is_none()),
                manages_clients: user.principal().may(Permission::ManageClients),
                csrf: user.session.csrf_token.clone(),
            }),
            path,
            notice: notice.map(str::to_owned),
        }
    }
}

/// A page the console can render.
pub trait Page {
    fn render_page(&self) -> askama::Result<String>;
}

impl<T: Template> Page for T {
    fn render_page(&self) -> askama::Result<String> {
        self.render()
    }
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
pub struct SignIn {
    pub chrome: Chrome,
    pub csrf: String,
    pub username: String,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "console/password.html")]
pub struct Password {
    pub chrome: Chrome,
    pub csrf: String,
    pub username: String,
    pub must_change: bool,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "console/message.html")]
pub struct Message {
    pub chrome: Chrome,
    pub heading: &'static str,
    pub message: &'static str,
}

pub struct CampaignRow {
    pub id: Uuid,
    pub year: i32,
    pub title: String,
    pub phase: &'static str,
}

#[derive(Template)]
#[template(path = "console/home.html")]
pub struct Home {
    pub chrome: Chrome,
    pub campaigns: Vec<CampaignRow>,
    /// The campaigns a new year can be set up from: those with an approved result.
    pub copyable: Vec<(Uuid, String)>,
    pub may_create: bool,
    pub csrf: String,
    pub error: Option<&'static str>,
    /// The new campaign's form: year, title, and the campaign to copy.
    pub year: String,
    pub title: String,
    pub copy_from: String,
}

impl Home {
    pub async fn load(
        state: &AppState,
        who: &Principal,
        chrome: Chrome,
        typed: Option<(String, String, String)>,
        error: Option<&'static str>,
    ) -> ApiResult<Self> {
        let (found, _) = campaigns::list(&state.db, who, 1000, 0).await?;
        let next_year = found.iter().map(|c| c.year + 1).max().unwrap_or_else(|| chrono::Utc::now().year());
        let approved = crate::services::evaluation::results::campaigns_with_approved_result(&state.db).await?;
        let copyable: Vec<(Uuid, String)> =
            found.iter().filter(|c| approved.contains(&c.id)).map(|c| (c.id, c.title.clone())).collect();
        let newest = copyable.first().map(|c| c.0.to_string()).unwrap_or_default();
        let campaigns: Vec<CampaignRow> = found
            .into_iter()
            .map(|c| CampaignRow {
                id: c.id,
                year: c.year,
                title: c.title,
                phase: words::phase_name(chrome.lang, c.current_phase),
            })
            .collect();
        let suggested_title =
            campaigns.first().map(|c| c.title.replace(&c.year.to_string(), &next_year.to_string())).unwrap_or_default();
        let (year, title, copy_from) = typed.unwrap_or((next_year.to_string(), suggested_title, newest));
        Ok(Self {
            may_create: who.may(Permission::ManageCampaigns),
            csrf: chrome.user.as_ref().map(|u| u.csrf.clone()).unwrap_or_default(),
            error,
            year,
            title,
            copy_from,
            chrome,
            campaigns,
            copyable,
        })
    }
}

pub struct TimelineStep {
    pub name: &'static str,
    pub starts: NaiveDate,
    pub ends: NaiveDate,
    pub state: &'static str,
    pub current: bool,
}

pub struct UnitSample {
    pub name: String,
    pub citizens: i64,
    pub pollster: i64,
    pub enough: bool,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
pub struct Dashboard {
    pub chrome: Chrome,
    pub id: Uuid,
    pub title: String,
    pub phase: &'static str,
    pub next_step: &'static str,
    pub timeline: Vec<TimelineStep>,
    pub units: Vec<UnitSample>,
    pub citizens_minimum: u32,
    pub pollster_minimum: u32,
    /// Each alert's text, and the page or place that deals with it.
    pub alerts: Vec<(String, Option<String>)>,
    /// The campaign's deliverables, earliest due first.
    pub deadlines: Vec<Deadline>,
    /// The phase the office can move the campaign on to: (its key, its name).
    pub next_phase: Option<(&'static str, &'static str)>,
    pub csrf: String,
}

/// A deliverable on the dashboard: when it is due and how many units have handed it in.
pub struct Deadline {
    pub title: String,
    pub href: String,
    pub due_on: String,
    pub handed_in: usize,
    pub expected: usize,
    /// `overdue`, `due soon`, or empty.
    pub state: &'static str,
    pub urgent: bool,
}

impl Dashboard {
    pub async fn load(state: &AppState, who: &Principal, id: Uuid, chrome: Chrome, csrf: String) -> ApiResult<Self> {
        let db = &state.db;
        let lang = chrome.lang;
        let campaign = campaigns::get(db, who, id).await?;
        let settings = campaigns::settings_of(&campaign)?;
        let phase = campaign.current_phase;
        let words = chrome.words;
        let phases = [
            (Phase::Mobilisation, campaign.mobilisation_starts_on, campaign.mobilisation_ends_on),
            (Phase::Survey, campaign.survey_starts_on, campaign.survey_ends_on),
            (Phase::Rectification, campaign.rectification_starts_on, campaign.rectification_ends_on),
            (Phase::Assessment, campaign.assessment_starts_on, campaign.assessment_ends_on),
        ];
        let position = |p: Phase| phases.iter().position(|(q, ..)| *q == p).unwrap_or(phases.len());
        let timeline = phases
            .iter()
            .map(|&(step, starts, ends)| {
                let (state, current) = match position(step).cmp(&position(phase)) {
                    std::cmp::Ordering::Less => (words.done, false),
                    std::cmp::Ordering::Equal => (words.current, true),
                    std::cmp::Ordering::Greater => (words.to_come, false),
                };
                TimelineStep { name: words::phase_name(lang, step), starts, ends, state, current }
            })
            .collect();

        let members =
            if who.may(Permission::ReadCampaignUnits) { campaign_units::list(db, who, id).await? } else { Vec::new() };
        let counts = if who.may(Permission::ReadSatisfaction) {
            let filter = SatisfactionFilter { unit_id: None, source: None, granularity: None };
            let report = figures::satisfaction(
                db,
                &state.reports,
                who,
                id,
                Grouping::UnitSource,
                &filter,
                state.settings.min_cell_size,
            )
            .await?;
            let mut counts: HashMap<(Uuid, Source), i64> = HashMap::new();
            for cell in &report.cells {
                if let (Some(unit), Some(source)) = (cell.unit_id, cell.source) {
                    *counts.entry((unit, source)).or_default() += cell.responses;
                }
            }
            counts
        } else {
            HashMap::new()
        };
        let minimums = &settings.min_samples;
        let units: Vec<UnitSample> = members
            .into_iter()
            .map(|member| {
                let count = |source| counts.get(&(member.unit_id, source)).copied().unwrap_or(0);
                let (citizens, pollster) = (count(Source::CitizenLink), count(Source::Pollster));
                let enough =
                    citizens >= i64::from(minimums.citizen_links) || pollster >= i64::from(minimums.third_party);
                UnitSample { name: member.unit_name, citizens, pollster, enough }
            })
            .collect();

        // Each alert, and the page that deals with it.
        let mut alerts: Vec<(String, Option<String>)> = Vec::new();
        let short = units.iter().filter(|u| !u.enough).count();
        if short > 0 && matches!(phase, Phase::Survey | Phase::Rectification) {
            alerts.push((words.units_short.replace("{n}", &short.to_string()), Some("#samples".to_owned())));
        }
        if who.may(Permission::ReadIntegrity) {
            let waiting = crate::services::integrity::burst_watch::to_review(db, &state.bursts, who, id).await?;
            if let Some(n) = waiting.filter(|n| *n > 0) {
                alerts.push((
                    words.bursts_to_review.replace("{n}", &n.to_string()),
                    Some(format!("/console/campaigns/{id}/integrity")),
                ));
            }
        }
        if who.may(Permission::ReadRectification) {
            let rectification = Some(format!("/console/campaigns/{id}/rectification"));
            let overdue = crate::services::evaluation::rectification::count_overdue(db, who, id).await?;
            if overdue > 0 {
                alerts.push((words.measures_overdue.replace("{n}", &overdue.to_string()), rectification.clone()));
            }
            let today = chrono::Utc::now().date_naive();
            if today > campaign.rectification_ends_on && who.may(Permission::ReadRectificationReports) {
                let late = crate::services::evaluation::rectification::units_without_report(db, who, id).await?;
                if !late.is_empty() {
                    let due = campaign.rectification_ends_on.to_string();
                    let text = words.reports_late.replace("{n}", &late.len().to_string()).replace("{date}", &due);
                    alerts.push((text, rectification));
                }
            }
        }
        let mut deadlines = Vec::new();
        if who.may(Permission::ReadDeliverables) {
            let today = crate::domain::calendar::plan_today();
            let soon = today + chrono::Duration::days(state.settings.documents.reminder_days);
            for d in crate::services::evaluation::deliverables::list(db, who, id).await? {
                let owing = d.counts.missing + d.counts.returned;
                let href = format!("/console/deliverables/{}", d.id);
                let fill = |text: &str| {
                    text.replace("{title}", &d.title)
                        .replace("{n}", &owing.to_string())
                        .replace("{date}", &d.due_on.to_string())
                };
                let state = if owing > 0 && d.due_on < today {
                    alerts.push((fill(words.deliverable_overdue), Some(href.clone())));
                    words.overdue
                } else if owing > 0 && d.due_on <= soon {
                    alerts.push((fill(words.deliverable_due_soon), Some(href.clone())));
                    words.due_soon
                } else {
                    ""
                };
                deadlines.push(Deadline {
                    title: d.title,
                    href,
                    due_on: d.due_on.to_string(),
                    handed_in: d.counts.submitted + d.counts.accepted,
                    expected: d.counts.expected,
                    urgent: !state.is_empty(),
                    state,
                });
            }
        }
        Ok(Self {
            deadlines,
            id,
            title: campaign.title,
            phase: words::phase_name(lang, phase),
            next_step: words::next_step(lang, phase),
            next_phase: phase
                .next()
                .filter(|_| who.may(Permission::ManageCampaigns))
                .map(|next| (next.as_str(), words::phase_name(lang, next))),
            csrf,
            timeline,
            units,
            citizens_minimum: minimums.citizen_links,
            pollster_minimum: minimums.third_party,
            alerts,
            chrome,
        })
    }
}

pub struct UnitRow {
    pub id: Uuid,
    pub name: String,
    pub code: String,
    pub kind: &'static str,
    pub category: &'static str,
    /// Listed under its parent, which is named again for screen readers and print.
    pub parent: Option<String>,
}

#[derive(Template)]
#[template(path = "console/units.html")]
pub struct Units {
    pub chrome: Chrome,
    pub uw: &'static words::UnitWords,
    pub may_manage: bool,
    pub csrf: String,
    pub units: Vec<UnitRow>,
}

impl Units {
    /// The register as a tree two levels deep: each unit without a parent, then the units
    /// under it; units whose parent is not registered come last.
    pub async fn load(state: &AppState, who: &Principal, chrome: Chrome) -> ApiResult<Self> {
        let filter = crate::services::registry::units::UnitFilter { parent_id: None, category: None };
        let (all, _) = crate::services::registry::units::list(&state.db, who, &filter, 100_000, 0).await?;
        let names: HashMap<Uuid, String> = all.iter().map(|u| (u.id, u.name.clone())).collect();
        let row = |u: &unit::Model| UnitRow {
            id: u.id,
            name: u.name.clone(),
            code: u.code.clone(),
            kind: words::kind_name(chrome.lang, u.kind),
            category: words::category_name(chrome.lang, u.category),
            parent: u.parent_id.and_then(|p| names.get(&p).cloned()),
        };
        let mut children: HashMap<Uuid, Vec<&unit::Model>> = HashMap::new();
        for child in &all {
            if let Some(parent) = child.parent_id {
                children.entry(parent).or_default().push(child);
            }
        }
        let mut units = Vec::with_capacity(all.len());
        for root in all.iter().filter(|u| u.parent_id.is_none()) {
            units.push(row(root));
            units.extend(children.remove(&root.id).unwrap_or_default().into_iter().map(row));
        }
        // Left: units under a unit that itself has a parent, in code order.
        let mut rest: Vec<&unit::Model> = children.into_values().flatten().collect();
        rest.sort_by(|a, b| a.code.cmp(&b.code));
        units.extend(rest.into_iter().map(row));
        Ok(Self {
            uw: words::unit_words(chrome.lang),
            may_manage: who.may(Permission::ManageCampaigns),
            csrf: chrome.user.as_ref().map(|u| u.csrf.clone()).unwrap_or_default(),
            chrome,
            units,
        })
    }
}
