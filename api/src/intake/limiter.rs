//! In-memory controls keyed by an HMAC of the client address or of the page's device cookie.
//!
//! The HMAC key is random, lives only in the app's memory and is replaced every UTC day, so the
//! keys cannot be turned back into addresses by anyone who reads memory later, nor linked
//! across days; nothing here is ever written to disk or the database. Replacing the key also
//! clears every bucket and remembered submission.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// An opaque, day-scoped stand-in for a client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceKey([u8; 16]);

/// Which bucket: one source's for one link, as a digest of the two. The table holds up to
/// `MAX_TRACKED` of them, so keys and buckets are kept compact (and a growing table holds
/// the old and the new one at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct BucketKey([u8; 16]);

impl BucketKey {
    fn of(source: SourceKey, link: Uuid) -> Self {
        let digest = Sha256::new().chain_update(source.0).chain_update(link.as_bytes()).finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        Self(key)
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f32,
    /// When the tokens were last counted, in milliseconds since `State::started`.
    updated_ms: u32,
}

struct State {
    day: NaiveDate,
    key: [u8; 32],
    /// The state is replaced every day, so a millisecond count from here fits in a `u32`.
    started: Instant,
    buckets: HashMap<BucketKey, Bucket>,
    /// When each submission was remembered, and until when it needs to be.
    recent: HashMap<(SourceKey, Uuid, [u8; 16]), (Instant, Instant)>,
    pruned_at: Instant,
}

impl State {
    fn new(day: NaiveDate) -> Self {
        let (buckets, recent) = (HashMap::new(), HashMap::new());
        let now = Instant::now();
        Self { day, key: rand::rng().random(), started: now, buckets, recent, pruned_at: now }
    }

    /// Milliseconds from `started` to `at` (saturating).
    fn ms_at(&self, at: Instant) -> u32 {
        u32::try_from(at.duration_since(self.started).as_millis()).unwrap_or(u32::MAX)
    }
}

pub struct Guard {
    state: Mutex<State>,
}

impl Default for Guard {
    fn default() -> Self {
        Self { state: Mutex::new(State::new(Utc::now().date_naive())) }
    }
}

/// Bucket size for an hourly rate: a sixth of it, so a source can send a short burst.
fn capacity(per_hour: u32) -> f64 {
    f64::from((per_hour / 6).max(1))
}

impl Guard {
    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let today = Utc::now().date_naive();
        if state.day != today {
            *state = State::new(today);
        }
        let crowded = state.buckets.len() > MAX_TRACKED || state.recent.len() > MAX_TRACKED;
        if crowded || state.pruned_at.elapsed() >= PRUNE_INTERVAL {
            prune(&mut state);
        }
        f(&mut state)
    }

    pub fn source_key(&self, ip: IpAddr) -> SourceKey {
        self.with_state(|state| {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&state.key)
                .unwrap_or_else(|_| unreachable!("any key length works"));
            mac.update(b"address\0");
            match ip {
                IpAddr::V4(v4) => mac.update(&v4.octets()),
                // A household or phone usually holds a whole /64: key on the prefix.
                IpAddr::V6(v6) => mac.update(&v6.octets()[..8]),
            }
            let digest = mac.finalize().into_bytes();
            let mut key = [0u8; 16];
            key.copy_from_slice(&digest[..16]);
            SourceKey(key)
        })
    }

    /// The day-scoped stand-in for a device: the HMAC of the page's device cookie, under the
    /// same key as addresses but in a separate domain, so a device and an address never share
    /// a bucket.
    pub fn device_key(&self, cookie: &str) -> SourceKey {
        self.with_state(|state| {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&state.key)
                .unwrap_or_else(|_| unreachable!("any key length works"));
            mac.update(b"device\0");
            mac.update(cookie.as_bytes());
            let digest = mac.finalize().into_bytes();
            let mut key = [0u8; 16];
            key.copy_from_slice(&digest[..16]);
            SourceKey(key)
        })
    }

    /// Takes one token from the source's bucket for `link`; on refusal, how long to wait.
    pub fn take_token(&self, source: SourceKey, link: Uuid, per_hour: u32) -> Result<(), Duration> {
        let capacity = capacity(per_hour);
        let refill_per_second = f64::from(per_hour.max(1)) / 3600.0;
        let key = BucketKey::of(source, link);
        self.with_state(|state| {
            let now = state.ms_at(Instant::now());
            let full = Bucket { tokens: capacity as f32, updated_ms: now };
            let bucket = state.buckets.entry(key).or_insert(full);
            let elapsed = f64::from(now.saturating_sub(bucket.updated_ms)) / 1000.0;
            let tokens = (f64::from(bucket.tokens) + elapsed * refill_per_second).min(capacity);
            bucket.updated_ms = now;
            if tokens >= 1.0 {
                bucket.tokens = (tokens - 1.0) as f32;
                Ok(())
            } else {
                bucket.tokens = tokens as f32;
                Err(Duration::from_secs_f64(((1.0 - tokens) / refill_per_second).ceil()))
            }
        })
    }

    /// True when the same answers came from the same source to `link` within `window`.
    pub fn is_duplicate(&self, source: SourceKey, link: Uuid, answers: [u8; 16], window: Duration) -> bool {
        self.with_state(|state| state.recent.get(&(source, link, answers)).is_some_and(|(at, _)| at.elapsed() < window))
    }

    /// Remembers a stored submission for `window` (nothing when the window is zero).
    pub fn remember(&self, source: SourceKey, link: Uuid, answers: [u8; 16], window: Duration) {
        if window.is_zero() {
            return;
        }
        self.with_state(|state| {
            let now = Instant::now();
            state.recent.insert((source, link, answers), (now, now + window));
        });
    }
}

