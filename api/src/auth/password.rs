//! Argon2id password hashing, off the async executor and a few at a time.
//!
//! A hash takes Argon2's 19 MiB of memory and tens of milliseconds of a core while it runs.
//! Without a bound, a burst of logins — or of guesses at a known username — held that much per
//! request in flight on the blocking pool; beyond one per core, more at once only adds
//! memory, so the rest wait their turn.

use std::num::NonZero;
use std::sync::LazyLock;

use actix_web::error::BlockingError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use tokio::sync::Semaphore;

/// Hashes that may run at once: one per core.
static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, NonZero::get)));

/// A hash no password is known for, checked when a username is unknown so that the answer
/// takes as long as for a wrong password (the time does not tell which names exist).
static NOBODY: LazyLock<String> = LazyLock::new(|| hash_now(&rand::random::<u128>().to_string()).unwrap_or_default());

/// Runs `work` on the blocking pool once one of the `HASHING` permits is free.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, BlockingError> {
    // The semaphore is never closed, so the permit is always granted.
    let _permit = HASHING.acquire().await.ok();
    actix_web::web::block(work).await
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
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

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

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_hashes_run_at_once_than_there_are_cores() {
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let work = |_| {
            let (running, most) = (running.clone(), most.clone());
            tokio::spawn(hashing(move || {
                most.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(30));
                running.fetch_sub(1, Ordering::SeqCst);
            }))
        };
        let cores = std::thread::available_parallelism().map_or(2, NonZero::get);
        let tasks: Vec<_> = (0..cores * 3).map(work).collect();
        for task in tasks {
            assert!(matches!(task.await, Ok(Ok(()))));
        }
        let most = most.load(Ordering::SeqCst);
        assert!((1..=cores).contains(&most), "{most} at once on {cores} cores");
    }
}
