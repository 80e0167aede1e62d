//! A campaign's calendar and scoring settings, with the checks they must pass. The plan's
//! calendar and values are the defaults.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::FieldError;
use crate::domain::composite::SupervisionMode;

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
    pub supervision_mode: SupervisionMode,
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
            supervision_mode: SupervisionMode::Points,
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
