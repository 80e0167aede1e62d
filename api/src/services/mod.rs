//! Business operations over the database. Each takes a connection or transaction,
//! so handlers stay thin and tests can call the rules directly.

pub mod accounts;
pub mod answers;
pub mod audit;
pub mod campaign_units;
pub mod campaigns;
pub mod clients;
pub mod conference;
pub mod daily_counts;
pub mod exclusions;
pub mod exports;
pub mod ingest;
pub mod invitations;
pub mod link_cache;
pub mod links;
pub mod pending_rollups;
pub mod pollster;
pub mod questionnaires;
pub mod recorded_deltas;
pub mod rectification;
pub mod report_cube;
pub mod response_ids;
pub mod results;
pub mod rollups;
pub mod rows;
pub mod satisfaction;
pub mod submissions;
pub mod supervision;
pub mod surveys;
pub mod totals_store;
pub mod units;
pub mod versioned_cache;
pub mod write_turn;

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QuerySelect, Select, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

/// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
/// a transaction that reads first and writes later would otherwise fail with "database is
/// locked" when another writer got in first, instead of waiting its turn.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    db.begin_with_options(options).await
}

/// The current time in the form sea-orm stores (`timestamp with time zone`).
pub fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

/// One page of a query plus the total number of matching rows.
pub async fn fetch_page<E, C>(db: &C, query: Select<E>, limit: u64, offset: u64) -> Result<(Vec<E::Model>, u64), DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let total = query.clone().count(db).await?;
    let items = query.limit(limit).offset(offset).all(db).await?;
    Ok((items, total))
}
