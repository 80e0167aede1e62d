//! Running totals packed: one row per (campaign, source, unit, channel) holding the counters
//! of every (dimension, option), and one per (campaign, source, unit, answer hour) holding
//! those of every option of the overall question, instead of one row per counter.
//!
//! The fold of citizens' responses updates every total an interval's answers touch; on SQLite
//! it holds the single writer meanwhile, and updating some 800 narrow rows took most of that
//! hold (see `api/src/services/totals_store.rs`). Packed, it updates one row per unit and
//! channel. The counters are a JSON array of entries `[[dimension, option], answers, valid,
//! weight_sum]` (hourly: `[option, answers, valid, weight_sum]`), in any order.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A packed table: its name, the columns besides campaign and source that pick a row, and
/// the narrow table of migration 5 it replaces with the columns that name an entry there.
struct Packed {
    table: &'static str,
    row: [&'static str; 2],
    narrow: &'static str,
    entry: &'static [&'static str],
}

const CELLS: Packed = Packed {
    table: "satisfaction_totals",
    row: ["unit_id", "channel"],
    narrow: "satisfaction_rollups",
    entry: &["dimension", "option_key"],
};
const HOURS: Packed = Packed {
    table: "satisfaction_hourly_totals",
    row: ["unit_id", "answered_at"],
    narrow: "satisfaction_hourly_rollups",
    entry: &["option_key"],
};

fn create(packed: &Packed) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(packed.table).col(uuid("campaign_id")).col(string_len("source", 16)).col(uuid("unit_id"));
    if packed.row[1] == "channel" {
        table.col(string_len("channel", 32));
    } else {
        table.col(timestamp_with_time_zone("answered_at"));
    }
    table
        .col(text("counts"))
        .primary_key(Index::create().col("campaign_id").col("source").col(packed.row[0]).col(packed.row[1]))
        .to_owned()
}

/// The narrow rows of `packed.narrow`, packed into `packed.table`.
fn pack(packed: &Packed, backend: DbBackend) -> String {
    let (array, aggregate) = match backend {
        DbBackend::Postgres => ("json_build_array", "json_agg"),
        _ => ("json_array", "json_group_array"),
    };
    let name = if packed.entry.len() == 1 {
        packed.entry[0].to_owned()
    } else {
        format!("{array}({})", packed.entry.join(", "))
    };
    let entry = format!("{array}({name}, answers, valid, weight_sum)");
    let [first, second] = packed.row;
    format!(
        "INSERT INTO {table} (campaign_id, source, {first}, {second}, counts) \
         SELECT campaign_id, source, {first}, {second}, CAST({aggregate}({entry}) AS TEXT) FROM {narrow} \
         GROUP BY campaign_id, source, {first}, {second}",
        table = packed.table,
        narrow = packed.narrow,
    )
}

/// The item at `path` of a packed entry `e`, cast to `cast`.
fn item(backend: DbBackend, path: &[usize], cast: &str) -> String {
    let path: Vec<String> = path.iter().map(usize::to_string).collect();
    match backend {
        DbBackend::Postgres => format!("CAST(e #>> '{{{}}}' AS {cast})", path.join(",")),
        _ => format!("CAST(json_extract(e.value, '$[{}]') AS {cast})", path.join("][")),
    }
}

/// The packed rows of `packed.table`, unpacked into `packed.narrow` (to roll back).
fn unpack(packed: &Packed, backend: DbBackend) -> String {
    let entries = match backend {
        DbBackend::Postgres => "json_array_elements(CAST(counts AS json)) AS e",
        _ => "json_each(counts) AS e",
    };
    let names: Vec<String> = match packed.entry.len() {
        1 => vec![item(backend, &[0], "TEXT")],
        _ => vec![item(backend, &[0, 0], "TEXT"), item(backend, &[0, 1], "TEXT")],
    };
    let [first, second] = packed.row;
    format!(
        "INSERT INTO {narrow} (campaign_id, source, {first}, {second}, {entry}, answers, valid, weight_sum) \
         SELECT campaign_id, source, {first}, {second}, {names}, {answers}, {valid}, {weight_sum} \
         FROM {table}, {entries}",
        narrow = packed.narrow,
        table = packed.table,
        entry = packed.entry.join(", "),
        names = names.join(", "),
        answers = item(backend, &[1], "BIGINT"),
        valid = item(backend, &[2], "BIGINT"),
        weight_sum = item(backend, &[3], "DOUBLE PRECISION"),
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        for packed in [CELLS, HOURS] {
            manager.create_table(create(&packed)).await?;
            manager.get_connection().execute_unprepared(&pack(&packed, backend)).await?;
            manager.drop_table(Table::drop().table(packed.narrow).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        for packed in [CELLS, HOURS] {
            manager.create_table(super::m20261128_000005_satisfaction_rollups::narrow_table(packed.narrow)).await?;
            manager.get_connection().execute_unprepared(&unpack(&packed, backend)).await?;
            manager.drop_table(Table::drop().table(packed.table).to_owned()).await?;
        }
        Ok(())
    }
}
