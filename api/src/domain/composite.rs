//! The composite result: components → composite score → grade (with the violation override)
//! → rank within the unit's ranking group → bottom N of the group, with the tie and the
//! uncertainty at its line. A pure function, so that the rules can be read and tested on
//! their own.
//!
//! The rules, as docs/evaluation-rules.md states them for readers:
//! - A sample-based component (conference, third-party survey, citizens' links) counts when it
//!   has at least its source's minimum of valid answers and a weight above 0; supervision
//!   counts (in component mode) when the unit has a scored notice. Components that do not
//!   count are left out, each with a note saying why, and the remaining weights are scaled up
//!   to sum to 1. A unit with no counting component is not scored.
//! - In points mode, the supervision notices' signed points are added to the composite, which
//!   is then kept within 0–100. Composites are rounded to two decimals.
//! - The composite's range: the same sum with each counted sample-based component at the low
//!   (then the high) end of its 95% interval.
//! - Grade, for every scored unit: below `qualified_min` unqualified; from `qualified_min` up
//!   to but not including `excellent_min` qualified; `excellent_min` and above excellent. A
//!   confirmed violation makes the unit unqualified whatever its score (the override is
//!   flagged).
//! - Rank, within the unit's ranking group (units in no group are graded, not ranked): by
//!   composite, highest first; equal composites share a rank and the next rank skips
//!   (1, 2, 2, 4). Units with a violation rank below every unit without one. Units that are
//!   not scored and have no violation are not ranked.
//! - Bottom N of a group (`bottom_n` for the district's group, `group_bottom_n` for every
//!   other): the ranked units whose rank is at or below the rank of the N-th unit from the
//!   bottom. When units tie across the line the tie is named, and unless the approvers
//!   decided otherwise every tied unit is in the bottom, so the bottom may hold more than N.
//! - Uncertainty at the line: when a unit above the line has a range reaching below it, or a
//!   unit below has a range reaching above it, the line is flagged with those units. Units
//!   below it for a violation are below it by rule and take no part.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::satisfaction::Interval;

/// The ranking group of the district's key units; its bottom N carry over.
pub const DISTRICT: &str = "district";

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Component {
    /// 0–100.
    pub score: f64,
    /// Valid answers (or the pollster's sample size).
    pub sample: i64,
    /// The 95% interval of the score, 0–100, when the source has one.
    #[serde(default)]
    pub interval: Option<Interval>,
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

/// The fewest valid answers with which each sample-based source counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MinSamples {
    pub conference: u32,
    pub third_party: u32,
    pub citizen_links: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rules {
    pub weights: Weights,
    pub qualified_min: f64,
    pub excellent_min: f64,
    /// Bottom N of the district's key units.
    pub bottom_n: u32,
    /// Bottom N within every other ranking group.
    pub group_bottom_n: u32,
    pub min_samples: MinSamples,
    pub supervision_mode: SupervisionMode,
}

impl Rules {
    /// The bottom N of `group`.
    pub fn bottom_n_of(&self, group: &str) -> u32 {
        if group == DISTRICT { self.bottom_n } else { self.group_bottom_n }
    }
}

/// Everything known about one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitInputs {
    pub unit_id: Uuid,
    /// The ranking group; none for a unit that is graded but not ranked.
    #[serde(default)]
    pub group: Option<String>,
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

/// Whether a component counted, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    Counted,
    /// Nothing from this source for the unit.
    NoData,
    /// Fewer valid answers than the source's minimum.
    BelowMinimum,
    /// The source weighs 0: shown for reference.
    NotWeighted,
    /// Supervision in points mode: the notices' points are added to the composite instead.
    AppliedAsPoints,
}

/// A sentence in the plan's Chinese and in English.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Note {
    pub zh: String,
    pub en: String,
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
    pub status: ComponentStatus,
    /// The fewest valid answers with which the source counts.
    pub minimum: u32,
    /// Why it did not count, in words; none when it counted.
    #[serde(default)]
    pub note: Option<Note>,
}

