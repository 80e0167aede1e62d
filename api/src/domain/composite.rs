//! The composite result: components → composite score → grade (with the violation override)
//! → rank → bottom N. A pure function, so that the rules can be read and tested on their own.
//!
//! The rules, as docs/evaluation-rules.md states them for readers:
//! - A sample-based component (conference, third-party survey, citizen links) counts when it
//!   has at least `min_sample` answers; supervision counts (in component mode) when the unit
//!   has a scored notice. Components that do not count, or weigh 0, are left out and the
//!   remaining weights are scaled up to sum to 1. A unit with no counting component is not
//!   scored.
//! - In points mode, the supervision notices' signed points are added to the composite,
//!   which is then kept within 0–100. Composites are rounded to two decimals.
//! - Grade: below `qualified_min` unqualified; from `qualified_min` up to but not including
//!   `excellent_min` qualified; `excellent_min` and above excellent. A confirmed violation
//!   makes the unit unqualified whatever its score (the override is flagged).
//! - Rank: by composite, highest first; equal composites share a rank and the next rank
//!   skips (1, 2, 2, 4). Units with a violation rank below every unit without one. Units that
//!   are not scored and have no violation are not ranked.
//! - Bottom N: the ranked units whose rank is at or below the rank of the N-th unit from the
//!   bottom — so a tie at the boundary takes in every tied unit, and the bottom may hold more
//!   than N. Units ranked last for a violation count like any other.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Component {
    /// 0–100.
    pub score: f64,
    pub sample: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionMode {
    /// Notices carry signed points added to the composite.
    #[default]
    Points,
    /// Notices carry a 0–100 score; their mean is a weighted component.
    Component,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Weights {
    pub conference: f64,
    pub third_party: f64,
    pub citizen_links: f64,
    pub supervision: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rules {
    pub weights: Weights,
    pub qualified_min: f64,
    pub excellent_min: f64,
    pub bottom_n: u32,
    pub min_sample: u32,
    pub supervision_mode: SupervisionMode,
}

/// Everything known about one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitInputs {
    pub unit_id: Uuid,
    pub conference: Option<Component>,
    pub third_party: Option<Component>,
    pub citizen_links: Option<Component>,
    /// Mean notice score (component mode).
    pub supervision_score: Option<f64>,
    /// Sum of notice points (points mode).
    pub supervision_points: f64,
    pub violation: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 优秀
    Excellent,
    /// 合格
    Qualified,
    /// 不合格
    Unqualified,
    /// No component counted and no violation.
    NotScored,
}

impl Grade {
    /// The grade's name in Chinese and English, as reports print it.
    pub fn label(self) -> &'static str {
        match self {
            Grade::Excellent => "优秀 excellent",
            Grade::Qualified => "合格 qualified",
            Grade::Unqualified => "不合格 unqualified",
            Grade::NotScored => "未评分 not scored",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ComponentResult {
    /// `conference`, `third_party`, `citizen_links` or `supervision`.
    pub source: String,
    pub score: Option<f64>,
    pub sample: Option<i64>,
    /// The weight it was given after scaling; 0 when it did not count.
    pub weight: f64,
    pub counted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitResult {
    pub unit_id: Uuid,
    pub components: Vec<ComponentResult>,
    pub supervision_points: f64,
    pub composite: Option<f64>,
    pub grade: Grade,
    /// True when a confirmed violation made the unit unqualified.
    pub violation: bool,
    pub rank: Option<u32>,
    pub bottom: bool,
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn composite_of(unit: &UnitInputs, rules: &Rules) -> (Vec<ComponentResult>, Option<f64>) {
    let sampled = |c: Option<Component>| c.filter(|c| c.sample >= i64::from(rules.min_sample));
    let supervision = match rules.supervision_mode {
        SupervisionMode::Component => unit.supervision_score.map(|score| Component { score, sample: 1 }),
        SupervisionMode::Points => None,
    };
    let parts = [
        ("conference", unit.conference, sampled(unit.conference), rules.weights.conference),
        ("third_party", unit.third_party, sampled(unit.third_party), rules.weights.third_party),
        ("citizen_links", unit.citizen_links, sampled(unit.citizen_links), rules.weights.citizen_links),
        ("supervision", supervision, supervision, rules.weights.supervision),
    ];
    let total: f64 = parts.iter().filter(|p| p.2.is_some() && p.3 > 0.0).map(|p| p.3).sum();
    let components = parts
        .iter()
        .map(|(source, raw, counted, weight)| {
            let counts = counted.is_some() && *weight > 0.0 && total > 0.0;
            ComponentResult {
                source: (*source).to_owned(),
                score: raw.map(|c| c.score),
                sample: raw.map(|c| c.sample),
                weight: if counts { weight / total } else { 0.0 },
                counted: counts,
            }
        })
        .collect::<Vec<_>>();
    if total <= 0.0 {
        return (components, None);
    }
    let mut composite: f64 = components.iter().filter(|c| c.counted).map(|c| c.weight * c.score.unwrap_or(0.0)).sum();
    if rules.supervision_mode == SupervisionMode::Points {
        composite += unit.supervision_points;
    }
    (components, Some(round2(composite.clamp(0.0, 100.0))))
}

pub fn grade(composite: Option<f64>, violation: bool, rules: &Rules) -> Grade {
    match composite {
        _ if violation => Grade::Unqualified,
        None => Grade::NotScored,
        Some(score) if score >= rules.excellent_min => Grade::Excellent,
        Some(score) if score >= rules.qualified_min => Grade::Qualified,
        Some(_) => Grade::Unqualified,
    }
}

/// Competition ranks over (violation last, composite descending); unscored units without a
/// violation stay unranked.
fn rank(results: &mut [UnitResult]) {
    let key = |r: &UnitResult| (r.violation, std::cmp::Reverse(r.composite.map(|c| (c * 100.0).round() as i64)));
    let mut order: Vec<usize> =
        (0..results.len()).filter(|&i| results[i].composite.is_some() || results[i].violation).collect();
    order.sort_by_key(|&i| key(&results[i]));
    for (position, &index) in order.iter().enumerate() {
        let shared = order[..position]
            .iter()
            .rev()
            .find(|&&j| key(&results[j]) == key(&results[index]))
            .map(|&j| results[j].rank);
        results[index].rank = match shared {
            Some(rank) => rank,
            None => Some(u32::try_from(position + 1).unwrap_or(u32::MAX)),
        };
    }
}

fn mark_bottom(results: &mut [UnitResult], bottom_n: u32) {
    let mut ranks: Vec<u32> = results.iter().filter_map(|r| r.rank).collect();
    ranks.sort_unstable_by(|a, b| b.cmp(a));
    let Some(threshold) = (bottom_n as usize).checked_sub(1).and_then(|i| ranks.get(i).or(ranks.last())).copied()
    else {
        return;
    };
    for result in results.iter_mut() {
        result.bottom = result.rank.is_some_and(|r| r >= threshold);
    }
}

pub fn compute(units: &[UnitInputs], rules: &Rules) -> Vec<UnitResult> {
    let mut results: Vec<UnitResult> = units
        .iter()
        .map(|unit| {
            let (components, composite) = composite_of(unit, rules);
            UnitResult {
                unit_id: unit.unit_id,
                components,
                supervision_points: unit.supervision_points,
                composite,
                grade: grade(composite, unit.violation, rules),
                violation: unit.violation,
                rank: None,
                bottom: false,
            }
        })
        .collect();
    rank(&mut results);
    mark_bottom(&mut results, rules.bottom_n);
    results.sort_by_key(|r| (r.rank.is_none(), r.rank));
    results
}

#[cfg(test)]
mod tests {
    use crate::domain::composite::*;

    fn rules() -> Rules {
        Rules {
            weights: Weights { conference: 0.4, third_party: 0.4, citizen_links: 0.2, supervision: 0.0 },
            qualified_min: 70.0,
            excellent_min: 90.0,
            bottom_n: 3,
            min_sample: 10,
            supervision_mode: SupervisionMode::Points,
        }
    }

    fn unit(n: u128, conference: f64, third_party: f64, citizens: f64) -> UnitInputs {
        let c = |score| Some(Component { score, sample: 30 });
        UnitInputs {
            unit_id: Uuid::from_u128(n),
            conference: c(conference),
            third_party: c(third_party),
            citizen_links: c(citizens),
            supervision_score: None,
            supervision_points: 0.0,
            violation: false,
        }
    }

    fn by_id(results: &[UnitResult], n: u128) -> &UnitResult {
        results.iter().find(|r| r.unit_id == Uuid::from_u128(n)).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn the_composite_is_the_weighted_mean_and_the_bounds_are_inclusive_from_below() {
        // 0.4 × 90 + 0.4 × 90 + 0.2 × 90 = 90 → excellent; 70 exactly → qualified; 69.99 → unqualified.
        let units = [
            unit(1, 90.0, 90.0, 90.0),
            unit(2, 70.0, 70.0, 70.0),
            unit(3, 80.0, 60.0, 69.95),
            unit(4, 89.99, 89.99, 89.99),
        ];
        let results = compute(&units, &rules());
        assert_eq!((by_id(&results, 1).composite, by_id(&results, 1).grade), (Some(90.0), Grade::Excellent));
        assert_eq!((by_id(&results, 2).composite, by_id(&results, 2).grade), (Some(70.0), Grade::Qualified));
        // 32 + 24 + 13.99 = 69.99
        assert_eq!((by_id(&results, 3).composite, by_id(&results, 3).grade), (Some(69.99), Grade::Unqualified));
        assert_eq!(by_id(&results, 4).grade, Grade::Qualified);
    }

    #[test]
    fn a_violation_makes_a_high_scorer_unqualified_and_ranks_it_last() {
        let mut units = vec![unit(1, 95.0, 95.0, 95.0), unit(2, 80.0, 80.0, 80.0), unit(3, 75.0, 75.0, 75.0)];
        units[0].violation = true;
        let results = compute(&units, &rules());
        let star = by_id(&results, 1);
        assert_eq!(
            (star.composite, star.grade, star.violation, star.rank),
            (Some(95.0), Grade::Unqualified, true, Some(3))
        );
        assert_eq!(by_id(&results, 2).rank, Some(1));
    }

    #[test]
    fn ties_share_a_rank_and_a_tie_at_the_bottom_three_boundary_takes_in_all_tied() {
        // Composites: 90, 85, 80, 75, 70, 65, 65, 60 → ranks 1..6, 6, 8; the third from the bottom
        // ties with the second, so the bottom is ranks 6, 6 and 8.
        let scores = [90.0, 85.0, 80.0, 75.0, 70.0, 65.0, 65.0, 60.0];
        let units: Vec<UnitInputs> = scores.iter().enumerate().map(|(i, s)| unit(i as u128, *s, *s, *s)).collect();
        let results = compute(&units, &rules());
        let ranks: Vec<Option<u32>> = (0..8).map(|i| by_id(&results, i).rank).collect();
        assert_eq!(ranks, [1, 2, 3, 4, 5, 6, 6, 8].map(Some));
        let bottom: Vec<u128> = (0..8).filter(|&i| by_id(&results, i).bottom).collect();
        assert_eq!(bottom, [5, 6, 7]);

        // 90, 80, 70, 70, 70: the third from the bottom is tied with two others: all three, and
        // a fourth when the tie reaches past the boundary.
        let scores = [90.0, 80.0, 75.0, 70.0, 70.0, 70.0];
        let units: Vec<UnitInputs> = scores.iter().enumerate().map(|(i, s)| unit(i as u128, *s, *s, *s)).collect();
        let results = compute(&units, &rules());
        let bottom: Vec<u128> = (0..6).filter(|&i| by_id(&results, i).bottom).collect();
        assert_eq!(bottom, [3, 4, 5]);
        let scores = [90.0, 80.0, 70.0, 70.0, 60.0];
        let units: Vec<UnitInputs> = scores.iter().enumerate().map(|(i, s)| unit(i as u128, *s, *s, *s)).collect();
        let results = compute(&units, &rules());
        let bottom: Vec<u128> = (0..5).filter(|&i| by_id(&results, i).bottom).collect();
        assert_eq!(bottom, [2, 3, 4], "ranks 3, 3 and 5: the bottom three");
    }

    #[test]
    fn missing_or_thin_components_are_left_out_and_the_weights_rescaled() {
        let mut thin = unit(1, 80.0, 60.0, 100.0);
        thin.citizen_links = Some(Component { score: 100.0, sample: 3 });
        thin.third_party = None;
        let results = compute(
            &[thin, UnitInputs { conference: None, third_party: None, citizen_links: None, ..unit(2, 0.0, 0.0, 0.0) }],
            &rules(),
        );
        let scored = by_id(&results, 1);
        // Only the conference counts: weight 0.4 scaled to 1.
        assert_eq!(scored.composite, Some(80.0));
        assert!(
            scored
                .components
                .iter()
                .find(|c| c.source == "citizen_links")
                .is_some_and(|c| !c.counted && c.sample == Some(3))
        );
        let empty = by_id(&results, 2);
        assert_eq!((empty.composite, empty.grade, empty.rank, empty.bottom), (None, Grade::NotScored, None, false));
    }

    #[test]
    fn supervision_applies_as_points_or_as_a_component() {
        let mut penalised = unit(1, 80.0, 80.0, 80.0);
        penalised.supervision_points = -5.0;
        assert_eq!(compute(&[penalised.clone()], &rules())[0].composite, Some(75.0));
        let mut component_rules = rules();
        component_rules.supervision_mode = SupervisionMode::Component;
        component_rules.weights = Weights { conference: 0.4, third_party: 0.3, citizen_links: 0.2, supervision: 0.1 };
        penalised.supervision_score = Some(50.0);
        // 0.4 × 80 + 0.3 × 80 + 0.2 × 80 + 0.1 × 50 = 77
        assert_eq!(compute(&[penalised], &component_rules)[0].composite, Some(77.0));
    }
}
