//! The database underneath everything: connecting and migrating, write transactions, and on
//! SQLite the single writer's turn, the log sync beside it and the log's checkpoints; the
//! change counter the link caches watch.

pub mod answers;
pub mod checkpoints;
pub mod connect;
pub mod link_changes;
pub mod log_sync;
pub mod write_turn;

use chrono::{DateTime, DurationRound, FixedOffset, TimeDelta, Utc};
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

/// The hour `time` falls in: what is stored of when an anonymous answer arrived, never the
/// exact time.
pub fn round_to_hour(time: DateTime<Utc>) -> DateTime<FixedOffset> {
    time.duration_trunc(TimeDelta::hours(1)).unwrap_or(time).fixed_offset()
}

/// The current hour, as `round_to_hour` stores it.
pub fn this_hour() -> DateTime<FixedOffset> {
    round_to_hour(Utc::now())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hour_is_kept_and_the_minutes_dropped() {
        let time = DateTime::parse_from_rfc3339("2017-07-03T10:47:12Z").map(|t| t.with_timezone(&Utc));
        let rounded = time.map(round_to_hour).map(|t| t.to_rfc3339());
        assert_eq!(rounded.ok().as_deref(), Some("2017-07-03T10:00:00+00:00"));
    }
}
