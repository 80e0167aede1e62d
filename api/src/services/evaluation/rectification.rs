//! Problems found in the survey phase and their rectification (整改): measures with a
//! responsible post (internal, never public), a deadline and a status; units' reports.
//! Unit accounts see and change their own unit's records only.

pub use entity::vocabulary::{MeasureStatus, ProblemSource};

use chrono::{NaiveDate, Utc};
use entity::{measure, problem, rectification_report};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Permission, Principal};
use crate::domain::text;
use crate::domain::vocabulary::Phase;
use crate::error::{ApiError, ApiResult};
use crate::webhooks::{EventType, outbox};

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "source": "free_text", "description": "窗口排队时间过长", "found_on": "2017-08-20", "public": true}))]
pub struct NewProblem {
    pub unit_id: Uuid,
    pub source: ProblemSource,
    #[validate(length(min = 1, max = 5000), custom(function = "text::free_text"))]
    pub description: String,
    pub found_on: NaiveDate,
    /// Whether the problem is made public (the plan publishes the problems found).
    pub public: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemDto {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub source: ProblemSource,
    pub description: String,
    pub found_on: NaiveDate,
    pub public: bool,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "增设两个窗口，推行预约办理", "responsible": "办公室主任", "deadline": "2017-11-15"}))]
pub struct NewMeasure {
    #[validate(length(min = 1, max = 5000), custom(function = "text::free_text"))]
    pub description: String,
    /// The responsible post or person: internal, never published.
    #[validate(length(min = 1, max = 200), custom(function = "text::single_line"))]
    pub responsible: String,
    pub deadline: NaiveDate,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "done"}))]
pub struct StatusChange {
    pub status: MeasureStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureDto {
    pub id: Uuid,
    pub problem_id: Uuid,
    pub unit_id: Uuid,
    pub description: String,
    pub responsible: String,
    pub deadline: NaiveDate,
    pub status: MeasureStatus,
    /// Past its deadline and neither done nor verified.
    pub overdue: bool,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "body": "针对群众反映的排队问题，我局……", "public": true}))]
