//! The units of a campaign and their part in it: key units named by the district, key units
//! chosen by a township among its stations and windows (one or two per township), or
//! self-organised evaluation. Each carries its reason — designated, or carried over from the
//! previous year's bottom N — and the ranking group it is ranked in: the district's key units
//! together (`district`), each township's key units within the township
//! (`township:<township id>`), self-organised units in none unless the office puts them in one.

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

/// The ranking group of the district's key units.
pub const DISTRICT: &str = crate::domain::composite::DISTRICT;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "role": "district_key"}))]
pub struct NewCampaignUnit {
    pub unit_id: Uuid,
    pub role: UnitRole,
    /// The group the unit is ranked in; by default `district` for the district's key units,
    /// `township:<township id>` for a township's, none for self-organised units.
    #[serde(default)]
    #[validate(custom(function = "check_group"))]
    #[schema(example = "district", pattern = "^[A-Za-z0-9_:-]{1,64}$")]
    pub ranking_group: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ranking_group": "district"}))]
pub struct RankingGroupChange {
    /// The group to rank the unit in, or null to grade it without ranking it.
    #[validate(custom(function = "check_group"))]
    #[schema(pattern = "^[A-Za-z0-9_:-]{1,64}$")]
    pub ranking_group: Option<String>,
}

fn check_group(key: &str) -> Result<(), validator::ValidationError> {
    let fits =
        (1..=64).contains(&key.len()) && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':'));
    if fits {
        Ok(())
    } else {
        Err(validator::ValidationError::new("group").with_message("1 to 64 letters, digits, _, - or :".into()))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignUnitDto {
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub unit_name: String,
    pub role: UnitRole,
    pub reason: UnitReason,
    pub ranking_group: Option<String>,
    /// The group's name as reports print it.
    pub group_name: Option<String>,
    pub added_at: chrono::DateTime<chrono::FixedOffset>,
}

async fn to_dto(db: &impl ConnectionTrait, m: campaign_unit::Model, unit_name: String) -> ApiResult<CampaignUnitDto> {
    let group_name = match &m.ranking_group {
        Some(group) => Some(group_name(db, group).await?),
        None => None,
    };
    Ok(dto(m, unit_name, group_name))
}

fn dto(m: campaign_unit::Model, unit_name: String, group_name: Option<String>) -> CampaignUnitDto {
    CampaignUnitDto {
        campaign_id: m.campaign_id,
        unit_id: m.unit_id,
        unit_name,
        role: m.role,
        reason: m.reason,
        ranking_group: m.ranking_group,
        group_name,
        added_at: m.added_at,
    }
}

/// A ranking group's name as reports print it: 区重点评议单位, 〈乡镇〉重点评议单位, or the
/// key the office gave it.
pub async fn group_name(db: &impl ConnectionTrait, group: &str) -> ApiResult<String> {
    if group == DISTRICT {
        return Ok("区重点评议单位".to_owned());
    }
    let township = group.strip_prefix(TOWNSHIP).and_then(|id| id.parse::<Uuid>().ok());
    if let Some(id) = township
        && let Some(found) = unit::Entity::find_by_id(id).one(db).await?
    {
        return Ok(format!("{}重点评议单位", found.name));
    }
    Ok(group.to_owned())
}

const TOWNSHIP: &str = "township:";

/// The group a unit of `role` is ranked in unless the office says otherwise.
fn default_group(role: UnitRole, unit: &unit::Model) -> Option<String> {
    match role {
        UnitRole::DistrictKey => Some(DISTRICT.to_owned()),
        UnitRole::TownshipKey => unit.parent_id.map(|township| format!("{TOWNSHIP}{township}")),
        UnitRole::SelfOrganised => None,
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

/// A unit's part in a campaign, as it is added.
struct Membership {
    unit_id: Uuid,
    role: UnitRole,
    reason: UnitReason,
    ranking_group: Option<String>,
}

async fn insert(
    db: &impl ConnectionTrait,
    actor: &str,
    campaign_id: Uuid,
    member: Membership,
) -> ApiResult<campaign_unit::Model> {
    let Membership { unit_id, role, reason, ranking_group } = member;
    let model = campaign_unit::ActiveModel {
        campaign_id: Set(campaign_id),
        unit_id: Set(unit_id),
        role: Set(role),
        reason: Set(reason),
        added_at: Set(crate::store::now()),
        ranking_group: Set(ranking_group.clone()),
    }
    .insert(db)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Duplicate(duplicate) => duplicate.told("the unit is in this campaign already"),
        other => other,
    })?;
    let after = serde_json::json!({"unit_id": unit_id, "role": role, "reason": reason, "ranking_group": ranking_group});
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

/// Adds a unit to the campaign (the office), or a township's key unit (the township's own
/// account, for one of its stations or windows: its picks, reported to the district).
pub async fn add<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    campaign_id: Uuid,
    input: NewCampaignUnit,
) -> ApiResult<CampaignUnitDto> {
    // A township's account reports its picks: its own stations and windows as its key units.
    let townships_pick = input.role == UnitRole::TownshipKey && !who.stations.is_empty();
    if townships_pick {
        who.require_unit_access(input.unit_id)?;
    } else {
        who.require(Permission::ManageCampaigns)?;
    }
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
    let ranking_group = input.ranking_group.or_else(|| default_group(input.role, &unit));
    let member = Membership { unit_id: input.unit_id, role: input.role, reason: UnitReason::Designated, ranking_group };
    let model = insert(&txn, &who.subject, campaign_id, member).await?;
    let dto = to_dto(&txn, model, unit.name).await?;
    txn.commit().await?;
    Ok(dto)
}

/// Puts a campaign unit in a ranking group, or takes it out of ranking (audited).
pub async fn set_group<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    campaign_id: Uuid,
    unit_id: Uuid,
    change: RankingGroupChange,
) -> ApiResult<CampaignUnitDto> {
    who.require(Permission::ManageCampaigns)?;
    let txn = crate::store::begin_write(db).await?;
    let campaign = crate::services::registry::campaigns::hold(&txn, campaign_id).await?;
    crate::services::registry::campaigns::require_phase(
        &campaign,
        crate::services::registry::campaigns::OPEN_PHASES,
        "changing ranking groups",
    )?;
    let before = campaign_unit::Entity::find_by_id((campaign_id, unit_id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(not_a_member(unit_id)))?;
    let updated = campaign_unit::ActiveModel {
        campaign_id: Set(campaign_id),
        unit_id: Set(unit_id),
        ranking_group: Set(change.ranking_group.clone()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "campaign.unit_group_changed",
        "campaign",
        &campaign_id.to_string(),
        Some(serde_json::json!({"unit_id": unit_id, "ranking_group": before.ranking_group})),
        Some(serde_json::json!({"unit_id": unit_id, "ranking_group": change.ranking_group})),
    )
    .await?;
    let name = crate::services::registry::units::find(&txn, unit_id).await?.name;
    let dto = to_dto(&txn, updated, name).await?;
    txn.commit().await?;
    Ok(dto)
}

/// A unit carried over from the previous year's bottom N, with the part it had there.
pub struct CarriedUnit {
    pub unit_id: Uuid,
    pub role: UnitRole,
    pub ranking_group: Option<String>,
}

/// Adds `carried` with their role and ranking group (reason: carried over), in the caller's
/// transaction.
pub async fn carry_over(
    db: &impl ConnectionTrait,
    actor: &str,
    campaign_id: Uuid,
    carried: Vec<CarriedUnit>,
) -> ApiResult<()> {
    for unit in carried {
        let member = Membership {
            unit_id: unit.unit_id,
            role: unit.role,
            reason: UnitReason::CarriedOver,
            ranking_group: unit.ranking_group,
        };
        insert(db, actor, campaign_id, member).await?;
    }
    Ok(())
}

/// The campaign's units with their part in it.
pub async fn members(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<Vec<campaign_unit::Model>> {
    Ok(campaign_unit::Entity::find()
        .filter(campaign_unit::Column::CampaignId.eq(campaign_id))
        .order_by_asc(campaign_unit::Column::AddedAt)
        .all(db)
        .await?)
}

pub async fn list(db: &impl ConnectionTrait, who: &Principal, campaign_id: Uuid) -> ApiResult<Vec<CampaignUnitDto>> {
    who.require(Permission::ReadCampaignUnits)?;
    who.require_campaign(campaign_id)?;
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    let members = members(db, campaign_id).await?;
    // One query for the names and one per distinct group, whatever the campaign's size.
    let mut units = crate::services::registry::units::by_ids(db, members.iter().map(|m| m.unit_id)).await?;
    let mut group_names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(members.len());
    for m in members {
        let group = match &m.ranking_group {
            Some(group) => match group_names.get(group) {
                Some(name) => Some(name.clone()),
                None => {
                    let name = group_name(db, group).await?;
                    group_names.insert(group.clone(), name.clone());
                    Some(name)
                }
            },
            None => None,
        };
        let name = units.remove(&m.unit_id).ok_or_else(|| ApiError::NotFound(format!("no unit {}", m.unit_id)))?.name;
        out.push(dto(m, name, group));
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
