//! Webhooks: clients subscribe to events; deliveries are signed per the Standard Webhooks
//! scheme, retried with exponential backoff for a bounded time, and logged per attempt.

pub mod delivery;
pub mod signing;
pub mod subscriptions;
pub mod target;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Event types. `responses.received` is emitted today; the others are accepted in
/// subscriptions and emitted once the evaluation workflow (phases, results, rectification)
/// produces them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    /// Citizens' responses stored, or a pollster batch stored (with a count).
    #[serde(rename = "responses.received")]
    ResponsesReceived,
    #[serde(rename = "campaign.phase_changed")]
    CampaignPhaseChanged,
    #[serde(rename = "results.published")]
    ResultsPublished,
    #[serde(rename = "rectification.overdue")]
    RectificationOverdue,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResponsesReceived => "responses.received",
            Self::CampaignPhaseChanged => "campaign.phase_changed",
            Self::ResultsPublished => "results.published",
            Self::RectificationOverdue => "rectification.overdue",
        }
    }
}

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
