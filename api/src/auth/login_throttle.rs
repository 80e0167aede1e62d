//! Slowing password guessing down without locking the real user out.
//!
//! Failed sign-ins are counted, in this app's memory, three ways:
//! - per account and source address: the first `FREE_PER_PAIR` failures are free, then each
//!   one makes that source wait for that account: 1 s, 2 s, 4 s… up to `MAX_DELAY`;
//! - per source address, over all accounts (guessing many accounts' passwords from one
//!   place): `FREE_PER_SOURCE` free, then the same growing delay;
//! - per account, over sources that have never signed into it (guessing from many
//!   addresses): `FREE_PER_ACCOUNT` free, then the same growing delay.
//!
//! The third count is why an attacker cannot lock the real user out: a source that signed
//! into the account before (within `FORGET_KNOWN`) is not held by it, so the office keeps
//! signing in from its own network while strangers are slowed; and no count ever locks an
//! account, it only makes guesses wait, up to `MAX_DELAY` each. A throttled attempt is
//! answered 429 with `Retry-After` before its password is checked, so throttled guesses
//! cost no hashing either. Counts are forgotten `FORGET_FAILURES` after a source's last
//! failure; the tables hold at most `MAX_TRACKED` entries each (see `make_room`).
//!
//! An IPv6 source is its /64, which one household or phone usually holds whole.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const FREE_PER_PAIR: u32 = 5;
pub const FREE_PER_SOURCE: u32 = 50;
pub const FREE_PER_ACCOUNT: u32 = 20;
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
const FORGET_FAILURES: Duration = Duration::from_secs(60 * 60);
const FORGET_KNOWN: Duration = Duration::from_secs(30 * 24 * 60 * 60);
const MAX_TRACKED: usize = 100_000;

/// A source address as throttled: an IPv4 address, or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(u128);

impl From<IpAddr> for Source {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(u128::from(v4.to_bits())),
            IpAddr::V6(v6) => Self((v6.to_bits() & !u128::from(u64::MAX)) | 1),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    wait_until: Instant,
}

impl Failures {
    fn forgotten(&self, now: Instant) -> bool {
        now.duration_since(self.last) >= FORGET_FAILURES && self.wait_until <= now
    }

    fn wait(&self, now: Instant) -> Option<Duration> {
        (self.wait_until > now).then(|| self.wait_until - now)
    }

    /// One more failure; past `free` of them, the next attempt waits.
    fn add(entry: Option<&mut Self>, free: u32, now: Instant) -> Option<Self> {
        let fresh = Self { count: 0, last: now, wait_until: now };
        let mut failures = match entry {
            Some(existing) if !existing.forgotten(now) => *existing,
            _ => fresh,
        };
        failures.count = failures.count.saturating_add(1);
        failures.last = now;
        if failures.count > free {
            failures.wait_until = now + delay(failures.count - free);
        }
        Some(failures)
    }

    /// Takes back one counted failure; back within the free ones, nothing waits.
    fn undo(&mut self, free: u32, now: Instant) {
        self.count = self.count.saturating_sub(1);
        if self.count <= free {
            self.wait_until = self.wait_until.min(now);
        }
    }
}

/// The wait after the `n`th failure past the free ones: 1 s, doubling, at most `MAX_DELAY`.
pub fn delay(n: u32) -> Duration {
    Duration::from_secs(1u64 << (n - 1).min(20)).min(MAX_DELAY)
}

#[derive(Default)]
struct Tables {
    pairs: HashMap<(String, Source), Failures>,
    sources: HashMap<Source, Failures>,
    accounts: HashMap<String, Failures>,
    /// Sources that signed into an account, and when they last did.
    known: HashMap<(String, Source), Instant>,
}

/// One app's login throttle.
#[derive(Default)]
pub struct LoginThrottle {
    tables: Mutex<Tables>,
}

fn account_key(username: &str) -> String {
    username.to_lowercase()
}

