//! The console's scoring-settings form of a campaign: the sources' weights, the grade lines,
//! the bottom N, the minimum samples, how notices count and what posters name. Checked in the
//! browser as it is typed (a small inline script, the form working without it) and on the
//! server on submit, each problem named beside its field; saved through
//! `campaigns::set_settings`, as `PUT /campaigns/{id}/settings` saves, and audited like it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::session::SignedIn;
use crate::console::views::Chrome;
use crate::console::words::{self, SettingsWords};
use crate::console::{begin, begin_form, failure, page_id, render, see_other};
use crate::domain::campaign::ScoringSettings;
use crate::domain::composite::SupervisionMode;
use crate::error::ApiError;
use crate::services::registry::campaigns;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/console/campaigns/{id}/settings")
            .route(web::get().to(settings_form))
            .route(web::post().to(save)),
    );
}

/// One number the form asks for, with what it allows; the browser checks the same bounds.
pub struct NumberField {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    pub min: &'static str,
    pub max: &'static str,
    pub step: &'static str,
    /// What is wrong when it is out of bounds, in the page's language.
    pub message: &'static str,
    pub invalid: bool,
}

#[derive(Template)]
#[template(path = "console/settings.html")]
pub struct SettingsPage {
    pub chrome: Chrome,
    pub sw: &'static SettingsWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub csrf: String,
    pub may_change: bool,
    pub errors: Vec<(&'static str, &'static str)>,
    pub weights: Vec<NumberField>,
    pub weights_invalid: bool,
    pub weights_sum: String,
    pub lines: Vec<NumberField>,
    pub excellent_below: bool,
    pub bottoms: Vec<NumberField>,
    pub samples: Vec<NumberField>,
    pub points_mode: bool,
    pub outside_survey: bool,
    pub organiser: String,
    pub organiser_invalid: bool,
    pub contact: String,
    pub contact_invalid: bool,
}

/// The form as sent: text, so that what was typed comes back as it was with its problems.
#[derive(Deserialize, Default)]
struct SettingsFields {
    #[serde(default)]
    w_conference: String,
    #[serde(default)]
    w_third_party: String,
    #[serde(default)]
    w_citizen_links: String,
    #[serde(default)]
    w_supervision: String,
    #[serde(default)]
    qualified_min: String,
    #[serde(default)]
    excellent_min: String,
    #[serde(default)]
    bottom_n: String,
    #[serde(default)]
    group_bottom_n: String,
    #[serde(default)]
    min_conference: String,
    #[serde(default)]
    min_third_party: String,
    #[serde(default)]
    min_citizen_links: String,
    #[serde(default)]
    supervision_mode: String,
    #[serde(default)]
    outside_survey: Option<String>,
    #[serde(default)]
    organiser: String,
    #[serde(default)]
    contact: String,
}

fn number(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl SettingsFields {
    fn of(settings: &ScoringSettings) -> Self {
        let w = &settings.weights;
        let m = &settings.min_samples;
        Self {
            w_conference: number(w.conference * 100.0),
            w_third_party: number(w.third_party * 100.0),
            w_citizen_links: number(w.citizen_links * 100.0),
            w_supervision: number(w.supervision * 100.0),
            qualified_min: number(settings.qualified_min),
            excellent_min: number(settings.excellent_min),
            bottom_n: settings.bottom_n.to_string(),
            group_bottom_n: settings.group_bottom_n.to_string(),
            min_conference: m.conference.to_string(),
            min_third_party: m.third_party.to_string(),
            min_citizen_links: m.citizen_links.to_string(),
            supervision_mode: match settings.supervision_mode {
                SupervisionMode::Points => "points".to_owned(),
                SupervisionMode::Component => "component".to_owned(),
            },
            outside_survey: settings.responses_outside_survey.then(|| "on".to_owned()),
            organiser: settings.organiser.clone().unwrap_or_default(),
            contact: settings.contact.clone().unwrap_or_default(),
        }
    }
}

/// A number between `min` and `max`, or the field's problem.
fn bounded<T: std::str::FromStr + PartialOrd>(text: &str, min: T, max: T) -> Option<T> {
    text.trim().parse::<T>().ok().filter(|v| *v >= min && *v <= max)
}

/// An optional line of text for posters: at most 60 characters, nothing a page could not show.
fn poster_line(text: &str) -> Result<Option<String>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > 60 || crate::domain::text::single_line(text).is_err() {
        return Err(());
    }
    Ok(Some(text.to_owned()))
}

