//! Satisfaction figures per unit, unit × dimension, channel, unit × source and period.
//!
//! Each source's running totals, plus what is pending for them (read by `snapshot`), give
//! the counts per (unit, channel, dimension, option) or per answer hour; each report then
//! rolls those up in Rust, and the arithmetic lives in `domain::satisfaction`. A report
//! computed while nothing was pending is kept until the campaign's totals change.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::questionnaire::OVERALL;
use crate::domain::satisfaction::{Interval, LevelShare, OptionCount, figures, rounded};
pub use crate::totals::snapshot::Grouping;

use crate::domain::vocabulary::Source;
use crate::error::ApiResult;
use crate::totals::cache::VersionedCache;
use crate::totals::snapshot::KeptTotals;
use crate::totals::snapshot::{self, TotalsRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    #[default]
    Day,
    Month,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SatisfactionFilter {
    /// Only this unit. The `unit` role sees its own unit only (a township's, also its
    /// stations'), and its own when it names none.
    pub unit_id: Option<Uuid>,
    /// Only this source (`citizen_link` or `pollster`); both when left out.
    pub source: Option<Source>,
    /// Period reports: `day` (default) or `month`, by the answer's UTC date.
    pub granularity: Option<Granularity>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "unit_name": "区交通运输局", "unit_code": "jtysj", "dimension": "overall", "channel": null, "source": null, "period": null,
    "responses": 10, "valid_answers": 9, "satisfaction_rate": 0.8222, "interval": {"low": 0.51, "high": 0.95},
    "levels": [{"option": "satisfied", "count": 6, "share": 0.6}], "suppressed": false
}))]
pub struct Cell {
    pub unit_id: Option<Uuid>,
    /// The unit's name and code, beside its id, when the cell is a unit's.
    pub unit_name: Option<String>,
    pub unit_code: Option<String>,
    pub dimension: Option<String>,
    /// A link channel (`web`, `sms`…) or a pollster's (`telephone`…).
    pub channel: Option<String>,
    pub source: Option<Source>,
    /// Period reports: `2017-08-14` or `2017-08`.
    pub period: Option<String>,
    /// Answers in the cell (one per response that answered the question), "don't know" included.
    pub responses: i64,
    /// Answers that count in the rate ("don't know" excluded).
    pub valid_answers: i64,
    /// Sum of the chosen options' weights over the valid answers, in [0, 1], rounded to four
    /// decimals (as are the interval and the shares).
    pub satisfaction_rate: Option<f64>,
    /// 95% Wilson score interval of the rate.
    pub interval: Option<Interval>,
    /// Count and share of each option.
    pub levels: Option<Vec<LevelShare>>,
    /// True when the cell has fewer responses than the minimum and its rates are withheld.
    pub suppressed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SatisfactionReport {
    pub campaign_id: Uuid,
    pub grouping: Grouping,
    /// The source read, or `null` for both.
    pub source: Option<Source>,
    /// Cells with fewer responses are shown without rates to every role but admin.
    pub min_cell_size: i64,
    pub cells: Vec<Cell>,
}

type CellKey = (Option<Uuid>, Option<String>, Option<String>, Option<Source>, Option<String>);

fn period_of(at: &DateTime<FixedOffset>, granularity: Granularity) -> String {
    let utc = at.with_timezone(&chrono::Utc);
    match granularity {
        Granularity::Day => utc.format("%Y-%m-%d").to_string(),
        Granularity::Month => utc.format("%Y-%m").to_string(),
    }
}

fn key_of(row: &TotalsRow, source: Source, grouping: Grouping, granularity: Granularity) -> Option<CellKey> {
    let overall = row.dimension.as_deref() == Some(OVERALL);
    let dim = || Some(OVERALL.to_owned());
    match grouping {
        Grouping::Unit => overall.then(|| (row.unit_id, dim(), None, None, None)),
        Grouping::UnitDimension => row.dimension.as_ref().map(|d| (row.unit_id, Some(d.clone()), None, None, None)),
        Grouping::Channel => overall.then(|| (None, dim(), row.channel.clone(), None, None)),
        Grouping::UnitSource => overall.then(|| (row.unit_id, dim(), None, Some(source), None)),
        Grouping::Period => {
            row.answered_at.as_ref().map(|at| (None, dim(), None, None, Some(period_of(at, granularity))))
        }
    }
}

/// Rolls rows up into cells, merging the counts of one option across the rolled-up rows
/// (totals and pending changes alike).
fn roll_up<'a>(
    rows: impl IntoIterator<Item = (Source, &'a TotalsRow)>,
    grouping: Grouping,
    granularity: Granularity,
    min_cell_size: i64,
    show_small_cells: bool,
) -> Vec<Cell> {
    let mut groups: BTreeMap<CellKey, BTreeMap<String, OptionCount>> = BTreeMap::new();
    for (source, row) in rows {
        let Some(key) = key_of(row, source, grouping, granularity) else { continue };
        let entry = groups.entry(key).or_default().entry(row.option_key.clone()).or_insert_with(|| OptionCount {
            option_key: row.option_key.clone(),
            answers: 0,
            valid: 0,
            weight_sum: 0.0,
        });
        entry.answers += row.answers;
        entry.valid += row.valid;
        entry.weight_sum += row.weight_sum;
    }
    groups
        .into_iter()
        .filter_map(|(key, options)| {
            // Exclusions can bring an option back to zero; it is then in no report.
            let counts: Vec<OptionCount> = options.into_values().filter(|c| c.answers > 0).collect();
            (!counts.is_empty()).then_some((key, counts))
        })
        .map(|((unit_id, dimension, channel, source, period), counts)| {
            let f = figures(&counts);
            let suppressed = f.answers < min_cell_size && !show_small_cells;
            let interval = f.interval.map(|i| Interval { low: rounded(i.low), high: rounded(i.high) });
            let levels = f.levels.into_iter().map(|l| LevelShare { share: rounded(l.share), ..l }).collect();
            Cell {
                unit_id,
                unit_name: None,
                unit_code: None,
                dimension,
                channel,
                source,
                period,
                responses: f.answers,
                valid_answers: f.valid_answers,
                satisfaction_rate: if suppressed { None } else { f.rate.map(rounded) },
                interval: if suppressed { None } else { interval },
                levels: (!suppressed).then_some(levels),
                suppressed,
            }
        })
        .collect()
}

/// What a report reads: the campaign, the sources, the unit, the grouping; and who reads it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportRequest {
    pub campaign_id: Uuid,
    pub grouping: Grouping,
    pub unit: Option<Uuid>,
    pub source: Option<Source>,
    pub granularity: Granularity,
    pub min_cell_size: i64,
    /// Admins see small cells' rates.
    pub show_small_cells: bool,
}

