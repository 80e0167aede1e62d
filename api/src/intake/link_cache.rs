//! A cache of what answering through a link needs to know: the link, its unit, its
//! questionnaire version and its campaign. It spares four queries per submission and every
//! query of a page view. The links of one questionnaire share one copy of the questionnaire
//! and its campaign. Each entry also keeps what was rendered from it (the answer page, the
//! public questionnaire, QR codes, posters: `Renders`), so those are made once per link and
//! made again only when what they show changes (an entry read again unchanged keeps them).
//!
//! An entry holds while the database's change counter (`link_changes`, raised by triggers on
//! every change to links, questionnaires and campaigns' phases and settings, by whichever
//! replica or operator) is what it was when the entry was loaded. Each cache reads that
//! counter at most once per check interval (`CHECK_INTERVAL` in the service), so a change
//! made elsewhere is seen within about that long, and unchanged links are never reloaded
//! (with hundreds of links, reloading each on a timer is a steady share of the database's
//! work for nothing).
//! Changes made through this app are counted in its `LinkChanges`, so that its cache reads
//! the counter again at its next request and sees them at once. `MAX_AGE` bounds what a
//! change the triggers cannot see (a logical replica, which skips triggers) could leave stale.
//! Time windows (a link's opening and closing times) are checked against the clock on every
//! request, never cached.
//!
//! When an entry is stale, the requests for that link in the meantime wait for one load instead
//! of each loading it (at full load there are several in flight per link).

use std::any::{Any, TypeId};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use entity::{campaign, survey_link, unit};
use sea_orm::ConnectionTrait;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::domain::campaign::ScoringSettings;
use crate::error::ApiResult;
use crate::services::registry::questionnaires::{self, Parsed};
use crate::store::link_changes::{self, LinkChanges};

/// How often the service's cache reads the database's change counter: the longest a change
/// made through another replica takes to be seen here.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// The longest an entry is kept even when the change counter has not moved. A link's entry
/// may be built on its questionnaire's entry of that age, so what it holds is at most a
/// minute old.
const MAX_AGE: Duration = Duration::from_secs(30);
/// Past this many links the cache starts afresh rather than growing.
const MAX_ENTRIES: usize = 10_000;

pub struct LinkContext {
    pub link: survey_link::Model,
    /// The unit the link is for. A unit's renaming is not among the changes the counter
    /// counts: it shows within `MAX_AGE`.
    pub unit: Arc<unit::Model>,
    /// The rest is shared by every link of the questionnaire: its questions are tens of
    /// kilobytes of JSON, which a copy per link would multiply by the links.
    pub questionnaire: Arc<Parsed>,
    pub campaign: Arc<campaign::Model>,
    /// The campaign's settings, parsed once per load rather than once per submission.
    pub campaign_settings: Arc<ScoringSettings>,
    /// What has been rendered from this entry; carried over to the entry that replaces it
    /// when the link, unit, questionnaire and campaign read again are the same.
    pub renders: Arc<Renders>,
}

/// What has been rendered from one link's entry, by what it is (`"page:zh-CN"`,
/// `"qr.png:512"`). A handful per link; past `MAX_RENDERS` more are made per request and not
/// kept, so that odd sizes asked for cannot grow it. Requests that arrive while a rendering
/// is being made wait for it rather than each making their own (a hall scanning one poster).
#[derive(Default)]
pub struct Renders {
    /// Keyed by type as well as name, so what a key holds is always of the type asked for.
    kept: Mutex<HashMap<RenderKey, Arc<OnceCell<Rendering>>>>,
}

type RenderKey = (TypeId, String);
type Rendering = Arc<dyn Any + Send + Sync>;

const MAX_RENDERS: usize = 16;