/// Most buckets, and most remembered submissions, kept at once: a bound on the memory of both.
const MAX_TRACKED: usize = 100_000;
/// How often idle buckets and expired submissions are forgotten.
const PRUNE_INTERVAL: Duration = Duration::from_secs(10);
/// A bucket idle this long is full again at any rate limit (refilling takes 10 minutes).
const IDLE_BUCKET: Duration = Duration::from_secs(3600);

/// Forgets buckets idle long enough to be full again (they hold no information) and
/// submissions past their window. If traffic from more sources than `MAX_TRACKED` is still
/// active, starts afresh: memory stays bounded, and a flood from that many addresses is
/// beyond what per-address limits can hold anyway (see the README's threat model).
/// Pruning walks every bucket under the lock, so it runs on a clock rather than every so
/// many calls: counted in calls, it would walk the whole table many times a second exactly
/// when the service is busiest.
fn prune(state: &mut State) {
    let now = Instant::now();
    state.pruned_at = now;
    let (now_ms, idle_ms) = (state.ms_at(now), u32::try_from(IDLE_BUCKET.as_millis()).unwrap_or(u32::MAX));
    state.buckets.retain(|_, bucket| now_ms.saturating_sub(bucket.updated_ms) < idle_ms);
    state.recent.retain(|_, (_, until)| *until > now);
    if state.buckets.len() > MAX_TRACKED || state.recent.len() > MAX_TRACKED {
        tracing::warn!(
            buckets = state.buckets.len(),
            remembered = state.recent.len(),
            "more active sources than the in-memory controls track; starting afresh"
        );
        state.buckets.clear();
        state.recent.clear();
    }
}

#[cfg(test)]
mod tests {
    use crate::intake::limiter::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn the_same_address_gets_the_same_key_and_others_differ() {
        let guard = Guard::default();
        assert_eq!(guard.source_key(ip("203.0.113.1")), guard.source_key(ip("203.0.113.1")));
        assert_ne!(guard.source_key(ip("203.0.113.1")), guard.source_key(ip("203.0.113.2")));
        assert_eq!(guard.source_key(ip("2001:db8::1")), guard.source_key(ip("2001:db8::2")), "one /64 is one source");
        assert_ne!(
            Guard::default().source_key(ip("203.0.113.1")),
            guard.source_key(ip("203.0.113.1")),
            "keys are per process"
        );
    }

    #[test]
    fn a_bucket_allows_a_burst_then_refuses_with_a_wait() {
        let guard = Guard::default();
        let (source, link) = (guard.source_key(ip("198.51.100.1")), Uuid::new_v4());
        for _ in 0..10 {
            assert!(guard.take_token(source, link, 60).is_ok());
        }
        let wait = guard.take_token(source, link, 60).err();
        assert!(wait.is_some_and(|w| w.as_secs() >= 1 && w.as_secs() <= 60), "{wait:?}");
        assert!(guard.take_token(source, Uuid::new_v4(), 60).is_ok(), "buckets are per link");
    }

    #[test]
    fn an_emptied_bucket_refills_at_the_hourly_rate() {
        let guard = Guard::default();
        let (source, link) = (guard.source_key(ip("198.51.100.1")), Uuid::new_v4());
        while guard.take_token(source, link, 60).is_ok() {}
        // Two minutes pass for the bucket: at 60 an hour, two tokens come back.
        guard.with_state(|state| state.started -= Duration::from_secs(120));
        assert!(guard.take_token(source, link, 60).is_ok());
        assert!(guard.take_token(source, link, 60).is_ok());
        let wait = guard.take_token(source, link, 60).err();
        assert!(wait.is_some_and(|w| w.as_secs() == 60), "{wait:?}");
    }

    #[test]
    fn duplicates_are_recognised_within_the_window_only() {
        let guard = Guard::default();
        let (source, link) = (guard.source_key(ip("198.51.100.1")), Uuid::new_v4());
        assert!(!guard.is_duplicate(source, link, [1; 16], Duration::from_secs(60)));
        guard.remember(source, link, [1; 16], Duration::from_secs(60));
        assert!(guard.is_duplicate(source, link, [1; 16], Duration::from_secs(60)));
        guard.remember(source, link, [3; 16], Duration::ZERO);
        assert!(!guard.is_duplicate(source, link, [3; 16], Duration::from_secs(60)), "a zero window keeps nothing");
        assert!(!guard.is_duplicate(source, link, [2; 16], Duration::from_secs(60)));
        assert!(!guard.is_duplicate(source, link, [1; 16], Duration::ZERO));
    }
}

#[cfg(test)]
mod bounds {
    use crate::intake::limiter::*;

    #[test]
    fn memory_stays_bounded_under_a_flood_of_sources() {
        let guard = Guard::default();
        let link = Uuid::new_v4();
        for i in 0..(MAX_TRACKED as u32 + 10) {
            let source = guard.source_key(IpAddr::from(i.to_be_bytes()));
            let _ = guard.take_token(source, link, 60);
        }
        let tracked = guard.with_state(|state| state.buckets.len());
        assert!(tracked <= MAX_TRACKED, "{tracked} buckets");
    }
}