impl ReportRequest {
    fn sources(&self) -> Vec<Source> {
        match self.source {
            Some(source) => vec![source],
            None => Source::ALL.to_vec(),
        }
    }
}

/// At most this many cells kept over every report (about half a kilobyte each): the unit ×
/// dimension report of a 500-unit campaign holds 3,500.
const REPORT_CELL_BUDGET: usize = 20_000;

/// What an app keeps of the totals it read and the reports it computed, each while its
/// campaign's totals version holds (see `cache`).
pub struct Reports {
    totals: KeptTotals,
    reports: VersionedCache<ReportRequest, SatisfactionReport>,
}

impl Default for Reports {
    fn default() -> Self {
        Self {
            totals: KeptTotals::default(),
            reports: VersionedCache::new(REPORT_CELL_BUDGET, |report| report.cells.len()),
        }
    }
}

impl Reports {
    /// The report: kept when the campaign's totals have not changed since it was computed and
    /// no responses are pending; computed otherwise, from kept totals where they are current
    /// (see `snapshot`). Not to be called inside a transaction that has changed the totals:
    /// what it computes would be kept for a version that a rollback would hand to another
    /// change.
    pub async fn report(
        &self,
        db: &impl ConnectionTrait,
        request: ReportRequest,
    ) -> ApiResult<Arc<SatisfactionReport>> {
        let reads_pending = request.sources().contains(&Source::CitizenLink);
        let state = snapshot::campaign_state(db, request.campaign_id, reads_pending).await?;
        if state.pending.is_empty()
            && let Some(kept) = self.reports.get(&request, state.version)
        {
            return Ok(kept);
        }
        let (report, current_at) = compute(db, &self.totals, &request, &state).await?;
        let report = Arc::new(report);
        if let Some(version) = current_at {
            self.reports.put(request, version, report.clone());
        }
        Ok(report)
    }
}