impl Renders {
    /// What is kept under `key`, or what `make` renders now (kept for the next request).
    pub async fn get_or_make<T, E, F>(&self, key: &str, make: impl FnOnce() -> F) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
        F: Future<Output = Result<T, E>>,
    {
        let cell = {
            let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
            let full = kept.len() >= MAX_RENDERS;
            match kept.entry((TypeId::of::<T>(), key.to_owned())) {
                std::collections::hash_map::Entry::Occupied(entry) => Some(entry.get().clone()),
                std::collections::hash_map::Entry::Vacant(_) if full => None,
                std::collections::hash_map::Entry::Vacant(entry) => Some(entry.insert(Arc::default()).clone()),
            }
        };
        let Some(cell) = cell else { return make().await.map(Arc::new) };
        let kept = cell.get_or_try_init(|| async { make().await.map(|made| Arc::new(made) as Rendering) }).await?;
        Ok(kept.clone().downcast::<T>().unwrap_or_else(|_| unreachable!("renders are keyed by their type")))
    }
}

/// What every link of one questionnaire shares.
struct QuestionnaireParts {
    questionnaire: Arc<Parsed>,
    campaign: Arc<campaign::Model>,
    campaign_settings: Arc<ScoringSettings>,
}

impl LinkContext {
    /// The context of `link`, keeping what `previous` rendered if it showed the same things.
    fn of(
        link: survey_link::Model,
        unit: unit::Model,
        parts: &QuestionnaireParts,
        previous: Option<&LinkContext>,
    ) -> Self {
        let renders = previous
            .filter(|previous| {
                previous.link == link
                    && *previous.unit == unit
                    && previous.questionnaire.model == parts.questionnaire.model
                    && *previous.campaign == *parts.campaign
            })
            .map_or_else(Arc::default, |previous| previous.renders.clone());
        Self {
            link,
            unit: Arc::new(unit),
            questionnaire: parts.questionnaire.clone(),
            campaign: parts.campaign.clone(),
            campaign_settings: parts.campaign_settings.clone(),
            renders,
        }
    }
}

/// The database's change counter as last read by this cache.
#[derive(Clone, Copy)]
struct Reading {
    generation: i64,
    read_at: Instant,
    /// This app's changes as counted before the read.
    local_changes: u64,
}

/// The link behind `slug` with its unit, questionnaire and campaign, read now (no cache).
pub async fn load(db: &impl ConnectionTrait, slug: &str) -> ApiResult<LinkContext> {
    let link = crate::services::registry::links::find_by_slug(db, slug).await?;
    let unit = crate::services::registry::units::find(db, link.unit_id).await?;
    let parts = load_parts(db, link.questionnaire_id).await?;
    Ok(LinkContext::of(link, unit, &parts, None))
}

async fn load_parts(db: &impl ConnectionTrait, questionnaire_id: Uuid) -> ApiResult<QuestionnaireParts> {
    let questionnaire = questionnaires::find(db, questionnaire_id).await?;
    let campaign = crate::services::registry::campaigns::find(db, questionnaire.model.campaign_id).await?;
    let campaign_settings = crate::services::registry::campaigns::settings_of(&campaign)?;
    Ok(QuestionnaireParts {
        questionnaire: Arc::new(questionnaire),
        campaign: Arc::new(campaign),
        campaign_settings: Arc::new(campaign_settings),
    })
}

/// Loaded values by key, each held while the change counter stays at the generation read
/// before its load and for at most `MAX_AGE`. Requests for a key whose entry is stale wait
/// for one load instead of each loading it.
struct Loads<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
}

struct Entry<V> {
    created_at: Instant,
    /// The database's change counter as read before loading the entry.
    generation: i64,
    /// Filled by the first request that loads it.
    value: Arc<OnceCell<Arc<V>>>,
}

impl<K, V> Default for Loads<K, V> {
    fn default() -> Self {
        Self { entries: Mutex::default() }
    }
}