/// The settings the form asks for over `current` (the conference's scale, which the form does
/// not show, is kept), or each field's problem in the form's order.
fn read(
    sw: &SettingsWords,
    fields: &SettingsFields,
    current: &ScoringSettings,
) -> Result<ScoringSettings, Vec<(&'static str, &'static str)>> {
    let mut errors = Vec::new();
    let mut settings = current.clone();
    let mut percent = |id: &'static str, text: &str| match bounded(text, 0.0, 100.0) {
        Some(value) => value / 100.0,
        None => {
            errors.push((id, sw.percent_bad));
            0.0
        }
    };
    settings.weights.conference = percent("w_conference", &fields.w_conference);
    settings.weights.third_party = percent("w_third_party", &fields.w_third_party);
    settings.weights.citizen_links = percent("w_citizen_links", &fields.w_citizen_links);
    settings.weights.supervision = percent("w_supervision", &fields.w_supervision);
    let w = &settings.weights;
    let sum = w.conference + w.third_party + w.citizen_links + w.supervision;
    if errors.is_empty() && (sum - 1.0).abs() > 1e-9 {
        errors.push(("w_conference", sw.weights_sum_bad));
    }
    let mut line = |id: &'static str, text: &str| {
        bounded(text, 0.0, 100.0).unwrap_or_else(|| {
            errors.push((id, sw.score_bad));
            0.0
        })
    };
    settings.qualified_min = line("qualified_min", &fields.qualified_min);
    settings.excellent_min = line("excellent_min", &fields.excellent_min);
    if settings.excellent_min < settings.qualified_min && !errors.iter().any(|(f, _)| f.ends_with("_min")) {
        errors.push(("excellent_min", sw.excellent_below));
    }
    let mut count = |id: &'static str, text: &str, min: u32, max: u32, message: &'static str| {
        bounded(text, min, max).unwrap_or_else(|| {
            errors.push((id, message));
            min
        })
    };
    settings.bottom_n = count("bottom_n", &fields.bottom_n, 0, 100, sw.bottom_bad);
    settings.group_bottom_n = count("group_bottom_n", &fields.group_bottom_n, 0, 100, sw.bottom_bad);
    settings.min_samples.conference = count("min_conference", &fields.min_conference, 1, 100_000, sw.sample_bad);
    settings.min_samples.third_party = count("min_third_party", &fields.min_third_party, 1, 100_000, sw.sample_bad);
    settings.min_samples.citizen_links =
        count("min_citizen_links", &fields.min_citizen_links, 1, 100_000, sw.sample_bad);
    settings.supervision_mode = match fields.supervision_mode.as_str() {
        "component" => SupervisionMode::Component,
        _ => SupervisionMode::Points,
    };
    settings.responses_outside_survey = fields.outside_survey.is_some();
    match poster_line(&fields.organiser) {
        Ok(organiser) => settings.organiser = organiser,
        Err(()) => errors.push(("organiser", sw.line_bad)),
    }
    match poster_line(&fields.contact) {
        Ok(contact) => settings.contact = contact,
        Err(()) => errors.push(("contact", sw.line_bad)),
    }
    if errors.is_empty() { Ok(settings) } else { Err(errors) }
}

struct Bounds {
    min: &'static str,
    max: &'static str,
    step: &'static str,
    message: &'static str,
}

fn page(
    chrome: Chrome,
    user: &SignedIn,
    campaign: &entity::campaign::Model,
    fields: &SettingsFields,
    errors: Vec<(&'static str, &'static str)>,
) -> SettingsPage {
    let sw = words::settings_words(chrome.lang);
    let field = |id: &'static str, label: &'static str, value: &str, bounds: &Bounds| NumberField {
        id,
        label,
        value: value.to_owned(),
        min: bounds.min,
        max: bounds.max,
        step: bounds.step,
        message: bounds.message,
        invalid: errors.iter().any(|(f, m)| *f == id && *m == bounds.message),
    };
    let percent = Bounds { min: "0", max: "100", step: "0.01", message: sw.percent_bad };
    let score = Bounds { min: "0", max: "100", step: "0.01", message: sw.score_bad };
    let bottom = Bounds { min: "0", max: "100", step: "1", message: sw.bottom_bad };
    let sample = Bounds { min: "1", max: "100000", step: "1", message: sw.sample_bad };
    let sum: f64 = [&fields.w_conference, &fields.w_third_party, &fields.w_citizen_links, &fields.w_supervision]
        .iter()
        .filter_map(|text| text.trim().parse::<f64>().ok())
        .sum();
    SettingsPage {
        sw,
        campaign_id: campaign.id,
        title: campaign.title.clone(),
        csrf: user.session.csrf_token.clone(),
        may_change: user.principal().may(Permission::ManageCampaigns),
        weights: vec![
            field("w_conference", sw.conference, &fields.w_conference, &percent),
            field("w_third_party", sw.third_party, &fields.w_third_party, &percent),
            field("w_citizen_links", sw.citizen_links, &fields.w_citizen_links, &percent),
            field("w_supervision", sw.supervision, &fields.w_supervision, &percent),
        ],
        weights_invalid: errors.iter().any(|(_, m)| *m == sw.weights_sum_bad),
        weights_sum: number(sum),
        lines: vec![
            field("qualified_min", sw.qualified_min, &fields.qualified_min, &score),
            field("excellent_min", sw.excellent_min, &fields.excellent_min, &score),
        ],
        excellent_below: errors.iter().any(|(_, m)| *m == sw.excellent_below),
        bottoms: vec![
            field("bottom_n", sw.bottom_n, &fields.bottom_n, &bottom),
            field("group_bottom_n", sw.group_bottom_n, &fields.group_bottom_n, &bottom),
        ],
        samples: vec![
            field("min_conference", sw.conference, &fields.min_conference, &sample),
            field("min_third_party", sw.third_party, &fields.min_third_party, &sample),
            field("min_citizen_links", sw.citizen_links, &fields.min_citizen_links, &sample),
        ],
        points_mode: fields.supervision_mode != "component",
        outside_survey: fields.outside_survey.is_some(),
        organiser: fields.organiser.clone(),
        organiser_invalid: errors.iter().any(|(f, _)| *f == "organiser"),
        contact: fields.contact.clone(),
        contact_invalid: errors.iter().any(|(f, _)| *f == "contact"),
        errors,
        chrome,
    }
}

