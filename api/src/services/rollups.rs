//! Running totals of the answers.
//!
//! Pollster batches, exclusions and restorations build a `RollupDelta` and apply it in the
//! transaction that writes the answers. Citizens' responses are counted in shortly after
//! their commit instead, by a fold (see `pending_rollups`). Reports read the totals plus the
//! responses not folded in yet, never all the answers: their cost depends on the number of
//! units, channels and options, not on the number of responses.
//!
//! How the totals are stored, and how concurrent writers take turns, is `totals_store`'s
//! concern. Each application also raises the campaign's `totals_version`, which tells
//! replicas when a cached report is stale.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use super::totals_store::{self, CellRow, Entries, HourRow, PackedRow};

use crate::domain::questionnaire::OVERALL;
use crate::domain::vocabulary::Source;

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
pub struct RollupDelta {
    cells: BTreeMap<CellKey, Counters>,
    hours: BTreeMap<HourKey, Counters>,
}

impl RollupDelta {
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
    pub fn merge(&mut self, other: &RollupDelta) {
        add_each(&mut self.cells, &other.cells);
        add_each(&mut self.hours, &other.hours);
    }

    pub fn cells(&self) -> impl Iterator<Item = (&CellKey, &Counters)> {
        self.cells.iter()
    }

    pub fn hours(&self) -> impl Iterator<Item = (&HourKey, &Counters)> {
        self.hours.iter()
    }

    /// Applies the changes to `source`'s totals. Call inside the transaction that writes the
    /// answers.
    pub async fn apply(self, db: &impl ConnectionTrait, source: Source) -> Result<(), DbErr> {
        totals_store::lock(db, &self.campaigns()).await?;
        let mut summed = SummedTotals::default();
        summed.add(db, source, self).await?;
        summed.write(db, source).await
    }

    pub fn campaigns(&self) -> BTreeSet<Uuid> {
        let cells = self.cells.keys().map(|(campaign, ..)| *campaign);
        cells.chain(self.hours.keys().map(|(campaign, ..)| *campaign)).collect()
    }
}

/// Stored totals with changes added, not written yet: whole packed rows, by campaign.
///
/// The fold of citizens' responses sums them before it takes the write turn, since on
/// SQLite every citizen waits while it holds it (at 300 units, reading and adding up the
/// rows was most of the hold); it writes them only if `is_current` still, and otherwise sums
/// again inside its transaction.
#[derive(Default)]
pub struct SummedTotals {
    cells: ByCampaign<CellRow>,
    hours: ByCampaign<HourRow>,
    /// Each campaign's `totals_version`, read before its totals were.
    versions: BTreeMap<Uuid, i64>,
}

impl SummedTotals {
    /// The stored totals `delta` touches, with it added, read with no lock.
    pub async fn read(db: &impl ConnectionTrait, source: Source, delta: RollupDelta) -> Result<Self, DbErr> {
        // Before the totals: a change committed between the two reads then shows as a new version.
        let versions = read_versions(db, &delta.campaigns()).await?;
        let mut summed = Self { versions, ..Self::default() };
        summed.add(db, source, delta).await?;
        Ok(summed)
    }

    /// Whether no writer changed these totals since `read`: every change raises the
    /// campaign's version in its own transaction. Call holding `totals_store::lock` for them.
    pub async fn is_current(&self, db: &impl ConnectionTrait) -> Result<bool, DbErr> {
        let campaigns = self.versions.keys().copied().collect();
        Ok(read_versions(db, &campaigns).await? == self.versions)
    }

    /// Adds `delta`: to the rows summed already, and to the stored ones, read, for the others.
    pub async fn add(&mut self, db: &impl ConnectionTrait, source: Source, delta: RollupDelta) -> Result<(), DbErr> {
        for (campaign_id, rows) in cell_rows(delta.cells) {
            let summed = self.cells.entry(campaign_id).or_default();
            totals_store::add_to(db, campaign_id, source, summed, rows).await?;
        }
        for (campaign_id, rows) in hour_rows(delta.hours) {
            let summed = self.hours.entry(campaign_id).or_default();
            totals_store::add_to(db, campaign_id, source, summed, rows).await?;
        }
        Ok(())
    }