pub struct NewReport {
    pub unit_id: Uuid,
    #[validate(length(min = 1, max = 50000), custom(function = "text::free_text"))]
    pub body: String,
    /// Whether the report goes on the public notice board (公示) with the unit's public
    /// problems; not unless asked.
    #[serde(default)]
    pub public: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDto {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub body: String,
    pub public: bool,
    pub submitted_at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<rectification_report::Model> for ReportDto {
    fn from(r: rectification_report::Model) -> Self {
        Self {
            id: r.id,
            campaign_id: r.campaign_id,
            unit_id: r.unit_id,
            body: r.body,
            public: r.public,
            submitted_at: r.submitted_at,
        }
    }
}

impl From<problem::Model> for ProblemDto {
    fn from(m: problem::Model) -> Self {
        let source = match m.source.as_str() {
            "free_text" => ProblemSource::FreeText,
            "forum" => ProblemSource::Forum,
            "visit" => ProblemSource::Visit,
            _ => ProblemSource::Other,
        };
        Self {
            id: m.id,
            campaign_id: m.campaign_id,
            unit_id: m.unit_id,
            source,
            description: m.description,
            found_on: m.found_on,
            public: m.public,
        }
    }
}

pub fn is_overdue(m: &measure::Model, today: NaiveDate) -> bool {
    m.deadline < today && !matches!(m.status, MeasureStatus::Done | MeasureStatus::Verified)
}

impl From<measure::Model> for MeasureDto {
    fn from(m: measure::Model) -> Self {
        let overdue = is_overdue(&m, Utc::now().date_naive());
        Self {
            id: m.id,
            problem_id: m.problem_id,
            unit_id: m.unit_id,
            description: m.description,
            responsible: m.responsible,
            deadline: m.deadline,
            status: m.status,
            overdue,
        }
    }
}

/// Admins may act for any unit; unit accounts for their own only.
fn require_unit_access(who: &Principal, unit_id: Uuid) -> ApiResult<()> {
    who.require(Permission::ActOnRectification)?;
    who.require_unit_access(unit_id)
}

pub async fn add_problem<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    campaign_id: Uuid,
    input: NewProblem,
) -> ApiResult<problem::Model> {
    require_unit_access(who, input.unit_id)?;
    let txn = crate::store::begin_write(db).await?;
    let campaign = crate::services::registry::campaigns::hold(&txn, campaign_id).await?;
    crate::services::registry::campaigns::require_phase(
        &campaign,
        &[Phase::Survey, Phase::Rectification],
        "recording problems",
    )?;
    crate::services::registry::campaign_units::require_member(&txn, campaign_id, input.unit_id, "unit_id").await?;
    let model = problem::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(campaign_id),
        unit_id: Set(input.unit_id),
        source: Set(input.source),
        description: Set(input.description),
        found_on: Set(input.found_on),
        public: Set(input.public),
        created_at: Set(crate::store::now()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Problems of a campaign: admins and observers all, unit accounts their own (a township's,
/// also its stations').
pub async fn problems(db: &impl ConnectionTrait, who: &Principal, campaign_id: Uuid) -> ApiResult<Vec<problem::Model>> {
    who.require(Permission::ReadRectification)?;
    let mut query = problem::Entity::find()
        .filter(problem::Column::CampaignId.eq(campaign_id))
        .order_by_asc(problem::Column::FoundOn);
    if let Some(units) = who.unit_scope()? {
        query = query.filter(problem::Column::UnitId.is_in(units));
    }
    Ok(query.all(db).await?)
}

pub async fn add_measure(
    db: &impl ConnectionTrait,
    who: &Principal,
    problem_id: Uuid,
    input: NewMeasure,
) -> ApiResult<measure::Model> {
    let found = problem::Entity::find_by_id(problem_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no problem {problem_id}")))?;
    require_unit_access(who, found.unit_id)?;
    Ok(measure::ActiveModel {
        id: Set(Uuid::new_v4()),
        problem_id: Set(problem_id),
        unit_id: Set(found.unit_id),
        description: Set(input.description),
        responsible: Set(input.responsible),
        deadline: Set(input.deadline),
        status: Set(MeasureStatus::Planned),
        updated_at: Set(crate::store::now()),
        overdue_notified_at: Set(None),
    }
    .insert(db)
    .await?)
}

pub async fn set_status(
    db: &impl ConnectionTrait,
    who: &Principal,
    measure_id: Uuid,
    status: MeasureStatus,
) -> ApiResult<measure::Model> {
    let found = measure::Entity::find_by_id(measure_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no measure {measure_id}")))?;
    require_unit_access(who, found.unit_id)?;
    if status == MeasureStatus::Verified && !who.may(Permission::VerifyMeasures) {
        return Err(ApiError::Forbidden("only the evaluation office verifies measures".to_owned()));
    }
    Ok(measure::ActiveModel {
        id: Set(measure_id),
        status: Set(status),
        updated_at: Set(crate::store::now()),
        ..Default::default()
    }
    .update(db)
    .await?)
}

pub async fn measures(db: &impl ConnectionTrait, who: &Principal, campaign_id: Uuid) -> ApiResult<Vec<measure::Model>> {
    let problem_ids: Vec<Uuid> = problems(db, who, campaign_id).await?.into_iter().map(|p| p.id).collect();
    Ok(measure::Entity::find()
        .filter(measure::Column::ProblemId.is_in(problem_ids))
        .order_by_asc(measure::Column::Deadline)
        .all(db)
        .await?)
}

pub async fn add_report(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
    input: NewReport,
) -> ApiResult<rectification_report::Model> {
    require_unit_access(who, input.unit_id)?;
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    crate::services::registry::campaign_units::require_member(db, campaign_id, input.unit_id, "unit_id").await?;
    Ok(rectification_report::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(campaign_id),
        unit_id: Set(input.unit_id),
        body: Set(input.body),
        public: Set(input.public),
        submitted_at: Set(crate::store::now()),
    }
    .insert(db)
    .await?)
}

/// Reports are read by the office, observers (who stand for the representatives) and the unit itself.
pub async fn reports(db: &impl ConnectionTrait, who: &Principal, campaign_id: Uuid) -> ApiResult<Vec<ReportDto>> {
    who.require(Permission::ReadRectificationReports)?;
    let mut query = rectification_report::Entity::find()
        .filter(rectification_report::Column::CampaignId.eq(campaign_id))
        .order_by_asc(rectification_report::Column::SubmittedAt);
    if let Some(units) = who.unit_scope()? {
        query = query.filter(rectification_report::Column::UnitId.is_in(units));
    }
    Ok(query.all(db).await?.into_iter().map(ReportDto::from).collect())
}

/// The campaign's units that have handed in no rectification report (unit accounts: their
/// own, if it has not).
pub async fn units_without_report(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
) -> ApiResult<Vec<Uuid>> {
    who.require(Permission::ReadRectificationReports)?;
    let reported: std::collections::HashSet<Uuid> = rectification_report::Entity::find()
        .select_only()
        .column(rectification_report::Column::UnitId)
        .filter(rectification_report::Column::CampaignId.eq(campaign_id))
        .distinct()
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let scope = who.unit_scope()?;
    Ok(crate::services::registry::campaign_units::unit_ids(db, campaign_id)
        .await?
        .into_iter()
        .filter(|unit| !reported.contains(unit) && scope.as_ref().is_none_or(|units| units.contains(unit)))
        .collect())
}

/// How many of the campaign's measures are past their deadline and unfinished (unit
/// accounts: their own unit's).
pub async fn count_overdue(db: &impl ConnectionTrait, who: &Principal, campaign_id: Uuid) -> ApiResult<u64> {
    who.require(Permission::ReadRectification)?;
    let problems = sea_orm::sea_query::Query::select()
        .column(problem::Column::Id)
        .from(problem::Entity)
        .and_where(problem::Column::CampaignId.eq(campaign_id))
        .to_owned();
    let mut query = measure::Entity::find()
        .filter(measure::Column::Deadline.lt(Utc::now().date_naive()))
        .filter(measure::Column::Status.is_in([MeasureStatus::Planned, MeasureStatus::InProgress]))
        .filter(measure::Column::ProblemId.in_subquery(problems));
    if let Some(units) = who.unit_scope()? {
        query = query.filter(measure::Column::UnitId.is_in(units));
    }
    Ok(sea_orm::PaginatorTrait::count(query, db).await?)
}

/// Emits `rectification.overdue` once per measure that has passed its deadline unfinished;
/// returns how many were announced. Each measure is marked and its event written in one
/// transaction, and only by the check that marks it: checks running at once on several
/// replicas announce it once.
pub async fn notify_overdue<C: ConnectionTrait + TransactionTrait>(db: &C) -> ApiResult<usize> {
    let today = Utc::now().date_naive();
    let candidates = measure::Entity::find()
        .filter(measure::Column::OverdueNotifiedAt.is_null())
        .filter(measure::Column::Deadline.lt(today))
        .filter(measure::Column::Status.is_in([MeasureStatus::Planned, MeasureStatus::InProgress]))
        .all(db)
        .await?;
    let mut announced = 0;
    for m in &candidates {
        let Some(found) = problem::Entity::find_by_id(m.problem_id).one(db).await? else { continue };
        let txn = crate::store::begin_write(db).await?;
        let marked = measure::Entity::update_many()
            .col_expr(measure::Column::OverdueNotifiedAt, Expr::value(crate::store::now()))
            .filter(measure::Column::Id.eq(m.id))
            .filter(measure::Column::OverdueNotifiedAt.is_null())
            .exec(&txn)
            .await?;
        if marked.rows_affected == 1 {
            let data = serde_json::json!({"measure_id": m.id, "problem_id": m.problem_id, "unit_id": m.unit_id, "deadline": m.deadline});
            outbox::emit(&txn, EventType::RectificationOverdue, found.campaign_id, data).await?;
            announced += 1;
        }
        txn.commit().await?;
    }
    Ok(announced)
}
