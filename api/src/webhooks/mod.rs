//! Webhooks: clients subscribe to events; deliveries are signed per the Standard Webhooks
//! scheme, retried with exponential backoff for a bounded time, and logged per attempt.

pub mod delivery;
pub mod outbox;
pub mod signing;
pub mod subscriptions;
pub mod target;

pub use crate::config::WebhookSettings;
pub use entity::vocabulary::EventType;
