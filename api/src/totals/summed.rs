//! Stored totals with a delta added, whole packed rows at a time, and the campaign's totals
//! version that tells whether they are still what is stored.
//!
//! Packed counters cannot be added in SQL, so adding reads the rows, adds in Rust and writes
//! them back (see `packed`). Every transaction that changes a campaign's totals raises its
//! `totals_version`, which lets the fold add up before it takes its write turn and write
//! only if nothing changed meanwhile, and lets replicas keep what they read from the totals.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::domain::vocabulary::Source;
use crate::totals::delta::{CellKey, Counters, HourKey, TotalsDelta};

impl TotalsDelta {
    /// Applies the changes to `source`'s totals. Call inside the transaction that writes the
    /// answers.
    pub async fn apply(self, db: &impl ConnectionTrait, source: Source) -> Result<(), DbErr> {
        packed::lock(db, &self.campaigns()).await?;
        let mut summed = SummedTotals::default();
        summed.add(db, source, self).await?;
        summed.write(db, source).await
    }
}

use crate::totals::packed::{self, CellRow, Entries, HourRow, PackedRow};

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
    pub async fn read(db: &impl ConnectionTrait, source: Source, delta: TotalsDelta) -> Result<Self, DbErr> {
        // Before the totals: a change committed between the two reads then shows as a new version.
        let versions = read_versions(db, &delta.campaigns()).await?;
        let mut summed = Self { versions, ..Self::default() };
        summed.add(db, source, delta).await?;
        Ok(summed)
    }

    /// Whether no writer changed these totals since `read`: every change raises the
    /// campaign's version in its own transaction. Call holding `packed::lock` for them.
    pub async fn is_current(&self, db: &impl ConnectionTrait) -> Result<bool, DbErr> {
        let campaigns = self.versions.keys().copied().collect();
        Ok(read_versions(db, &campaigns).await? == self.versions)
    }

    /// Adds `delta`: to the rows summed already, and to the stored ones, read, for the others.
    pub async fn add(&mut self, db: &impl ConnectionTrait, source: Source, delta: TotalsDelta) -> Result<(), DbErr> {
        let (cells, hours) = delta.into_parts();
        for (campaign_id, rows) in cell_rows(cells) {
            let summed = self.cells.entry(campaign_id).or_default();
            packed::add_to(db, campaign_id, source, summed, rows).await?;
        }
        for (campaign_id, rows) in hour_rows(hours) {
            let summed = self.hours.entry(campaign_id).or_default();
            packed::add_to(db, campaign_id, source, summed, rows).await?;
        }
        Ok(())
    }

    pub fn campaigns(&self) -> BTreeSet<Uuid> {
        self.cells.keys().chain(self.hours.keys()).copied().collect()
    }

    /// Writes the rows over the stored ones and raises the campaigns' versions. Call holding
    /// `packed::lock` for `campaigns`.
    pub async fn write(self, db: &impl ConnectionTrait, source: Source) -> Result<(), DbErr> {
        let campaigns = self.campaigns();
        for (campaign_id, rows) in self.cells {
            packed::write_all(db, campaign_id, source, rows).await?;
        }
        for (campaign_id, rows) in self.hours {
            packed::write_all(db, campaign_id, source, rows).await?;
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
