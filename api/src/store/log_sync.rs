//! Syncing SQLite's write-ahead log beside the single writer instead of inside its turn.
//!
//! At `synchronous=FULL` a commit syncs the log before it returns, holding SQLite's write
//! lock and the app's write turn the while: no other batch is written during any sync, and
//! when the disk stalls, every citizen in flight waits. The response writer's connection
//! is at `synchronous=NORMAL` instead (its commits are atomic but not yet on disk), and a
//! batch's citizens are answered only once the log file has been synced after the batch's
//! commit. The writer writes the next batch while that sync runs, and one sync covers every
//! commit that ended before it began. Acknowledged still means on disk: the log holds every
//! committed frame in order, and a sync of the file covers all that was written to it.
//!
//! What this changes for readers: a transaction committed on the writer's connection is
//! visible to other connections from its commit, a millisecond or so before it is on disk
//! (as with PostgreSQL's `synchronous_commit=off`). Nobody has been answered for it yet;
//! a power cut in that window takes it with it, as it takes any request not yet answered.
//! Webhook deliveries are claimed by a commit on a `FULL` connection before they are sent,
//! and that commit syncs the log up to and including the fold that queued them.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use tokio::sync::Mutex;

use crate::metrics::METRICS;

/// Syncs a SQLite database's log for commits made at `synchronous=NORMAL`; does nothing on
/// PostgreSQL (its commits are durable when they return) or for a database without a file.
pub struct LogSync {
    log_file: Option<PathBuf>,
    /// Commits counted so far (`committed`); a sync that starts after the n-th covers it.
    commits: AtomicU64,
    /// How many of the counted commits a finished sync covers.
    synced: AtomicU64,
    /// One sync at a time; those waiting meanwhile are usually covered by the next.
    syncing: Mutex<()>,
}

/// A commit to wait for, from `LogSync::committed`.
#[derive(Clone, Copy, Debug)]
pub struct Commit(u64);

impl LogSync {
    /// For the database behind `db`: on SQLite, its log file beside the database file.
    pub async fn for_database(db: &DatabaseConnection) -> Result<Arc<Self>, DbErr> {
        let log_file = match db.get_database_backend() {
            DbBackend::Sqlite => crate::store::connect::sqlite_database_file(db).await?.map(|file| {
                let mut log = file.into_os_string();
                log.push("-wal");
                PathBuf::from(log)
            }),
            _ => None,
        };
        Ok(Arc::new(Self::for_log_file(log_file)))
    }

    fn for_log_file(log_file: Option<PathBuf>) -> Self {
        Self { log_file, commits: AtomicU64::new(0), synced: AtomicU64::new(0), syncing: Mutex::new(()) }
    }

    /// Whether commits on the writer's connection need `durable` before they are answered.
    pub fn syncs(&self) -> bool {
        self.log_file.is_some()
    }

    /// Counts a commit that has just returned; `durable` then waits until it is on disk.
    pub fn committed(&self) -> Commit {
        Commit(self.commits.fetch_add(1, Ordering::AcqRel) + 1)
    }

    /// Returns once `commit` is on disk: at once if a sync that began after it has ended,
    /// otherwise after the next sync, which covers every commit counted before it began.
    pub async fn durable(&self, commit: Commit) -> Result<(), DbErr> {
        let Some(log_file) = &self.log_file else { return Ok(()) };
        loop {
            if self.synced.load(Ordering::Acquire) >= commit.0 {
                return Ok(());
            }
            let _syncing = self.syncing.lock().await;
            if self.synced.load(Ordering::Acquire) >= commit.0 {
                return Ok(());
            }
            let covered = self.commits.load(Ordering::Acquire);
            sync_log(log_file.clone()).await?;
            self.synced.fetch_max(covered, Ordering::AcqRel);
        }
    }
}

/// Syncs the log, timed. Opened for each sync (`connect::sync_file`): SQLite deletes the log when
/// its last connection closes, after copying it into the database file and syncing that, and
/// starts a new one.
async fn sync_log(file: PathBuf) -> Result<(), DbErr> {
    let started = Instant::now();
    let synced = crate::store::connect::sync_file(file, "the write-ahead log").await;
    METRICS.sqlite_log_sync_seconds.observe(started.elapsed().as_secs_f64());
    synced
}