impl ComponentResult {
    /// Puts into words why the component did not count (kept results have their words
    /// written again as they are read).
    pub fn explain(&mut self) {
        self.note = status_note(self.status, self.sample, self.minimum);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitResult {
    pub unit_id: Uuid,
    /// The ranking group the unit was ranked in; none when it is graded but not ranked.
    pub group: Option<String>,
    pub components: Vec<ComponentResult>,
    pub supervision_points: f64,
    pub composite: Option<f64>,
    /// The composite with each counted sample-based component at the ends of its 95% interval.
    pub composite_range: Option<Interval>,
    pub grade: Grade,
    /// True when a confirmed violation made the unit unqualified.
    pub violation: bool,
    /// Rank within the group.
    pub rank: Option<u32>,
    /// In the group's bottom N.
    pub bottom: bool,
}

/// Units that share a rank across a group's bottom-N line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Tie {
    /// The rank they share.
    pub rank: u32,
    pub units: Vec<Uuid>,
    /// How many of them the bottom N has room for.
    pub places: u32,
}

/// A group's bottom-N line and what is known about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupLine {
    pub group: String,
    pub bottom_n: u32,
    /// Units ranked in the group.
    pub ranked: u32,
    /// Units that tie across the line, if any.
    pub tie: Option<Tie>,
    /// Units whose composite range reaches across the line: where the line falls is within
    /// the uncertainty of the samples.
    pub uncertain: Vec<Uuid>,
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn note(zh: String, en: String) -> Option<Note> {
    Some(Note { zh, en })
}

fn status_note(status: ComponentStatus, sample: Option<i64>, minimum: u32) -> Option<Note> {
    match status {
        ComponentStatus::Counted => None,
        ComponentStatus::NoData => note("无数据，未计入".to_owned(), "no data: not counted".to_owned()),
        ComponentStatus::BelowMinimum => {
            let n = sample.unwrap_or(0);
            note(
                format!("有效样本{n}份，少于最低{minimum}份，未计入"),
                format!("{n} valid answers, fewer than the minimum of {minimum}: not counted"),
            )
        }
        ComponentStatus::NotWeighted => {
            note("权重为0，仅供参考，未计入".to_owned(), "weight 0: shown for reference, not counted".to_owned())
        }
        ComponentStatus::AppliedAsPoints => note(
            "督查督办通报以加减分计入综合得分".to_owned(),
            "supervision notices are applied as points added to the composite".to_owned(),
        ),
    }
}

struct Part {
    source: &'static str,
    raw: Option<Component>,
    weight: f64,
    minimum: u32,
    status: ComponentStatus,
}

fn composite_of(unit: &UnitInputs, rules: &Rules) -> (Vec<ComponentResult>, Option<f64>, Option<Interval>) {
    let m = rules.min_samples;
    let sampled = |source, raw: Option<Component>, weight: f64, minimum: u32| {
        let status = match raw {
            None => ComponentStatus::NoData,
            Some(c) if c.sample < i64::from(minimum) => ComponentStatus::BelowMinimum,
            Some(_) if weight <= 0.0 => ComponentStatus::NotWeighted,
            Some(_) => ComponentStatus::Counted,
        };
        Part { source, raw, weight, minimum, status }
    };
    let supervision = match rules.supervision_mode {
        SupervisionMode::Points => {
            Part { source: "supervision", raw: None, weight: 0.0, minimum: 0, status: ComponentStatus::AppliedAsPoints }
        }
        SupervisionMode::Component => {
            let raw = unit.supervision_score.map(|score| Component { score, sample: 1, interval: None });
            sampled("supervision", raw, rules.weights.supervision, 0)
        }
    };
    let parts = [
        sampled("conference", unit.conference, rules.weights.conference, m.conference),
        sampled("third_party", unit.third_party, rules.weights.third_party, m.third_party),
        sampled("citizen_links", unit.citizen_links, rules.weights.citizen_links, m.citizen_links),
        supervision,
    ];
    let total: f64 = parts.iter().filter(|p| p.status == ComponentStatus::Counted).map(|p| p.weight).sum();
    let components: Vec<ComponentResult> = parts
        .iter()
        .map(|p| {
            let counts = p.status == ComponentStatus::Counted && total > 0.0;
            ComponentResult {
                source: p.source.to_owned(),
                score: p.raw.map(|c| c.score),
                sample: p.raw.map(|c| c.sample),
                weight: if counts { p.weight / total } else { 0.0 },
                counted: counts,
                status: p.status,
                minimum: p.minimum,
                note: status_note(p.status, p.raw.map(|c| c.sample), p.minimum),
            }
        })
        .collect();
    if total <= 0.0 {
        return (components, None, None);
    }
    let points = if rules.supervision_mode == SupervisionMode::Points { unit.supervision_points } else { 0.0 };
    let sum = |pick: &dyn Fn(&Component) -> f64| -> f64 {
        let weighted: f64 = parts
            .iter()
            .zip(&components)
            .filter(|(_, c)| c.counted)
            .map(|(p, c)| c.weight * p.raw.as_ref().map_or(0.0, pick))
            .sum();
        round2((weighted + points).clamp(0.0, 100.0))
    };
    let composite = sum(&|c| c.score);
    let range = Interval {
        low: sum(&|c| c.interval.map_or(c.score, |i| i.low)),
        high: sum(&|c| c.interval.map_or(c.score, |i| i.high)),
    };
    (components, Some(composite), Some(range))
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

/// The order within a group: violations last, then composite descending.
fn rank_key(r: &UnitResult) -> (bool, std::cmp::Reverse<Option<i64>>) {
    (r.violation, std::cmp::Reverse(r.composite.map(|c| (c * 100.0).round() as i64)))
}

/// Ranks the group's members (indexes into `results`) and marks its bottom N; returns its line.
fn rank_group(results: &mut [UnitResult], group: &str, members: &[usize], bottom_n: u32) -> GroupLine {
    let mut order: Vec<usize> =
        members.iter().copied().filter(|&i| results[i].composite.is_some() || results[i].violation).collect();
    order.sort_by_key(|&i| rank_key(&results[i]));
    for (position, &index) in order.iter().enumerate() {
        let shared = order[..position].last().filter(|&&j| rank_key(&results[j]) == rank_key(&results[index]));
        results[index].rank = match shared {
            Some(&j) => results[j].rank,
            None => Some(u32::try_from(position + 1).unwrap_or(u32::MAX)),
        };
    }
    let mut line = GroupLine {
        group: group.to_owned(),
        bottom_n,
        ranked: u32::try_from(order.len()).unwrap_or(u32::MAX),
        tie: None,
        uncertain: Vec::new(),
    };
    let n = bottom_n as usize;
    if n == 0 || order.is_empty() {
        return line;
    }
    let first_below = order.len().saturating_sub(n);
    let threshold = results[order[first_below]].rank;
    for &i in &order {
        results[i].bottom = results[i].rank >= threshold;
    }
    if first_below == 0 {
        return line;
    }
    let (above, at_line) = (order[first_below - 1], order[first_below]);
    if rank_key(&results[above]) == rank_key(&results[at_line]) {
        let tied: Vec<usize> =
            order.iter().copied().filter(|&i| rank_key(&results[i]) == rank_key(&results[at_line])).collect();
        let places = tied.iter().filter(|&&i| order.iter().position(|&o| o == i) >= Some(first_below)).count();
        line.tie = Some(Tie {
            rank: results[at_line].rank.unwrap_or_default(),
            units: tied.iter().map(|&i| results[i].unit_id).collect(),
            places: u32::try_from(places).unwrap_or(u32::MAX),
        });
    }
    line.uncertain = uncertain(results, &order);
    line
}

/// The units whose composite range reaches across the line between the group's bottom and the
/// rest; units below it for a violation are there by rule and take no part.
fn uncertain(results: &[UnitResult], order: &[usize]) -> Vec<Uuid> {
    let scored = |i: &&usize| !results[**i].violation && results[**i].composite.is_some();
    let above: Vec<usize> = order.iter().filter(scored).filter(|&&i| !results[i].bottom).copied().collect();
    let below: Vec<usize> = order.iter().filter(scored).filter(|&&i| results[i].bottom).copied().collect();
    let (Some(&lowest_above), Some(&highest_below)) = (above.last(), below.first()) else {
        return Vec::new();
    };
    let line = (results[lowest_above].composite.unwrap_or(0.0) + results[highest_below].composite.unwrap_or(0.0)) / 2.0;
    let reaches_down = above.iter().filter(|&&i| results[i].composite_range.is_some_and(|r| r.low < line));
    let reaches_up = below.iter().filter(|&&i| results[i].composite_range.is_some_and(|r| r.high > line));
    reaches_down.chain(reaches_up).map(|&i| results[i].unit_id).collect()
}

/// Every unit's result, ordered by group (the district's first) and rank, then the units
/// graded outside any group; and each group's line.
pub fn compute(units: &[UnitInputs], rules: &Rules) -> (Vec<UnitResult>, Vec<GroupLine>) {
    let mut results: Vec<UnitResult> = units
        .iter()
        .map(|unit| {
            let (components, composite, composite_range) = composite_of(unit, rules);
            UnitResult {
                unit_id: unit.unit_id,
                group: unit.group.clone(),
                components,
                supervision_points: unit.supervision_points,
                composite,
                composite_range,
                grade: grade(composite, unit.violation, rules),
                violation: unit.violation,
                rank: None,
                bottom: false,
            }
        })
        .collect();
    let mut groups: BTreeMap<(bool, String), Vec<usize>> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        if let Some(group) = &r.group {
            groups.entry((group != DISTRICT, group.clone())).or_default().push(i);
        }
    }
    let lines: Vec<GroupLine> = groups
        .iter()
        .map(|((_, group), members)| rank_group(&mut results, group, members, rules.bottom_n_of(group)))
        .collect();
    let group_order: Vec<&str> = lines.iter().map(|l| l.group.as_str()).collect();
    results.sort_by_key(|r| {
        let group = r.group.as_deref().and_then(|g| group_order.iter().position(|o| *o == g)).unwrap_or(usize::MAX);
        (group, r.rank.is_none(), r.rank, std::cmp::Reverse(r.composite.map(|c| (c * 100.0).round() as i64)))
    });
    (results, lines)
}

/// Places in the bottom exactly the `chosen` units of a tie at `group`'s line (the approvers'
/// decision); the other tied units leave it. `chosen` must be tied units.
pub fn decide_tie(results: &mut [UnitResult], line: &GroupLine, chosen: &[Uuid]) {
    let Some(tie) = &line.tie else { return };
    for result in results.iter_mut().filter(|r| r.group.as_deref() == Some(line.group.as_str())) {
        if tie.units.contains(&result.unit_id) {
            result.bottom = chosen.contains(&result.unit_id);
        }
    }
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
            group_bottom_n: 1,
            min_samples: MinSamples { conference: 10, third_party: 10, citizen_links: 10 },
            supervision_mode: SupervisionMode::Points,
        }
    }

    fn unit(n: u128, conference: f64, third_party: f64, citizens: f64) -> UnitInputs {
        let c = |score| Some(Component { score, sample: 30, interval: None });
        UnitInputs {
            unit_id: Uuid::from_u128(n),
            group: Some(DISTRICT.to_owned()),
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

    fn bottom(results: &[UnitResult]) -> Vec<u128> {
        let mut ids: Vec<u128> = results.iter().filter(|r| r.bottom).map(|r| r.unit_id.as_u128()).collect();
        ids.sort_unstable();
        ids
    }

    fn alike(scores: &[f64]) -> Vec<UnitInputs> {
        scores.iter().enumerate().map(|(i, s)| unit(i as u128, *s, *s, *s)).collect()
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
        let (results, _) = compute(&units, &rules());
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
        let (results, _) = compute(&units, &rules());
        let star = by_id(&results, 1);
        assert_eq!(
            (star.composite, star.grade, star.violation, star.rank),
            (Some(95.0), Grade::Unqualified, true, Some(3))
        );
        assert_eq!(by_id(&results, 2).rank, Some(1));
    }

    #[test]
    fn ties_share_a_rank_and_a_tie_across_the_line_is_named_and_taken_in_whole() {
        // 90, 85, 80, 75, 70, 65, 65, 60 → ranks 1..6, 6, 8; the bottom three are positions 6–8
        // and the two 65s tie inside it: no tie across the line.
        let (results, lines) = compute(&alike(&[90.0, 85.0, 80.0, 75.0, 70.0, 65.0, 65.0, 60.0]), &rules());
        let ranks: Vec<Option<u32>> = (0..8).map(|i| by_id(&results, i).rank).collect();
        assert_eq!(ranks, [1, 2, 3, 4, 5, 6, 6, 8].map(Some));
        assert_eq!(bottom(&results), [5, 6, 7]);
        assert_eq!(lines[0].tie, None);

        // 90, 80, 75, 70, 70, 70: the line falls inside the three 70s; all three are the bottom.
        let (results, _) = compute(&alike(&[90.0, 80.0, 75.0, 70.0, 70.0, 70.0]), &rules());
        assert_eq!(bottom(&results), [3, 4, 5]);

        // 95, 90, 80, 70, 70, 60: the line falls between 80 and the first 70: no tie across it.
        let (results, lines) = compute(&alike(&[95.0, 90.0, 80.0, 70.0, 70.0, 60.0]), &rules());
        assert_eq!(bottom(&results), [3, 4, 5]);
        assert_eq!(lines[0].tie, None);

        // 90, 85, 70, 70, 60, 50: the line falls between the two 70s; both are in (four in
        // all) and the tie is named with the one place the bottom three has for them.
        let (mut results, lines) = compute(&alike(&[90.0, 85.0, 70.0, 70.0, 60.0, 50.0]), &rules());
        assert_eq!(bottom(&results), [2, 3, 4, 5], "70, 70 share the rank at the line");
        let tie = lines[0].tie.clone().unwrap_or_else(|| unreachable!());
        assert_eq!((tie.rank, tie.places), (3, 1));
        assert_eq!(tie.units, [Uuid::from_u128(2), Uuid::from_u128(3)]);
        decide_tie(&mut results, &lines[0], &[Uuid::from_u128(3)]);
        assert_eq!(bottom(&results), [3, 4, 5], "the approvers' decision");
    }

    #[test]
    fn groups_rank_apart_and_units_outside_any_group_are_graded_only() {
        let mut units = alike(&[90.0, 80.0, 70.0, 60.0]);
        let township =
            |n: u128, score: f64| UnitInputs { group: Some("township:a".to_owned()), ..unit(n, score, score, score) };
        units.extend([township(10, 50.0), township(11, 95.0)]);
        units.push(UnitInputs { group: None, ..unit(20, 40.0, 40.0, 40.0) });
        let (results, lines) = compute(&units, &rules());
        assert_eq!(bottom(&results), [1, 2, 3, 10], "the district's three, the township's one");
        assert_eq!((by_id(&results, 11).rank, by_id(&results, 10).rank), (Some(1), Some(2)));
        let outside = by_id(&results, 20);
        assert_eq!((outside.rank, outside.bottom, outside.grade), (None, false, Grade::Unqualified));
        assert_eq!(lines.iter().map(|l| l.group.as_str()).collect::<Vec<_>>(), [DISTRICT, "township:a"]);
        assert_eq!(results.last().map(|r| r.unit_id), Some(Uuid::from_u128(20)));
        assert_eq!(results[0].unit_id, Uuid::from_u128(0), "the district's first");
    }

    #[test]
    fn a_line_inside_the_samples_uncertainty_is_flagged_with_the_units_across_it() {
        let wide = |n: u128, score: f64, half: f64| {
            let c = Component { score, sample: 30, interval: Some(Interval { low: score - half, high: score + half }) };
            UnitInputs { conference: Some(c), third_party: Some(c), citizen_links: Some(c), ..unit(n, 0.0, 0.0, 0.0) }
        };
        let mut rules = rules();
        rules.bottom_n = 1;
        let (results, lines) = compute(&[wide(1, 90.0, 1.0), wide(2, 80.0, 6.0), wide(3, 75.0, 1.0)], &rules);
        assert_eq!(by_id(&results, 2).composite_range, Some(Interval { low: 74.0, high: 86.0 }));
        assert_eq!(lines[0].uncertain, [Uuid::from_u128(2)], "the line at 77.5 is within 80 ± 6");
        let (_, lines) = compute(&[wide(1, 90.0, 1.0), wide(2, 80.0, 1.0), wide(3, 75.0, 1.0)], &rules);
        assert!(lines[0].uncertain.is_empty());
    }

    #[test]
    fn components_that_do_not_count_say_why_and_the_weights_are_rescaled() {
        let mut thin = unit(1, 80.0, 60.0, 100.0);
        thin.citizen_links = Some(Component { score: 100.0, sample: 3, interval: None });
        thin.third_party = None;
        let empty = UnitInputs { conference: None, third_party: None, citizen_links: None, ..unit(2, 0.0, 0.0, 0.0) };
        let (results, _) = compute(&[thin, empty], &rules());
        let scored = by_id(&results, 1);
        // Only the conference counts: weight 0.4 scaled to 1.
        assert_eq!(scored.composite, Some(80.0));
        let part =
            |source: &str| scored.components.iter().find(|c| c.source == source).unwrap_or_else(|| unreachable!());
        assert_eq!(
            (part("citizen_links").counted, part("citizen_links").status),
            (false, ComponentStatus::BelowMinimum)
        );
        assert_eq!(
            part("citizen_links").note.as_ref().map(|n| n.zh.as_str()),
            Some("有效样本3份，少于最低10份，未计入")
        );
        assert_eq!(part("third_party").status, ComponentStatus::NoData);
        assert_eq!(part("conference").note, None);
        let empty = by_id(&results, 2);
        assert_eq!((empty.composite, empty.grade, empty.rank, empty.bottom), (None, Grade::NotScored, None, false));

        let mut unweighted = rules();
        unweighted.weights = Weights { conference: 0.5, third_party: 0.5, citizen_links: 0.0, supervision: 0.0 };
        let (results, _) = compute(&[unit(3, 80.0, 90.0, 10.0)], &unweighted);
        assert_eq!(results[0].composite, Some(85.0));
        let citizens =
            results[0].components.iter().find(|c| c.source == "citizen_links").unwrap_or_else(|| unreachable!());
        assert_eq!((citizens.status, citizens.score), (ComponentStatus::NotWeighted, Some(10.0)));
    }

    #[test]
    fn supervision_applies_as_points_or_as_a_component() {
        let mut penalised = unit(1, 80.0, 80.0, 80.0);
        penalised.supervision_points = -5.0;
        assert_eq!(compute(&[penalised.clone()], &rules()).0[0].composite, Some(75.0));
        let mut component_rules = rules();
        component_rules.supervision_mode = SupervisionMode::Component;
        component_rules.weights = Weights { conference: 0.4, third_party: 0.3, citizen_links: 0.2, supervision: 0.1 };
        penalised.supervision_score = Some(50.0);
        // 0.4 × 80 + 0.3 × 80 + 0.2 × 80 + 0.1 × 50 = 77
        assert_eq!(compute(&[penalised], &component_rules).0[0].composite, Some(77.0));
    }
}