/// The report as of `state`, or of a later read of the totals; with the `totals_version` it
/// holds for, unless responses were pending or the sources were read at different versions
/// (it is then right, but for no single version).
async fn compute(
    db: &impl ConnectionTrait,
    kept: &KeptTotals,
    request: &ReportRequest,
    state: &snapshot::CampaignState,
) -> ApiResult<(SatisfactionReport, Option<i64>)> {
    let mut read = Vec::new();
    for source in request.sources() {
        read.push((
            source,
            snapshot::source_totals(db, kept, source, (request.campaign_id, request.grouping, request.unit), state)
                .await?,
        ));
    }
    let pending: Vec<Uuid> = read.iter().flat_map(|(_, totals)| totals.pending.iter().copied()).collect();
    let shape = snapshot::Shape::of(request.grouping);
    let pending_rows = snapshot::pending_rows(db, &pending, request.unit, &shape).await?;
    let rows = read.iter().flat_map(|(source, totals)| totals.totals.iter().map(move |row| (*source, row)));
    let rows = rows.chain(pending_rows.iter().map(|row| (Source::CitizenLink, row)));
    let mut cells =
        roll_up(rows, request.grouping, request.granularity, request.min_cell_size, request.show_small_cells);
    name_units(db, &mut cells).await?;
    let report = SatisfactionReport {
        campaign_id: request.campaign_id,
        grouping: request.grouping,
        source: request.source,
        min_cell_size: request.min_cell_size,
        cells,
    };
    let versions: BTreeSet<i64> = read.iter().map(|(_, totals)| totals.version).collect();
    let version = (versions.len() == 1 && pending.is_empty()).then(|| versions.first().copied()).flatten();
    Ok((report, version))
}

impl Reports {
    /// The unit × dimension figures of `units` counted together as one unit, `into` (a
    /// township's roll-up of its stations and windows): every option's counts summed over the
    /// units before the rates and intervals are computed, as for a single unit.
    pub async fn rolled_up(
        &self,
        db: &impl ConnectionTrait,
        request: ReportRequest,
        units: &[Uuid],
        into: Uuid,
    ) -> ApiResult<Vec<Cell>> {
        let request = ReportRequest { grouping: Grouping::UnitDimension, unit: None, ..request };
        let reads_pending = request.sources().contains(&Source::CitizenLink);
        let state = snapshot::campaign_state(db, request.campaign_id, reads_pending).await?;
        let mut rows: Vec<(Source, TotalsRow)> = Vec::new();
        let mut pending = Vec::new();
        let moved = |row: &TotalsRow| TotalsRow {
            unit_id: Some(into),
            channel: None,
            dimension: row.dimension.clone(),
            answered_at: None,
            option_key: row.option_key.clone(),
            answers: row.answers,
            valid: row.valid,
            weight_sum: row.weight_sum,
        };
        let ours = |row: &TotalsRow| row.unit_id.is_some_and(|unit| units.contains(&unit));
        for source in request.sources() {
            let read = snapshot::source_totals(
                db,
                &self.totals,
                source,
                (request.campaign_id, request.grouping, None),
                &state,
            )
            .await?;
            pending.extend(read.pending.iter().copied());
            rows.extend(read.totals.iter().filter(|row| ours(row)).map(|row| (source, moved(row))));
        }
        let shape = snapshot::Shape::of(request.grouping);
        for row in snapshot::pending_rows(db, &pending, None, &shape).await? {
            if ours(&row) {
                rows.push((Source::CitizenLink, moved(&row)));
            }
        }
        let mut cells = roll_up(
            rows.iter().map(|(source, row)| (*source, row)),
            request.grouping,
            request.granularity,
            request.min_cell_size,
            request.show_small_cells,
        );
        name_units(db, &mut cells).await?;
        Ok(cells)
    }
}

