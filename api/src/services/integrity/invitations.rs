//! Single-use invitation codes for evaluation representatives and other closed groups.
//!
//! Codes are shown once, when generated, and stored only as SHA-256 hashes with a used
//! time. The table has no reference to or from the responses, so a spent code does not
//! tell which response it was spent on.

use rand::Rng;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, TransactionSession, TransactionTrait};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use entity::invitation_code;

use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult};

/// Without look-alike characters, so a code read from paper is typed right.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const CODE_LEN: usize = 10;

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
    #[schema(example = json!(["K7QX-2MZP4R", "9HWD-TB3N8E"]))]
    pub codes: Vec<String>,
}

/// A new single-use code, written `XXXX-XXXXXX` for reading aloud; about 50 bits.
pub fn new_code() -> String {
    let mut rng = rand::rng();
    let raw: String = (0..CODE_LEN).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("{}-{}", &raw[..4], &raw[4..])
}

/// The stored form of a code: case, spaces and dashes do not matter.
pub fn hash_code(code: &str) -> String {
    let normal: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
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
            used_at: Set(None),
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

#[cfg(test)]
mod tests {
    use crate::services::integrity::invitations::*;

    #[test]
    fn codes_are_readable_and_hash_the_same_however_typed() {
        let code = new_code();
        assert_eq!(code.len(), CODE_LEN + 1);
        assert_eq!(hash_code(&code), hash_code(&code.to_lowercase().replace('-', " ")));
        assert_ne!(hash_code(&code), hash_code(&new_code()));
    }
}