impl LoginThrottle {
    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Lets an attempt to sign into `username` from `source` go ahead, counting it as failed
    /// until `succeeded` says otherwise, or says how long the source must wait. Counting
    /// before the password is checked means that guesses sent all at once are held like
    /// guesses sent one after another.
    pub fn attempt(&self, username: &str, source: Source) -> Result<(), Duration> {
        let now = Instant::now();
        let account = account_key(username);
        let mut tables = self.tables();
        let pair = (account.clone(), source);
        let known = tables.known.get(&pair).is_some_and(|at| now.duration_since(*at) < FORGET_KNOWN);
        let waits = [
            tables.pairs.get(&pair).and_then(|f| f.wait(now)),
            tables.sources.get(&source).and_then(|f| f.wait(now)),
            if known { None } else { tables.accounts.get(&account).and_then(|f| f.wait(now)) },
        ];
        if let Some(wait) = waits.into_iter().flatten().max() {
            return Err(wait);
        }
        let added = Failures::add(tables.pairs.get_mut(&pair), FREE_PER_PAIR, now);
        insert(&mut tables.pairs, pair, added, now);
        let added = Failures::add(tables.sources.get_mut(&source), FREE_PER_SOURCE, now);
        insert(&mut tables.sources, source, added, now);
        if !known {
            let added = Failures::add(tables.accounts.get_mut(&account), FREE_PER_ACCOUNT, now);
            insert(&mut tables.accounts, account, added, now);
        }
        Ok(())
    }

    /// The attempt signed in: it was no failure. The source's failures for the account are
    /// forgotten, and the source is known to the account from now on.
    pub fn succeeded(&self, username: &str, source: Source) {
        self.not_a_guess(username, source);
        let now = Instant::now();
        let mut tables = self.tables();
        let pair = (account_key(username), source);
        tables.pairs.remove(&pair);
        if tables.known.len() >= MAX_TRACKED && !tables.known.contains_key(&pair) {
            tables.known.retain(|_, at| now.duration_since(*at) < FORGET_KNOWN);
            if tables.known.len() >= MAX_TRACKED {
                // Forget the longest-unused half: those sources are then held like strangers
                // until they sign in again, which slows them only if the account is under attack.
                let mut ages: Vec<Instant> = tables.known.values().copied().collect();
                ages.sort_unstable();
                let cut = ages[ages.len() / 2];
                tables.known.retain(|_, at| *at > cut);
            }
        }
        tables.known.insert(pair, now);
    }

    /// The attempt was not judged (the database could not be reached): it is not counted.
    pub fn not_a_guess(&self, username: &str, source: Source) {
        let now = Instant::now();
        let account = account_key(username);
        let mut tables = self.tables();
        let pair = (account.clone(), source);
        let known = tables.known.get(&pair).is_some_and(|at| now.duration_since(*at) < FORGET_KNOWN);
        if let Some(failures) = tables.pairs.get_mut(&pair) {
            failures.undo(FREE_PER_PAIR, now);
        }
        if let Some(failures) = tables.sources.get_mut(&source) {
            failures.undo(FREE_PER_SOURCE, now);
        }
        if !known && let Some(failures) = tables.accounts.get_mut(&account) {
            failures.undo(FREE_PER_ACCOUNT, now);
        }
    }

    /// Entries held, over all tables (for tests of the bound).
    pub fn tracked(&self) -> usize {
        let tables = self.tables();
        tables.pairs.len() + tables.sources.len() + tables.accounts.len() + tables.known.len()
    }
}

fn insert<K: Eq + Hash>(table: &mut HashMap<K, Failures>, key: K, failures: Option<Failures>, now: Instant) {
    let Some(failures) = failures else { return };
    if table.len() >= MAX_TRACKED && !table.contains_key(&key) {
        make_room(table, now);
    }
    table.insert(key, failures);
}