    pub fn campaigns(&self) -> BTreeSet<Uuid> {
        self.cells.keys().chain(self.hours.keys()).copied().collect()
    }

    /// Writes the rows over the stored ones and raises the campaigns' versions. Call holding
    /// `totals_store::lock` for `campaigns`.
    pub async fn write(self, db: &impl ConnectionTrait, source: Source) -> Result<(), DbErr> {
        let campaigns = self.campaigns();
        for (campaign_id, rows) in self.cells {
            totals_store::write_all(db, campaign_id, source, rows).await?;
        }
        for (campaign_id, rows) in self.hours {
            totals_store::write_all(db, campaign_id, source, rows).await?;
        }
        raise_versions(db, campaigns).await
    }
}

/// A campaign's `totals_version`, read as the same integer type on both databases.
pub fn version_column() -> Expr {
    Expr::cust("CAST(totals_version AS BIGINT)")
}

/// The `totals_version` of each of `campaigns` that exists.
async fn read_versions(db: &impl ConnectionTrait, campaigns: &BTreeSet<Uuid>) -> Result<BTreeMap<Uuid, i64>, DbErr> {
    if campaigns.is_empty() {
        return Ok(BTreeMap::new());
    }
    let query = Query::select()
        .column(Alias::new("id"))
        .expr_as(version_column(), Alias::new("version"))
        .from(Alias::new("campaigns"))
        .and_where(Expr::col(Alias::new("id")).is_in(campaigns.iter().copied()))
        .to_owned();
    let mut versions = BTreeMap::new();
    for row in db.query_all(&query).await? {
        versions.insert(row.try_get("", "id")?, row.try_get("", "version")?);
    }
    Ok(versions)
}

/// Changes by campaign and the packed row of kind `R` they belong to.
type ByCampaign<R> = BTreeMap<Uuid, BTreeMap<R, Entries<<R as PackedRow>::Entry>>>;

/// The cell changes, by campaign and the packed row they belong to.
fn cell_rows(cells: BTreeMap<CellKey, Counters>) -> ByCampaign<CellRow> {
    let mut rows = ByCampaign::<CellRow>::new();
    for ((campaign_id, unit_id, channel, dimension, option), counters) in cells {
        let row = CellRow { unit_id, channel };
        rows.entry(campaign_id).or_default().entry(row).or_default().insert((dimension, option), counters);
    }
    rows
}

/// The hourly changes, by campaign and the packed row they belong to.
fn hour_rows(hours: BTreeMap<HourKey, Counters>) -> ByCampaign<HourRow> {
    let mut rows = ByCampaign::<HourRow>::new();
    for ((campaign_id, unit_id, answered_at, option), counters) in hours {
        let row = HourRow { unit_id, answered_at };
        rows.entry(campaign_id).or_default().entry(row).or_default().insert(option, counters);
    }
    rows
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

/// Raises the campaigns' `totals_version`, in the transaction that changes their totals, so
/// that no replica serves a report cached before the change (see `report_cache`). Last, after
/// the totals' lock, so that every writer locks totals before campaigns.
async fn raise_versions(db: &impl ConnectionTrait, campaigns: BTreeSet<Uuid>) -> Result<(), DbErr> {
    if campaigns.is_empty() {
        return Ok(());
    }
    let version = Expr::col(Alias::new("totals_version"));
    let update = Query::update()
        .table(Alias::new("campaigns"))
        .value(Alias::new("totals_version"), version.add(1))
        .and_where(Expr::col(Alias::new("id")).is_in(campaigns))
        .to_owned();
    db.execute(&update).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut delta = RollupDelta::default();
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
        let mut merged = RollupDelta::default();
        merged.count(place(Some(OVERALL), Some("satisfied")), Counters::of_answer(Some(0.8)));
        let mut batch = RollupDelta::default();
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
