//! Whose turn it is to write to one SQLite database among an app's busiest writers: the
//! response writer, the fold and the job that restarts the write-ahead log (and the daily
//! cap's first read of a day, which must not see a commit land halfway, see `daily_cap`).
//! Without it the one that finds the write lock taken sleeps in SQLite's busy handler, which
//! wakes up on a timer, not when the lock is free. On PostgreSQL, which has row locks and no
//! single writer, there is no turn to take.
//!
//! Each turn is timed by its holder (`pingyi_sqlite_write_turn_hold_seconds`): while a fold
//! or a log restart holds it, every citizen in flight waits, so on SQLite the tail of the
//! submission latency follows these holds.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use sea_orm::DbBackend;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::metrics::METRICS;

/// The turns of one app's writers to one database. Shared (`Arc`) by every writer of the app.
pub struct WriteTurns {
    /// `None` on PostgreSQL.
    sqlite: Option<Arc<Mutex<()>>>,
    /// Writers waiting for the turn now.
    waiting: AtomicUsize,
}

impl WriteTurns {
    /// Turns for a database of `backend`: taken on SQLite, nothing to take on PostgreSQL.
    pub fn for_backend(backend: DbBackend) -> Arc<Self> {
        let sqlite = (backend == DbBackend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Arc::new(Self { sqlite, waiting: AtomicUsize::new(0) })
    }

    /// Waits for the turn to write on SQLite; on PostgreSQL returns `None` at once.
    pub async fn take(&self, holder: Holder) -> Option<WriteTurn> {
        let turn = self.sqlite.as_ref()?.clone();
        let waiting = Waiting::on(&self.waiting);
        let turn = turn.lock_owned().await;
        drop(waiting);
        Some(WriteTurn { _guard: turn, holder, since: Instant::now() })
    }

    /// How many writers wait for the turn now (tests wait for a writer to be waiting).
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }
}

/// Counts a writer as waiting until dropped, also when its wait is given up.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn on(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Who holds the turn, as the metric labels it.
#[derive(Clone, Copy, Debug)]
pub enum Holder {
    /// A group commit of citizens' responses.
    Responses,
    /// A fold of pending responses into the running totals.
    Fold,
    /// The last copy of the write-ahead log before it starts again.
    LogRestart,
    /// The first read of a campaign's counts for the daily cap in a day (see `daily_cap`).
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
    _guard: OwnedMutexGuard<()>,
    holder: Holder,
    since: Instant,
}

impl Drop for WriteTurn {
    fn drop(&mut self) {
        let held = self.since.elapsed().as_secs_f64();
        METRICS.sqlite_write_turn_seconds.with_label_values(&[self.holder.label()]).observe(held);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_free(turns: &WriteTurns) -> bool {
        turns.sqlite.as_ref().is_some_and(|turn| turn.try_lock().is_ok())
    }

    /// Two apps' turns on two databases are apart: one app holding its turn does not keep
    /// the other's writers waiting. On PostgreSQL there is no turn.
    #[tokio::test]
    async fn the_turns_of_two_apps_are_apart() {
        let (first, second) = (WriteTurns::for_backend(DbBackend::Sqlite), WriteTurns::for_backend(DbBackend::Sqlite));
        let held = first.take(Holder::Fold).await;
        assert!(held.is_some());
        assert!(!is_free(&first), "the app's other writers wait for its turn");
        assert!(is_free(&second), "another app's turn is free");
        drop(held);
        assert!(is_free(&first));
        assert!(WriteTurns::for_backend(DbBackend::Postgres).take(Holder::Fold).await.is_none());
    }
}
