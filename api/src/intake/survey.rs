//! What a citizen sees of a link: the questionnaire in one language, without weights.

use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::campaign::ScoringSettings;
use crate::domain::questionnaire::{Lang, QuestionKind};
use crate::domain::vocabulary::Channel;
use crate::error::ApiResult;
use crate::intake::link_cache::{LinkCache, LinkContext};
use crate::intake::submit;
use crate::services::registry::links::Controls;
use crate::services::registry::questionnaires::Parsed;

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicOption {
    #[schema(example = "satisfied")]
    pub key: String,
    #[schema(example = "满意")]
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicQuestion {
    #[schema(example = "overall")]
    pub key: String,
    pub kind: QuestionKind,
    pub required: bool,
    #[schema(example = "您对该单位的总体评价")]
    pub text: String,
    pub options: Vec<PublicOption>,
    /// Text questions: the longest accepted answer in characters.
    pub max_length: Option<u32>,
}

/// What a citizen needs to fill in the questionnaire behind a link.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyView {
    pub slug: String,
    pub lang: Lang,
    #[schema(example = "区交通运输局")]
    pub unit_name: String,
    #[schema(example = "昭化区2017年度民主评议政风行风")]
    pub campaign_title: String,
    pub title: String,
    pub channel: Channel,
    /// The exact questionnaire version that a submission will be checked against.
    pub questionnaire_id: Uuid,
    pub questionnaire_version: i32,
    /// Whether a single-use invitation code must be sent with the answers.
    pub requires_invitation: bool,
    /// An on-site tablet's link: the page offers a fresh form after each citizen.
    pub kiosk: bool,
    /// Who asks, as the campaign names the organiser.
    #[schema(example = "昭化区民主评议政风行风工作领导小组办公室")]
    pub organiser: Option<String>,
    /// The last day answers are taken: the link's own end, or the survey phase's.
    pub closes_on: chrono::NaiveDate,
    /// About how long answering takes, in minutes.
    #[schema(example = 2)]
    pub minutes: u32,
    pub questions: Vec<PublicQuestion>,
    /// The unit's public notice board (公示) in this campaign: the problems it made public and
    /// their rectification, as a path on this service.
    #[schema(example = "/notice/5b1f0c4e-3f55-4d7e-9d65-1c2b3a4d5e6f/7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11")]
    pub notice_board: Option<String>,
}

/// About how long `questions` take: a quarter of a minute each, at least one minute.
fn minutes_for(questions: usize) -> u32 {
    u32::try_from(questions.div_ceil(4)).unwrap_or(u32::MAX).max(1)
}

/// The view of an open link; closed, revoked or unknown links are errors. Read from the link
/// cache: no query while the link's entry holds.
pub async fn view(db: &impl ConnectionTrait, links: &LinkCache, slug: &str, lang: Lang) -> ApiResult<SurveyView> {
    let context = submit::open_link(db, links, slug).await?;
    Ok(view_of(&context, lang))
}

/// The view of a link, as its cache entry holds it.
pub fn view_of(context: &LinkContext, lang: Lang) -> SurveyView {
    let LinkContext { link, unit, questionnaire, campaign, campaign_settings: context_settings, .. } = context;
    let questions = public_questions(questionnaire, lang);
    let controls = Controls::of(link);
    let phase_ends = campaign.survey_ends_on;
    let closes_on = link.closes_at.map_or(phase_ends, |at| at.date_naive().min(phase_ends));
    SurveyView {
        requires_invitation: controls.requires_invitation,
        kiosk: controls.kiosk,
        organiser: context_settings.organiser.clone(),
        closes_on,
        minutes: minutes_for(questionnaire.questions.len()),
        slug: link.slug.clone(),
        lang,
        unit_name: unit.name.clone(),
        campaign_title: campaign.title.clone(),
        title: questionnaire.title.get(lang).to_owned(),
        channel: link.channel,
        questionnaire_id: questionnaire.model.id,
        questionnaire_version: questionnaire.model.version,
        questions,
        notice_board: Some(format!("/notice/{}/{}", campaign.id, unit.id)),
    }
}

/// A questionnaire as a web link of `unit_name` would show it, for the office's preview.
pub fn preview_of(
    questionnaire: &Parsed,
    campaign: &entity::campaign::Model,
    settings: &ScoringSettings,
    unit_name: &str,
    lang: Lang,
) -> SurveyView {
    SurveyView {
        requires_invitation: false,
        kiosk: false,
        organiser: settings.organiser.clone(),
        closes_on: campaign.survey_ends_on,
        minutes: minutes_for(questionnaire.questions.len()),
        slug: String::new(),
        lang,
        unit_name: unit_name.to_owned(),
        campaign_title: campaign.title.clone(),
        title: questionnaire.title.get(lang).to_owned(),
        channel: Channel::Web,
        questionnaire_id: questionnaire.model.id,
        questionnaire_version: questionnaire.model.version,
        questions: public_questions(questionnaire, lang),
        // The preview stands for no real unit.
        notice_board: None,
    }
}

fn public_questions(questionnaire: &Parsed, lang: Lang) -> Vec<PublicQuestion> {
    questionnaire
        .questions
        .iter()
        .map(|q| PublicQuestion {
            key: q.key.clone(),
            kind: q.kind,
            required: q.required,
            text: q.text.get(lang).to_owned(),
            options: q
                .options
                .iter()
                .map(|o| PublicOption { key: o.key.clone(), label: o.label.get(lang).to_owned() })
                .collect(),
            max_length: (q.kind == QuestionKind::Text).then(|| q.text_limit() as u32),
        })
        .collect()
}
