//! Yearly campaigns: the four phases with their dates and the scoring settings.

use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use entity::campaign;

use crate::domain::vocabulary::Phase;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::validation;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    #[schema(example = "2017-06-21")]
    pub starts_on: NaiveDate,
    #[schema(example = "2017-09-30")]
    pub ends_on: NaiveDate,
}

/// The four phases of the plan, in order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    /// 动员部署: units set up, write their plan, recruit evaluators.
    pub mobilisation: DateRange,
    /// 调查摸底: questionnaires, visits and forums.
    pub survey: DateRange,
    /// 整改落实: rectification of the problems found.
    pub rectification: DateRange,
    /// 考核总结: the assessment conference and summary.
    pub assessment: DateRange,
}

impl Phases {
    /// The plan's calendar for `year`: June, 21 June – 30 September, October – November, late December.
    pub fn plan_default(year: i32) -> Option<Self> {
        let day = |m, d| NaiveDate::from_ymd_opt(year, m, d);
        let range = |a: Option<NaiveDate>, b: Option<NaiveDate>| Some(DateRange { starts_on: a?, ends_on: b? });
        Some(Self {
            mobilisation: range(day(6, 1), day(6, 20))?,
            survey: range(day(6, 21), day(9, 30))?,
            rectification: range(day(10, 1), day(11, 30))?,
            assessment: range(day(12, 21), day(12, 31))?,
        })
    }

    fn ordered(&self) -> [(&'static str, DateRange); 4] {
        [
            ("mobilisation", self.mobilisation),
            ("survey", self.survey),
            ("rectification", self.rectification),
            ("assessment", self.assessment),
        ]
    }

    /// Each phase ends on or after its start and begins after the previous one ends.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut previous_end: Option<NaiveDate> = None;
        for (name, range) in self.ordered() {
            if range.ends_on < range.starts_on {
                errors.push(FieldError::new(format!("phases.{name}.ends_on"), "is before starts_on"));
            }
            if previous_end.is_some_and(|end| range.starts_on <= end) {
                errors.push(FieldError::new(
                    format!("phases.{name}.starts_on"),
                    "must come after the previous phase ends",
                ));
            }
            previous_end = Some(range.ends_on);
        }
        errors
    }
}

/// How the composite result is computed (used by the assessment); the plan's values by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields, default)]
#[schema(example = json!({
    "weights": {"conference": 0.4, "third_party": 0.4, "citizen_links": 0.2, "supervision": 0.0},
    "qualified_min": 70.0, "excellent_min": 90.0, "bottom_n": 3, "min_sample": 30,
    "supervision_mode": "points", "responses_outside_survey": false
}))]
pub struct ScoringSettings {
    /// Weights of the sources in the composite; they must sum to 1.
    #[validate(nested)]
    pub weights: SourceWeights,
    /// A composite below this is unqualified (不合格).
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(example = 70.0, minimum = 0.0, maximum = 100.0)]
    pub qualified_min: f64,
    /// A composite at or above this is excellent (优秀).
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(example = 90.0, minimum = 0.0, maximum = 100.0)]
    pub excellent_min: f64,
    /// How many units at the bottom lose award eligibility and become next year's key units.
    #[validate(range(min = 0, max = 100))]
    #[schema(example = 3, minimum = 0, maximum = 100)]
    pub bottom_n: u32,
    /// Fewest responses per source for a unit to be scored.
    #[validate(range(min = 1, max = 100000))]
    #[schema(example = 30, minimum = 1, maximum = 100000)]
    pub min_sample: u32,
    /// How supervision notices apply: signed points on the composite, or a weighted component.
    pub supervision_mode: crate::domain::composite::SupervisionMode,
    /// Let citizens' links take responses outside the survey phase too.
    pub responses_outside_survey: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields, default)]
pub struct SourceWeights {
    /// 大会测评: the assessment conference.
    #[validate(range(min = 0.0, max = 1.0))]
    pub conference: f64,
    /// 第三方测评: the third-party pollster.
    #[validate(range(min = 0.0, max = 1.0))]
    pub third_party: f64,
    /// Citizens' answers through the service's own links.
    #[validate(range(min = 0.0, max = 1.0))]
    pub citizen_links: f64,
    /// 督查督办通报: supervision notices as a component score.
    #[validate(range(min = 0.0, max = 1.0))]
    pub supervision: f64,
}

impl Default for SourceWeights {
    fn default() -> Self {
        Self { conference: 0.4, third_party: 0.4, citizen_links: 0.2, supervision: 0.0 }
    }
}

