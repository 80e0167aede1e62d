//! What a satisfaction report reads: each source's running totals, summed per the columns its
//! grouping keeps apart, and for citizens' links the responses not folded into them yet
//! (see `pending`), with the campaign's totals version, all in one statement.
//!
//! Because every read comes with the version, the totals read can be kept (`KeptTotals`) and
//! reused while the version is unchanged: a report then costs one indexed lookup of the
//! version and the pending records, plus counting those few pending responses, instead of
//! reading and summing every row of the totals.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::questionnaire::OVERALL;
use crate::domain::vocabulary::Source;
use crate::error::{ApiError, ApiResult};
use crate::totals::cache::VersionedCache;
use crate::totals::delta::{Counters, TotalsDelta};
use crate::totals::packed::{self, CellRow, HourRow, PackedRow};
use crate::totals::pending;

/// How a report groups the answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
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

/// Counts of one option in one (unit, channel, dimension) or one answer hour; the columns the
/// grouping does not keep apart are `None`.
#[derive(Debug, Default)]
pub struct TotalsRow {
    pub unit_id: Option<Uuid>,
    pub channel: Option<String>,
    pub dimension: Option<String>,
    pub answered_at: Option<DateTime<FixedOffset>>,
    pub option_key: String,
    pub answers: i64,
    pub valid: i64,
    pub weight_sum: f64,
}

/// (unit, channel, dimension, answer hour, option): a totals row's place, `None` where the
/// grouping does not keep those apart.
type RowKey = (Option<Uuid>, Option<String>, Option<String>, Option<DateTime<FixedOffset>>, String);

/// Totals kept per (campaign, source, grouping, unit), with the version they hold for.
type TotalsKey = (Uuid, Source, Grouping, Option<Uuid>);

/// At most this many rows kept over every entry (about 200 bytes each): the unit × dimension
/// totals of a 500-unit campaign are about 20,000 rows; a year of a campaign's hours, 50,000.
const TOTALS_ROW_BUDGET: usize = 100_000;

/// The totals an app has read, per (campaign, source, grouping, unit), each kept while its
/// campaign's totals version holds.
pub struct KeptTotals(VersionedCache<TotalsKey, Vec<TotalsRow>>);

impl Default for KeptTotals {
    fn default() -> Self {
        Self(VersionedCache::new(TOTALS_ROW_BUDGET, Vec::len))
    }
}

/// The campaign's `totals_version` and the responses pending for its totals, read together.
pub struct CampaignState {
    pub version: i64,
    pub pending: Vec<Uuid>,
}

/// What one source's report reads: its totals, the version they hold for, and (citizens'
/// links) the responses pending at that version.
pub struct SourceTotals {
    pub totals: Arc<Vec<TotalsRow>>,
    pub version: i64,
    pub pending: Vec<Uuid>,
}

/// What a snapshot statement's rows are, by their first column.
const TOTALS_LINE: i64 = 0;
const VERSION_LINE: i64 = 1;
const PENDING_LINE: i64 = 2;

/// One row of a snapshot statement, whose columns are (line, unit_id, channel or answered_at,
/// text, version): one packed row of totals; the campaign's `totals_version`; or a record
/// of pending responses.
enum SnapshotLine {
    Totals(PackedLine),
    Version(i64),
    Pending(String),
}

/// A packed row of totals as read: a cell row has a channel, an hour row an answer hour.
struct PackedLine {
    unit_id: Uuid,
    channel: Option<String>,
    answered_at: Option<DateTime<FixedOffset>>,
    counts: String,
}

impl SnapshotLine {
    fn decode(row: &QueryResult, shape: &Shape) -> Result<Self, DbErr> {
        Ok(match row.try_get_by_index::<i64>(0)? {
            TOTALS_LINE => Self::Totals(PackedLine {
                unit_id: row.try_get_by_index(1)?,
                channel: if shape.by_hour { None } else { Some(row.try_get_by_index(2)?) },
                answered_at: if shape.by_hour { Some(row.try_get_by_index(2)?) } else { None },
                counts: row.try_get_by_index(3)?,
            }),
            VERSION_LINE => Self::Version(row.try_get_by_index(4)?),
            PENDING_LINE => Self::Pending(row.try_get_by_index(3)?),
            other => return Err(DbErr::Custom(format!("a snapshot statement returned a line of kind {other}"))),
        })
    }
}

