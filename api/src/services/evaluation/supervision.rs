//! Supervision notices (督查督办通报) and confirmed violation cases (违纪违法案件) per unit.

use chrono::NaiveDate;
use entity::{supervision_notice, violation_case};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionSession,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Permission, Principal};
use crate::domain::text;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "issued_on": "2017-09-12", "issuing_body": "区委督查室",
    "summary": "窗口人员脱岗，群众等候超过一小时", "points": -2.0}))]
pub struct NewNotice {
    pub unit_id: Uuid,
    pub issued_on: NaiveDate,
    #[validate(length(min = 1, max = 200), custom(function = "text::single_line"))]
    pub issuing_body: String,
    #[validate(length(min = 1, max = 5000), custom(function = "text::free_text"))]
    pub summary: String,
    /// Points mode: signed points added to the composite, −100 to 100.
    #[validate(range(min = -100.0, max = 100.0))]
    #[serde(default)]
    pub points: Option<f64>,
    /// Component mode: a 0–100 score.
    #[validate(range(min = 0.0, max = 100.0))]
    #[serde(default)]
    pub score: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeDto {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub issued_on: NaiveDate,
    pub issuing_body: String,
    pub summary: String,
    pub points: Option<f64>,
    pub score: Option<f64>,
}

impl From<supervision_notice::Model> for NoticeDto {
    fn from(m: supervision_notice::Model) -> Self {
        Self {
            id: m.id,
            campaign_id: m.campaign_id,
            unit_id: m.unit_id,
            issued_on: m.issued_on,
            issuing_body: m.issuing_body,
            summary: m.summary,
            points: m.points,
            score: m.score,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "confirmed_on": "2017-10-30", "authority": "区纪委", "reference": "昭纪〔2017〕12号"}))]
pub struct NewViolation {
    pub unit_id: Uuid,
    pub confirmed_on: NaiveDate,
    #[validate(length(min = 1, max = 200), custom(function = "text::single_line"))]
    pub authority: String,
    #[validate(length(min = 1, max = 200), custom(function = "text::single_line"))]
    pub reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViolationDto {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub confirmed_on: NaiveDate,
    pub authority: String,
    pub reference: String,
}

impl From<violation_case::Model> for ViolationDto {
    fn from(m: violation_case::Model) -> Self {
        Self {
            id: m.id,
            campaign_id: m.campaign_id,
            unit_id: m.unit_id,
            confirmed_on: m.confirmed_on,
            authority: m.authority,
            reference: m.reference,
        }
    }
}

/// In the write transaction: the campaign is open (and held so, see `campaigns::hold`) and
/// the unit is one of its units.
async fn check_unit(txn: &impl ConnectionTrait, campaign_id: Uuid, unit_id: Uuid) -> ApiResult<()> {
    let campaign = crate::services::registry::campaigns::hold(txn, campaign_id).await?;
    crate::services::registry::campaigns::require_phase(
        &campaign,
        crate::services::registry::campaigns::OPEN_PHASES,
        "recording notices and violations",
    )?;
    crate::services::registry::campaign_units::require_member(txn, campaign_id, unit_id, "unit_id").await?;
    Ok(())
}

pub async fn add_notice<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    campaign_id: Uuid,
    input: NewNotice,
) -> ApiResult<supervision_notice::Model> {
    who.require(Permission::ManageCampaigns)?;
    if input.points.is_none() && input.score.is_none() {
        return Err(ApiError::invalid("points", "give points (points mode) or a score (component mode)"));
    }
    let txn = crate::store::begin_write(db).await?;
    check_unit(&txn, campaign_id, input.unit_id).await?;
    let model = supervision_notice::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(campaign_id),
        unit_id: Set(input.unit_id),
        issued_on: Set(input.issued_on),
        issuing_body: Set(input.issuing_body),
        summary: Set(input.summary),
        points: Set(input.points),
        score: Set(input.score),
        created_at: Set(crate::store::now()),
    }
    .insert(&txn)
    .await?;
    let after = serde_json::to_value(NoticeDto::from(model.clone())).map_err(ApiError::internal)?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "notice.recorded",
        "supervision_notice",
        &model.id.to_string(),
        None,
        Some(after),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn add_violation<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    campaign_id: Uuid,
    input: NewViolation,
) -> ApiResult<violation_case::Model> {
    who.require(Permission::ManageCampaigns)?;
    let txn = crate::store::begin_write(db).await?;
    check_unit(&txn, campaign_id, input.unit_id).await?;
    let model = violation_case::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(campaign_id),
        unit_id: Set(input.unit_id),
        confirmed_on: Set(input.confirmed_on),
        authority: Set(input.authority),
        reference: Set(input.reference),
        created_at: Set(crate::store::now()),
    }
    .insert(&txn)
    .await?;
    let after = serde_json::to_value(ViolationDto::from(model.clone())).map_err(ApiError::internal)?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "violation.recorded",
        "violation_case",
        &model.id.to_string(),
        None,
        Some(after),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The campaign's supervision notices, for those who read the evaluation.
pub async fn notices(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
) -> ApiResult<Vec<supervision_notice::Model>> {
    who.require(Permission::ReadEvaluation)?;
    who.require_campaign(campaign_id)?;
    notices_of(db, campaign_id).await
}

pub(crate) async fn notices_of(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> ApiResult<Vec<supervision_notice::Model>> {
    Ok(supervision_notice::Entity::find()
        .filter(supervision_notice::Column::CampaignId.eq(campaign_id))
        .order_by_asc(supervision_notice::Column::IssuedOn)
        .all(db)
        .await?)
}

/// The campaign's violation cases, for those who read the evaluation.
pub async fn violations(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
) -> ApiResult<Vec<violation_case::Model>> {
    who.require(Permission::ReadEvaluation)?;
    who.require_campaign(campaign_id)?;
    violations_of(db, campaign_id).await
}

pub(crate) async fn violations_of(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> ApiResult<Vec<violation_case::Model>> {
    Ok(violation_case::Entity::find()
        .filter(violation_case::Column::CampaignId.eq(campaign_id))
        .order_by_asc(violation_case::Column::ConfirmedOn)
        .all(db)
        .await?)
}
