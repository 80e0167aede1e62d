//! Running totals behind the satisfaction reports, so that a report reads a few thousand
//! rows whatever the number of responses. The write paths keep them current in the same
//! transaction as the answers; this migration fills them from the answers already stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Counters per (campaign, source, unit, channel, dimension, option): unit, dimension and
/// channel reports.
fn satisfaction_rollups() -> TableCreateStatement {
    Table::create()
        .table("satisfaction_rollups")
        .col(uuid("campaign_id"))
        .col(string_len("source", 16))
        .col(uuid("unit_id"))
        .col(string_len("channel", 32))
        .col(string_len("dimension", 64))
        .col(string_len("option_key", 64))
        .col(big_integer("answers"))
        .col(big_integer("valid"))
        .col(double("weight_sum"))
        .primary_key(
            Index::create()
                .col("campaign_id")
                .col("source")
                .col("unit_id")
                .col("channel")
                .col("dimension")
                .col("option_key"),
        )
        .to_owned()
}

/// Counters of the overall question per (campaign, source, unit, answer hour, option):
/// period reports.
fn satisfaction_hourly_rollups() -> TableCreateStatement {
    Table::create()
        .table("satisfaction_hourly_rollups")
        .col(uuid("campaign_id"))
        .col(string_len("source", 16))
        .col(uuid("unit_id"))
        .col(timestamp_with_time_zone("answered_at"))
        .col(string_len("option_key", 64))
        .col(big_integer("answers"))
        .col(big_integer("valid"))
        .col(double("weight_sum"))
        .primary_key(
            Index::create().col("campaign_id").col("source").col("unit_id").col("answered_at").col("option_key"),
        )
        .to_owned()
}

/// The table `name` as this migration creates it (migration 12 packs it, and recreates it to
/// roll back).
pub(crate) fn narrow_table(name: &str) -> TableCreateStatement {
    if name == "satisfaction_rollups" { satisfaction_rollups() } else { satisfaction_hourly_rollups() }
}

fn backfill(table: &str, source: &str) -> [String; 2] {
    let counters = "COUNT(*), COUNT(weight), COALESCE(CAST(SUM(weight) AS DOUBLE PRECISION), 0)";
    let kept = "excluded = false AND option_key IS NOT NULL";
    [
        format!(
            "INSERT INTO satisfaction_rollups \
             (campaign_id, source, unit_id, channel, dimension, option_key, answers, valid, weight_sum) \
             SELECT campaign_id, '{source}', unit_id, channel, dimension, option_key, {counters} FROM {table} \
             WHERE {kept} AND dimension IS NOT NULL GROUP BY campaign_id, unit_id, channel, dimension, option_key"
        ),
        format!(
            "INSERT INTO satisfaction_hourly_rollups \
             (campaign_id, source, unit_id, answered_at, option_key, answers, valid, weight_sum) \
             SELECT campaign_id, '{source}', unit_id, answered_at, option_key, {counters} FROM {table} \
             WHERE {kept} AND dimension = 'overall' AND answered_at IS NOT NULL \
             GROUP BY campaign_id, unit_id, answered_at, option_key"
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(satisfaction_rollups()).await?;
        manager.create_table(satisfaction_hourly_rollups()).await?;
        let connection = manager.get_connection();
        for (table, source) in [("response_answers", "citizen_link"), ("pollster_answers", "pollster")] {
            for statement in backfill(table, source) {
                connection.execute_unprepared(&statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["satisfaction_hourly_rollups", "satisfaction_rollups"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
