//! Connecting to PostgreSQL or the embedded SQLite file, chosen by the URL's scheme,
//! and applying the migrations.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};

/// Prepared statements kept per connection (sqlx's default is 100). Batched inserts come in
/// many sizes, each its own statement of up to tens of kilobytes: a hundred of them on each
/// connection of the pool is memory for statements that are rarely used again.
const STATEMENT_CACHE: usize = 24;
/// A pooled connection is pinged before use only after lying idle this long (sqlx pings on
/// every checkout by default). sqlx already pings each connection when it is returned, so a
/// connection in the pool was alive a moment ago; the checkout ping was one more round trip
/// per batch of responses. One idle this long may have been dropped by the server or a
/// firewall; one that broke meanwhile fails its statement (503, retried) and is closed.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(10);

pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    open(url, max_connections, SqliteSynchronous::Full).await
}

/// A pool for `url`; on SQLite its connections commit at `synchronous`.
async fn open(url: &str, max_connections: u32, synchronous: SqliteSynchronous) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file(url) {
        ensure_parent_dir(&path);
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire_if_idle_for(PING_WHEN_IDLE_FOR)
        .sqlx_logging(false)
        // WAL lets readers work while one writer commits; FULL keeps an acknowledged
        // commit durable across a power cut (NORMAL only for the response writer, see
        // `connect_writer`); the busy timeout queues writers instead of failing.
        .map_sqlx_sqlite_opts(move |opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .statement_cache_capacity(STATEMENT_CACHE)
                // SQLite's own checkpoint as a backstop only (see `store::checkpoints`).
                .pragma("wal_autocheckpoint", crate::store::checkpoints::BACKSTOP_PAGES.to_string())
        })
        .map_sqlx_postgres_opts(|opts| opts.statement_cache_capacity(STATEMENT_CACHE));
    Database::connect(options).await
}

/// The connection citizens' responses are written and folded through. On SQLite, a pool of
/// its own with one connection: SQLite has one writer anyway, and a connection drops its
/// whole page cache when it finds that another connection wrote since its last
/// transaction, so with the writes spread over the pool every batch would read the index
/// pages it touched back from the file. Its commits
/// are at `synchronous=NORMAL`: what it commits is answered only once `LogSync` has synced
/// the log (see `store::log_sync`). On PostgreSQL, the shared pool.
pub async fn connect_writer(url: &str, shared: &DatabaseConnection) -> Result<DatabaseConnection, DbErr> {
    match shared.get_database_backend() {
        DbBackend::Sqlite => open(url, 1, SqliteSynchronous::Normal).await,
        _ => Ok(shared.clone()),
    }
}

/// Applies the pending migrations, under the lock that makes replicas and the migration CLI
/// starting together migrate one after the other (see `migration::run`).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migration::run(db, migration::Direction::Up).await
}

/// The file SQLite keeps the main database in; `None` for an in-memory database.
pub async fn sqlite_database_file(db: &DatabaseConnection) -> Result<Option<std::path::PathBuf>, DbErr> {
    let statement =
        Statement::from_string(DbBackend::Sqlite, "SELECT file FROM pragma_database_list WHERE name = 'main'");
    let file: String = match db.query_one_raw(statement).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => return Ok(None),
    };
    Ok((!file.is_empty()).then(|| std::path::PathBuf::from(file)))
}

/// Flushes `file`'s data to disk from a descriptor of its own, without blocking the runtime:
/// a sync covers the file, not the descriptor, so this flushes what SQLite's connections
/// wrote to it. `what` names the file in the error.
pub async fn sync_file(file: std::path::PathBuf, what: &str) -> Result<(), DbErr> {
    let synced = tokio::task::spawn_blocking(move || std::fs::File::open(file)?.sync_data()).await;
    synced
        .map_err(|err| DbErr::Custom(err.to_string()))?
        .map_err(|err| DbErr::Custom(format!("{what} could not be synced: {err}")))
}

/// The file behind a `sqlite://` URL, if it is one.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

fn ensure_parent_dir(path: &std::path::Path) {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && let Err(err) = std::fs::create_dir_all(parent)
    {
        tracing::warn!(error = %err, dir = %parent.display(), "could not create the database directory");
    }
}
