//! The suspicious-burst report and admins' exclusions of batches from the figures.
//!
//! A batch is one link's responses of one hour. Excluding it flags its responses (nothing is
//! deleted) and writes a record with who, when and why; undoing clears the flags and
//! completes the record, which is never removed.

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use entity::{batch_exclusion, response, survey_link};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Permission, Principal};
use crate::domain::text;
use crate::domain::vocabulary::Source;
use crate::error::{ApiError, ApiResult};
use crate::services::integrity::bursts::{BurstRule, median};
use crate::store::answers;
use crate::totals::delta::TotalsDelta;

#[derive(Debug, Serialize, ToSchema)]
pub struct Burst {
    pub link_id: Uuid,
    pub hour: DateTime<FixedOffset>,
    pub responses: i64,
    /// The link's median responses per active hour.
    pub link_median: f64,
    /// Whether an active exclusion covers this batch.
    pub excluded: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BurstReport {
    pub campaign_id: Uuid,
    /// An hour is flagged at `factor` × the link's median and at least `minimum` responses.
    pub factor: f64,
    pub minimum: i64,
    pub bursts: Vec<Burst>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"link_id": "0d9f4c1e-5b7a-4e2f-8c3d-1a2b3c4d5e6f", "hour": "2017-07-03T10:00:00+08:00", "reason": "280 identical answers in one hour from one window"}))]
pub struct NewExclusion {
    pub link_id: Uuid,
    /// The start of the hour; the hour must be over.
    pub hour: DateTime<FixedOffset>,
    #[validate(length(min = 1, max = 500), custom(function = "text::free_text"))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExclusionDto {
    pub id: Uuid,
    pub link_id: Uuid,
    pub hour: DateTime<FixedOffset>,
    pub reason: String,
    pub excluded_by: String,
    pub created_at: DateTime<FixedOffset>,
    pub undone_at: Option<DateTime<FixedOffset>>,
    pub undone_by: Option<String>,
}