/// Puts each unit's name and code beside its id.
async fn name_units(db: &impl ConnectionTrait, cells: &mut [Cell]) -> ApiResult<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let ids: BTreeSet<Uuid> = cells.iter().filter_map(|cell| cell.unit_id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let units: BTreeMap<Uuid, entity::unit::Model> = entity::unit::Entity::find()
        .filter(entity::unit::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|unit| (unit.id, unit))
        .collect();
    for cell in cells {
        if let Some(unit) = cell.unit_id.and_then(|id| units.get(&id)) {
            (cell.unit_name, cell.unit_code) = (Some(unit.name.clone()), Some(unit.code.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::totals::reports::*;

    fn refs(rows: &[(Source, TotalsRow)]) -> impl Iterator<Item = (Source, &TotalsRow)> {
        rows.iter().map(|(source, row)| (*source, row))
    }

    fn row(
        unit: Uuid,
        channel: &str,
        dimension: &str,
        option: &str,
        answers: i64,
        weight: Option<f64>,
    ) -> (Source, TotalsRow) {
        (
            Source::CitizenLink,
            TotalsRow {
                unit_id: Some(unit),
                channel: Some(channel.to_owned()),
                answered_at: None,
                dimension: Some(dimension.to_owned()),
                option_key: option.to_owned(),
                answers,
                valid: if weight.is_some() { answers } else { 0 },
                weight_sum: weight.map_or(0.0, |w| w * answers as f64),
            },
        )
    }

    #[test]
    fn channels_merge_into_the_unit_and_small_cells_are_withheld() {
        let unit = Uuid::new_v4();
        let rows = || {
            vec![
                row(unit, "web", OVERALL, "satisfied", 2, Some(0.8)),
                row(unit, "sms", OVERALL, "satisfied", 1, Some(0.8)),
                row(unit, "sms", "integrity", "dont_know", 1, None),
            ]
        };
        let rows = rows();
        let cells = roll_up(refs(&rows), Grouping::Unit, Granularity::Day, 3, false);
        assert_eq!(cells.len(), 1);
        assert_eq!((cells[0].responses, cells[0].suppressed), (3, false));
        assert!((cells[0].satisfaction_rate.unwrap_or_default() - 0.8).abs() < 1e-12);
        let by_channel = roll_up(refs(&rows), Grouping::Channel, Granularity::Day, 3, false);
        assert!(by_channel.iter().all(|c| c.suppressed && c.satisfaction_rate.is_none() && c.levels.is_none()));
        let by_channel_admin = roll_up(refs(&rows), Grouping::Channel, Granularity::Day, 3, true);
        assert!(by_channel_admin.iter().all(|c| !c.suppressed && c.satisfaction_rate.is_some()));
    }

    #[test]
    fn pending_responses_add_to_the_totals_and_an_option_back_at_zero_is_left_out() {
        use crate::totals::delta::{AnswerPlace, Counters, TotalsDelta};
        let (unit, other) = (Uuid::new_v4(), Uuid::new_v4());
        let mut pending = TotalsDelta::default();
        let place = |unit_id, option_key| AnswerPlace {
            campaign_id: Uuid::nil(),
            unit_id,
            channel: "web",
            dimension: Some(OVERALL),
            option_key: Some(option_key),
            answered_at: None,
        };
        pending.count(place(unit, "satisfied"), Counters::of_answer(Some(0.8)));
        pending.count(place(unit, "satisfied"), Counters::of_answer(Some(0.8)));
        pending.count(place(other, "satisfied"), Counters::of_answer(Some(0.8)));
        pending.count(place(unit, "dissatisfied"), Counters::of_answer(Some(0.0)));
        let mut rows = vec![row(unit, "sms", OVERALL, "satisfied", 1, Some(0.8))];
        // An exclusion already took out of the totals a response that is still pending.
        rows.push(row(unit, "web", OVERALL, "dissatisfied", -1, Some(0.0)));
        rows.extend(snapshot::rows_of(&pending, Some(unit), false).into_iter().map(|r| (Source::CitizenLink, r)));
        let cells = roll_up(refs(&rows), Grouping::Unit, Granularity::Day, 1, false);
        assert_eq!(cells.len(), 1, "only the unit asked for");
        assert_eq!((cells[0].responses, cells[0].valid_answers), (3, 3));
        let levels = cells[0].levels.as_deref().unwrap_or_default();
        assert_eq!(levels.iter().map(|l| l.option.as_str()).collect::<Vec<_>>(), vec!["satisfied"]);
    }
}