impl Default for ScoringSettings {
    fn default() -> Self {
        Self {
            weights: SourceWeights::default(),
            qualified_min: 70.0,
            excellent_min: 90.0,
            bottom_n: 3,
            min_sample: 30,
            supervision_mode: crate::domain::composite::SupervisionMode::Points,
            responses_outside_survey: false,
        }
    }
}

impl ScoringSettings {
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let w = &self.weights;
        let sum = w.conference + w.third_party + w.citizen_links + w.supervision;
        if (sum - 1.0).abs() > 1e-9 {
            errors.push(FieldError::new("settings.weights", format!("must sum to 1, not {sum}")));
        }
        if self.excellent_min < self.qualified_min {
            errors.push(FieldError::new("settings.excellent_min", "must not be below qualified_min"));
        }
        errors
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"year": 2017, "title": "昭化区2017年度民主评议政风行风"}))]
pub struct CampaignInput {
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    #[validate(length(min = 1, max = 200), custom(function = "validation::single_line"))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// Defaults to the plan's calendar for the year.
    #[serde(default)]
    pub phases: Option<Phases>,
    /// Defaults to the plan's values.
    #[serde(default)]
    #[validate(nested)]
    pub settings: Option<ScoringSettings>,
    /// The previous campaign: its approved result's bottom N become key units of this one.
    #[serde(default)]
    pub carry_over_from: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDto {
    pub id: Uuid,
    pub year: i32,
    pub title: String,
    /// The phase the campaign is in now.
    pub phase: Phase,
    pub phases: Phases,
    pub settings: ScoringSettings,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}

impl TryFrom<campaign::Model> for CampaignDto {
    type Error = ApiError;

    fn try_from(m: campaign::Model) -> ApiResult<Self> {
        let settings = serde_json::from_value(m.settings).map_err(ApiError::internal)?;
        let range = |starts_on, ends_on| DateRange { starts_on, ends_on };
        Ok(Self {
            id: m.id,
            year: m.year,
            title: m.title,
            phase: m.current_phase,
            phases: Phases {
                mobilisation: range(m.mobilisation_starts_on, m.mobilisation_ends_on),
                survey: range(m.survey_starts_on, m.survey_ends_on),
                rectification: range(m.rectification_starts_on, m.rectification_ends_on),
                assessment: range(m.assessment_starts_on, m.assessment_ends_on),
            },
            settings,
            created_at: m.created_at,
        })
    }
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<campaign::Model> {
    campaign::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ApiError::NotFound(format!("no campaign {id}")))
}

/// Creates a campaign; with `carry_over_from`, the previous campaign's bottom N (from its
/// newest approved result) become district key units, reason "carried over", in the same
/// transaction.
pub async fn create<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    actor: &str,
    input: CampaignInput,
) -> ApiResult<campaign::Model> {
    let carried = match input.carry_over_from {
        Some(previous) => {
            find(db, previous).await.map_err(|_| ApiError::invalid("carry_over_from", "no such campaign"))?;
            super::results::bottom_units(db, previous).await?
        }
        None => Vec::new(),
    };
    let txn = super::begin_write(db).await?;
    let created = insert(&txn, input).await?;
    super::campaign_units::carry_over(&txn, actor, created.id, &carried).await?;
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(created)
}

async fn insert(db: &impl ConnectionTrait, input: CampaignInput) -> ApiResult<campaign::Model> {
    let phases = match input.phases {
        Some(phases) => phases,
        None => Phases::plan_default(input.year).ok_or_else(|| ApiError::invalid("year", "has no calendar"))?,
    };
    let settings = input.settings.unwrap_or_default();
    let errors: Vec<FieldError> = phases.check().into_iter().chain(settings.check()).collect();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let model = campaign::ActiveModel {
        id: Set(Uuid::new_v4()),
        year: Set(input.year),
        title: Set(input.title.trim().to_owned()),
        mobilisation_starts_on: Set(phases.mobilisation.starts_on),
        mobilisation_ends_on: Set(phases.mobilisation.ends_on),
        survey_starts_on: Set(phases.survey.starts_on),
        survey_ends_on: Set(phases.survey.ends_on),
        rectification_starts_on: Set(phases.rectification.starts_on),
        rectification_ends_on: Set(phases.rectification.ends_on),
        assessment_starts_on: Set(phases.assessment.starts_on),
        assessment_ends_on: Set(phases.assessment.ends_on),
        settings: Set(serde_json::to_value(&settings).map_err(ApiError::internal)?),
        created_at: Set(super::now()),
        current_phase: Set(Phase::Mobilisation),
        totals_version: Set(0),
    };
    model.insert(db).await.map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::Conflict(format!("a campaign for {} already exists", input.year)),
        other => other,
    })
}

