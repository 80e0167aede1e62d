//! Satisfaction figures as a principal may read them: unit accounts their own unit only, API
//! clients their campaigns, and the rates of small cells for admins only.

use std::sync::Arc;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult};
use crate::totals::reports::{Grouping, ReportRequest, Reports, SatisfactionFilter, SatisfactionReport};

/// The unit a principal may see: a unit account its own (a township's, also its stations'),
/// its own when it names none.
fn unit_for(who: &Principal, asked: Option<Uuid>) -> ApiResult<Option<Uuid>> {
    match (who.unit_scope()?, asked) {
        (Some(units), Some(asked)) if !units.contains(&asked) => Err(ApiError::Forbidden(
            "a unit account may read its own unit only (a township's, also its stations)".to_owned(),
        )),
        (Some(_), Some(asked)) => Ok(Some(asked)),
        (Some(_), None) => Ok(who.unit_id),
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

/// A township's figures: each of its stations and windows per dimension, and all of them
/// counted together (the township's roll-up).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TownshipReport {
    pub campaign_id: Uuid,
    pub township_id: Uuid,
    pub township_name: String,
    /// The units under the township whose figures are rolled up.
    pub units: Vec<Uuid>,
    /// Per dimension, the township's units counted together (`unit_id` is the township's).
    pub total: Vec<crate::totals::reports::Cell>,
    /// Per unit and dimension.
    pub cells: Vec<crate::totals::reports::Cell>,
}

/// The report of a township: for the office, observers and readers, and for the township's
/// own account.
pub async fn township(
    db: &impl ConnectionTrait,
    reports: &Reports,
    who: &Principal,
    campaign_id: Uuid,
    township_id: Uuid,
    min_cell_size: i64,
) -> ApiResult<TownshipReport> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    who.require(Permission::ReadSatisfaction)?;
    who.require_campaign(campaign_id)?;
    who.require_unit_access(township_id)?;
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    let township = crate::services::registry::units::find(db, township_id).await?;
    if township.kind != crate::domain::vocabulary::UnitKind::Township {
        return Err(ApiError::NotFound(format!("{} is not a township", township.name)));
    }
    let units: Vec<Uuid> = entity::unit::Entity::find()
        .filter(entity::unit::Column::ParentId.eq(township_id))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let filter = SatisfactionFilter { unit_id: None, source: None, granularity: None };
    let request = request(campaign_id, Grouping::UnitDimension, None, &filter, min_cell_size, who);
    let cells = reports
        .report(db, request.clone())
        .await?
        .cells
        .iter()
        .filter(|cell| cell.unit_id.is_some_and(|unit| units.contains(&unit)))
        .cloned()
        .collect();
    let total = reports.rolled_up(db, request, &units, township_id).await?;
    Ok(TownshipReport { campaign_id, township_id, township_name: township.name, units, total, cells })
}
