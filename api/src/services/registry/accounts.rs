//! Accounts of people: the office (admin), observers and unit staff.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use entity::account;

use crate::auth::{self, Role};
use crate::auth::{Permission, Principal};
use crate::domain::text;
use crate::error::{ApiError, ApiResult};

pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "jtysj-staff", "password": "a long passphrase", "role": "unit", "unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11"}))]
pub struct AccountInput {
    #[validate(custom(function = "text::key"))]
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub username: String,
    #[validate(length(min = 12, max = 200))]
    #[schema(min_length = 12, max_length = 200)]
    pub password: String,
    /// `admin`, `observer`, `approver` or `unit` (pollsters and readers are API clients, not accounts).
    pub role: Role,
    /// Required for the `unit` role, refused for the others.
    #[serde(default)]
    pub unit_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDto {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<account::Model> for AccountDto {
    fn from(m: account::Model) -> Self {
        Self { id: m.id, role: m.role, username: m.username, unit_id: m.unit_id, created_at: m.created_at }
    }
}

fn check_role(input: &AccountInput) -> ApiResult<()> {
    match (input.role, input.unit_id) {
        (Role::Unit, None) => Err(ApiError::invalid("unit_id", "is required for the unit role")),
        (Role::Unit, Some(_)) => Ok(()),
        (Role::Admin | Role::Observer | Role::Approver, None) => Ok(()),
        (Role::Admin | Role::Observer | Role::Approver, Some(_)) => {
            Err(ApiError::invalid("unit_id", "is only for the unit role"))
        }
        (Role::Pollster | Role::Reader, _) => {
            Err(ApiError::invalid("role", "pollsters and readers are API clients, not accounts"))
        }
    }
}

pub async fn create(db: &impl ConnectionTrait, who: &Principal, input: AccountInput) -> ApiResult<account::Model> {
    who.require(Permission::ManageAccounts)?;
    check_role(&input)?;
    if let Some(unit_id) = input.unit_id {
        crate::services::registry::units::find(db, unit_id)
            .await
            .map_err(|_| ApiError::invalid("unit_id", "no such unit"))?;
    }
    let hash = auth::hash_password(input.password)
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::Internal(e.to_string().into()))?;
    let model = account::ActiveModel {
        id: Set(Uuid::new_v4()),
        username: Set(input.username),
        password_hash: Set(hash),
        role: Set(input.role),
        unit_id: Set(input.unit_id),
        created_at: Set(crate::store::now()),
    };
    Ok(model.insert(db).await?)
}

pub async fn list(
    db: &impl ConnectionTrait,
    who: &Principal,
    limit: u64,
    offset: u64,
) -> ApiResult<(Vec<account::Model>, u64)> {
    who.require(Permission::ManageAccounts)?;
    let query = account::Entity::find().order_by_asc(account::Column::Username);
    Ok(crate::store::fetch_page(db, query, limit, offset).await?)
}

/// The account for these credentials; the same error for an unknown name and a wrong password.
pub async fn authenticate(db: &impl ConnectionTrait, username: &str, password: &str) -> ApiResult<account::Model> {
    let found = account::Entity::find().filter(account::Column::Username.eq(username)).one(db).await?;
    let hash = found.as_ref().map(|account| account.password_hash.clone());
    let matches = auth::verify_password(password.to_owned(), hash).await.map_err(ApiError::internal)?;
    match found {
        Some(account) if matches => Ok(account),
        _ => Err(ApiError::Unauthorized("unknown username or wrong password".to_owned())),
    }
}
