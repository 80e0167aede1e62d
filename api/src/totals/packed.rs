//! How the running totals are stored: packed (see the baseline migration). A cell row holds, for one
//! (campaign, source, unit, channel), the counters of every (dimension, option) answered
//! there; an hour row, for one (campaign, source, unit, answer hour), those of every option of
//! the overall question. Each row's counters are one JSON array of `[entry, answers, valid,
//! weight_sum]`.
//!
//! Why packed: the fold of citizens' responses adds to every total an interval's answers
//! touch, and on SQLite it holds the single writer meanwhile. One row per counter made that
//! some 800 upserts with 20 units (most of the fold's hold, while every citizen waited); one
//! row per unit and channel makes it forty row writes, and the count no longer grows with
//! the dimensions and options.
//!
//! Packed counters cannot be added in SQL, so adding reads the rows, adds in Rust and writes
//! them back. Writers of one campaign's totals therefore take turns: on PostgreSQL on a
//! transaction-scoped advisory lock per campaign, taken in campaign order (so two writers
//! cannot deadlock on them); on SQLite every write transaction holds the one write lock.
//! The fold may read and add before it takes its turn, and then writes what it added up
//! only if the campaign's `totals_version` shows no change since (see `delta::SummedTotals`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::domain::vocabulary::Source;
use crate::totals::delta::Counters;

/// Rows per upsert statement: a few dozen kilobytes of counters each.
const ROWS_PER_STATEMENT: usize = 100;
/// First key of the PostgreSQL advisory locks on a campaign's totals ("totl" in ASCII); the
/// second is taken from the campaign id. Two-key locks never meet the one-key migration lock.
const TOTALS_LOCK: i32 = 0x746f_746c;

/// A kind of packed row: its table, the two columns besides campaign and source that pick a
/// row, and what names an entry within it.
pub trait PackedRow: Ord + Clone + Sized {
    type Entry: Ord + Clone + Serialize + DeserializeOwned;
    const TABLE: &'static str;
    const COLUMNS: [&'static str; 2];
    fn values(&self) -> [Value; 2];
    /// The row's key from the `COLUMNS` of a row read.
    fn read(row: &QueryResult) -> Result<Self, DbErr>;
}

/// Counters per (dimension, option) of one unit and channel.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellRow {
    pub unit_id: Uuid,
    pub channel: String,
}

impl PackedRow for CellRow {
    type Entry = (String, String);
    const TABLE: &'static str = "satisfaction_totals";
    const COLUMNS: [&'static str; 2] = ["unit_id", "channel"];

    fn values(&self) -> [Value; 2] {
        [self.unit_id.into(), self.channel.clone().into()]
    }

    fn read(row: &QueryResult) -> Result<Self, DbErr> {
        Ok(Self { unit_id: row.try_get("", "unit_id")?, channel: row.try_get("", "channel")? })
    }
}

/// Counters per option of the overall question, of one unit and answer hour.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HourRow {
    pub unit_id: Uuid,
    pub answered_at: DateTime<FixedOffset>,
}

impl PackedRow for HourRow {
    type Entry = String;
    const TABLE: &'static str = "satisfaction_hourly_totals";
    const COLUMNS: [&'static str; 2] = ["unit_id", "answered_at"];

    fn values(&self) -> [Value; 2] {
        [self.unit_id.into(), self.answered_at.into()]
    }

    fn read(row: &QueryResult) -> Result<Self, DbErr> {
        Ok(Self { unit_id: row.try_get("", "unit_id")?, answered_at: row.try_get("", "answered_at")? })
    }
}

/// The counters of one packed row, by entry.
pub type Entries<E> = BTreeMap<E, Counters>;

/// A row's stored counters. An entry found twice (never written so) is added up.
pub fn decode<E: Ord + DeserializeOwned>(counts: &str) -> Result<Entries<E>, DbErr> {
    let stored: Vec<(E, i64, i64, f64)> = serde_json::from_str(counts)
        .map_err(|err| DbErr::Custom(format!("stored running totals cannot be read: {err}")))?;
    let mut entries = Entries::new();
    for (entry, answers, valid, weight_sum) in stored {
        entries.entry(entry).or_default().add(Counters { answers, valid, weight_sum });
    }
    Ok(entries)
}

fn encode<E: Serialize>(entries: &Entries<E>) -> String {
    let stored: Vec<_> = entries.iter().map(|(entry, c)| (entry, c.answers, c.valid, c.weight_sum)).collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| unreachable!("counters are plain data"))
}

/// Waits, on PostgreSQL, until this transaction is the only writer of these campaigns' totals
/// (until it ends). Call before `add`, with every campaign the transaction will add to.
pub async fn lock(db: &impl ConnectionTrait, campaigns: &BTreeSet<Uuid>) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for campaign_id in campaigns {
        let [a, b, c, d, ..] = campaign_id.into_bytes();
        let key = i32::from_be_bytes([a, b, c, d]);
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1, $2)",
            [TOTALS_LOCK.into(), key.into()],
        );
        db.execute_raw(statement).await?;
    }
    Ok(())
}

