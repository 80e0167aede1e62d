//! Satisfaction figures per unit, unit × dimension, channel, unit × source and period.
//!
//! One query per source over its running totals (`rollups`, plus what is pending for them)
//! returns the counts per (unit, channel, dimension, option); each report then rolls those up
//! in Rust, and the arithmetic lives in `domain::satisfaction`. Period reports read the
//! overall question's hourly totals.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, SimpleExpr, UnionType};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::pending_rollups;
use super::rollups::{Counters, RollupDelta};
use crate::domain::questionnaire::OVERALL;
use crate::domain::satisfaction::{Interval, LevelShare, OptionCount, figures};
use crate::domain::vocabulary::Source;
use crate::error::ApiResult;

/// How a report groups the answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// Per unit, from the overall question.
    Unit,
    /// Per unit and dimension, from every rating question that has a dimension.
    UnitDimension,
    /// Per channel, from the overall question.
    Channel,
    /// Per unit and source, from the overall question.
    UnitSource,
    /// Per day or month of answering, from the overall question.
    Period,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    #[default]
    Day,
    Month,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SatisfactionFilter {
    /// Only this unit. The `unit` role always sees its own unit only.
    pub unit_id: Option<Uuid>,
    /// Only this source (`citizen_link` or `pollster`); both when left out.
    pub source: Option<Source>,
    /// Period reports: `day` (default) or `month`, by the answer's UTC date.
    pub granularity: Option<Granularity>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "dimension": "overall", "channel": null, "source": null, "period": null,
    "responses": 10, "valid_answers": 9, "satisfaction_rate": 0.8222, "interval": {"low": 0.51, "high": 0.95},
    "levels": [{"option": "satisfied", "count": 6, "share": 0.6}], "suppressed": false
}))]
pub struct Cell {
    pub unit_id: Option<Uuid>,
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
    /// Sum of the chosen options' weights over the valid answers, in [0, 1].
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

/// Counts of one option in one (unit, channel, dimension) or one answer hour; or, with
/// `pending` set, a record of responses not yet counted into the totals (see `pending_rollups`).
#[derive(Debug, Default)]
struct CubeRow {
    unit_id: Option<Uuid>,
    channel: Option<String>,
    dimension: Option<String>,
    answered_at: Option<DateTime<FixedOffset>>,
    option_key: String,
    answers: i64,
    valid: i64,
    weight_sum: Option<f64>,
    pending: Option<String>,
}

/// The columns a cube row may be grouped by, in the order the queries select them; then come
/// `option_key`, the three sums and `pending`.
const KEY_COLUMNS: [&str; 4] = ["unit_id", "channel", "dimension", "answered_at"];

impl CubeRow {
    /// Decodes a row of `totals_query` ∪ `pending_query` by position, reading only the columns
    /// `shape` groups by (the others are NULL in every row). Decoding by name, and NULLs, cost
    /// more than the query itself for the larger reports.
    fn decode(row: &QueryResult, shape: &Shape) -> Result<Self, DbErr> {
        let option_key: String = row.try_get_by_index(4)?;
        // Only pending rows have an empty option key.
        if option_key.is_empty() {
            return Ok(Self { pending: row.try_get_by_index(8)?, ..Self::default() });
        }
        let grouped = |column: usize| shape.grouped.contains(&KEY_COLUMNS[column]);
        Ok(Self {
            unit_id: if grouped(0) { Some(row.try_get_by_index(0)?) } else { None },
            channel: if grouped(1) { Some(row.try_get_by_index(1)?) } else { None },
            dimension: if grouped(2) { Some(row.try_get_by_index(2)?) } else { None },
            answered_at: if grouped(3) { Some(row.try_get_by_index(3)?) } else { None },
            option_key,
            answers: row.try_get_by_index(5)?,
            valid: row.try_get_by_index(6)?,
            weight_sum: Some(row.try_get_by_index(7)?),
            pending: None,
        })
    }
}

/// Reads a source's running totals (see `rollups`) and, for citizens' links, counts the
/// responses not folded into them yet. Totals and pending records are read in one statement,
/// so that a fold in between can neither hide nor double a response.
async fn cube(
    db: &impl ConnectionTrait,
    source: Source,
    campaign_id: Uuid,
    unit: Option<Uuid>,
    grouping: Grouping,
) -> ApiResult<Vec<CubeRow>> {
    let shape = Shape::of(grouping);
    let mut query = totals_query(&shape, source, campaign_id, unit);
    if source == Source::CitizenLink {
        query.union(UnionType::All, pending_query(campaign_id));
    }
    let statement = db.get_database_backend().build(&query);
    let mut rows = Vec::new();
    let mut pending = Vec::new();
    for row in db.query_all_raw(statement).await? {
        let row = CubeRow::decode(&row, &shape)?;
        match &row.pending {
            Some(ids) => pending.extend(pending_rollups::decode(ids)?),
            None => rows.push(row),
        }
    }
    if !pending.is_empty() {
        rows.extend(rows_of(&pending_rollups::count(db, &pending).await?.totals, unit, shape.by_hour));
    }
    Ok(rows)
}

/// What a grouping reads from the totals: the table, the columns it keeps apart (the others
/// are summed over in SQL, so that only the rows the report needs are decoded) and whether it
/// needs the overall question only.
struct Shape {
    by_hour: bool,
    grouped: &'static [&'static str],
    overall_only: bool,
}