/// What a grouping reads from the totals: the table, the columns it keeps apart (the others
/// are summed over) and whether it needs the overall question only.
pub struct Shape {
    pub by_hour: bool,
    grouped: &'static [&'static str],
    overall_only: bool,
}

impl Shape {
    pub fn of(grouping: Grouping) -> Self {
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

/// Runs a snapshot statement. Without a version row there is no such campaign.
async fn run(
    db: &impl ConnectionTrait,
    query: &SelectStatement,
    campaign_id: Uuid,
    shape: &Shape,
) -> ApiResult<(Vec<TotalsRow>, CampaignState)> {
    let statement = db.get_database_backend().build(query);
    let (mut packed, mut version, mut pending) = (Vec::new(), None, Vec::new());
    for row in db.query_all_raw(statement).await? {
        match SnapshotLine::decode(&row, shape)? {
            SnapshotLine::Totals(line) => packed.push(line),
            SnapshotLine::Version(read) => version = Some(read),
            SnapshotLine::Pending(ids) => pending.extend(pending::decode(&ids)?),
        }
    }
    let version = version.ok_or_else(|| ApiError::NotFound(format!("no campaign {campaign_id}")))?;
    Ok((sum_packed(&packed, shape)?, CampaignState { version, pending }))
}

/// The campaign's version and, `with_pending`, its pending responses, in one statement.
pub async fn campaign_state(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    with_pending: bool,
) -> ApiResult<CampaignState> {
    let mut query = version_query(campaign_id);
    if with_pending {
        query.union(UnionType::All, pending_query(campaign_id));
    }
    Ok(run(db, &query, campaign_id, &Shape::of(Grouping::Unit)).await?.1)
}

/// `source`'s totals of a campaign, grouped and for a unit as `(campaign_id, grouping, unit)`
/// says, as of `state` (kept ones, when they hold for its version);
/// otherwise read now, with the version and pending responses of that read. Totals, version
/// and pending records always come from one statement (one snapshot), so that a fold in
/// between can neither hide nor double a response.
pub async fn source_totals(
    db: &impl ConnectionTrait,
    kept: &KeptTotals,
    source: Source,
    (campaign_id, grouping, unit): (Uuid, Grouping, Option<Uuid>),
    state: &CampaignState,
) -> ApiResult<SourceTotals> {
    // Only citizens' links have pending responses.
    let pending_of = |pending: &[Uuid]| if source == Source::CitizenLink { pending.to_vec() } else { Vec::new() };
    let key = (campaign_id, source, grouping, unit);
    if let Some(totals) = kept.0.get(&key, state.version) {
        return Ok(SourceTotals { totals, version: state.version, pending: pending_of(&state.pending) });
    }
    let shape = Shape::of(grouping);
    let mut query = totals_query(&shape, source, campaign_id, unit);
    query.union(UnionType::All, version_query(campaign_id));
    if source == Source::CitizenLink {
        query.union(UnionType::All, pending_query(campaign_id));
    }
    let (totals, read) = run(db, &query, campaign_id, &shape).await?;
    let totals = Arc::new(totals);
    kept.0.put(key, read.version, totals.clone());
    Ok(SourceTotals { totals, version: read.version, pending: pending_of(&read.pending) })
}

/// What the pending responses `ids` add, as totals rows of `shape` (read back from the
/// stored responses).
pub async fn pending_rows(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    unit: Option<Uuid>,
    shape: &Shape,
) -> ApiResult<Vec<TotalsRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(rows_of(&pending::count(db, ids).await?.totals, unit, shape.by_hour))
}

fn col(name: &'static str) -> Expr {
    Expr::col(Alias::new(name))
}

/// Sums packed rows into the totals rows of `shape`, in key order.
fn sum_packed(lines: &[PackedLine], shape: &Shape) -> Result<Vec<TotalsRow>, DbErr> {
    let grouped = |name: &str| shape.grouped.contains(&name);
    let mut sums: BTreeMap<RowKey, Counters> = BTreeMap::new();
    for line in lines {
        let unit = grouped("unit_id").then_some(line.unit_id);
        if shape.by_hour {
            let answered_at = line.answered_at.filter(|_| grouped("answered_at"));
            for (option, counters) in packed::decode::<String>(&line.counts)? {
                sums.entry((unit, None, None, answered_at, option)).or_default().add(counters);
            }
            continue;
        }
        let channel = line.channel.clone().filter(|_| grouped("channel"));
        for ((dimension, option), counters) in packed::decode::<(String, String)>(&line.counts)? {
            if shape.overall_only && dimension != OVERALL {
                continue;
            }
            let dimension = grouped("dimension").then_some(dimension);
            sums.entry((unit, channel.clone(), dimension, None, option)).or_default().add(counters);
        }
    }
    Ok(sums
        .into_iter()
        .map(|((unit_id, channel, dimension, answered_at, option_key), c)| TotalsRow {
            unit_id,
            channel,
            dimension,
            answered_at,
            option_key,
            answers: c.answers,
            valid: c.valid,
            weight_sum: c.weight_sum,
        })
        .collect())
}

/// The source's packed rows of the campaign (of one unit, if given), as totals lines.
fn totals_query(shape: &Shape, source: Source, campaign_id: Uuid, unit: Option<Uuid>) -> SelectStatement {
    let (table, second) =
        if shape.by_hour { (HourRow::TABLE, HourRow::COLUMNS[1]) } else { (CellRow::TABLE, CellRow::COLUMNS[1]) };
    let mut query = Query::select();
    query
        .expr_as(Expr::cust(format!("CAST({TOTALS_LINE} AS BIGINT)")), Alias::new("line"))
        .expr_as(col("unit_id"), Alias::new("unit_id"))
        .expr_as(col(second), Alias::new("second"))
        .expr_as(col("counts"), Alias::new("text"))
        .expr_as(Expr::cust("CAST(NULL AS BIGINT)"), Alias::new("version"))
        .from(Alias::new(table))
        .and_where(col("campaign_id").eq(campaign_id))
        .and_where(col("source").eq(source.as_str()));
    if let Some(unit) = unit {
        query.and_where(col("unit_id").eq(unit));
    }
    query
}

/// A line of kind `line` from `table`, in the shape of `totals_query`.
fn meta_query(
    line: i64,
    text: Expr,
    version: Expr,
    table: &str,
    campaign_column: &'static str,
    campaign_id: Uuid,
) -> SelectStatement {
    let mut query = Query::select();
    query
        .expr_as(Expr::cust(format!("CAST({line} AS BIGINT)")), Alias::new("line"))
        .expr_as(Expr::cust("NULL"), Alias::new("unit_id"))
        .expr_as(Expr::cust("NULL"), Alias::new("second"))
        .expr_as(text, Alias::new("text"))
        .expr_as(version, Alias::new("version"))
        .from(Alias::new(table))
        .and_where(col(campaign_column).eq(campaign_id));
    query
}

/// The campaign's `totals_version`, in the shape of `totals_query`; no row if there is no such campaign.
fn version_query(campaign_id: Uuid) -> SelectStatement {
    meta_query(
        VERSION_LINE,
        Expr::cust("NULL"),
        crate::totals::summed::version_column(),
        "campaigns",
        "id",
        campaign_id,
    )
}

/// The campaign's pending records, one list of response ids per row, in the shape of `totals_query`.
fn pending_query(campaign_id: Uuid) -> SelectStatement {
    let version = Expr::cust("CAST(NULL AS BIGINT)");
    meta_query(PENDING_LINE, col("response_ids"), version, pending::TABLE, "campaign_id", campaign_id)
}

/// The rows the totals would hold for `delta`, in the shape `totals_query` reads them.
pub fn rows_of(delta: &TotalsDelta, unit: Option<Uuid>, by_hour: bool) -> Vec<TotalsRow> {
    let wanted = |u: &Uuid| unit.is_none_or(|unit| unit == *u);
    let row = |option_key: &str, counters: &Counters| TotalsRow {
        option_key: option_key.to_owned(),
        answers: counters.answers,
        valid: counters.valid,
        weight_sum: counters.weight_sum,
        ..TotalsRow::default()
    };
    if by_hour {
        let hours = delta.hours().filter(|((_, u, ..), _)| wanted(u));
        return hours.map(|((_, _, at, option), c)| TotalsRow { answered_at: Some(*at), ..row(option, c) }).collect();
    }
    let cells = delta.cells().filter(|((_, u, ..), _)| wanted(u));
    cells
        .map(|((_, u, channel, dimension, option), c)| TotalsRow {
            unit_id: Some(*u),
            channel: Some(channel.clone()),
            dimension: Some(dimension.clone()),
            ..row(option, c)
        })
        .collect()
}
