//! Running totals of the answers.
//!
//! Pollster batches, exclusions and restorations build a `TotalsDelta` and apply it in the
//! transaction that writes the answers. Citizens' responses are counted in shortly after
//! their commit instead, by a fold (see `totals::pending`). Reports read the totals plus the
//! responses not folded in yet, never all the answers: their cost depends on the number of
//! units, channels and options, not on the number of responses.
//!
//! How the totals are stored, and how concurrent writers take turns, is `packed`'s
//! concern. Each application also raises the campaign's `totals_version`, which tells
//! replicas when a cached report is stale.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use uuid::Uuid;

use crate::domain::questionnaire::{CheckedAnswer, OVERALL};

/// The counts one or more answers add to a cell.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Counters {
    pub answers: i64,
    /// Answers with a weight ("don't know" has none).
    pub valid: i64,
    pub weight_sum: f64,
}

impl Counters {
    pub fn of_answer(weight: Option<f64>) -> Self {
        Self { answers: 1, valid: i64::from(weight.is_some()), weight_sum: weight.unwrap_or(0.0) }
    }

    pub fn add(&mut self, other: Self) {
        self.answers += other.answers;
        self.valid += other.valid;
        self.weight_sum += other.weight_sum;
    }

    fn negated(self) -> Self {
        Self { answers: -self.answers, valid: -self.valid, weight_sum: -self.weight_sum }
    }
}

/// Where an answer (or a group of answers) belongs.
pub struct AnswerPlace<'a> {
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub channel: &'a str,
    pub dimension: Option<&'a str>,
    pub option_key: Option<&'a str>,
    pub answered_at: Option<DateTime<FixedOffset>>,
}

/// (campaign, unit, channel, dimension, option)
pub type CellKey = (Uuid, Uuid, String, String, String);
/// (campaign, unit, answer hour, option) of the overall question
pub type HourKey = (Uuid, Uuid, DateTime<FixedOffset>, String);

/// Changes to the totals, merged per row before they reach the database.
#[derive(Clone, Debug, Default)]
pub struct TotalsDelta {
    cells: BTreeMap<CellKey, Counters>,
    hours: BTreeMap<HourKey, Counters>,
}

impl TotalsDelta {
    /// Adds `counters` at `place`. Text answers and answers without a dimension count nowhere.
    pub fn count(&mut self, place: AnswerPlace, counters: Counters) {
        let (Some(dimension), Some(option)) = (place.dimension, place.option_key) else { return };
        let key = (place.campaign_id, place.unit_id, place.channel.to_owned(), dimension.to_owned(), option.to_owned());
        self.cells.entry(key).or_default().add(counters);
        if let (OVERALL, Some(at)) = (dimension, place.answered_at) {
            self.hours.entry((place.campaign_id, place.unit_id, at, option.to_owned())).or_default().add(counters);
        }
    }

