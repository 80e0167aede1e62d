//! A short-lived cache of what answering through a link needs to know: the link, its
//! questionnaire version and its campaign. It spares three queries per submission.
//!
//! Entries live at most `TTL`. When one expires, the requests for that link in the meantime
//! wait for one load instead of each loading it (at full load there are several in flight
//! per link). Changes made through this process (revoking a link, changing
//! its controls, publishing or closing a questionnaire, moving or configuring a campaign)
//! call `invalidate`, which empties every cache at once; changes made by another replica
//! reach this one within `TTL`. Time windows (a link's opening and closing times) are
//! checked against the clock on every request, never cached.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use tokio::sync::OnceCell;

use entity::{campaign, survey_link};

use super::campaigns::ScoringSettings;
use super::questionnaires::{self, Parsed};
use crate::error::ApiResult;

/// The longest a change made elsewhere takes to be seen here.
pub const TTL: Duration = Duration::from_secs(1);
/// Past this many links the cache starts afresh rather than growing.
const MAX_ENTRIES: usize = 10_000;

/// Bumped by every change that could alter a link's answer; entries from before are stale.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Marks every cached link context stale (in every cache of this process).
pub fn invalidate() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
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
    generation: u64,
    /// Filled by the first request that loads it.
    context: Arc<OnceCell<Arc<LinkContext>>>,
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
}

impl LinkCache {
    /// The context of the link behind `slug`, from the cache or freshly read.
    pub async fn get(&self, db: &impl ConnectionTrait, slug: &str) -> ApiResult<Arc<LinkContext>> {
        let cell = self.entry(slug);
        match cell.get_or_try_init(|| async { load(db, slug).await.map(Arc::new) }).await {
            Ok(context) => Ok(context.clone()),
            Err(err) => {
                self.forget(slug, &cell);
                Err(err)
            }
        }
    }

    /// Drops the entry `cell` of `slug` after a failed load, so that unknown slugs take no
    /// room (a later request makes a new entry).
    fn forget(&self, slug: &str, cell: &Arc<OnceCell<Arc<LinkContext>>>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.get(slug).is_some_and(|entry| Arc::ptr_eq(&entry.context, cell)) {
            entries.remove(slug);
        }
    }

    /// The fresh entry of `slug`, or a new empty one in its place.
    fn entry(&self, slug: &str) -> Arc<OnceCell<Arc<LinkContext>>> {
        // Read before loading: an invalidation during the load leaves the entry stale.
        let generation = GENERATION.load(Ordering::Acquire);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = entries.get(slug)
            && entry.generation == generation
            && entry.created_at.elapsed() < TTL
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
