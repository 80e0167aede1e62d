//! The database's change counter (`link_changes`): raised by triggers on every change to
//! links, questionnaires and campaigns' phases and settings, by whichever replica or
//! operator. Link caches compare it with what they read before to tell whether an entry is
//! current.
//!
//! Changes made through this app are also counted here, after their commit, so that the
//! app's link cache reads the database's counter again at its next request instead of within
//! its check interval: what an office worker changes is seen at once on this replica.

use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{ConnectionTrait, EntityTrait};

use entity::link_change;

use crate::error::ApiResult;

/// Changes made through this app that could alter a link's answer.
#[derive(Debug, Default)]
pub struct LinkChanges {
    local: AtomicU64,
}

impl LinkChanges {
    /// Counts a change made through this app. Call after committing it (its triggers raised
    /// the database's counter).
    pub fn changed_here(&self) {
        self.local.fetch_add(1, Ordering::AcqRel);
    }

    /// How many changes this app has made so far.
    pub fn made_here(&self) -> u64 {
        self.local.load(Ordering::Acquire)
    }
}

/// The database's change counter.
pub async fn database_generation(db: &impl ConnectionTrait) -> ApiResult<i64> {
    Ok(link_change::Entity::find().one(db).await?.map_or(0, |row| row.generation))
}
