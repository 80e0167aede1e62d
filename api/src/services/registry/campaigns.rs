//! Yearly campaigns: the four phases with their dates and the scoring settings.

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use entity::campaign;

use crate::auth::{Permission, Principal};
use crate::domain::campaign::{DateRange, Phases, ScoringSettings};
use crate::domain::text;
use crate::domain::vocabulary::Phase;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::store::link_changes::LinkChanges;
use crate::webhooks::{EventType, outbox};

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"year": 2017, "title": "昭化区2017年度民主评议政风行风"}))]
pub struct CampaignInput {
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    #[validate(length(min = 1, max = 200), custom(function = "text::single_line"))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// Defaults to the plan's calendar for the year.
    #[serde(default)]
    pub phases: Option<Phases>,
    /// Defaults to the plan's values.
    #[serde(default)]
    #[validate(nested)]
    pub settings: Option<ScoringSettings>,
    /// The previous campaign: its approved result's bottom N become key units of this one.
    #[serde(default)]
    pub carry_over_from: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDto {
    pub id: Uuid,
    pub year: i32,
    pub title: String,
    /// The phase the campaign is in now.
    pub phase: Phase,
    pub phases: Phases,
    pub settings: ScoringSettings,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}

impl TryFrom<campaign::Model> for CampaignDto {
    type Error = ApiError;

