//! The burst report of each campaign taking answers, as last checked. Finding bursts groups
//! every response of a campaign by link and hour, which takes seconds at millions of
//! responses: too slow for a page. So a background job checks the campaigns in their survey
//! and rectification phases now and then, the office can check one at once, and the
//! dashboard and the review page read what the last check found. Whether a burst is excluded
//! is read afresh from the exclusions each time (a cheap query), so excluding one shows at
//! once without a new check.
//!
//! Kept in memory, per app: each replica checks for itself.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::auth::{Permission, Principal};
use crate::domain::vocabulary::Phase;
use crate::error::ApiResult;
use crate::services::integrity::bursts::BurstRule;
use crate::services::integrity::exclusions::{self, Burst, BurstReport};

/// How often the background job checks the campaigns taking answers.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// What one check of a campaign found, and when.
#[derive(Clone)]
pub struct Checked {
    pub at: DateTime<Utc>,
    pub report: Arc<BurstReport>,
}

#[derive(Default)]
pub struct BurstWatch {
    checked: RwLock<HashMap<Uuid, Checked>>,
}

/// A burst of the last check, with whether an exclusion covers it now (and which).
pub struct ReviewedBurst<'a> {
    pub burst: &'a Burst,
    pub exclusion: Option<Uuid>,
}

impl BurstWatch {
    /// The last check of `campaign_id`, if there was one.
    pub fn latest(&self, campaign_id: Uuid) -> Option<Checked> {
        self.checked.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&campaign_id).cloned()
    }

    /// Checks `campaign_id` now, as `who`, and keeps what was found.
    pub async fn check(&self, db: &impl ConnectionTrait, who: &Principal, campaign_id: Uuid) -> ApiResult<Checked> {
        let report = exclusions::bursts(db, who, campaign_id, BurstRule::default()).await?;
        let checked = Checked { at: Utc::now(), report: Arc::new(report) };
        self.checked.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(campaign_id, checked.clone());
        Ok(checked)
    }

    /// Checks every campaign in its survey or rectification phase; returns how many.
    pub async fn check_open_campaigns(&self, db: &impl ConnectionTrait) -> ApiResult<usize> {
        let open = entity::campaign::Entity::find()
            .filter(entity::campaign::Column::CurrentPhase.is_in([Phase::Survey, Phase::Rectification]))
            .all(db)
            .await?;
        let system = Principal::operator("burst-check");
        for campaign in &open {
            self.check(db, &system, campaign.id).await?;
        }
        Ok(open.len())
    }
}

/// The bursts of `checked` with their exclusions as they stand now.
pub async fn reviewed<'a>(
    db: &impl ConnectionTrait,
    who: &Principal,
    checked: &'a Checked,
) -> ApiResult<Vec<ReviewedBurst<'a>>> {
    who.require(Permission::ReadIntegrity)?;
    let active: Vec<_> = exclusions::list(db, who, checked.report.campaign_id)
        .await?
        .into_iter()
        .filter(|e| e.undone_at.is_none())
        .collect();
    Ok(checked
        .report
        .bursts
        .iter()
        .map(|burst| {
            let covering = active.iter().find(|e| e.link_id == burst.link_id && e.hour == burst.hour);
            ReviewedBurst { burst, exclusion: covering.map(|e| e.id) }
        })
        .collect())
}

/// How many bursts of the last check of `campaign_id` no exclusion covers; `None` before
/// any check.
pub async fn to_review(
    db: &impl ConnectionTrait,
    watch: &BurstWatch,
    who: &Principal,
    campaign_id: Uuid,
) -> ApiResult<Option<usize>> {
    let Some(checked) = watch.latest(campaign_id) else { return Ok(None) };
    if checked.report.bursts.is_empty() {
        return Ok(Some(0));
    }
    Ok(Some(reviewed(db, who, &checked).await?.iter().filter(|b| b.exclusion.is_none()).count()))
}
