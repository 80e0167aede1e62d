//! Database schema for Pingyi, as ordered sea-orm migrations.
//!
//! The same migrations run on PostgreSQL and SQLite; tests build their schema from here,
//! never from the entities.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_core;
mod m20261128_000002_ballot_integrity;
mod m20261128_000003_pollsters_and_webhooks;
mod m20261128_000004_evaluation;
mod m20261128_000005_satisfaction_rollups;
mod m20261128_000006_packed_answers;
mod m20261128_000007_pending_rollups;
mod m20261129_000008_links_never_deleted;
mod m20261130_000009_rollups_version;
mod m20261201_000010_responses_by_hour;
mod m20261201_000011_link_changes;
mod m20261202_000012_packed_totals;
mod m20261203_000013_response_ids_from_submissions;
mod m20261203_000014_sqlite_responses_without_link_index;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_core::Migration),
            Box::new(m20261128_000002_ballot_integrity::Migration),
            Box::new(m20261128_000003_pollsters_and_webhooks::Migration),
            Box::new(m20261128_000004_evaluation::Migration),
            Box::new(m20261128_000005_satisfaction_rollups::Migration),
            Box::new(m20261128_000006_packed_answers::Migration),
            Box::new(m20261128_000007_pending_rollups::Migration),
            Box::new(m20261129_000008_links_never_deleted::Migration),
            Box::new(m20261130_000009_rollups_version::Migration),
            Box::new(m20261201_000010_responses_by_hour::Migration),
            Box::new(m20261201_000011_link_changes::Migration),
            Box::new(m20261202_000012_packed_totals::Migration),
            Box::new(m20261203_000013_response_ids_from_submissions::Migration),
            Box::new(m20261203_000014_sqlite_responses_without_link_index::Migration),
        ]
    }
}
