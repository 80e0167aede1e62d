//! The audit log: every change to evaluation data as an append-only record (who, when,
//! what, before, after), hash-chained so that any edit, insertion or removal is detectable.
//!
//! hash = SHA-256 of the previous hash and the record's fields; the first record chains
//! from 64 zeros. Records are written in the same transaction as the change they describe.
//! On PostgreSQL a transaction-scoped advisory lock serialises appends (SQLite serialises
//! writers anyway), so the chain never forks.

use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryOrder, QuerySelect, Set};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use entity::audit_record;

use crate::auth::{Permission, Principal};
use crate::error::ApiResult;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const APPEND_LOCK: i64 = 72_630_001;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDto {
    pub seq: i64,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub hash: String,
}

impl From<audit_record::Model> for AuditDto {
    fn from(m: audit_record::Model) -> Self {
        Self {
            seq: m.seq,
            at: m.at,
            actor: m.actor,
            action: m.action,
            entity: m.entity,
            entity_id: m.entity_id,
            before: m.before,
            after: m.after,
            hash: m.hash,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainCheck {
    pub valid: bool,
    pub records: u64,
    /// The first record whose hash or link does not match, if any.
    pub first_invalid_seq: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
fn hash_of(
    prev: &str,
    seq: i64,
    at: &DateTime<FixedOffset>,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: &Option<Value>,
    after: &Option<Value>,
) -> String {
    let mut hasher = Sha256::new();
    let json = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
    for part in [
        prev.to_owned(),
        seq.to_string(),
        at.timestamp().to_string(),
        actor.to_owned(),
        action.to_owned(),
        entity.to_owned(),
        entity_id.to_owned(),
        json(before),
        json(after),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    hex::encode(hasher.finalize())
}

pub async fn record(
    db: &impl ConnectionTrait,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> ApiResult<()> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})")).await?;
    }
    let last = audit_record::Entity::find().order_by_desc(audit_record::Column::Seq).limit(1).one(db).await?;
    let (seq, prev) = last.map_or((1, GENESIS.to_owned()), |r| (r.seq + 1, r.hash));
    let at = Utc::now().trunc_subsecs(0).fixed_offset();
    let hash = hash_of(&prev, seq, &at, actor, action, entity, entity_id, &before, &after);
    audit_record::ActiveModel {
        seq: Set(seq),
        at: Set(at),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        entity: Set(entity.to_owned()),
        entity_id: Set(entity_id.to_owned()),
        before: Set(before),
        after: Set(after),
        prev_hash: Set(prev),
        hash: Set(hash),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Records after `after_seq`, oldest first, for those who read the audit log.
pub async fn list(
    db: &impl ConnectionTrait,
    who: &Principal,
    after_seq: i64,
    limit: u64,
) -> ApiResult<Vec<audit_record::Model>> {
    who.require(Permission::ReadAudit)?;
    page(db, after_seq, limit).await
}

async fn page(db: &impl ConnectionTrait, after_seq: i64, limit: u64) -> ApiResult<Vec<audit_record::Model>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(audit_record::Entity::find()
        .filter(audit_record::Column::Seq.gt(after_seq))
        .order_by_asc(audit_record::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// Recomputes the whole chain.
pub async fn verify(db: &impl ConnectionTrait, who: &Principal) -> ApiResult<ChainCheck> {
    who.require(Permission::ReadAudit)?;
    let mut prev = GENESIS.to_owned();
    let mut expected_seq = 1;
    let mut records = 0;
    let mut after = 0;
    loop {
        let page = page(db, after, 1000).await?;
        if page.is_empty() {
            return Ok(ChainCheck { valid: true, records, first_invalid_seq: None });
        }
        for r in page {
            let hash = hash_of(&prev, r.seq, &r.at, &r.actor, &r.action, &r.entity, &r.entity_id, &r.before, &r.after);
            if r.seq != expected_seq || r.prev_hash != prev || r.hash != hash {
                return Ok(ChainCheck { valid: false, records, first_invalid_seq: Some(r.seq) });
            }
            prev = r.hash;
            expected_seq += 1;
            records += 1;
            after = r.seq;
        }
    }
}