async fn settings_form(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (lang, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    if req.query_string() == "notice=saved" {
        chrome.notice = Some(words::words(lang).saved.to_owned());
    }
    let loaded = async {
        let campaign = campaigns::get(&state.db, &user.principal(), page_id(&id)?).await?;
        let settings = campaigns::settings_of(&campaign)?;
        Ok::<_, ApiError>((campaign, settings))
    };
    match loaded.await {
        Ok((campaign, settings)) => {
            let fields = SettingsFields::of(&settings);
            render(StatusCode::OK, &page(chrome, &user, &campaign, &fields, Vec::new()))
        }
        Err(err) => failure(chrome, &err),
    }
}

async fn save(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let (lang, user, chrome, fields) = match begin_form::<SettingsFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(refused) => return refused,
    };
    let sw = words::settings_words(lang);
    let who = user.principal();
    let campaign = match page_id(&id) {
        Ok(id) => campaigns::get(&state.db, &who, id).await,
        Err(err) => Err(err),
    };
    let campaign = match campaign {
        Ok(campaign) => campaign,
        Err(err) => return failure(chrome, &err),
    };
    let current = match campaigns::settings_of(&campaign) {
        Ok(current) => current,
        Err(err) => return failure(chrome, &err),
    };
    let errors = match read(sw, &fields, &current) {
        Ok(settings) => {
            match campaigns::set_settings(&state.db, &state.link_changes, &who, campaign.id, &settings).await {
                Ok(_) => return see_other(&format!("/console/campaigns/{}/settings?notice=saved", campaign.id)),
                Err(ApiError::Conflict(_)) => vec![("w_conference", sw.locked)],
                Err(err) => return failure(chrome, &err),
            }
        }
        Err(errors) => errors,
    };
    render(StatusCode::UNPROCESSABLE_ENTITY, &page(chrome, &user, &campaign, &fields, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(change: impl FnOnce(&mut SettingsFields)) -> SettingsFields {
        let mut fields = SettingsFields::of(&ScoringSettings::default());
        change(&mut fields);
        fields
    }

    #[test]
    fn the_plans_defaults_read_back_as_they_are() {
        let sw = words::settings_words(crate::domain::questionnaire::Lang::ZhCn);
        let defaults = ScoringSettings::default();
        assert_eq!(read(sw, &SettingsFields::of(&defaults), &defaults).ok(), Some(defaults));
    }

    #[test]
    fn each_bad_field_is_named_and_weights_must_make_a_hundred() -> Result<(), String> {
        let sw = words::settings_words(crate::domain::questionnaire::Lang::ZhCn);
        let defaults = ScoringSettings::default();
        let problems = |fields: SettingsFields| read(sw, &fields, &defaults).err().unwrap_or_default();
        assert_eq!(problems(typed(|f| f.w_conference = "60".into())), vec![("w_conference", sw.weights_sum_bad)]);
        assert_eq!(
            problems(typed(|f| {
                f.w_third_party = "abc".into();
                f.min_conference = "0".into();
                f.contact = "x".repeat(61);
            })),
            vec![("w_third_party", sw.percent_bad), ("min_conference", sw.sample_bad), ("contact", sw.line_bad)]
        );
        assert_eq!(problems(typed(|f| f.excellent_min = "60".into())), vec![("excellent_min", sw.excellent_below)]);
        let changed = read(
            sw,
            &typed(|f| {
                f.w_conference = "40".into();
                f.w_third_party = "40".into();
                f.w_supervision = "20".into();
                f.supervision_mode = "component".into();
            }),
            &defaults,
        )
        .map_err(|e| format!("{e:?}"))?;
        assert!((changed.weights.supervision - 0.2).abs() < 1e-12);
        assert_eq!(changed.supervision_mode, SupervisionMode::Component);
        assert!(changed.check().is_empty());
        Ok(())
    }
}
