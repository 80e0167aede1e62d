//! The database's change counter (`link_changes`): raised by triggers on every change to
//! links, questionnaires and campaigns' phases and settings, by whichever replica or
//! operator. Link caches read it to tell whether what they hold is current.

use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{ConnectionTrait, Statement};

use crate::error::ApiResult;

/// Bumped after every change made through this process that could alter a link's answer.
static LOCAL_CHANGES: AtomicU64 = AtomicU64::new(0);

/// Makes every cache of this process read the change counter again at its next request.
/// Call after committing the change (whose triggers raised the counter).
pub fn invalidate() {
    LOCAL_CHANGES.fetch_add(1, Ordering::AcqRel);
}

/// The database's change counter: raised by triggers whenever a link's answer may change.
pub async fn database_generation(db: &impl ConnectionTrait) -> ApiResult<i64> {
    let query = Statement::from_string(db.get_database_backend(), "SELECT generation FROM link_changes");
    let row = db.query_one_raw(query).await?;
    Ok(row.map(|row| row.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
}

/// How many changes this process has made (see `invalidate`).
pub fn local_changes() -> u64 {
    LOCAL_CHANGES.load(Ordering::Acquire)
}