impl<K: Hash + Eq, V> Loads<K, V> {
    /// The value of `key` loaded at `generation`, loading it with `load` if there is none.
    /// `load` is given the value the new entry replaces, if there was one.
    async fn get<Q, F>(&self, key: &Q, generation: i64, load: impl FnOnce(Option<Arc<V>>) -> F) -> ApiResult<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        F: Future<Output = ApiResult<V>>,
    {
        let (cell, previous) = self.cell(key, generation);
        match cell.get_or_try_init(|| async { load(previous).await.map(Arc::new) }).await {
            Ok(value) => Ok(value.clone()),
            Err(err) => {
                self.forget(key, &cell);
                Err(err)
            }
        }
    }

    /// The entry of `key` if it was loaded at `generation`, or a new empty one in its place
    /// with the value of the entry it replaces.
    fn cell<Q>(&self, key: &Q, generation: i64) -> (Arc<OnceCell<Arc<V>>>, Option<Arc<V>>)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = entries.get(key)
            && entry.generation == generation
            && entry.created_at.elapsed() < MAX_AGE
        {
            return (entry.value.clone(), None);
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let value = Arc::new(OnceCell::new());
        let replaced =
            entries.insert(key.to_owned(), Entry { created_at: Instant::now(), generation, value: value.clone() });
        (value, replaced.and_then(|entry| entry.value.get().cloned()))
    }

    /// Drops the entry `cell` of `key` after a failed load, so that unknown keys take no
    /// room (a later request makes a new entry).
    fn forget<Q>(&self, key: &Q, cell: &Arc<OnceCell<Arc<V>>>)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.get(key).is_some_and(|entry| Arc::ptr_eq(&entry.value, cell)) {
            entries.remove(key);
        }
    }
}

pub struct LinkCache {
    /// Changes made through this app: a new one makes the next request read the counter.
    changes: Arc<LinkChanges>,
    /// How long a reading of the database's counter is used before it is read again.
    check_interval: Duration,
    links: Loads<String, LinkContext>,
    questionnaires: Loads<Uuid, QuestionnaireParts>,
    last_reading: Mutex<Option<Reading>>,
    /// Held while the change counter is read, so that one request reads it for all.
    reading: tokio::sync::Mutex<()>,
}

impl LinkCache {
    pub fn new(changes: Arc<LinkChanges>, check_interval: Duration) -> Self {
        Self {
            changes,
            check_interval,
            links: Loads::default(),
            questionnaires: Loads::default(),
            last_reading: Mutex::default(),
            reading: tokio::sync::Mutex::default(),
        }
    }

    /// The context of the link behind `slug`, from the cache or freshly read.
    pub async fn get(&self, db: &impl ConnectionTrait, slug: &str) -> ApiResult<Arc<LinkContext>> {
        // Read before loading: a change during the load leaves the entry stale.
        let generation = self.generation(db).await?;
        self.links.get(slug, generation, |previous| self.load(db, slug, generation, previous)).await
    }

    /// The link behind `slug`, with the parts its questionnaire's links share from the cache.
    async fn load(
        &self,
        db: &impl ConnectionTrait,
        slug: &str,
        generation: i64,
        previous: Option<Arc<LinkContext>>,
    ) -> ApiResult<LinkContext> {
        let link = crate::services::registry::links::find_by_slug(db, slug).await?;
        let unit = crate::services::registry::units::find(db, link.unit_id).await?;
        let id = link.questionnaire_id;
        let parts = self.questionnaires.get(&id, generation, |_| load_parts(db, id)).await?;
        Ok(LinkContext::of(link, unit, &parts, previous.as_deref()))
    }

    /// The database's change counter, read at most once per check interval unless this app
    /// has changed something since.
    async fn generation(&self, db: &impl ConnectionTrait) -> ApiResult<i64> {
        if let Some(generation) = self.recent_reading() {
            return Ok(generation);
        }
        let _reading = self.reading.lock().await;
        if let Some(generation) = self.recent_reading() {
            return Ok(generation);
        }
        let (read_at, local_changes) = (Instant::now(), self.changes.made_here());
        let generation = link_changes::database_generation(db).await?;
        let reading = Reading { generation, read_at, local_changes };
        *self.last_reading.lock().unwrap_or_else(PoisonError::into_inner) = Some(reading);
        Ok(generation)
    }

