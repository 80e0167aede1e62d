//! Composite results: gather each unit's components, compute (see `domain::composite`), keep
//! the result as a numbered draft; two distinct approvers freeze it; publishing makes it
//! public. Recomputing always makes a new draft: an approved version never changes.

pub use entity::vocabulary::ResultStatus;

use std::collections::HashMap;

use entity::{campaign, pollster_figure, result_approval, result_version};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Permission, Principal};
use crate::domain::composite::{self, Component, Grade, Rules, UnitInputs, UnitResult, Weights};
use crate::domain::vocabulary::{Phase, Source};
use crate::error::{ApiError, ApiResult};
use crate::totals::reports::{Grouping, ReportRequest, Reports};
use crate::webhooks::{EventType, outbox};

/// Distinct approvals that freeze a version.
pub const APPROVALS_NEEDED: usize = 2;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResultBody {
    pub rules: Rules,
    pub units: Vec<UnitResult>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultVersionDto {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub version: i32,
    pub status: ResultStatus,
    pub computed_at: chrono::DateTime<chrono::FixedOffset>,
    pub approved_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub published_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Who approved (account ids).
    pub approvals: Vec<String>,
    pub rules: Rules,
    /// Ranked units first, in rank order.
    pub units: Vec<UnitResult>,
    /// What the computation read, recorded with the version.
    pub inputs: Vec<UnitInputs>,
}

fn rules_of(campaign: &campaign::Model) -> ApiResult<Rules> {
    let s = crate::services::registry::campaigns::settings_of(campaign)?;
    Ok(Rules {
        weights: Weights {
            conference: s.weights.conference,
            third_party: s.weights.third_party,
            citizen_links: s.weights.citizen_links,
            supervision: s.weights.supervision,
        },
        qualified_min: s.qualified_min,
        excellent_min: s.excellent_min,
        bottom_n: s.bottom_n,
        min_sample: s.min_sample,
        supervision_mode: s.supervision_mode,
    })
}

/// Per unit: the overall rate (0–100) and valid answers of one source.
async fn source_scores(
    db: &impl ConnectionTrait,
    reports: &Reports,
    campaign_id: Uuid,
    source: Source,
) -> ApiResult<HashMap<Uuid, Component>> {
    let request = ReportRequest {
        campaign_id,
        grouping: Grouping::Unit,
        unit: None,
        source: Some(source),
        granularity: Default::default(),
        min_cell_size: 1,
        show_small_cells: true,
    };
    let report = reports.report(db, request).await?;
    Ok(report
        .cells
        .iter()
        .filter_map(|c| Some((c.unit_id?, Component { score: c.satisfaction_rate? * 100.0, sample: c.valid_answers })))
        .collect())
}

/// Per unit: the current pollster figures, combined by sample size when several pollsters report.
async fn figure_scores(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<HashMap<Uuid, Component>> {
    let figures = pollster_figure::Entity::find()
        .filter(pollster_figure::Column::CampaignId.eq(campaign_id))
        .filter(pollster_figure::Column::SupersededAt.is_null())
        .all(db)
        .await?;
    let mut sums: HashMap<Uuid, (f64, i64)> = HashMap::new();
    for f in figures {
        let entry = sums.entry(f.unit_id).or_default();
        entry.0 += f.satisfaction_rate * f64::from(f.sample_size);
        entry.1 += i64::from(f.sample_size);
    }
    Ok(sums
        .into_iter()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(unit, (sum, n))| (unit, Component { score: sum / n as f64 * 100.0, sample: n }))
        .collect())
}

pub async fn gather(db: &impl ConnectionTrait, reports: &Reports, campaign_id: Uuid) -> ApiResult<Vec<UnitInputs>> {
    let unit_ids = crate::services::registry::campaign_units::unit_ids(db, campaign_id).await?;
    let citizens = source_scores(db, reports, campaign_id, Source::CitizenLink).await?;
    let raw_pollster = source_scores(db, reports, campaign_id, Source::Pollster).await?;
    let figures = figure_scores(db, campaign_id).await?;
    let conference = crate::services::evaluation::conference::unit_scores(db, campaign_id).await?;
    let notices = crate::services::evaluation::supervision::notices_of(db, campaign_id).await?;
    let violations = crate::services::evaluation::supervision::violations_of(db, campaign_id).await?;
    Ok(unit_ids
        .into_iter()
        .map(|unit_id| {
            let own: Vec<_> = notices.iter().filter(|n| n.unit_id == unit_id).collect();
            let scores: Vec<f64> = own.iter().filter_map(|n| n.score).collect();
            UnitInputs {
                unit_id,
                conference: conference.get(&unit_id).copied(),
                // A delivered figure is the third-party result; raw interviews stand in without one.
                third_party: figures.get(&unit_id).or_else(|| raw_pollster.get(&unit_id)).copied(),
                citizen_links: citizens.get(&unit_id).copied(),
                supervision_score: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
                supervision_points: own.iter().filter_map(|n| n.points).sum(),
                violation: violations.iter().any(|v| v.unit_id == unit_id),
            }
        })
        .collect())
}

async fn approvals_of(db: &impl ConnectionTrait, result_id: Uuid) -> ApiResult<Vec<String>> {
    Ok(result_approval::Entity::find()
        .filter(result_approval::Column::ResultId.eq(result_id))
        .order_by_asc(result_approval::Column::ApprovedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.approver)
        .collect())
}

pub async fn to_dto(db: &impl ConnectionTrait, m: result_version::Model) -> ApiResult<ResultVersionDto> {
    let body: ResultBody = serde_json::from_value(m.results).map_err(ApiError::internal)?;
    Ok(ResultVersionDto {
        approvals: approvals_of(db, m.id).await?,
        id: m.id,
        campaign_id: m.campaign_id,
        version: m.version,
        status: m.status,
        computed_at: m.computed_at,
        approved_at: m.approved_at,
        published_at: m.published_at,
        rules: body.rules,
        units: body.units,
        inputs: serde_json::from_value(m.inputs).map_err(ApiError::internal)?,
    })
}

pub async fn compute<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    reports: &Reports,
    who: &Principal,
    campaign_id: Uuid,
) -> ApiResult<result_version::Model> {
    who.require(Permission::ManageResults)?;
    let campaign = crate::services::registry::campaigns::find(db, campaign_id).await?;
    crate::services::registry::campaigns::require_phase(&campaign, &[Phase::Assessment], "computing results")?;
    let rules = rules_of(&campaign)?;
    let inputs = gather(db, reports, campaign_id).await?;
    let units = composite::compute(&inputs, &rules);
    let txn = crate::store::begin_write(db).await?;
    // One computation numbers its version at a time, and only while the campaign is still in
    // assessment with the settings the result was computed with.
    let locked = crate::services::registry::campaigns::lock(&txn, campaign_id).await?;
    crate::services::registry::campaigns::require_phase(&locked, &[Phase::Assessment], "computing results")?;
    if locked.settings != campaign.settings {
        return Err(ApiError::Conflict(
            "the scoring settings changed while the result was computed; compute again".to_owned(),
        ));
    }
    let latest: Option<i32> = result_version::Entity::find()
        .select_only()
        .column_as(result_version::Column::Version.max(), "latest")
        .filter(result_version::Column::CampaignId.eq(campaign_id))
        .into_tuple::<Option<i32>>()
        .one(&txn)
        .await?
        .flatten();
    let model = result_version::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(campaign_id),
        version: Set(latest.unwrap_or(0) + 1),
        status: Set(ResultStatus::Draft),
        inputs: Set(serde_json::to_value(&inputs).map_err(ApiError::internal)?),
        results: Set(serde_json::to_value(ResultBody { rules, units }).map_err(ApiError::internal)?),
        computed_at: Set(crate::store::now()),
        approved_at: Set(None),
        published_at: Set(None),
    }
    .insert(&txn)
    .await?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "results.computed",
        "result_version",
        &model.id.to_string(),
        None,
        Some(serde_json::json!({"version": model.version})),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<result_version::Model> {
    result_version::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ApiError::NotFound(format!("no result {id}")))
}

