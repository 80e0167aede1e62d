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

use super::pending_rollups::Counted;

/// Most entries kept, about 20 KiB each. The folder takes them within its interval (200 ms,
/// a few hundred batches at full load); with another replica folding this one's rows they
/// are never taken and only age out.
const MOST_ENTRIES: usize = 512;
/// Entries older than this make room for new ones.
const KEPT_FOR: Duration = Duration::from_secs(2);

static ENTRIES: LazyLock<Mutex<HashMap<Uuid, (Instant, Counted)>>> = LazyLock::new(Default::default);

fn entries() -> MutexGuard<'static, HashMap<Uuid, (Instant, Counted)>> {
    ENTRIES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Keeps what the pending row `pending_id` adds, unless the table is full of fresh entries.
pub fn remember(pending_id: Uuid, counted: Counted) {
    let now = Instant::now();
    let mut entries = entries();
    if entries.len() >= MOST_ENTRIES {
        entries.retain(|_, (at, _)| now.duration_since(*at) < KEPT_FOR);
    }
    if entries.len() < MOST_ENTRIES {
        entries.insert(pending_id, (now, counted));
    }
}

/// Every entry, by pending row id; forgets them.
pub fn take_all() -> Vec<(Uuid, Counted)> {
    entries().drain().map(|(pending_id, (_, counted))| (pending_id, counted)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_taken_once() {
        let id = Uuid::new_v4();
        remember(id, Counted::default());
        assert!(take_all().iter().any(|(taken, _)| *taken == id));
        assert!(!take_all().iter().any(|(taken, _)| *taken == id));
    }
}