/// Adds `added` to `summed`, the campaign's `source` rows with changes added so far; a row
/// not there yet is first read from what is stored. Call holding `lock` for the campaign,
/// or else write the rows only if no other writer changed them since (see `summed`).
pub async fn add_to<R: PackedRow>(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    source: Source,
    summed: &mut BTreeMap<R, Entries<R::Entry>>,
    added: BTreeMap<R, Entries<R::Entry>>,
) -> Result<(), DbErr> {
    let unread: Vec<&R> = added.keys().filter(|row| !summed.contains_key(*row)).collect();
    if !unread.is_empty() {
        for (row, stored) in read(db, campaign_id, source, unread.into_iter()).await? {
            if added.contains_key(&row) && !summed.contains_key(&row) {
                summed.insert(row, stored);
            }
        }
    }
    for (row, entries) in added {
        let total = summed.entry(row).or_default();
        for (entry, counters) in entries {
            total.entry(entry).or_default().add(counters);
        }
    }
    Ok(())
}

/// Writes `summed` (whole rows) over the campaign's stored `source` rows.
pub async fn write_all<R: PackedRow>(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    source: Source,
    summed: BTreeMap<R, Entries<R::Entry>>,
) -> Result<(), DbErr> {
    let rows: Vec<(R, String)> = summed.into_iter().map(|(row, entries)| (row, encode(&entries))).collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        write::<R>(db, campaign_id, source, chunk).await?;
    }
    Ok(())
}

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

/// The stored rows among `rows` (and perhaps a few more: the query asks for every pair of
/// their first and second columns).
async fn read<'a, R: PackedRow + 'a>(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    source: Source,
    rows: impl Iterator<Item = &'a R>,
) -> Result<BTreeMap<R, Entries<R::Entry>>, DbErr> {
    let (mut firsts, mut seconds): (Vec<Value>, Vec<Value>) = (Vec::new(), Vec::new());
    for row in rows {
        // Few distinct values each (units; channels or hours), so a scan dedups well enough.
        for (values, value) in [&mut firsts, &mut seconds].into_iter().zip(row.values()) {
            if !values.contains(&value) {
                values.push(value);
            }
        }
    }
    let [first, second] = R::COLUMNS;
    let query = Query::select()
        .columns([Alias::new(first), Alias::new(second), Alias::new("counts")])
        .from(Alias::new(R::TABLE))
        .and_where(col("campaign_id").eq(campaign_id))
        .and_where(col("source").eq(source.as_str()))
        .and_where(col(first).is_in(firsts))
        .and_where(col(second).is_in(seconds))
        .to_owned();
    let mut stored = BTreeMap::new();
    for found in db.query_all(&query).await? {
        stored.insert(R::read(&found)?, decode(&found.try_get::<String>("", "counts")?)?);
    }
    Ok(stored)
}

/// Writes `rows` (key and encoded counters) over what is stored.
async fn write<R: PackedRow>(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    source: Source,
    rows: &[(R, String)],
) -> Result<(), DbErr> {
    let [first, second] = R::COLUMNS;
    let mut insert = Query::insert();
    insert.into_table(Alias::new(R::TABLE)).columns(["campaign_id", "source", first, second, "counts"].map(Alias::new));
    for (row, counts) in rows {
        let [a, b] = row.values();
        let values: [SimpleExpr; 5] =
            [campaign_id.into(), source.as_str().into(), a.into(), b.into(), counts.as_str().into()];
        insert.values_panic(values);
    }
    let key = ["campaign_id", "source", first, second].map(Alias::new);
    insert.on_conflict(OnConflict::columns(key).update_column(Alias::new("counts")).to_owned());
    db.execute(&insert).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::totals::packed::*;

    #[test]
    fn counters_round_trip_and_an_entry_found_twice_adds_up() {
        let mut entries: Entries<(String, String)> = Entries::new();
        entries.insert(("overall".into(), "satisfied".into()), Counters { answers: 3, valid: 3, weight_sum: 2.4 });
        entries.insert(("integrity".into(), "dont_know".into()), Counters { answers: 1, valid: 0, weight_sum: 0.0 });
        let encoded = encode(&entries);
        assert_eq!(decode::<(String, String)>(&encoded).ok(), Some(entries));
        let twice = decode::<String>(r#"[["satisfied",1,1,0.8],["satisfied",2,2,1.6]]"#).unwrap_or_default();
        assert_eq!(twice.get("satisfied").map(|c| (c.answers, c.valid)), Some((3, 3)));
        assert!(decode::<String>("not json").is_err());
    }
}