    fn recent_reading(&self) -> Option<i64> {
        let reading = (*self.last_reading.lock().unwrap_or_else(PoisonError::into_inner))?;
        let current =
            reading.read_at.elapsed() < self.check_interval && reading.local_changes == self.changes.made_here();
        current.then_some(reading.generation)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::intake::link_cache::*;

    /// Requests arriving while a rendering is made wait for it: one rendering for all.
    #[tokio::test]
    async fn concurrent_first_requests_render_once() {
        let renders = Renders::default();
        let made = AtomicUsize::new(0);
        let (release, held) = tokio::sync::watch::channel(false);
        let request = || async {
            renders
                .get_or_make("poster.png:zh-CN", || async {
                    made.fetch_add(1, Ordering::SeqCst);
                    // Held until every request has arrived, so that they overlap.
                    held.clone().wait_for(|go| *go).await.map_err(|_| ())?;
                    Ok::<_, ()>(vec![1_u8, 2, 3])
                })
                .await
        };
        let requests = futures_util::future::join_all((0..20).map(|_| request()));
        let releaser = async {
            tokio::task::yield_now().await;
            release.send_replace(true);
        };
        let (results, ()) = tokio::join!(requests, releaser);
        assert!(results.iter().all(|r| r.as_deref() == Ok(&vec![1, 2, 3])));
        assert_eq!(made.load(Ordering::SeqCst), 1);
    }

    /// An entry read again after a change elsewhere keeps what it rendered; one whose link
    /// changed renders afresh.
    #[tokio::test]
    async fn renders_outlive_a_reload_that_changed_nothing_they_show() -> Result<(), Box<dyn std::error::Error>> {
        use sea_orm::ConnectionTrait;
        let dir = std::env::temp_dir().join(format!("pingyi-renders-{}", Uuid::new_v4().simple()));
        let db = crate::store::connect::connect(&format!("sqlite://{}/pingyi.db?mode=rwc", dir.display()), 2).await?;
        crate::store::connect::migrate(&db).await?;
        let spend_key = crate::services::integrity::codes::SpendKey::derive(&crate::config::Secret::new(vec![7; 40])?);
        let demo = crate::demo::load(&db, &spend_key).await?;
        let (slug, other) = (&demo.links[0].1, &demo.links[1].1);
        // Reads the change counter on every request.
        let cache = LinkCache::new(Arc::new(LinkChanges::default()), Duration::ZERO);
        let touch = |slug: &str, set: &str| format!("UPDATE survey_links SET {set} WHERE slug = '{slug}'");

        let first = cache.get(&db, slug).await?;
        db.execute_unprepared(&touch(other, "kiosk = kiosk")).await?;
        let second = cache.get(&db, slug).await?;
        assert!(!Arc::ptr_eq(&first, &second), "the entry was read again after the change");
        assert!(Arc::ptr_eq(&first.renders, &second.renders), "and kept what it rendered");

        db.execute_unprepared(&touch(slug, "kiosk = NOT kiosk")).await?;
        let third = cache.get(&db, slug).await?;
        assert_ne!(third.link.kiosk, second.link.kiosk);
        assert!(!Arc::ptr_eq(&second.renders, &third.renders), "a changed link renders afresh");
        db.close().await?;
        std::fs::remove_dir_all(&dir).ok();
        Ok(())
    }

    #[tokio::test]
    async fn past_the_limit_renders_are_made_and_not_kept() {
        let renders = Renders::default();
        let made = AtomicUsize::new(0);
        for round in 0..2 {
            for size in 0..MAX_RENDERS + 4 {
                let kept = renders
                    .get_or_make(&format!("qr.png:{size}"), || async {
                        made.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, ()>(size)
                    })
                    .await;
                assert_eq!(kept.as_deref(), Ok(&size), "round {round}");
            }
        }
        assert_eq!(made.load(Ordering::SeqCst), MAX_RENDERS + 4 + 4);
    }
}