    /// The same changes, taken away instead of added (for exclusions).
    pub fn negated(self) -> Self {
        Self {
            cells: self.cells.into_iter().map(|(key, counters)| (key, counters.negated())).collect(),
            hours: self.hours.into_iter().map(|(key, counters)| (key, counters.negated())).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Adds `other`'s changes to these. A key (three strings) is copied only where these
    /// have none: a fold merges a few dozen batches that touch mostly the same totals.
    pub fn merge(&mut self, other: &TotalsDelta) {
        add_each(&mut self.cells, &other.cells);
        add_each(&mut self.hours, &other.hours);
    }

    pub fn cells(&self) -> impl Iterator<Item = (&CellKey, &Counters)> {
        self.cells.iter()
    }

    pub fn hours(&self) -> impl Iterator<Item = (&HourKey, &Counters)> {
        self.hours.iter()
    }

    /// Adds what one response's answers add to the running totals.
    pub fn count_response(&mut self, response: &entity::response::Model, answers: &[CheckedAnswer]) {
        for a in answers {
            let place = AnswerPlace {
                campaign_id: response.campaign_id,
                unit_id: response.unit_id,
                channel: response.channel.as_str(),
                dimension: a.dimension.as_deref(),
                option_key: a.option_key.as_deref(),
                answered_at: Some(response.submitted_hour),
            };
            self.count(place, Counters::of_answer(a.weight));
        }
    }

    /// The changes per cell and per hour.
    pub fn into_parts(self) -> (BTreeMap<CellKey, Counters>, BTreeMap<HourKey, Counters>) {
        (self.cells, self.hours)
    }

    pub fn campaigns(&self) -> BTreeSet<Uuid> {
        let cells = self.cells.keys().map(|(campaign, ..)| *campaign);
        cells.chain(self.hours.keys().map(|(campaign, ..)| *campaign)).collect()
    }
}

fn add_each<K: Ord + Clone>(into: &mut BTreeMap<K, Counters>, from: &BTreeMap<K, Counters>) {
    for (key, counters) in from {
        match into.get_mut(key) {
            Some(total) => total.add(*counters),
            None => {
                into.insert(key.clone(), *counters);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::totals::delta::*;

    fn place(dimension: Option<&'static str>, option: Option<&'static str>) -> AnswerPlace<'static> {
        AnswerPlace {
            campaign_id: Uuid::nil(),
            unit_id: Uuid::nil(),
            channel: "web",
            dimension,
            option_key: option,
            answered_at: DateTime::parse_from_rfc3339("2017-07-03T10:00:00Z").ok(),
        }
    }

    #[test]
    fn answers_merge_per_cell_and_only_the_overall_question_counts_per_hour() {
        let mut delta = TotalsDelta::default();
        delta.count(place(Some(OVERALL), Some("satisfied")), Counters::of_answer(Some(0.8)));
        delta.count(place(Some(OVERALL), Some("satisfied")), Counters::of_answer(Some(0.8)));
        delta.count(place(Some("integrity"), Some("dont_know")), Counters::of_answer(None));
        delta.count(place(None, Some("satisfied")), Counters::of_answer(Some(1.0)));
        delta.count(place(Some("suggestions"), None), Counters::of_answer(None));
        assert_eq!(delta.cells.len(), 2);
        assert_eq!(delta.hours.len(), 1);
        let overall = delta.hours.values().next().copied().unwrap_or_default();
        assert_eq!((overall.answers, overall.valid), (2, 2));
        assert!((overall.weight_sum - 1.6).abs() < 1e-12);
        let negated = delta.negated();
        assert!(negated.cells.values().all(|c| c.answers < 0 && c.valid <= 0 && c.weight_sum <= 0.0));
    }

    #[test]
    fn a_merge_adds_the_shared_totals_and_keeps_the_others() {
        let mut merged = TotalsDelta::default();
        merged.count(place(Some(OVERALL), Some("satisfied")), Counters::of_answer(Some(0.8)));
        let mut batch = TotalsDelta::default();
        batch.count(place(Some(OVERALL), Some("satisfied")), Counters::of_answer(Some(0.8)));
        batch.count(place(Some("integrity"), Some("dont_know")), Counters::of_answer(None));
        merged.merge(&batch);
        merged.merge(&batch);
        assert_eq!(merged.cells.len(), 2);
        let overall = merged.cells.iter().find(|(key, _)| key.3 == OVERALL).map(|(_, c)| *c).unwrap_or_default();
        assert_eq!((overall.answers, overall.valid), (3, 3));
        assert!((overall.weight_sum - 2.4).abs() < 1e-12);
        let dont_know = merged.cells.iter().find(|(key, _)| key.3 == "integrity").map(|(_, c)| *c).unwrap_or_default();
        assert_eq!((dont_know.answers, dont_know.valid), (2, 0));
        assert_eq!(merged.hours.values().map(|c| c.answers).sum::<i64>(), 3);
    }
}