impl Shape {
    fn of(grouping: Grouping) -> Self {
        let totals = |grouped, overall_only| Self { by_hour: false, grouped, overall_only };
        match grouping {
            Grouping::Unit | Grouping::UnitSource => totals(&["unit_id", "dimension", "option_key"], true),
            Grouping::UnitDimension => totals(&["unit_id", "dimension", "option_key"], false),
            Grouping::Channel => totals(&["channel", "dimension", "option_key"], true),
            // The hourly totals hold the overall question only.
            Grouping::Period => Self { by_hour: true, grouped: &["answered_at", "option_key"], overall_only: false },
        }
    }
}

fn col(name: &'static str) -> Expr {
    Expr::col(Alias::new(name))
}

/// The totals, summed per option and the grouped columns; the columns not grouped by are NULL
/// so that every shape decodes into `CubeRow`.
fn totals_query(shape: &Shape, source: Source, campaign_id: Uuid, unit: Option<Uuid>) -> SelectStatement {
    let mut query = Query::select();
    query.from(Alias::new(if shape.by_hour { "satisfaction_hourly_rollups" } else { "satisfaction_rollups" }));
    for name in KEY_COLUMNS {
        if shape.grouped.contains(&name) {
            query.expr_as(col(name), Alias::new(name));
        } else {
            query.expr_as(Expr::cust("NULL"), Alias::new(name));
        }
    }
    query
        .expr_as(col("option_key"), Alias::new("option_key"))
        .expr_as(Expr::cust("CAST(SUM(answers) AS BIGINT)"), Alias::new("answers"))
        .expr_as(Expr::cust("CAST(SUM(valid) AS BIGINT)"), Alias::new("valid"))
        // Cast so that both databases return a double (PostgreSQL's SUM could differ in type).
        .expr_as(Expr::cust("CAST(SUM(weight_sum) AS DOUBLE PRECISION)"), Alias::new("weight_sum"))
        .expr_as(Expr::cust("NULL"), Alias::new("pending"))
        .and_where(col("campaign_id").eq(campaign_id))
        .and_where(col("source").eq(source.as_str()));
    if shape.overall_only {
        query.and_where(col("dimension").eq(OVERALL));
    }
    if let Some(unit) = unit {
        query.and_where(col("unit_id").eq(unit));
    }
    for name in shape.grouped {
        query.add_group_by([SimpleExpr::from(col(name))]);
    }
    query
}

/// The campaign's pending records, one list of response ids per row, in the shape of `totals_query`.
fn pending_query(campaign_id: Uuid) -> SelectStatement {
    let mut query = Query::select();
    for name in KEY_COLUMNS {
        query.expr_as(Expr::cust("NULL"), Alias::new(name));
    }
    query
        .expr_as(Expr::val(""), Alias::new("option_key"))
        .expr_as(Expr::cust("CAST(0 AS BIGINT)"), Alias::new("answers"))
        .expr_as(Expr::cust("CAST(0 AS BIGINT)"), Alias::new("valid"))
        .expr_as(Expr::cust("CAST(0 AS DOUBLE PRECISION)"), Alias::new("weight_sum"))
        .expr_as(col("response_ids"), Alias::new("pending"))
        .from(Alias::new(pending_rollups::TABLE))
        .and_where(col("campaign_id").eq(campaign_id));
    query
}

/// The rows the totals would hold for `delta`, in the shape `totals_query` reads them.
fn rows_of(delta: &RollupDelta, unit: Option<Uuid>, by_hour: bool) -> Vec<CubeRow> {
    let wanted = |u: &Uuid| unit.is_none_or(|unit| unit == *u);
    let row = |option_key: &str, counters: &Counters| CubeRow {
        unit_id: None,
        channel: None,
        dimension: None,
        answered_at: None,
        option_key: option_key.to_owned(),
        answers: counters.answers,
        valid: counters.valid,
        weight_sum: Some(counters.weight_sum),
        pending: None,
    };
    if by_hour {
        let hours = delta.hours().filter(|((_, u, ..), _)| wanted(u));
        return hours.map(|((_, _, at, option), c)| CubeRow { answered_at: Some(*at), ..row(option, c) }).collect();
    }
    let cells = delta.cells().filter(|((_, u, ..), _)| wanted(u));
    cells
        .map(|((_, u, channel, dimension, option), c)| CubeRow {
            unit_id: Some(*u),
            channel: Some(channel.clone()),
            dimension: Some(dimension.clone()),
            ..row(option, c)
        })
        .collect()
}

