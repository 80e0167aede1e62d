//! What the batches this process recorded as pending add (to the totals and to the webhook
//! events), kept in memory by pending row, so that the fold that takes one of those rows
//! counts it from here instead of reading its responses back (the read-back was about a tenth of the CPU per response, in
//! the service and in PostgreSQL, in the benchmark). A row recorded by another replica, or
//! by this one before a restart, or whose entry was dropped, is read back as before: an
//! entry only saves work, since stored responses never change their answers.
//!
//! One table for the process, whatever database a row is in: pending row ids are random.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::totals::pending::Counted;

/// Most entries kept, about 20 KiB each. The folder takes them within its interval (200 ms,
/// a few hundred batches at full load); with another replica folding this one's rows they
/// are never taken and only age out.
const MOST_ENTRIES: usize = 512;
/// Entries older than this make room for new ones.
const KEPT_FOR: Duration = Duration::from_secs(2);

/// What one pending row adds, and when it was recorded.
pub struct Recorded {
    at: Instant,
    pub counted: Counted,
}

static ENTRIES: LazyLock<Mutex<HashMap<Uuid, Recorded>>> = LazyLock::new(Default::default);

fn entries() -> MutexGuard<'static, HashMap<Uuid, Recorded>> {
    ENTRIES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Keeps what the pending row `pending_id` adds, unless the table is full of fresh entries.
pub fn remember(pending_id: Uuid, counted: Counted) {
    keep(pending_id, Recorded { at: Instant::now(), counted });
}

/// Puts back an entry that a fold took but whose row it did not find (not committed yet, or
/// folded by another replica), with its age: a row still pending after `KEPT_FOR` is read
/// back, and an entry put back after every fold would otherwise never age.
pub fn put_back(pending_id: Uuid, recorded: Recorded) {
    keep(pending_id, recorded);
}

/// Keeps `recorded` if it is fresh and there is room, making room from stale entries.
fn keep(pending_id: Uuid, recorded: Recorded) {
    let now = Instant::now();
    let fresh = |recorded: &Recorded| now.duration_since(recorded.at) < KEPT_FOR;
    if !fresh(&recorded) {
        return;
    }
    let mut entries = entries();
    if entries.len() >= MOST_ENTRIES {
        entries.retain(|_, kept| fresh(kept));
    }
    if entries.len() < MOST_ENTRIES {
        entries.insert(pending_id, recorded);
    }
}

/// Every entry, by pending row id; forgets them.
pub fn take_all() -> Vec<(Uuid, Recorded)> {
    entries().drain().collect()
}

#[cfg(test)]
mod tests {
    use crate::totals::pending_counts::*;

    fn taken(id: Uuid) -> Option<Recorded> {
        take_all().into_iter().find(|(taken, _)| *taken == id).map(|(_, recorded)| recorded)
    }

    #[test]
    fn an_entry_is_taken_once() {
        let id = Uuid::new_v4();
        remember(id, Counted::default());
        assert!(taken(id).is_some());
        assert!(taken(id).is_none());
    }

    #[test]
    fn an_entry_put_back_keeps_its_age() {
        let id = Uuid::new_v4();
        remember(id, Counted::default());
        if let Some(fresh) = taken(id) {
            put_back(id, fresh);
        }
        let Some(mut old) = taken(id) else { unreachable!("an entry put back while fresh is kept") };
        old.at -= KEPT_FOR;
        put_back(id, old);
        assert!(taken(id).is_none(), "an entry older than KEPT_FOR is not put back");
    }
}
