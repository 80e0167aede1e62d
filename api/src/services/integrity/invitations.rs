//! Single-use invitation codes for closed groups of citizens (panels, service users). How a
//! code is stored and spent without a trace to its response: `codes`.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, TransactionSession, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use entity::invitation_code;

use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult};
use crate::services::integrity::codes::{hash_code, new_code};

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"count": 50}))]
pub struct NewInvitations {
    /// How many codes to make, 1 to 1000.
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub count: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invitations {
    pub link_id: Uuid,
    /// The codes, shown this once only; the service keeps their hashes.
    #[schema(example = json!(["K7QX-2MZP-4RHW-D9TB", "3N8E-VC5M-QJ2X-7KPA"]))]
    pub codes: Vec<String>,
}

pub async fn generate<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    link_id: Uuid,
    count: u32,
) -> ApiResult<Invitations> {
    who.require(Permission::ManageIntegrity)?;
    crate::services::registry::links::find(db, link_id).await?;
    let codes: Vec<String> = (0..count).map(|_| new_code()).collect();
    let txn = crate::store::begin_write(db).await?;
    for code in &codes {
        invitation_code::ActiveModel {
            id: Set(Uuid::new_v4()),
            link_id: Set(link_id),
            code_hash: Set(hash_code(code)),
            created_at: Set(crate::store::now()),
        }
        .insert(&txn)
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::Duplicate(duplicate) => duplicate.told("a generated code collided with an existing one; retry"),
            other => other,
        })?;
    }
    txn.commit().await?;
    Ok(Invitations { link_id, codes })
}
