//! Database schema for Pingyi, as ordered sea-orm migrations, and the one way to apply them.
//!
//! The same migrations run on PostgreSQL and SQLite; tests build their schema from here,
//! never from the entities.

pub use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DatabaseConnection, DbBackend};

mod m20261206_000001_baseline;
mod m20261206_000002_one_active_record;
mod m20261206_000003_secret_ballots;
mod m20261206_000004_ranking_groups;
mod m20261206_000005_account_lifecycle;
mod m20261206_000006_kiosk_links;
mod m20261207_000007_console_sessions;
mod m20261207_000008_paper_ballots;
mod m20261207_000009_public_reports;
mod m20261207_000010_deliverables;
mod m20261207_000011_official_notices;
mod m20261207_000012_resurvey;
mod m20261207_000013_reminder_mail;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261206_000001_baseline::Migration),
            Box::new(m20261206_000002_one_active_record::Migration),
            Box::new(m20261206_000003_secret_ballots::Migration),
            Box::new(m20261206_000004_ranking_groups::Migration),
            Box::new(m20261206_000005_account_lifecycle::Migration),
            Box::new(m20261206_000006_kiosk_links::Migration),
            Box::new(m20261207_000007_console_sessions::Migration),
            Box::new(m20261207_000008_paper_ballots::Migration),
            Box::new(m20261207_000009_public_reports::Migration),
            Box::new(m20261207_000010_deliverables::Migration),
            Box::new(m20261207_000011_official_notices::Migration),
            Box::new(m20261207_000012_resurvey::Migration),
            Box::new(m20261207_000013_reminder_mail::Migration),
        ]
    }
}

/// Key of the PostgreSQL advisory lock that serialises migrations ("pingyi" in ASCII).
const MIGRATION_LOCK: i64 = 0x7069_6e67_7969;

/// Which way to move the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Apply every pending migration.
    Up,
    /// Roll back the newest applied migration.
    DownOne,
}

/// Moves the schema in one write transaction. On PostgreSQL it first takes an advisory lock,
/// on SQLite the write lock (`BEGIN IMMEDIATE`): replicas, the service and this crate's CLI
/// starting together migrate one after the other; the first applies everything and the
/// others find nothing left to do. Both databases' DDL is transactional, so a failed
/// migration leaves nothing half-applied.
pub async fn run(db: &DatabaseConnection, direction: Direction) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{self, ConnectionTrait as _, TransactionTrait as _};
    let options = sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    let txn = db.begin_with_options(options).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")).await?;
    }
    match direction {
        Direction::Up => Migrator::up(&txn, None).await?,
        Direction::DownOne => Migrator::down(&txn, Some(1)).await?,
    }
    txn.commit().await
}
