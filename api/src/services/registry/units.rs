//! The register of evaluated units.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use entity::unit;

use crate::auth::{Permission, Principal, Role};
use crate::domain::text;
use crate::domain::vocabulary::{Category, UnitKind};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "jtysj", "name": "区交通运输局", "category": "government", "kind": "department"}))]
pub struct UnitInput {
    /// A short unique code, e.g. the unit's abbreviation.
    #[validate(custom(function = "text::key"))]
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub code: String,
    #[validate(length(min = 1, max = 200), custom(function = "text::single_line"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub category: Category,
    pub kind: UnitKind,
    /// The township a station, window or village committee belongs to.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// For a vertically managed unit (the power company, say): the authority above it, to
    /// which the official notice (通报) also goes.
    #[serde(default)]
    #[validate(length(min = 1, max = 200), custom(function = "text::single_line"))]
    #[schema(example = "国网四川省电力公司")]
    pub supervising_authority: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDto {
    pub id: Uuid,
    #[schema(example = "jtysj")]
    pub code: String,
    #[schema(example = "区交通运输局")]
    pub name: String,
    pub category: Category,
    pub kind: UnitKind,
    pub parent_id: Option<Uuid>,
    pub supervising_authority: Option<String>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitFilter {
    /// Only units under this parent (e.g. a township's stations and windows).
    pub parent_id: Option<Uuid>,
    pub category: Option<Category>,
}

impl TryFrom<unit::Model> for UnitDto {
    type Error = ApiError;

    fn try_from(m: unit::Model) -> ApiResult<Self> {
        Ok(Self {
            category: m.category,
            kind: m.kind,
            id: m.id,
            code: m.code,
            name: m.name,
            parent_id: m.parent_id,
            supervising_authority: m.supervising_authority,
            created_at: m.created_at,
        })
    }
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<unit::Model> {
    unit::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ApiError::NotFound(format!("no unit {id}")))
}

/// The units with these ids, by id, in one query: for pages that name hundreds of units.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<std::collections::HashMap<Uuid, unit::Model>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    // Bounded batches keep each query under every database's limit on bound values.
    for batch in ids.chunks(1000) {
        for model in unit::Entity::find().filter(unit::Column::Id.is_in(batch.to_vec())).all(db).await? {
            found.insert(model.id, model);
        }
    }
    Ok(found)
}

/// The units under a unit account's unit when that unit is a township (its stations, windows
/// and village committees): what a township's account sees and acts for besides its own.
pub async fn stations_of(db: &impl ConnectionTrait, account: &entity::account::Model) -> ApiResult<Vec<Uuid>> {
    let (Role::Unit, Some(unit_id)) = (account.role, account.unit_id) else { return Ok(Vec::new()) };
    let township = unit::Entity::find_by_id(unit_id).one(db).await?;
    if township.is_none_or(|u| u.kind != UnitKind::Township) {
        return Ok(Vec::new());
    }
    Ok(unit::Entity::find()
        .filter(unit::Column::ParentId.eq(unit_id))
        .select_only()
        .column(unit::Column::Id)
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// One unit, for anyone who reads the register.
pub async fn get(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<unit::Model> {
    who.require(Permission::ReadRegister)?;
    find(db, id).await
}

async fn check_parent(db: &impl ConnectionTrait, id: Option<Uuid>, parent_id: Option<Uuid>) -> ApiResult<()> {
    let Some(parent_id) = parent_id else { return Ok(()) };
    if Some(parent_id) == id {
        return Err(ApiError::invalid("parent_id", "a unit cannot be its own parent"));
    }
    if unit::Entity::find_by_id(parent_id).one(db).await?.is_none() {
        return Err(ApiError::invalid("parent_id", "no such unit"));
    }
    Ok(())
}

fn active_model(id: Uuid, input: UnitInput) -> unit::ActiveModel {
    unit::ActiveModel {
        id: Set(id),
        code: Set(input.code),
        name: Set(input.name.trim().to_owned()),
        category: Set(input.category),
        kind: Set(input.kind),
        parent_id: Set(input.parent_id),
        supervising_authority: Set(input.supervising_authority.map(|a| a.trim().to_owned())),
        ..Default::default()
    }
}

pub async fn create(db: &impl ConnectionTrait, who: &Principal, input: UnitInput) -> ApiResult<unit::Model> {
    who.require(Permission::ManageCampaigns)?;
    check_parent(db, None, input.parent_id).await?;
    let mut model = active_model(Uuid::new_v4(), input);
    model.created_at = Set(crate::store::now());
    Ok(model.insert(db).await?)
}

pub async fn update(db: &impl ConnectionTrait, who: &Principal, id: Uuid, input: UnitInput) -> ApiResult<unit::Model> {
    who.require(Permission::ManageCampaigns)?;
    find(db, id).await?;
    check_parent(db, Some(id), input.parent_id).await?;
    Ok(active_model(id, input).update(db).await?)
}

pub async fn list(
    db: &impl ConnectionTrait,
    who: &Principal,
    filter: &UnitFilter,
    limit: u64,
    offset: u64,
) -> ApiResult<(Vec<unit::Model>, u64)> {
    who.require(Permission::ReadRegister)?;
    let mut query = unit::Entity::find().order_by_asc(unit::Column::Code);
    if let Some(parent) = filter.parent_id {
        query = query.filter(unit::Column::ParentId.eq(parent));
    }
    if let Some(category) = filter.category {
        query = query.filter(unit::Column::Category.eq(category.as_str()));
    }
    Ok(crate::store::fetch_page(db, query, limit, offset).await?)
}