type CellKey = (Option<Uuid>, Option<String>, Option<String>, Option<Source>, Option<String>);

fn period_of(at: &DateTime<FixedOffset>, granularity: Granularity) -> String {
    let utc = at.with_timezone(&chrono::Utc);
    match granularity {
        Granularity::Day => utc.format("%Y-%m-%d").to_string(),
        Granularity::Month => utc.format("%Y-%m").to_string(),
    }
}

fn key_of(row: &CubeRow, source: Source, grouping: Grouping, granularity: Granularity) -> Option<CellKey> {
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
fn roll_up(
    rows: Vec<(Source, CubeRow)>,
    grouping: Grouping,
    granularity: Granularity,
    min_cell_size: i64,
    show_small_cells: bool,
) -> Vec<Cell> {
    let mut groups: BTreeMap<CellKey, BTreeMap<String, OptionCount>> = BTreeMap::new();
    for (source, row) in rows {
        let Some(key) = key_of(&row, source, grouping, granularity) else { continue };
        let entry = groups.entry(key).or_default().entry(row.option_key.clone()).or_insert_with(|| OptionCount {
            option_key: row.option_key.clone(),
            answers: 0,
            valid: 0,
            weight_sum: 0.0,
        });
        entry.answers += row.answers;
        entry.valid += row.valid;
        entry.weight_sum += row.weight_sum.unwrap_or(0.0);
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
            Cell {
                unit_id,
                dimension,
                channel,
                source,
                period,
                responses: f.answers,
                valid_answers: f.valid_answers,
                satisfaction_rate: if suppressed { None } else { f.rate },
                interval: if suppressed { None } else { f.interval },
                levels: (!suppressed).then_some(f.levels),
                suppressed,
            }
        })
        .collect()
}

/// What a report reads: the campaign, the sources, the unit, the grouping.
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

pub async fn report(db: &impl ConnectionTrait, request: ReportRequest) -> ApiResult<SatisfactionReport> {
    super::campaigns::find(db, request.campaign_id).await?;
    let sources: Vec<Source> = match request.source {
        Some(source) => vec![source],
        None => Source::ALL.to_vec(),
    };
    let mut rows = Vec::new();
    for source in sources {
        let found = cube(db, source, request.campaign_id, request.unit, request.grouping).await?;
        rows.extend(found.into_iter().map(|row| (source, row)));
    }
    Ok(SatisfactionReport {
        campaign_id: request.campaign_id,
        grouping: request.grouping,
        source: request.source,
        min_cell_size: request.min_cell_size,
        cells: roll_up(rows, request.grouping, request.granularity, request.min_cell_size, request.show_small_cells),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        unit: Uuid,
        channel: &str,
        dimension: &str,
        option: &str,
        answers: i64,
        weight: Option<f64>,
    ) -> (Source, CubeRow) {
        (
            Source::CitizenLink,
            CubeRow {
                unit_id: Some(unit),
                channel: Some(channel.to_owned()),
                answered_at: None,
                dimension: Some(dimension.to_owned()),
                option_key: option.to_owned(),
                answers,
                valid: if weight.is_some() { answers } else { 0 },
                weight_sum: weight.map(|w| w * answers as f64),
                pending: None,
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
        let cells = roll_up(rows(), Grouping::Unit, Granularity::Day, 3, false);
        assert_eq!(cells.len(), 1);
        assert_eq!((cells[0].responses, cells[0].suppressed), (3, false));
        assert!((cells[0].satisfaction_rate.unwrap_or_default() - 0.8).abs() < 1e-12);
        let by_channel = roll_up(rows(), Grouping::Channel, Granularity::Day, 3, false);
        assert!(by_channel.iter().all(|c| c.suppressed && c.satisfaction_rate.is_none() && c.levels.is_none()));
        let by_channel_admin = roll_up(rows(), Grouping::Channel, Granularity::Day, 3, true);
        assert!(by_channel_admin.iter().all(|c| !c.suppressed && c.satisfaction_rate.is_some()));
    }

    #[test]
    fn pending_responses_add_to_the_totals_and_an_option_back_at_zero_is_left_out() {
        use crate::services::rollups::AnswerPlace;
        let (unit, other) = (Uuid::new_v4(), Uuid::new_v4());
        let mut pending = RollupDelta::default();
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
        rows.extend(rows_of(&pending, Some(unit), false).into_iter().map(|r| (Source::CitizenLink, r)));
        let cells = roll_up(rows, Grouping::Unit, Granularity::Day, 1, false);
        assert_eq!(cells.len(), 1, "only the unit asked for");
        assert_eq!((cells[0].responses, cells[0].valid_answers), (3, 3));
        let levels = cells[0].levels.as_deref().unwrap_or_default();
        assert_eq!(levels.iter().map(|l| l.option.as_str()).collect::<Vec<_>>(), vec!["satisfied"]);
    }
}
