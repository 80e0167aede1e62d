//! The database underneath everything: connecting and migrating, write transactions, and on
//! SQLite the single writer's turn, the log sync beside it and the log's checkpoints; the
//! change counter the link caches watch.

pub mod checkpoints;
pub mod connect;
pub mod link_changes;
pub mod log_sync;
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