    fn try_from(m: campaign::Model) -> ApiResult<Self> {
        let settings = serde_json::from_value(m.settings).map_err(ApiError::internal)?;
        let range = |starts_on, ends_on| DateRange { starts_on, ends_on };
        Ok(Self {
            id: m.id,
            year: m.year,
            title: m.title,
            phase: m.current_phase,
            phases: Phases {
                mobilisation: range(m.mobilisation_starts_on, m.mobilisation_ends_on),
                survey: range(m.survey_starts_on, m.survey_ends_on),
                rectification: range(m.rectification_starts_on, m.rectification_ends_on),
                assessment: range(m.assessment_starts_on, m.assessment_ends_on),
            },
            settings,
            created_at: m.created_at,
        })
    }
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<campaign::Model> {
    campaign::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ApiError::NotFound(format!("no campaign {id}")))
}

/// The campaign, read inside a write transaction and held against a phase change until the
/// transaction ends, so that what the transaction writes agrees with the phase it checked.
/// PostgreSQL locks the row `FOR KEY SHARE`: other such writers go on, and so does raising
/// the campaign's `totals_version` (which a holder adding to the totals does itself, after
/// waiting for the totals lock that a fold may hold while raising it: with `FOR SHARE` the
/// two waited on each other); changes to the campaign take `lock` (`FOR UPDATE`) and wait.
/// SQLite runs one write transaction at a time and has no row locks to take.
pub async fn hold(txn: &impl ConnectionTrait, id: Uuid) -> ApiResult<campaign::Model> {
    campaign::Entity::find_by_id(id)
        .lock(sea_orm::sea_query::LockType::KeyShare)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no campaign {id}")))
}

/// The campaign, locked inside a write transaction for one writer at a time: for changes to
/// the campaign itself and for writes that count or number what the campaign holds (versions,
/// representatives' codes, a township's key units).
pub async fn lock(txn: &impl ConnectionTrait, id: Uuid) -> ApiResult<campaign::Model> {
    campaign::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no campaign {id}")))
}

/// One campaign, for anyone who reads the register.
pub async fn get(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<campaign::Model> {
    who.require(Permission::ReadRegister)?;
    who.require_campaign(id)?;
    find(db, id).await
}

/// Creates a campaign; with `carry_over_from`, the previous campaign's bottom N of every
/// ranking group (from its newest approved result) become units of this one with the role
/// and group they had, reason "carried over", in the same transaction.
pub async fn create<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    who: &Principal,
    input: CampaignInput,
) -> ApiResult<campaign::Model> {
    who.require(Permission::ManageCampaigns)?;
    let carried = match input.carry_over_from {
        Some(previous) => {
            find(db, previous).await.map_err(|_| ApiError::invalid("carry_over_from", "no such campaign"))?;
            crate::services::evaluation::results::bottom_units(db, previous).await?
        }
        None => Vec::new(),
    };
    let txn = crate::store::begin_write(db).await?;
    let created = insert(&txn, input).await?;
    crate::services::registry::campaign_units::carry_over(&txn, &who.subject, created.id, carried).await?;
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(created)
}

async fn insert(db: &impl ConnectionTrait, input: CampaignInput) -> ApiResult<campaign::Model> {
    let phases = match input.phases {
        Some(phases) => phases,
        None => Phases::plan_default(input.year).ok_or_else(|| ApiError::invalid("year", "has no calendar"))?,
    };
    let settings = input.settings.unwrap_or_default();
    let errors: Vec<FieldError> = phases.check().into_iter().chain(settings.check()).collect();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let model = campaign::ActiveModel {
        id: Set(Uuid::new_v4()),
        year: Set(input.year),
        title: Set(input.title.trim().to_owned()),
        mobilisation_starts_on: Set(phases.mobilisation.starts_on),
        mobilisation_ends_on: Set(phases.mobilisation.ends_on),
        survey_starts_on: Set(phases.survey.starts_on),
        survey_ends_on: Set(phases.survey.ends_on),
        rectification_starts_on: Set(phases.rectification.starts_on),
        rectification_ends_on: Set(phases.rectification.ends_on),
        assessment_starts_on: Set(phases.assessment.starts_on),
        assessment_ends_on: Set(phases.assessment.ends_on),
        settings: Set(serde_json::to_value(&settings).map_err(ApiError::internal)?),
        created_at: Set(crate::store::now()),
        current_phase: Set(Phase::Mobilisation),
        totals_version: Set(0),
    };
    model.insert(db).await.map_err(|e| match ApiError::from(e) {
        ApiError::Duplicate(duplicate) => duplicate.told(format!("a campaign for {} already exists", input.year)),
        other => other,
    })
}

pub async fn list(
    db: &impl ConnectionTrait,
    who: &Principal,
    limit: u64,
    offset: u64,
) -> ApiResult<(Vec<campaign::Model>, u64)> {
    who.require(Permission::ReadRegister)?;
    let query = campaign::Entity::find().order_by_desc(campaign::Column::Year);
    Ok(crate::store::fetch_page(db, query, limit, offset).await?)
}

pub fn settings_of(campaign: &campaign::Model) -> ApiResult<ScoringSettings> {
    serde_json::from_value(campaign.settings.clone()).map_err(ApiError::internal)
}

pub fn phase_of(campaign: &campaign::Model) -> ApiResult<Phase> {
    Ok(campaign.current_phase)
}

/// Refuses unless the campaign is in one of `phases`.
pub fn require_phase(campaign: &campaign::Model, phases: &[Phase], action: &str) -> ApiResult<()> {
    let phase = phase_of(campaign)?;
    if phases.contains(&phase) {
        Ok(())
    } else {
        let allowed: Vec<&str> = phases.iter().map(|p| p.as_str()).collect();
        Err(ApiError::Conflict(format!(
            "{action} is allowed in the {} phase only; the campaign is in {}",
            allowed.join(" or "),
            phase.as_str()
        )))
    }
}

/// Every phase but `closed`: a closed campaign is read-only.
pub const OPEN_PHASES: &[Phase] = &[Phase::Mobilisation, Phase::Survey, Phase::Rectification, Phase::Assessment];

/// Moves the campaign to the next phase (one step, never back), recording it in the audit log.
pub async fn advance<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    changes: &LinkChanges,
    who: &Principal,
    id: Uuid,
    to: Phase,
) -> ApiResult<campaign::Model> {
    who.require(Permission::ManageCampaigns)?;
    let txn = crate::store::begin_write(db).await?;
    let current = lock(&txn, id).await?;
    let from = phase_of(&current)?;
    if from.next() != Some(to) {
        return Err(ApiError::Conflict(format!(
            "the campaign is in {}; it can move to {} only",
            from.as_str(),
            from.next().map_or("no other phase", |p| p.as_str())
        )));
    }
    let updated =
        campaign::ActiveModel { id: Set(id), current_phase: Set(to), ..Default::default() }.update(&txn).await?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "campaign.phase_changed",
        "campaign",
        &id.to_string(),
        Some(serde_json::json!({"phase": from.as_str()})),
        Some(serde_json::json!({"phase": to.as_str()})),
    )
    .await?;
    outbox::emit(&txn, EventType::CampaignPhaseChanged, id, serde_json::json!({"phase": to.as_str()})).await?;
    sea_orm::TransactionSession::commit(txn).await?;
    changes.changed_here();
    Ok(updated)
}

/// Replaces the scoring settings, recording the before and after in the audit log.
pub async fn set_settings<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    changes: &LinkChanges,
    who: &Principal,
    id: Uuid,
    settings: &ScoringSettings,
) -> ApiResult<campaign::Model> {
    who.require(Permission::ManageCampaigns)?;
    let errors = settings.check();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let txn = crate::store::begin_write(db).await?;
    let current = lock(&txn, id).await?;
    require_phase(&current, OPEN_PHASES, "changing settings")?;
    let after = serde_json::to_value(settings).map_err(ApiError::internal)?;
    let updated =
        campaign::ActiveModel { id: Set(id), settings: Set(after.clone()), ..Default::default() }.update(&txn).await?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "campaign.settings_changed",
        "campaign",
        &id.to_string(),
        Some(current.settings),
        Some(after),
    )
    .await?;
    sea_orm::TransactionSession::commit(txn).await?;
    changes.changed_here();
    Ok(updated)
}
