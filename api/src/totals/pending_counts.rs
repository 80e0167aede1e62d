//! What the batches this app recorded as pending add (to the totals and to the webhook
//! events), kept in memory by pending row, so that the fold that takes one of those rows
//! counts it from here instead of reading its responses back (that read-back was a good part
//! of the work per response, in the service and in the database). A row recorded by another
//! replica, or by this app before a restart, or whose entry was dropped, is read back as
//! before: an entry only saves work, since stored responses never change their answers.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::totals::pending::Counted;

/// Most entries kept. The fold takes them within its interval; with another replica folding
/// this one's rows they are never taken and only age out.
const MOST_ENTRIES: usize = 512;
/// Entries older than this make room for new ones.
const KEPT_FOR: Duration = Duration::from_secs(2);

/// What one pending row adds, and when it was recorded.
pub struct Recorded {
    at: Instant,
    pub counted: Counted,
}

/// What this app's pending rows add, by pending row id. Shared by the response writer, which
/// remembers each batch it stores, and the fold, which takes them.
#[derive(Default)]
pub struct PendingCounts {
    entries: Mutex<HashMap<Uuid, Recorded>>,
}

impl PendingCounts {
    fn entries(&self) -> MutexGuard<'_, HashMap<Uuid, Recorded>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps what the pending row `pending_id` adds, unless the table is full of fresh entries.
    pub fn remember(&self, pending_id: Uuid, counted: Counted) {
        self.keep(pending_id, Recorded { at: Instant::now(), counted });
    }

    /// Puts back an entry that a fold took but whose row it did not find (not committed yet,
    /// or folded by another replica), with its age: a row still pending after `KEPT_FOR` is
    /// read back, and an entry put back after every fold would otherwise never age.
    pub fn put_back(&self, pending_id: Uuid, recorded: Recorded) {
        self.keep(pending_id, recorded);
    }

    /// Keeps `recorded` if it is fresh and there is room, making room from stale entries.
    fn keep(&self, pending_id: Uuid, recorded: Recorded) {
        let now = Instant::now();
        let fresh = |recorded: &Recorded| now.duration_since(recorded.at) < KEPT_FOR;
        if !fresh(&recorded) {
            return;
        }
        let mut entries = self.entries();
        if entries.len() >= MOST_ENTRIES {
            entries.retain(|_, kept| fresh(kept));
        }
        if entries.len() < MOST_ENTRIES {
            entries.insert(pending_id, recorded);
        }
    }

    /// Every entry, by pending row id; forgets them.
    pub fn take_all(&self) -> Vec<(Uuid, Recorded)> {
        self.entries().drain().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(counts: &PendingCounts, id: Uuid) -> Option<Recorded> {
        counts.take_all().into_iter().find(|(taken, _)| *taken == id).map(|(_, recorded)| recorded)
    }

    #[test]
    fn an_entry_is_taken_once() {
        let counts = PendingCounts::default();
        let id = Uuid::new_v4();
        counts.remember(id, Counted::default());
        assert!(taken(&counts, id).is_some());
        assert!(taken(&counts, id).is_none());
    }

    #[test]
    fn an_entry_put_back_keeps_its_age() {
        let counts = PendingCounts::default();
        let id = Uuid::new_v4();
        counts.remember(id, Counted::default());
        if let Some(fresh) = taken(&counts, id) {
            counts.put_back(id, fresh);
        }
        let Some(mut old) = taken(&counts, id) else { unreachable!("an entry put back while fresh is kept") };
        old.at -= KEPT_FOR;
        counts.put_back(id, old);
        assert!(taken(&counts, id).is_none(), "an entry older than KEPT_FOR is not put back");
    }

    #[test]
    fn two_apps_keep_their_own_entries() {
        let (first, second) = (PendingCounts::default(), PendingCounts::default());
        let id = Uuid::new_v4();
        first.remember(id, Counted::default());
        assert!(second.take_all().is_empty());
        assert!(taken(&first, id).is_some());
    }
}