impl From<batch_exclusion::Model> for ExclusionDto {
    fn from(m: batch_exclusion::Model) -> Self {
        Self {
            id: m.id,
            link_id: m.link_id,
            hour: m.hour,
            reason: m.reason,
            excluded_by: m.excluded_by,
            created_at: m.created_at,
            undone_at: m.undone_at,
            undone_by: m.undone_by,
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct HourCount {
    link_id: Uuid,
    submitted_hour: DateTime<FixedOffset>,
    responses: i64,
}

async fn active_exclusions(db: &impl ConnectionTrait, link_ids: &[Uuid]) -> ApiResult<Vec<batch_exclusion::Model>> {
    Ok(batch_exclusion::Entity::find()
        .filter(batch_exclusion::Column::LinkId.is_in(link_ids.iter().copied()))
        .filter(batch_exclusion::Column::UndoneAt.is_null())
        .all(db)
        .await?)
}

pub async fn bursts(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
    rule: BurstRule,
) -> ApiResult<BurstReport> {
    who.require(Permission::ReadIntegrity)?;
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    let counts = response::Entity::find()
        .select_only()
        .columns([response::Column::LinkId, response::Column::SubmittedHour])
        .column_as(Expr::cust("COUNT(*)"), "responses")
        .filter(response::Column::CampaignId.eq(campaign_id))
        .group_by(response::Column::LinkId)
        .group_by(response::Column::SubmittedHour)
        .order_by_asc(response::Column::LinkId)
        .order_by_asc(response::Column::SubmittedHour)
        .into_model::<HourCount>()
        .all(db)
        .await?;
    // One id per link, not per (link, hour): a large campaign has far more hours than a
    // query may carry parameters.
    let mut link_ids: Vec<Uuid> = counts.iter().map(|c| c.link_id).collect();
    link_ids.dedup();
    let excluded = active_exclusions(db, &link_ids).await?;
    let mut bursts = Vec::new();
    for link_counts in counts.chunk_by(|a, b| a.link_id == b.link_id) {
        let per_hour: Vec<i64> = link_counts.iter().map(|c| c.responses).collect();
        let link_median = median(&per_hour);
        for count in link_counts.iter().filter(|c| rule.is_burst(c.responses, link_median)) {
            let hour = count.submitted_hour.with_timezone(&Utc);
            bursts.push(Burst {
                link_id: count.link_id,
                hour: count.submitted_hour,
                responses: count.responses,
                link_median,
                excluded: excluded.iter().any(|e| e.link_id == count.link_id && e.hour.with_timezone(&Utc) == hour),
            });
        }
    }
    Ok(BurstReport { campaign_id, factor: rule.factor, minimum: rule.minimum, bursts })
}

/// Sets the excluded flag on every response of the batch whose flag differs, and moves
/// their answers out of (or back into) the running totals.
async fn flag_batch(
    db: &impl ConnectionTrait,
    link: LinkOf,
    hour: DateTime<FixedOffset>,
    excluded: bool,
) -> ApiResult<()> {
    let flipping = response::Entity::find()
        // The campaign too: on SQLite responses are indexed by (campaign, hour), not by link.
        .filter(response::Column::CampaignId.eq(link.campaign_id))
        .filter(response::Column::LinkId.eq(link.link_id))
        .filter(response::Column::SubmittedHour.eq(hour))
        .filter(response::Column::Excluded.eq(!excluded))
        .all(db)
        .await?;
    for chunk in flipping.chunks(500) {
        let mut delta = TotalsDelta::default();
        for r in chunk {
            delta.count_response(r, &answers::unpack(&r.answers)?);
        }
        let delta = if excluded { delta.negated() } else { delta };
        response::Entity::update_many()
            .col_expr(response::Column::Excluded, Expr::value(excluded))
            .filter(response::Column::Id.is_in(chunk.iter().map(|r| r.id)))
            .exec(db)
            .await?;
        delta.apply(db, Source::CitizenLink).await?;
    }
    Ok(())
}

/// A link and the campaign its responses belong to.
#[derive(Clone, Copy)]
struct LinkOf {
    link_id: Uuid,
    campaign_id: Uuid,
}

impl LinkOf {
    /// Looks the link's campaign up through its questionnaire (a link keeps its questionnaire).
    async fn find(db: &impl ConnectionTrait, link_id: Uuid) -> ApiResult<Self> {
        let link = survey_link::Entity::find_by_id(link_id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::invalid("link_id", "no such link"))?;
        let questionnaire = crate::services::registry::questionnaires::find(db, link.questionnaire_id).await?;
        Ok(Self { link_id, campaign_id: questionnaire.model.campaign_id })
    }
}

/// The start of the hour in UTC, as responses store it; refuses times inside an hour.
fn whole_hour(hour: DateTime<FixedOffset>) -> ApiResult<DateTime<FixedOffset>> {
    let utc = hour.with_timezone(&Utc);
    if utc.minute() != 0 || utc.second() != 0 || utc.nanosecond() != 0 {
        return Err(ApiError::invalid("hour", "must be the start of an hour"));
    }
    if utc + chrono::TimeDelta::hours(1) > Utc::now() {
        return Err(ApiError::invalid("hour", "must be an hour that is over"));
    }
    Ok(utc.fixed_offset())
}

pub async fn exclude<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    input: NewExclusion,
) -> ApiResult<batch_exclusion::Model> {
    who.require(Permission::ManageIntegrity)?;
    let hour = whole_hour(input.hour)?;
    let link = LinkOf::find(db, input.link_id).await?;
    let txn = crate::store::begin_write(db).await?;
    // A batch has one active exclusion at most: a unique index over the records not undone
    // refuses a second, also when two arrive at once.
    let record = batch_exclusion::ActiveModel {
        id: Set(Uuid::new_v4()),
        link_id: Set(input.link_id),
        hour: Set(hour),
        reason: Set(input.reason.trim().to_owned()),
        excluded_by: Set(who.subject.clone()),
        created_at: Set(crate::store::now()),
        undone_at: Set(None),
        undone_by: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Duplicate(duplicate) => duplicate.told("this batch is excluded already"),
        other => other,
    })?;
    flag_batch(&txn, link, hour, true).await?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "batch.excluded",
        "batch_exclusion",
        &record.id.to_string(),
        None,
        Some(serde_json::json!({"link_id": record.link_id, "hour": record.hour, "reason": record.reason})),
    )
    .await?;
    txn.commit().await?;
    Ok(record)
}

pub async fn undo<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    id: Uuid,
) -> ApiResult<batch_exclusion::Model> {
    who.require(Permission::ManageIntegrity)?;
    let txn = crate::store::begin_write(db).await?;
    let record = batch_exclusion::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no exclusion {id}")))?;
    if record.undone_at.is_some() {
        return Err(ApiError::Conflict("this exclusion was undone already".to_owned()));
    }
    let hour = record.hour.with_timezone(&Utc).fixed_offset();
    let updated = batch_exclusion::ActiveModel {
        id: Set(id),
        undone_at: Set(Some(crate::store::now())),
        undone_by: Set(Some(who.subject.clone())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let link = LinkOf::find(&txn, record.link_id).await?;
    flag_batch(&txn, link, hour, false).await?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "batch.exclusion_undone",
        "batch_exclusion",
        &id.to_string(),
        Some(serde_json::json!({"excluded": true})),
        Some(serde_json::json!({"excluded": false})),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn list(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
) -> ApiResult<Vec<batch_exclusion::Model>> {
    who.require(Permission::ReadIntegrity)?;
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    let links = crate::services::registry::links::all_of_campaign(db, campaign_id).await?;
    let ids: Vec<Uuid> = links.into_iter().map(|l| l.id).collect();
    Ok(batch_exclusion::Entity::find()
        .filter(batch_exclusion::Column::LinkId.is_in(ids))
        .order_by_asc(batch_exclusion::Column::CreatedAt)
        .all(db)
        .await?)
}