/// The version, locked until the write transaction ends (see `campaigns::lock`).
async fn find_locked(txn: &impl ConnectionTrait, id: Uuid) -> ApiResult<result_version::Model> {
    result_version::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no result {id}")))
}

/// One result version, for those who read results (clients: of their campaigns).
pub async fn get(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<result_version::Model> {
    who.require(Permission::ReadResults)?;
    let version = find(db, id).await?;
    who.require_campaign(version.campaign_id)?;
    Ok(version)
}

pub async fn list(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
) -> ApiResult<Vec<result_version::Model>> {
    who.require(Permission::ReadResults)?;
    who.require_campaign(campaign_id)?;
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    Ok(result_version::Entity::find()
        .filter(result_version::Column::CampaignId.eq(campaign_id))
        .order_by_asc(result_version::Column::Version)
        .all(db)
        .await?)
}

/// One approver's approval; the second distinct one freezes the draft as approved.
pub async fn approve<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    id: Uuid,
) -> ApiResult<result_version::Model> {
    who.require(Permission::ApproveResults)?;
    let txn = crate::store::begin_write(db).await?;
    // Approvals of one version are counted one at a time, so that the second freezes it.
    let result = find_locked(&txn, id).await?;
    let campaign = crate::services::registry::campaigns::hold(&txn, result.campaign_id).await?;
    crate::services::registry::campaigns::require_phase(&campaign, &[Phase::Assessment], "approving results")?;
    if result.status != ResultStatus::Draft {
        return Err(ApiError::Conflict(format!("version {} is {} already", result.version, result.status)));
    }
    result_approval::ActiveModel {
        result_id: Set(id),
        approver: Set(who.subject.clone()),
        approved_at: Set(crate::store::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Duplicate(duplicate) => {
            duplicate.told("you approved this version already; a second approver is needed")
        }
        other => other,
    })?;
    let count = approvals_of(&txn, id).await?.len();
    let updated = if count >= APPROVALS_NEEDED {
        result_version::ActiveModel {
            id: Set(id),
            status: Set(ResultStatus::Approved),
            approved_at: Set(Some(crate::store::now())),
            ..Default::default()
        }
        .update(&txn)
        .await?
    } else {
        result
    };
    let after = serde_json::json!({"version": updated.version, "approvals": count, "status": updated.status});
    crate::services::audit::record(
        &txn,
        &who.subject,
        "results.approved",
        "result_version",
        &id.to_string(),
        None,
        Some(after),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn publish<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    id: Uuid,
) -> ApiResult<result_version::Model> {
    who.require(Permission::ManageResults)?;
    let txn = crate::store::begin_write(db).await?;
    let result = find_locked(&txn, id).await?;
    if result.status != ResultStatus::Approved {
        return Err(ApiError::Conflict(format!(
            "only an approved version can be published; version {} is {}",
            result.version, result.status
        )));
    }
    let updated = result_version::ActiveModel {
        id: Set(id),
        status: Set(ResultStatus::Published),
        published_at: Set(Some(crate::store::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "results.published",
        "result_version",
        &id.to_string(),
        Some(serde_json::json!({"status": "approved"})),
        Some(serde_json::json!({"status": "published", "version": updated.version})),
    )
    .await?;
    let data = serde_json::json!({"result_id": updated.id, "version": updated.version});
    outbox::emit(&txn, EventType::ResultsPublished, updated.campaign_id, data).await?;
    txn.commit().await?;
    Ok(updated)
}

/// The newest published version of a campaign.
pub async fn published(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<result_version::Model> {
    result_version::Entity::find()
        .filter(result_version::Column::CampaignId.eq(campaign_id))
        .filter(result_version::Column::Status.eq(ResultStatus::Published))
        .order_by_desc(result_version::Column::Version)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound("no published result for this campaign".to_owned()))
}

/// The bottom-N units of a campaign's newest approved (or published) version.
pub async fn bottom_units(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<Vec<Uuid>> {
    let latest = result_version::Entity::find()
        .filter(result_version::Column::CampaignId.eq(campaign_id))
        .filter(result_version::Column::Status.is_in(["approved", "published"]))
        .order_by_desc(result_version::Column::Version)
        .one(db)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict(
                "the previous campaign has no approved result to carry its bottom units over from".to_owned(),
            )
        })?;
    let body: ResultBody = serde_json::from_value(latest.results).map_err(ApiError::internal)?;
    Ok(body.units.into_iter().filter(|u| u.bottom).map(|u| u.unit_id).collect())
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    pub rank: Option<u32>,
    pub unit_code: String,
    pub unit_name: String,
    pub conference: Option<f64>,
    pub third_party: Option<f64>,
    pub citizen_links: Option<f64>,
    pub supervision: Option<f64>,
    pub composite: Option<f64>,
    pub grade: Grade,
    pub violation: bool,
    pub bottom: bool,
}

/// The report line of one unit's result.
pub fn report_row(result: &UnitResult, unit_code: String, unit_name: String) -> ReportRow {
    let score = |source: &str| result.components.iter().find(|c| c.source == source).and_then(|c| c.score);
    ReportRow {
        rank: result.rank,
        unit_code,
        unit_name,
        conference: score("conference"),
        third_party: score("third_party"),
        citizen_links: score("citizen_links"),
        supervision: score("supervision").or((result.supervision_points != 0.0).then_some(result.supervision_points)),
        composite: result.composite,
        grade: result.grade,
        violation: result.violation,
        bottom: result.bottom,
    }
}

/// The report lines of a version, in rank order, with unit codes and names.
pub async fn report_rows(
    db: &impl ConnectionTrait,
    version: &result_version::Model,
) -> ApiResult<(Rules, Vec<ReportRow>)> {
    let body: ResultBody = serde_json::from_value(version.results.clone()).map_err(ApiError::internal)?;
    let mut rows = Vec::new();
    for unit in &body.units {
        let found = crate::services::registry::units::find(db, unit.unit_id).await?;
        rows.push(report_row(unit, found.code, found.name));
    }
    Ok((body.rules, rows))
}