pub async fn list(db: &impl ConnectionTrait, limit: u64, offset: u64) -> ApiResult<(Vec<campaign::Model>, u64)> {
    let query = campaign::Entity::find().order_by_desc(campaign::Column::Year);
    Ok(super::fetch_page(db, query, limit, offset).await?)
}

pub fn settings_of(campaign: &campaign::Model) -> ApiResult<ScoringSettings> {
    serde_json::from_value(campaign.settings.clone()).map_err(ApiError::internal)
}

pub fn phase_of(campaign: &campaign::Model) -> ApiResult<Phase> {
    Ok(campaign.current_phase)
}

/// Refuses unless the campaign is in one of `phases`.
pub fn require_phase(campaign: &campaign::Model, phases: &[Phase], action: &str) -> ApiResult<()> {
    let phase = phase_of(campaign)?;
    if phases.contains(&phase) {
        Ok(())
    } else {
        let allowed: Vec<&str> = phases.iter().map(|p| p.as_str()).collect();
        Err(ApiError::Conflict(format!(
            "{action} is allowed in the {} phase only; the campaign is in {}",
            allowed.join(" or "),
            phase.as_str()
        )))
    }
}

/// Every phase but `closed`: a closed campaign is read-only.
pub const OPEN_PHASES: &[Phase] = &[Phase::Mobilisation, Phase::Survey, Phase::Rectification, Phase::Assessment];

/// Moves the campaign to the next phase (one step, never back), recording it in the audit log.
pub async fn advance<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    actor: &str,
    id: Uuid,
    to: Phase,
) -> ApiResult<campaign::Model> {
    let txn = super::begin_write(db).await?;
    let current = find(&txn, id).await?;
    let from = phase_of(&current)?;
    if from.next() != Some(to) {
        return Err(ApiError::Conflict(format!(
            "the campaign is in {}; it can move to {} only",
            from.as_str(),
            from.next().map_or("no other phase", |p| p.as_str())
        )));
    }
    let updated =
        campaign::ActiveModel { id: Set(id), current_phase: Set(to), ..Default::default() }.update(&txn).await?;
    super::audit::record(
        &txn,
        actor,
        "campaign.phase_changed",
        "campaign",
        &id.to_string(),
        Some(serde_json::json!({"phase": from.as_str()})),
        Some(serde_json::json!({"phase": to.as_str()})),
    )
    .await?;
    sea_orm::TransactionSession::commit(txn).await?;
    super::link_cache::invalidate();
    Ok(updated)
}

/// Replaces the scoring settings, recording the before and after in the audit log.
pub async fn set_settings<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    actor: &str,
    id: Uuid,
    settings: &ScoringSettings,
) -> ApiResult<campaign::Model> {
    let errors = settings.check();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let txn = super::begin_write(db).await?;
    let current = find(&txn, id).await?;
    require_phase(&current, OPEN_PHASES, "changing settings")?;
    let after = serde_json::to_value(settings).map_err(ApiError::internal)?;
    let updated =
        campaign::ActiveModel { id: Set(id), settings: Set(after.clone()), ..Default::default() }.update(&txn).await?;
    super::audit::record(
        &txn,
        actor,
        "campaign.settings_changed",
        "campaign",
        &id.to_string(),
        Some(current.settings),
        Some(after),
    )
    .await?;
    sea_orm::TransactionSession::commit(txn).await?;
    super::link_cache::invalidate();
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_calendar_is_in_order_and_the_defaults_sum_to_one() {
        let phases = Phases::plan_default(2017).unwrap_or_else(|| unreachable!());
        assert!(phases.check().is_empty());
        assert_eq!(phases.survey.starts_on, NaiveDate::from_ymd_opt(2017, 6, 21).unwrap_or_default());
        assert!(ScoringSettings::default().check().is_empty());
    }

    #[test]
    fn overlapping_phases_and_bad_weights_are_named() {
        let mut phases = Phases::plan_default(2017).unwrap_or_else(|| unreachable!());
        phases.survey.starts_on = phases.mobilisation.ends_on;
        assert_eq!(phases.check()[0].field, "phases.survey.starts_on");
        let mut settings = ScoringSettings::default();
        settings.weights.conference = 0.9;
        assert_eq!(settings.check()[0].field, "settings.weights");
    }
}
