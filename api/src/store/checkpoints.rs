//! Copying SQLite's write-ahead log back into the database file beside the writer, not in
//! its commits.
//!
//! By default SQLite copies the log (a checkpoint) in the commit that takes it past 1,000
//! pages: at full load that is many times a second, each holding the response writer, and
//! the citizens waiting on it, for the whole copy. Here a job of its own copies the log on another connection while the writer goes on appending
//! (`PASSIVE`: it never waits for nor blocks a writer). The log starts again from its
//! beginning only in a write transaction that begins when every page in it has been copied:
//! a copy has to end between one commit and the writer's next transaction, which with
//! commits back to back is left to chance. So once the log is long enough, the task copies
//! what the writer appended meanwhile with the writer held (the write turn), which takes a
//! few milliseconds, and the writer's next transaction restarts the log for certain. Before
//! that it syncs the database file itself, so that the held copy's own sync has only its
//! few pages left to write.
//!
//! Every connection keeps SQLite's own checkpoint as a backstop, far past the task's
//! threshold: should the task fall behind, the log stays bounded as before.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

use crate::store::write_turn::{Holder, WriteTurns};

/// How often the job copies what the writer appended.
pub const INTERVAL: Duration = Duration::from_millis(100);
/// Log length (pages) past which the task has the log start again.
const RESTART_AT_PAGES: i64 = 4_000;
/// SQLite's own checkpoint, on every connection: well past `RESTART_AT_PAGES`.
pub const BACKSTOP_PAGES: u32 = 16_000;
/// Copies without the writer held before taking it: each copies what arrived during the
/// previous one, so that little is left for the one that holds the writer.
const PASSES_BEFORE_RESTART: usize = 3;

/// Copies the log; past `RESTART_AT_PAGES` pages, has it start again. On PostgreSQL there is
/// nothing to copy.
pub async fn copy_log(db: &DatabaseConnection, turns: &WriteTurns) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    copy_log_past(db, turns, RESTART_AT_PAGES).await
}

/// Copies the log; past `restart_at` pages, has it start again.
async fn copy_log_past(db: &DatabaseConnection, turns: &WriteTurns, restart_at: i64) -> Result<(), DbErr> {
    if checkpoint(db).await? < restart_at {
        return Ok(());
    }
    for _ in 1..PASSES_BEFORE_RESTART {
        checkpoint(db).await?;
    }
    // The held copy ends by syncing the database file, which writes out every page the
    // passes above copied too, with the writer held. Synced
    // here first, the held copy syncs only what the last pass copied. Only a speed-up: should
    // it fail, the held copy still syncs everything itself.
    if let Err(err) = sync_database_file(db).await {
        tracing::warn!(error = %err, "the database file could not be synced ahead of the log's restart");
    }
    checkpoint(db).await?;
    let _writer_held = turns.take(Holder::LogRestart).await;
    checkpoint(db).await?;
    Ok(())
}

/// Flushes the database file to disk. An in-memory database has no file and nothing to flush.
async fn sync_database_file(db: &DatabaseConnection) -> Result<(), DbErr> {
    let Some(file) = crate::store::connect::sqlite_database_file(db).await? else { return Ok(()) };
    crate::store::connect::sync_file(file, "the database file").await
}

/// One `PASSIVE` checkpoint; returns the log's length in pages.
async fn checkpoint(db: &DatabaseConnection) -> Result<i64, DbErr> {
    let statement = Statement::from_string(DbBackend::Sqlite, "PRAGMA wal_checkpoint(PASSIVE)");
    let row = db.query_one_raw(statement).await?;
    // The row is (busy, pages in the log, pages copied); -1 when the database is not in WAL mode.
    Ok(row.map(|row| row.try_get_by_index::<i64>(1)).transpose()?.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use crate::store::checkpoints::*;

    /// One write transaction of about a page, taken in turn as the response writer takes it.
    async fn write_a_page(writer: &DatabaseConnection, turns: &WriteTurns) -> Result<(), DbErr> {
        let _turn = turns.take(Holder::Responses).await;
        let txn = crate::store::begin_write(writer).await?;
        txn.execute_unprepared("INSERT INTO filler (bytes) VALUES (randomblob(3000))").await?;
        txn.commit().await
    }

    // The sync opens the file SQLite names for the main database; an in-memory one is skipped.
    #[tokio::test]
    async fn the_database_file_is_found_and_synced() -> Result<(), DbErr> {
        let dir = std::env::temp_dir().join(format!("pingyi-sync-{}", uuid::Uuid::new_v4().simple()));
        let on_file =
            crate::store::connect::connect(&format!("sqlite://{}/pingyi.db?mode=rwc", dir.display()), 1).await?;
        on_file.execute_unprepared("CREATE TABLE filler (bytes BLOB NOT NULL)").await?;
        sync_database_file(&on_file).await?;
        sync_database_file(&crate::store::connect::connect("sqlite::memory:", 1).await?).await?;
        std::fs::remove_dir_all(&dir).ok();
        Ok(())
    }

    // The restart is checked, not that it needs the writer held: this writer leaves gaps
    // between its commits that an unheld copy can end in.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_starts_again_while_a_writer_keeps_committing() -> Result<(), DbErr> {
        let dir = std::env::temp_dir().join(format!("pingyi-checkpoints-{}", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite://{}/pingyi.db?mode=rwc", dir.display());
        let shared = crate::store::connect::connect(&url, 2).await?;
        shared.execute_unprepared("CREATE TABLE filler (bytes BLOB NOT NULL)").await?;
        let writer = crate::store::connect::connect_writer(&url, &shared).await?;
        let turns = WriteTurns::for_backend(sea_orm::DbBackend::Sqlite);
        for _ in 0..100 {
            write_a_page(&writer, &turns).await?;
        }
        let before = checkpoint(&shared).await?;
        assert!(before >= 100, "the log holds every page written so far: {before}");

        let (stop, commits) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
        let committing = tokio::spawn({
            let (writer, turns, stop, commits) = (writer.clone(), turns.clone(), stop.clone(), commits.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    write_a_page(&writer, &turns).await?;
                    commits.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<_, DbErr>(())
            }
        });
        copy_log_past(&shared, &turns, 50).await?;
        let copied_at = commits.load(Ordering::Relaxed);
        let ten_more = async {
            while commits.load(Ordering::Relaxed) < copied_at + 10 {
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), ten_more)
            .await
            .map_err(|_| DbErr::Custom("the writer did not go on committing".to_owned()))?;
        stop.store(true, Ordering::Relaxed);
        committing.await.map_err(|err| DbErr::Custom(err.to_string()))??;

        let after = checkpoint(&shared).await?;
        assert!(after < before, "the log started again: {after} pages, against {before} before the copy");
        std::fs::remove_dir_all(&dir).ok();
        Ok(())
    }
}
