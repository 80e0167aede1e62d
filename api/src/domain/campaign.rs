//! A campaign's calendar and scoring settings, with the checks they must pass. The plan's
//! calendar and values are the defaults.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::FieldError;
use crate::domain::composite::SupervisionMode;
use crate::domain::questionnaire::{AnswerOption, DONT_KNOW};

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
    "weights": {"conference": 0.5, "third_party": 0.5, "citizen_links": 0.0, "supervision": 0.0},
    "qualified_min": 70.0, "excellent_min": 90.0, "bottom_n": 3, "group_bottom_n": 0,
    "min_samples": {"conference": 10, "third_party": 30, "citizen_links": 30},
    "supervision_mode": "points", "conference_scale": null, "responses_outside_survey": false,
    "organiser": "昭化区民主评议政风行风工作领导小组办公室", "contact": "咨询电话：0839-1234567"
}))]
pub struct ScoringSettings {
    /// Weights of the sources in the composite; they must sum to 1. The plan combines the
    /// conference, the third-party survey and the supervision notices; citizens' answers
    /// through the service's links count only with a weight set here.
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
    /// How many of the district's key units at the bottom of their ranking lose award
    /// eligibility and become next year's key units.
    #[validate(range(min = 0, max = 100))]
    #[schema(example = 3, minimum = 0, maximum = 100)]
    pub bottom_n: u32,
    /// The bottom N within every other ranking group (a township's key units, groups the
    /// office makes); 0 ranks them without a bottom.
    #[validate(range(min = 0, max = 100))]
    #[schema(example = 0, minimum = 0, maximum = 100)]
    pub group_bottom_n: u32,
    /// The fewest valid answers with which each sample-based source counts.
    #[validate(nested)]
    pub min_samples: SourceMinimums,
    /// How supervision notices apply: signed points on the composite, or a weighted component.
    pub supervision_mode: SupervisionMode,
    /// The rating scale of the conference's ballots for every unit; by default each unit is
    /// scored on the overall question of its category's questionnaire. 不了解 (`dont_know`)
    /// is always allowed.
    #[validate(nested)]
    pub conference_scale: Option<Vec<AnswerOption>>,
    /// Let citizens' links take responses outside the survey phase too.
    pub responses_outside_survey: bool,
    /// Who asks: named in the answer page's introduction and on posters.
    #[validate(length(min = 1, max = 60), custom(function = "crate::domain::text::free_text"))]
    #[schema(max_length = 60)]
    pub organiser: Option<String>,
    /// A contact line for posters (a telephone number, an office).
    #[validate(length(min = 1, max = 60), custom(function = "crate::domain::text::free_text"))]
    #[schema(max_length = 60)]
    pub contact: Option<String>,
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

/// The plan names no split: the two surveys weigh the same, notices apply as points.
impl Default for SourceWeights {
    fn default() -> Self {
        Self { conference: 0.5, third_party: 0.5, citizen_links: 0.0, supervision: 0.0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields, default)]
pub struct SourceMinimums {
    /// Sized for a room of representatives.
    #[validate(range(min = 1, max = 100000))]
    #[schema(example = 10, minimum = 1, maximum = 100000)]
    pub conference: u32,
    #[validate(range(min = 1, max = 100000))]
    #[schema(example = 30, minimum = 1, maximum = 100000)]
    pub third_party: u32,
    #[validate(range(min = 1, max = 100000))]
    #[schema(example = 30, minimum = 1, maximum = 100000)]
    pub citizen_links: u32,
}

impl Default for SourceMinimums {
    fn default() -> Self {
        Self { conference: 10, third_party: 30, citizen_links: 30 }
    }
}

impl Default for ScoringSettings {
    fn default() -> Self {
        Self {
            weights: SourceWeights::default(),
            qualified_min: 70.0,
            excellent_min: 90.0,
            bottom_n: 3,
            group_bottom_n: 0,
            min_samples: SourceMinimums::default(),
            supervision_mode: SupervisionMode::Points,
            conference_scale: None,
            responses_outside_survey: false,
            organiser: None,
            contact: None,
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
        if let Some(scale) = &self.conference_scale {
            errors.extend(check_scale(scale).into_iter().map(|e| e.under("settings.conference_scale")));
        }
        errors
    }
}

/// A conference's rating scale: two or more levels with distinct keys, each with a weight;
/// 不了解 (`dont_know`) is added by the service, not given.
pub fn check_scale(levels: &[AnswerOption]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if levels.len() < 2 {
        errors.push(FieldError::new("", "needs at least two levels"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, level) in levels.iter().enumerate() {
        if !seen.insert(level.key.as_str()) {
            errors.push(FieldError::new(format!("[{i}].key"), "repeats an earlier level"));
        }
        if level.key == DONT_KNOW {
            errors.push(FieldError::new(format!("[{i}].key"), "不了解 (dont_know) is always allowed; leave it out"));
        } else if level.weight.is_none() {
            errors.push(FieldError::new(format!("[{i}].weight"), "is required"));
        }
    }
    errors
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