#[cfg(test)]
mod tests {
    use sea_orm::ConnectionTrait;

    use crate::store::log_sync::*;

    fn temporary_database() -> (PathBuf, String) {
        let dir = std::env::temp_dir().join(format!("pingyi-log-sync-{}", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite://{}/pingyi.db?mode=rwc", dir.display());
        (dir, url)
    }

    #[tokio::test]
    async fn the_writer_commits_unsynced_and_the_log_beside_the_file_is_synced() -> Result<(), DbErr> {
        let (dir, url) = temporary_database();
        let shared = crate::store::connect::connect(&url, 1).await?;
        let writer = crate::store::connect::connect_writer(&url, &shared).await?;
        let synchronous = |db: DatabaseConnection| async move {
            let row =
                db.query_one_raw(sea_orm::Statement::from_string(DbBackend::Sqlite, "PRAGMA synchronous")).await?;
            row.map(|row| row.try_get_by_index::<i64>(0)).transpose()
        };
        assert_eq!(synchronous(shared.clone()).await?, Some(2), "other connections commit durably (FULL)");
        assert_eq!(synchronous(writer.clone()).await?, Some(1), "the writer's commits wait for LogSync (NORMAL)");

        let log_sync = LogSync::for_database(&writer).await?;
        assert_eq!(log_sync.log_file, Some(dir.join("pingyi.db-wal")));
        writer.execute_unprepared("CREATE TABLE filler (bytes BLOB NOT NULL)").await?;
        let commit = log_sync.committed();
        log_sync.durable(commit).await?;
        assert_eq!(log_sync.synced.load(Ordering::Acquire), 1);
        std::fs::remove_dir_all(&dir).ok();
        Ok(())
    }

    #[tokio::test]
    async fn nothing_is_synced_without_a_file() -> Result<(), DbErr> {
        let memory = crate::store::connect::connect("sqlite::memory:", 1).await?;
        let log_sync = LogSync::for_database(&memory).await?;
        assert!(!log_sync.syncs());
        log_sync.durable(log_sync.committed()).await
    }

    // Every waiter is answered, with far fewer syncs than commits: those counted while a sync
    // runs share the next one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_sync_covers_the_commits_counted_before_it() -> Result<(), DbErr> {
        let (dir, _) = temporary_database();
        std::fs::create_dir_all(&dir).map_err(|err| DbErr::Custom(err.to_string()))?;
        let log_file = dir.join("log");
        std::fs::write(&log_file, b"frames").map_err(|err| DbErr::Custom(err.to_string()))?;
        let log_sync = Arc::new(LogSync::for_log_file(Some(log_file)));
        let syncs_before = METRICS.sqlite_log_sync_seconds.get_sample_count();
        let waiters: Vec<_> = (0..64)
            .map(|_| {
                let commit = log_sync.committed();
                let log_sync = log_sync.clone();
                tokio::spawn(async move { log_sync.durable(commit).await })
            })
            .collect();
        for waiter in waiters {
            waiter.await.map_err(|err| DbErr::Custom(err.to_string()))??;
        }
        assert_eq!(log_sync.synced.load(Ordering::Acquire), 64);
        // Other tests in this process sync too; these 64 commits took at most a handful.
        let syncs = METRICS.sqlite_log_sync_seconds.get_sample_count() - syncs_before;
        assert!(syncs < 16, "{syncs} syncs for 64 commits counted together");
        std::fs::remove_dir_all(&dir).ok();
        Ok(())
    }

    // A failed sync answers its waiters with an error, never as durable.
    #[tokio::test]
    async fn a_log_that_cannot_be_synced_is_an_error() {
        let missing = std::env::temp_dir().join(format!("pingyi-no-such-dir-{}", uuid::Uuid::new_v4().simple()));
        let log_sync = LogSync::for_log_file(Some(missing.join("pingyi.db-wal")));
        let outcome = log_sync.durable(log_sync.committed()).await;
        assert!(outcome.is_err(), "{outcome:?}");
        assert_eq!(log_sync.synced.load(Ordering::Acquire), 0);
    }
}
