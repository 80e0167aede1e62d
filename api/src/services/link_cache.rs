//! A cache of what answering through a link needs to know: the link, its questionnaire version
//! and its campaign. It spares three queries per submission.
//!
//! An entry holds while the database's change counter (`link_changes`, raised by triggers on
//! every change to links, questionnaires and campaigns' phases and settings, by whichever
//! replica or operator) is what it was when the entry was loaded. Each cache reads that
//! counter at most once per `CHECK_INTERVAL`, so a change made elsewhere is seen within about
//! that long, and unchanged links are never reloaded (with hundreds of links, reloading each
//! every second cost a fifth of the throughput). Changes made through this process also call
//! `invalidate`, after their commit, so that every cache of the process reads the counter again
//! at its next request and sees them at once. `MAX_AGE` bounds what a change the triggers
//! cannot see (a logical replica, which skips triggers) could leave stale.
//! Time windows (a link's opening and closing times) are checked against the clock on every
//! request, never cached.
//!
//! When an entry is stale, the requests for that link in the meantime wait for one load instead
//! of each loading it (at full load there are several in flight per link).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use tokio::sync::OnceCell;

use entity::{campaign, survey_link};

use super::campaigns::ScoringSettings;
use super::questionnaires::{self, Parsed};
use crate::error::ApiResult;

/// How often each cache reads the database's change counter: the longest a change made
/// through another replica takes to be seen here.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// The longest an entry is kept even when the change counter has not moved.
const MAX_AGE: Duration = Duration::from_secs(60);
/// Past this many links the cache starts afresh rather than growing.
const MAX_ENTRIES: usize = 10_000;

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

pub struct LinkContext {
    pub link: survey_link::Model,
    pub questionnaire: Parsed,
    pub campaign: campaign::Model,
    /// The campaign's settings, parsed once per load rather than once per submission.
    pub campaign_settings: ScoringSettings,
}

struct Entry {
    created_at: Instant,
    /// The database's change counter as read before loading the entry.
    generation: i64,
    /// Filled by the first request that loads it.
    context: Arc<OnceCell<Arc<LinkContext>>>,
}

/// The database's change counter as last read by this cache.
#[derive(Clone, Copy)]
struct Reading {
    generation: i64,
    read_at: Instant,
    /// `LOCAL_CHANGES` as it was before the read.
    local_changes: u64,
}

/// The link behind `slug` with its questionnaire and campaign, read now (no cache).
pub async fn load(db: &impl ConnectionTrait, slug: &str) -> ApiResult<LinkContext> {
    let link = super::links::find_by_slug(db, slug).await?;
    let questionnaire = questionnaires::find(db, link.questionnaire_id).await?;
    let campaign = super::campaigns::find(db, questionnaire.model.campaign_id).await?;
    let campaign_settings = super::campaigns::settings_of(&campaign)?;
    Ok(LinkContext { link, questionnaire, campaign, campaign_settings })
}

#[derive(Default)]
pub struct LinkCache {
    entries: Mutex<HashMap<String, Entry>>,
    last_reading: Mutex<Option<Reading>>,
    /// Held while the change counter is read, so that one request reads it for all.
    reading: tokio::sync::Mutex<()>,
}

impl LinkCache {
    /// The context of the link behind `slug`, from the cache or freshly read.
    pub async fn get(&self, db: &impl ConnectionTrait, slug: &str) -> ApiResult<Arc<LinkContext>> {
        // Read before loading: a change during the load leaves the entry stale.
        let generation = self.generation(db).await?;
        let cell = self.entry(slug, generation);
        match cell.get_or_try_init(|| async { load(db, slug).await.map(Arc::new) }).await {
            Ok(context) => Ok(context.clone()),
            Err(err) => {
                self.forget(slug, &cell);
                Err(err)
            }
        }
    }

    /// The database's change counter, read at most once per `CHECK_INTERVAL` unless this
    /// process has changed something since.
    async fn generation(&self, db: &impl ConnectionTrait) -> ApiResult<i64> {
        if let Some(generation) = self.recent_reading() {
            return Ok(generation);
        }
        let _reading = self.reading.lock().await;
        if let Some(generation) = self.recent_reading() {
            return Ok(generation);
        }
        let (read_at, local_changes) = (Instant::now(), LOCAL_CHANGES.load(Ordering::Acquire));
        let generation = database_generation(db).await?;
        let reading = Reading { generation, read_at, local_changes };
        *self.last_reading.lock().unwrap_or_else(PoisonError::into_inner) = Some(reading);
        Ok(generation)
    }

    fn recent_reading(&self) -> Option<i64> {
        let reading = (*self.last_reading.lock().unwrap_or_else(PoisonError::into_inner))?;
        let current = reading.read_at.elapsed() < CHECK_INTERVAL
            && reading.local_changes == LOCAL_CHANGES.load(Ordering::Acquire);
        current.then_some(reading.generation)
    }

    /// Drops the entry `cell` of `slug` after a failed load, so that unknown slugs take no
    /// room (a later request makes a new entry).
    fn forget(&self, slug: &str, cell: &Arc<OnceCell<Arc<LinkContext>>>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.get(slug).is_some_and(|entry| Arc::ptr_eq(&entry.context, cell)) {
            entries.remove(slug);
        }
    }

    /// The entry of `slug` if it was loaded at `generation`, or a new empty one in its place.
    fn entry(&self, slug: &str, generation: i64) -> Arc<OnceCell<Arc<LinkContext>>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = entries.get(slug)
            && entry.generation == generation
            && entry.created_at.elapsed() < MAX_AGE
        {
            return entry.context.clone();
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let context = Arc::new(OnceCell::new());
        entries.insert(slug.to_owned(), Entry { created_at: Instant::now(), generation, context: context.clone() });
        context
    }
}
