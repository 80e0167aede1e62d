//! Webhooks: clients subscribe to events; deliveries are signed per the Standard Webhooks
//! scheme, retried with exponential backoff for a bounded time, and logged per attempt.

pub mod delivery;
pub mod outbox;
pub mod signing;
pub mod subscriptions;
pub mod target;

pub use entity::vocabulary::EventType;

/// How deliveries are retried and where they may go.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Delay before the second attempt; each later one doubles it.
    pub retry_base: std::time::Duration,
    /// Attempts in all before a delivery is marked failed.
    pub max_attempts: u32,
    /// Whether targets on loopback or private addresses are allowed (tests, intranets).
    pub allow_private_targets: bool,
    /// How long one attempt may take.
    pub timeout: std::time::Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            retry_base: std::time::Duration::from_secs(30),
            max_attempts: 8,
            allow_private_targets: false,
            timeout: std::time::Duration::from_secs(10),
        }
    }
}
