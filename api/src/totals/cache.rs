//! What this replica has read or computed from a campaign's running totals, kept while the
//! totals are unchanged.
//!
//! Every transaction that changes a campaign's totals raises its `totals_version` (see
//! `summed`), so a value computed from the totals at version V is still right for any later
//! request that finds version V: checking that costs one indexed lookup, where computing
//! reads and rolls up every row of the totals. Each replica keeps its own entries and checks
//! them against the database on every request, so a change made through another replica is
//! seen at once, as without the cache. A stale entry is never served, only replaced.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

struct Entry<V> {
    version: i64,
    value: Arc<V>,
    size: usize,
    last_used: u64,
}

struct Entries<K, V> {
    map: HashMap<K, Entry<V>>,
    size: usize,
    clock: u64,
}

/// Values per key, each with the version it holds for, up to `budget` in total `size_of`;
/// the least recently used make room.
pub struct VersionedCache<K, V> {
    entries: Mutex<Entries<K, V>>,
    budget: usize,
    size_of: fn(&V) -> usize,
}

impl<K: Hash + Eq + Clone, V> VersionedCache<K, V> {
    pub fn new(budget: usize, size_of: fn(&V) -> usize) -> Self {
        Self { entries: Mutex::new(Entries { map: HashMap::new(), size: 0, clock: 0 }), budget, size_of }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value for `key` if it holds for `version`.
    pub fn get(&self, key: &K, version: i64) -> Option<Arc<V>> {
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        let entry = entries.map.get_mut(key).filter(|entry| entry.version == version)?;
        entry.last_used = now;
        Some(entry.value.clone())
    }

    /// Keeps `value`, which holds for `version`, in place of what `key` had.
    pub fn put(&self, key: K, version: i64, value: Arc<V>) {
        let size = (self.size_of)(&value);
        if size > self.budget {
            return;
        }
        let mut entries = self.lock();
        if let Some(old) = entries.map.remove(&key) {
            entries.size -= old.size;
        }
        while entries.size + size > self.budget {
            let Some(oldest) = entries.map.iter().min_by_key(|(_, e)| e.last_used).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some(evicted) = entries.map.remove(&oldest) {
                entries.size -= evicted.size;
            }
        }
        entries.clock += 1;
        let last_used = entries.clock;
        entries.size += size;
        entries.map.insert(key, Entry { version, value, size, last_used });
    }
}

#[cfg(test)]
mod tests {
    use crate::totals::cache::*;

    #[test]
    fn a_value_is_served_for_its_version_only_and_the_least_recently_used_make_room() {
        let cache: VersionedCache<&str, Vec<u8>> = VersionedCache::new(5, Vec::len);
        cache.put("a", 1, Arc::new(vec![0; 2]));
        cache.put("b", 1, Arc::new(vec![0; 2]));
        assert!(cache.get(&"a", 2).is_none(), "a newer version finds nothing");
        assert!(cache.get(&"a", 1).is_some());
        // "b" is now the least recently used: it makes room for "c".
        cache.put("c", 1, Arc::new(vec![0; 3]));
        assert!(cache.get(&"b", 1).is_none());
        assert!(cache.get(&"a", 1).is_some() && cache.get(&"c", 1).is_some());
        cache.put("a", 2, Arc::new(vec![0; 1]));
        assert!(cache.get(&"a", 1).is_none() && cache.get(&"a", 2).is_some(), "replaced");
        cache.put("huge", 1, Arc::new(vec![0; 6]));
        assert!(cache.get(&"huge", 1).is_none(), "larger than the budget: not kept");
    }
}
