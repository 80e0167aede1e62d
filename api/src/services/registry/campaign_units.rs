//! The units of a campaign and their part in it: key units named by the district, key units
//! chosen by a township among its stations and windows (one or two per township), or
//! self-organised evaluation. Each carries its reason: designated, or carried over from the
//! previous year's bottom N.

pub use entity::vocabulary::{UnitReason, UnitRole};

use entity::{campaign_unit, unit};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Permission, Principal};
use crate::domain::vocabulary::UnitKind;
use crate::error::{ApiError, ApiResult};

/// Most key units a township may choose.
pub const PER_TOWNSHIP: u64 = 2;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "role": "district_key"}))]
pub struct NewCampaignUnit {
    pub unit_id: Uuid,
    pub role: UnitRole,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignUnitDto {
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub unit_name: String,
    pub role: UnitRole,
    pub reason: UnitReason,
    pub added_at: chrono::DateTime<chrono::FixedOffset>,
}

fn to_dto(m: campaign_unit::Model, unit_name: String) -> CampaignUnitDto {
    CampaignUnitDto {
        campaign_id: m.campaign_id,
        unit_id: m.unit_id,
        unit_name,
        role: m.role,
        reason: m.reason,
        added_at: m.added_at,
    }
}

/// A township key unit must be a station or window of a township, and a township has two at most.
async fn check_township_key(db: &impl ConnectionTrait, campaign_id: Uuid, unit: &unit::Model) -> ApiResult<()> {
    if !matches!(unit.kind, UnitKind::Station | UnitKind::ServiceWindow) {
        return Err(ApiError::invalid("role", "a township's key unit must be one of its stations or service windows"));
    }
    let parent = match unit.parent_id {
        Some(parent) => unit::Entity::find_by_id(parent).one(db).await?,
        None => None,
    };
    let Some(township) = parent.filter(|p| p.kind == UnitKind::Township) else {
        return Err(ApiError::invalid("unit_id", "the unit belongs to no township"));
    };
    let siblings: Vec<Uuid> = unit::Entity::find()
        .filter(unit::Column::ParentId.eq(township.id))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let chosen = sea_orm::PaginatorTrait::count(
        campaign_unit::Entity::find()
            .filter(campaign_unit::Column::CampaignId.eq(campaign_id))
            .filter(campaign_unit::Column::Role.eq(UnitRole::TownshipKey))
            .filter(campaign_unit::Column::UnitId.is_in(siblings)),
        db,
    )
    .await?;
    if chosen >= PER_TOWNSHIP {
        return Err(ApiError::Conflict(format!("{} has chosen its {PER_TOWNSHIP} key units already", township.name)));
    }
    Ok(())
}

async fn insert(
    db: &impl ConnectionTrait,
    actor: &str,
    campaign_id: Uuid,
    unit_id: Uuid,
    role: UnitRole,
    reason: UnitReason,
) -> ApiResult<campaign_unit::Model> {
    let model = campaign_unit::ActiveModel {
        campaign_id: Set(campaign_id),
        unit_id: Set(unit_id),
        role: Set(role),
        reason: Set(reason),
        added_at: Set(crate::store::now()),
    }
    .insert(db)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Duplicate(duplicate) => duplicate.told("the unit is in this campaign already"),
        other => other,
    })?;
    let after = serde_json::json!({"unit_id": unit_id, "role": role, "reason": reason});
    crate::services::audit::record(
        db,
        actor,
        "campaign.unit_added",
        "campaign",
        &campaign_id.to_string(),
        None,
        Some(after),
    )
    .await?;
    Ok(model)
}

pub async fn add<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    campaign_id: Uuid,
    input: NewCampaignUnit,
) -> ApiResult<CampaignUnitDto> {
    who.require(Permission::ManageCampaigns)?;
    who.require_campaign(campaign_id)?;
    let unit = crate::services::registry::units::find(db, input.unit_id)
        .await
        .map_err(|_| ApiError::invalid("unit_id", "no such unit"))?;
    let txn = crate::store::begin_write(db).await?;
    // Locked, not held: two townships' stations added at once must be counted one after the other.
    let campaign = crate::services::registry::campaigns::lock(&txn, campaign_id).await?;
    crate::services::registry::campaigns::require_phase(
        &campaign,
        crate::services::registry::campaigns::OPEN_PHASES,
        "adding units",
    )?;
    if input.role == UnitRole::TownshipKey {
        check_township_key(&txn, campaign_id, &unit).await?;
    }
    let model = insert(&txn, &who.subject, campaign_id, input.unit_id, input.role, UnitReason::Designated).await?;
    txn.commit().await?;
    Ok(to_dto(model, unit.name))
}

/// Carries `unit_ids` over as district key units (reason: carried over), in the caller's transaction.
pub async fn carry_over(db: &impl ConnectionTrait, actor: &str, campaign_id: Uuid, unit_ids: &[Uuid]) -> ApiResult<()> {
    for unit_id in unit_ids {
        insert(db, actor, campaign_id, *unit_id, UnitRole::DistrictKey, UnitReason::CarriedOver).await?;
    }
    Ok(())
}

pub async fn list(db: &impl ConnectionTrait, who: &Principal, campaign_id: Uuid) -> ApiResult<Vec<CampaignUnitDto>> {
    who.require(Permission::ReadCampaignUnits)?;
    who.require_campaign(campaign_id)?;
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    let members = campaign_unit::Entity::find()
        .filter(campaign_unit::Column::CampaignId.eq(campaign_id))
        .order_by_asc(campaign_unit::Column::AddedAt)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for m in members {
        let name = crate::services::registry::units::find(db, m.unit_id).await?.name;
        out.push(to_dto(m, name));
    }
    Ok(out)
}

/// The unit's part in the campaign; records about a unit (notices, violations, pollster
/// figures and answers, problems, links) are only for the campaign's own units, so anything
/// else is refused as `field`'s error.
pub async fn require_member(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    unit_id: Uuid,
    field: &str,
) -> ApiResult<campaign_unit::Model> {
    campaign_unit::Entity::find_by_id((campaign_id, unit_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::invalid(field, not_a_member(unit_id)))
}

/// As `require_member`, with the unit's row locked until the write transaction ends, for
/// writes that replace what is current for the unit (one at a time per unit).
pub async fn lock_member(
    txn: &impl ConnectionTrait,
    campaign_id: Uuid,
    unit_id: Uuid,
    field: &str,
) -> ApiResult<campaign_unit::Model> {
    campaign_unit::Entity::find_by_id((campaign_id, unit_id))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::invalid(field, not_a_member(unit_id)))
}

/// What a record for a unit outside the campaign is told.
pub fn not_a_member(unit_id: Uuid) -> String {
    format!("unit {unit_id} is not one of this campaign's units")
}

pub async fn unit_ids(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<Vec<Uuid>> {
    Ok(campaign_unit::Entity::find()
        .filter(campaign_unit::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.unit_id)
        .collect())
}
