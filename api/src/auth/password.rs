//! Argon2id password hashing, off the async executor and a few at a time.
//!
//! A hash takes Argon2's 19 MiB of memory and tens of milliseconds of a core while it runs.
//! Without a bound, a burst of logins — or of guesses at a known username — held that much per
//! request in flight on the blocking pool; beyond one per core, more at once only adds
//! memory, so the rest wait their turn.

use std::num::NonZero;
use std::sync::{Arc, LazyLock};

use actix_web::error::BlockingError;
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

/// Hashes that may run at once.
static HASHING: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(hash_slots())));

/// One hash per core.
fn hash_slots() -> usize {
    std::thread::available_parallelism().map_or(2, NonZero::get)
}

/// A hash no password is known for, checked when a username is unknown so that the answer
/// takes as long as for a wrong password (the time does not tell which names exist).
static NOBODY: LazyLock<String> = LazyLock::new(|| hash_now(&rand::random::<u128>().to_string()).unwrap_or_default());

/// Runs `work` on the blocking pool once one of the `HASHING` permits is free.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, BlockingError> {
    // The semaphore is never closed, so the permit is always granted. It is held by the work
    // itself: a request dropped meanwhile (its client gone) must not free it while the hash
    // still runs on the blocking pool.
    let permit = HASHING.clone().acquire_owned().await.ok();
    actix_web::web::block(move || {
        let _permit = permit;
        work()
    })
    .await
}

/// The Argon2id hash of `password`, with a fresh salt.
pub async fn hash_password(password: String) -> Result<Result<String, argon2::password_hash::Error>, BlockingError> {
    hashing(move || hash_now(&password)).await
}

/// True when `password` matches `hash`; a malformed stored hash never matches. Without a
/// hash (an unknown username) it checks against one no password matches, taking as long.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, BlockingError> {
    hashing(move || match hash {
        Some(hash) => verify_now(&password, &hash),
        None => {
            std::hint::black_box(verify_now(&password, &NOBODY));
            false
        }
    })
    .await
}

fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use crate::auth::password::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse".to_owned()).await.unwrap_or(Ok(String::new())).unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        let verify = |password: &str, hash: Option<&str>| verify_password(password.to_owned(), hash.map(str::to_owned));
        assert_eq!(verify("correct horse", Some(&hash)).await.ok(), Some(true));
        assert_eq!(verify("wrong horse", Some(&hash)).await.ok(), Some(false));
        assert_eq!(verify("correct horse", Some("not a hash")).await.ok(), Some(false));
        assert_eq!(verify("correct horse", None).await.ok(), Some(false), "no account, no match");
    }

    /// How many instrumented hashes ran at once, at most.
    #[derive(Default, Clone)]
    struct Concurrency {
        running: Arc<AtomicUsize>,
        most: Arc<AtomicUsize>,
    }

    impl Concurrency {
        /// Starts a stand-in for a hash (30 ms of a blocking thread) under the bound.
        fn start(&self) -> tokio::task::JoinHandle<Result<(), BlockingError>> {
            let (running, most) = (self.running.clone(), self.most.clone());
            tokio::spawn(hashing(move || {
                most.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(30));
                running.fetch_sub(1, Ordering::SeqCst);
            }))
        }

        fn most(&self) -> usize {
            self.most.load(Ordering::SeqCst)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_hashes_run_at_once_than_there_are_cores() {
        let concurrency = Concurrency::default();
        let tasks: Vec<_> = (0..hash_slots() * 3).map(|_| concurrency.start()).collect();
        for task in tasks {
            assert!(matches!(task.await, Ok(Ok(()))));
        }
        assert!(
            (1..=hash_slots()).contains(&concurrency.most()),
            "{} at once on {} cores",
            concurrency.most(),
            hash_slots()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_dropped_request_keeps_its_hash_counted_until_it_ends() {
        let concurrency = Concurrency::default();
        let dropped: Vec<_> = (0..hash_slots() * 3).map(|_| concurrency.start()).collect();
        tokio::time::sleep(Duration::from_millis(5)).await;
        dropped.iter().for_each(tokio::task::JoinHandle::abort);
        let tasks: Vec<_> = (0..hash_slots() * 3).map(|_| concurrency.start()).collect();
        for task in tasks {
            assert!(matches!(task.await, Ok(Ok(()))));
        }
        assert!(
            (1..=hash_slots()).contains(&concurrency.most()),
            "{} at once on {} cores",
            concurrency.most(),
            hash_slots()
        );
    }
}
