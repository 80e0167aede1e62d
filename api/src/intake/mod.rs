//! The citizens' write path: from a submission to an acknowledged, durable response.
//!
//! `submit` checks the link (through the link cache), the sender (the in-memory ballot
//! controls), the answers and the daily cap, then hands the response to the group-commit
//! writer, which stores it with the record that it is still to be counted into the running
//! totals. See `docs/architecture.md` for the way a submission travels.

pub mod daily_cap;
pub mod limiter;
pub mod link_cache;
pub mod response_ids;
pub mod submit;
pub mod survey;
pub mod writer;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::intake::daily_cap::DailyCounts;
use crate::intake::limiter::Guard;
use crate::intake::link_cache::LinkCache;
use crate::intake::writer::{BatchWriter, WriterParts};
use crate::services::integrity::codes::SpendKey;
use crate::store::link_changes::LinkChanges;
use crate::store::log_sync::LogSync;
use crate::store::write_turn::WriteTurns;
use crate::totals::pending_counts::PendingCounts;

/// What a citizen is told of a stored submission.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Receipt {
    pub response_id: Uuid,
    pub submission_id: Uuid,
    /// The submission time as stored: rounded down to the hour.
    pub submitted_hour: DateTime<FixedOffset>,
    /// True when this submission id had been accepted before and nothing new was stored.
    pub replayed: bool,
}

/// What the write path keeps for one app: the link cache, the in-memory ballot controls, the
/// daily cap's counts and the group-commit writer, with the write turns and pending counts
/// they share with the app's other writers.
pub struct Intake {
    pub links: LinkCache,
    pub guard: Guard,
    pub daily_counts: Arc<DailyCounts>,
    pub writer: BatchWriter,
    /// Records invitation codes as spent.
    pub spend_key: SpendKey,
    turns: Arc<WriteTurns>,
    pending_counts: Arc<PendingCounts>,
}

/// What `Intake::start` is given by the app that owns it.
pub struct IntakeParts {
    /// The response writer's connection (see `store::connect::connect_writer`).
    pub writer: DatabaseConnection,
    /// Syncs the writer's commits on SQLite (see `store::log_sync`).
    pub log_sync: Arc<LogSync>,
    pub turns: Arc<WriteTurns>,
    pub pending_counts: Arc<PendingCounts>,
    pub link_changes: Arc<LinkChanges>,
    /// How often the link cache reads the database's change counter.
    pub link_check_interval: Duration,
    pub spend_key: SpendKey,
}

impl Intake {
    /// Starts the writer tasks; they stop when the intake is dropped.
    pub fn start(parts: IntakeParts) -> Self {
        let daily_counts = Arc::new(DailyCounts::default());
        let writer = BatchWriter::start(WriterParts {
            db: parts.writer,
            turns: parts.turns.clone(),
            log_sync: parts.log_sync,
            daily_counts: daily_counts.clone(),
            pending_counts: parts.pending_counts.clone(),
        });
        Self {
            links: LinkCache::new(parts.link_changes, parts.link_check_interval),
            guard: Guard::default(),
            daily_counts,
            writer,
            spend_key: parts.spend_key,
            turns: parts.turns,
            pending_counts: parts.pending_counts,
        }
    }
}
