//! Whose turn it is to write to SQLite among this process's busiest writers: the response
//! writer, the folder and the task that restarts the write-ahead log (and the daily cap's
//! first read of a day, which must not see a commit land halfway, see `daily_counts`). Without it the one
//! that finds the write lock taken sleeps in SQLite's busy handler, which wakes up on a timer
//! (1, 2, 5, 10… ms), not when the lock is free. On PostgreSQL, which has row locks and no
//! single writer, there is no turn to take.
//!
//! Each turn is timed by its holder (`pingyi_sqlite_write_turn_hold_seconds`): while a fold
//! or a log restart holds it, every citizen in flight waits, so on SQLite the tail of the
//! submission latency follows these holds.

use std::time::Instant;

use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::{Mutex, MutexGuard};

use crate::metrics::METRICS;

static SQLITE_WRITE_TURN: Mutex<()> = Mutex::const_new(());

/// Who holds the turn, as the metric labels it.
#[derive(Clone, Copy, Debug)]
pub enum Holder {
    /// A group commit of citizens' responses.
    Responses,
    /// A fold of pending responses into the running totals.
    Fold,
    /// The last copy of the write-ahead log before it starts again.
    LogRestart,
    /// The first read of a campaign's counts for the daily cap in a day (see `daily_counts`).
    DailyCounts,
}

impl Holder {
    pub fn label(self) -> &'static str {
        match self {
            Self::Responses => "responses",
            Self::Fold => "fold",
            Self::LogRestart => "log_restart",
            Self::DailyCounts => "daily_counts",
        }
    }
}

/// The turn, until dropped.
pub struct WriteTurn {
    _guard: MutexGuard<'static, ()>,
    holder: Holder,
    since: Instant,
}

impl Drop for WriteTurn {
    fn drop(&mut self) {
        let held = self.since.elapsed().as_secs_f64();
        METRICS.sqlite_write_turn_seconds.with_label_values(&[self.holder.label()]).observe(held);
    }
}

/// Waits for the turn to write on SQLite; on PostgreSQL returns `None` at once.
pub async fn take(db: &DatabaseConnection, holder: Holder) -> Option<WriteTurn> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let guard = SQLITE_WRITE_TURN.lock().await;
    Some(WriteTurn { _guard: guard, holder, since: Instant::now() })
}
