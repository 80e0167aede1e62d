//! Satisfaction figures as a principal may read them: unit accounts their own unit only, API
//! clients their campaigns, and the rates of small cells for admins only.

use std::sync::Arc;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult};
use crate::totals::reports::{Grouping, ReportRequest, Reports, SatisfactionFilter, SatisfactionReport};

/// The unit a principal may see: a unit account only its own.
fn unit_for(who: &Principal, asked: Option<Uuid>) -> ApiResult<Option<Uuid>> {
    match (who.unit_scope()?, asked) {
        (Some(own), Some(asked)) if own != asked => {
            Err(ApiError::Forbidden("a unit account may read its own unit only".to_owned()))
        }
        (Some(own), _) => Ok(Some(own)),
        (None, asked) => Ok(asked),
    }
}

fn request(
    campaign_id: Uuid,
    grouping: Grouping,
    unit: Option<Uuid>,
    filter: &SatisfactionFilter,
    min_cell_size: i64,
    who: &Principal,
) -> ReportRequest {
    ReportRequest {
        campaign_id,
        grouping,
        unit,
        source: filter.source,
        granularity: filter.granularity.unwrap_or_default(),
        min_cell_size,
        show_small_cells: who.sees_small_cells(),
    }
}

/// A satisfaction report of the campaign, grouped by `grouping`, for `who`.
pub async fn satisfaction(
    db: &impl ConnectionTrait,
    reports: &Reports,
    who: &Principal,
    campaign_id: Uuid,
    grouping: Grouping,
    filter: &SatisfactionFilter,
    min_cell_size: i64,
) -> ApiResult<Arc<SatisfactionReport>> {
    who.require(Permission::ReadSatisfaction)?;
    who.require_campaign(campaign_id)?;
    let unit = unit_for(who, filter.unit_id)?;
    reports.report(db, request(campaign_id, grouping, unit, filter, min_cell_size, who)).await
}

/// The same figures for an export (the office and readers; not unit accounts).
pub async fn export(
    db: &impl ConnectionTrait,
    reports: &Reports,
    who: &Principal,
    campaign_id: Uuid,
    grouping: Grouping,
    filter: &SatisfactionFilter,
    min_cell_size: i64,
) -> ApiResult<Arc<SatisfactionReport>> {
    who.require(Permission::ExportSatisfaction)?;
    who.require_campaign(campaign_id)?;
    reports.report(db, request(campaign_id, grouping, filter.unit_id, filter, min_cell_size, who)).await
}