/// Keeps a full table within `MAX_TRACKED`: forgotten counts go first; if that is not
/// enough, the half with the fewest failures goes, so that a flood of new sources cannot
/// wash out the counts of a source that is being held.
fn make_room<K: Eq + Hash>(table: &mut HashMap<K, Failures>, now: Instant) {
    table.retain(|_, failures| !failures.forgotten(now));
    if table.len() >= MAX_TRACKED {
        let mut counts: Vec<u32> = table.values().map(|f| f.count).collect();
        counts.sort_unstable();
        let cut = counts[counts.len() / 2];
        table.retain(|_, failures| failures.count > cut);
        if table.len() >= MAX_TRACKED {
            table.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::auth::login_throttle::*;

    fn source(text: &str) -> Source {
        Source::from(text.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0])))
    }

    #[test]
    fn delays_double_from_one_second_up_to_the_cap() {
        assert_eq!([delay(1), delay(2), delay(3), delay(10)], [1, 2, 4, 512].map(Duration::from_secs));
        assert_eq!(delay(11), MAX_DELAY);
        assert_eq!(delay(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn a_source_guessing_one_account_is_held_after_the_free_failures() {
        let throttle = LoginThrottle::default();
        let attacker = source("203.0.113.9");
        for _ in 0..FREE_PER_PAIR {
            assert_eq!(throttle.attempt("admin", attacker), Ok(()), "the free failures are free");
        }
        assert_eq!(throttle.attempt("Admin", attacker), Ok(()), "the first one past them is still judged");
        let wait = throttle.attempt("ADMIN", attacker).err().unwrap_or_default();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "held: {wait:?}");
        assert_eq!(throttle.attempt("admin", source("198.51.100.1")), Ok(()), "another source is not held");
        assert_eq!(throttle.attempt("clerk", attacker), Ok(()), "nor another account");
    }

    #[test]
    fn guesses_from_many_sources_do_not_hold_the_users_known_source() {
        let throttle = LoginThrottle::default();
        let office = source("192.0.2.10");
        assert_eq!(throttle.attempt("admin", office), Ok(()));
        throttle.succeeded("admin", office);
        for n in 0..=FREE_PER_ACCOUNT {
            assert_eq!(throttle.attempt("admin", source(&format!("198.51.100.{n}"))), Ok(()));
        }
        assert!(throttle.attempt("admin", source("198.51.100.250")).is_err(), "a new stranger waits");
        assert_eq!(throttle.attempt("admin", office), Ok(()), "the office's own source does not");
    }

    #[test]
    fn one_source_guessing_many_accounts_is_held() {
        let throttle = LoginThrottle::default();
        let sprayer = source("2001:db8:1:2::7");
        for n in 0..=FREE_PER_SOURCE {
            assert_eq!(throttle.attempt(&format!("user{n}"), source(&format!("2001:db8:1:2::{n:x}"))), Ok(()));
        }
        assert!(throttle.attempt("someone-else", sprayer).is_err(), "one /64 is one source");
    }

    #[test]
    fn success_clears_the_pairs_failures() {
        let throttle = LoginThrottle::default();
        let user = source("192.0.2.20");
        for _ in 0..=FREE_PER_PAIR {
            assert_eq!(throttle.attempt("clerk", user), Ok(()));
        }
        assert!(throttle.attempt("clerk", user).is_err());
        throttle.succeeded("clerk", user);
        assert_eq!(throttle.attempt("clerk", user), Ok(()));
    }

    #[test]
    fn the_tables_stay_bounded_and_keep_the_held_sources() {
        let throttle = LoginThrottle::default();
        let attacker = source("203.0.113.9");
        while throttle.attempt("admin", attacker).is_ok() {}
        for n in 0..(MAX_TRACKED as u32 + 10) {
            let _ = throttle.attempt(&format!("user{n}"), Source(u128::from(n) + (1 << 100)));
        }
        assert!(throttle.tracked() <= 4 * MAX_TRACKED);
        let kept = throttle.tables().pairs.get(&("admin".to_owned(), attacker)).map(|f| f.count);
        assert_eq!(kept, Some(FREE_PER_PAIR + 1), "the flood did not wash out the held source's count");
    }

    #[test]
    fn an_attempt_that_was_not_judged_does_not_count() {
        let throttle = LoginThrottle::default();
        let user = source("192.0.2.30");
        for _ in 0..FREE_PER_PAIR * 3 {
            assert_eq!(throttle.attempt("clerk", user), Ok(()));
            throttle.not_a_guess("clerk", user);
        }
    }
}
