//! Composite results: gather each unit's components and ranking group, compute (see
//! `domain::composite`), keep the result as a numbered draft; the approvers may decide a tie at
//! a group's bottom-N line before anyone approves; two distinct approvers freeze it;
//! publishing makes it public. Recomputing always makes a new draft: an approved version
//! never changes.

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
use validator::Validate;

use crate::auth::{Permission, Principal};
use crate::domain::composite::{self, Component, Grade, GroupLine, MinSamples, Rules, UnitInputs, UnitResult, Weights};
use crate::domain::satisfaction::{Interval, wilson};
use crate::domain::vocabulary::{Phase, Source};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::services::registry::campaign_units::CarriedUnit;
use crate::totals::reports::{Grouping, ReportRequest, Reports};
use crate::webhooks::{EventType, outbox};

/// Distinct approvals that freeze a version.
pub const APPROVALS_NEEDED: usize = 2;

/// What a version keeps of its computation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResultBody {
    pub rules: Rules,
    pub units: Vec<UnitResult>,
    /// Each ranking group's bottom-N line: its tie and its uncertainty, if any.
    #[serde(default)]
    pub lines: Vec<GroupLine>,
    /// The approvers' decisions on ties at a line.
    #[serde(default)]
    pub decisions: Vec<TieDecision>,
}

/// How the approvers broke a tie at a group's bottom-N line, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TieDecision {
    pub group: String,
    /// The tied units placed in the bottom N; the other tied units are not.
    pub bottom: Vec<Uuid>,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"group": "district", "bottom": ["7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11"], "reason": "领导小组会议决定：按大会测评得分排列"}))]
pub struct TieChoice {
    /// The ranking group whose line the tie is at.
    #[validate(length(min = 1, max = 64))]
    pub group: String,
    /// The tied units to place in the bottom N: at least as many as it has places for them.
    #[validate(length(min = 1, max = 100))]
    pub bottom: Vec<Uuid>,
    #[validate(length(min = 1, max = 1000), custom(function = "crate::domain::text::free_text"))]
    pub reason: String,
}

/// A unit's result with the names reports print.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NamedResult {
    pub unit_code: String,
    pub unit_name: String,
    /// The ranking group's name, e.g. 区重点评议单位.
    pub group_name: Option<String>,
    /// Whether the unit and its head may receive this year's awards (评先评优): not when the
    /// unit is in its group's bottom N or had a violation case, as the plan rules.
    pub award_eligible: bool,
    #[serde(flatten)]
    pub result: UnitResult,
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
    /// By ranking group (the district's first) and rank, then the units graded in no group.
    pub units: Vec<NamedResult>,
    pub lines: Vec<GroupLine>,
    pub decisions: Vec<TieDecision>,
    /// What the computation read, recorded with the version.
    pub inputs: Vec<UnitInputs>,
}

/// A published result as anyone may read it: units by name and code, no account ids.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicResult {
    /// The version's id: its printable page is `/api/v1/public/results/{id}/report.html`.
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub version: i32,
    pub published_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub rules: Rules,
    pub units: Vec<NamedResult>,
    pub lines: Vec<GroupLine>,
    /// How ties at a line were decided, and why (who decided is kept in the audit log).
    pub decisions: Vec<PublicDecision>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicDecision {
    pub group: String,
    pub bottom: Vec<Uuid>,
    pub reason: String,
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
        group_bottom_n: s.group_bottom_n,
        min_samples: MinSamples {
            conference: s.min_samples.conference,
            third_party: s.min_samples.third_party,
            citizen_links: s.min_samples.citizen_links,
        },
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
        .filter_map(|c| {
            let interval = c.interval.map(|i| Interval { low: i.low * 100.0, high: i.high * 100.0 });
            Some((c.unit_id?, Component { score: c.satisfaction_rate? * 100.0, sample: c.valid_answers, interval }))
        })
        .collect())
}

/// Per unit: the current pollster figures, combined by sample size when several pollsters
/// report. A single figure keeps the interval (or margin of error) its pollster gave; a
/// combined one, and one without either, gets Wilson's interval for its sample.
async fn figure_scores(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<HashMap<Uuid, Component>> {
    let figures = pollster_figure::Entity::find()
        .filter(pollster_figure::Column::CampaignId.eq(campaign_id))
        .filter(pollster_figure::Column::SupersededAt.is_null())
        .all(db)
        .await?;
    let mut by_unit: HashMap<Uuid, Vec<pollster_figure::Model>> = HashMap::new();
    for f in figures {
        by_unit.entry(f.unit_id).or_default().push(f);
    }
    Ok(by_unit
        .into_iter()
        .filter_map(|(unit, figures)| {
            let n: i64 = figures.iter().map(|f| i64::from(f.sample_size)).sum();
            if n <= 0 {
                return None;
            }
            let rate = figures.iter().map(|f| f.satisfaction_rate * f64::from(f.sample_size)).sum::<f64>() / n as f64;
            let given = match figures.as_slice() {
                [only] => match (only.interval_low, only.interval_high, only.margin_of_error) {
                    (Some(low), Some(high), _) => Some(Interval { low, high }),
                    (_, _, Some(margin)) => {
                        Some(Interval { low: (rate - margin).max(0.0), high: (rate + margin).min(1.0) })
                    }
                    _ => None,
                },
                _ => None,
            };
            let interval = given.unwrap_or_else(|| wilson(rate, n));
            let interval = Interval { low: interval.low * 100.0, high: interval.high * 100.0 };
            Some((unit, Component { score: rate * 100.0, sample: n, interval: Some(interval) }))
        })
        .collect())
}

pub async fn gather(db: &impl ConnectionTrait, reports: &Reports, campaign_id: Uuid) -> ApiResult<Vec<UnitInputs>> {
    let members = crate::services::registry::campaign_units::members(db, campaign_id).await?;
    let citizens = source_scores(db, reports, campaign_id, Source::CitizenLink).await?;
    let raw_pollster = source_scores(db, reports, campaign_id, Source::Pollster).await?;
    let figures = figure_scores(db, campaign_id).await?;
    let conference = crate::services::evaluation::conference::unit_scores(db, campaign_id).await?;
    let notices = crate::services::evaluation::supervision::notices_of(db, campaign_id).await?;
    let violations = crate::services::evaluation::supervision::violations_of(db, campaign_id).await?;
    Ok(members
        .into_iter()
        .map(|member| {
            let unit_id = member.unit_id;
            let own: Vec<_> = notices.iter().filter(|n| n.unit_id == unit_id).collect();
            let scores: Vec<f64> = own.iter().filter_map(|n| n.score).collect();
            UnitInputs {
                unit_id,
                group: member.ranking_group,
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

fn body_of(version: &result_version::Model) -> ApiResult<ResultBody> {
    let mut body: ResultBody = serde_json::from_value(version.results.clone()).map_err(ApiError::internal)?;
    for component in body.units.iter_mut().flat_map(|u| u.components.iter_mut()) {
        component.explain();
    }
    Ok(body)
}

/// Each unit's result with its code, name and group name.
async fn named(db: &impl ConnectionTrait, units: Vec<UnitResult>) -> ApiResult<Vec<NamedResult>> {
    let mut groups: HashMap<String, String> = HashMap::new();
    let mut found = crate::services::registry::units::by_ids(db, units.iter().map(|r| r.unit_id)).await?;
    let mut out = Vec::new();
    for result in units {
        let unit = found
            .remove(&result.unit_id)
            .ok_or_else(|| crate::error::ApiError::NotFound(format!("no unit {}", result.unit_id)))?;
        let group_name = match &result.group {
            Some(group) => {
                if !groups.contains_key(group) {
                    groups
                        .insert(group.clone(), crate::services::registry::campaign_units::group_name(db, group).await?);
                }
                groups.get(group).cloned()
            }
            None => None,
        };
        let award_eligible = !result.bottom && !result.violation;
        out.push(NamedResult { unit_code: unit.code, unit_name: unit.name, group_name, award_eligible, result });
    }
    Ok(out)
}

pub async fn to_dto(db: &impl ConnectionTrait, m: result_version::Model) -> ApiResult<ResultVersionDto> {
    let body = body_of(&m)?;
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
        units: named(db, body.units).await?,
        lines: body.lines,
        decisions: body.decisions,
        inputs: serde_json::from_value(m.inputs).map_err(ApiError::internal)?,
    })
}

/// The published version as anyone may read it.
pub async fn to_public(db: &impl ConnectionTrait, m: result_version::Model) -> ApiResult<PublicResult> {
    let body = body_of(&m)?;
    Ok(PublicResult {
        id: m.id,
        campaign_id: m.campaign_id,
        version: m.version,
        published_at: m.published_at,
        rules: body.rules,
        units: named(db, body.units).await?,
        lines: body.lines,
        decisions: body
            .decisions
            .into_iter()
            .map(|d| PublicDecision { group: d.group, bottom: d.bottom, reason: d.reason })
            .collect(),
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
    let (units, lines) = composite::compute(&inputs, &rules);
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
        results: Set(serde_json::to_value(ResultBody { rules, units, lines, decisions: Vec::new() })
            .map_err(ApiError::internal)?),
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

/// What the version's units would be under other `rules` — other weights, grade bounds or
/// bottom N — computed from the inputs the version recorded. Nothing is saved.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhatIf {
    pub rules: Rules,
    /// As `ResultVersionDto::units`, under `rules`.
    pub units: Vec<NamedResult>,
    pub lines: Vec<GroupLine>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rules": {"weights": {"conference": 0.4, "third_party": 0.4, "citizen_links": 0.2, "supervision": 0.0}, "qualified_min": 70.0, "excellent_min": 90.0, "bottom_n": 3, "group_bottom_n": 1, "min_samples": {"conference": 10, "third_party": 100, "citizen_links": 30}, "supervision_mode": "points"}}))]
pub struct WhatIfRequest {
    /// The rules to compute the version's inputs with; start from the version's own `rules`.
    pub rules: Rules,
}

/// The rules of a what-if, checked as the campaign's settings are.
fn check_rules(rules: &Rules) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let w = &rules.weights;
    let weights = [
        ("conference", w.conference),
        ("third_party", w.third_party),
        ("citizen_links", w.citizen_links),
        ("supervision", w.supervision),
    ];
    for (name, weight) in weights {
        if !(0.0..=1.0).contains(&weight) {
            errors.push(FieldError::new(format!("weights.{name}"), "must be between 0 and 1"));
        }
    }
    let sum: f64 = weights.iter().map(|(_, w)| w).sum();
    if (sum - 1.0).abs() > 1e-6 {
        errors.push(FieldError::new("weights", format!("must sum to 1, not {sum}")));
    }
    for (name, bound) in [("qualified_min", rules.qualified_min), ("excellent_min", rules.excellent_min)] {
        if !(0.0..=100.0).contains(&bound) {
            errors.push(FieldError::new(name, "must be between 0 and 100"));
        }
    }
    if rules.excellent_min < rules.qualified_min {
        errors.push(FieldError::new("excellent_min", "must not be below qualified_min"));
    }
    for (name, n) in [("bottom_n", rules.bottom_n), ("group_bottom_n", rules.group_bottom_n)] {
        if n > 100 {
            errors.push(FieldError::new(name, "must be at most 100"));
        }
    }
    errors
}

pub async fn what_if(db: &impl ConnectionTrait, who: &Principal, id: Uuid, rules: Rules) -> ApiResult<WhatIf> {
    let version = get(db, who, id).await?;
    let errors = check_rules(&rules);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let inputs: Vec<UnitInputs> = serde_json::from_value(version.inputs).map_err(ApiError::internal)?;
    let (mut units, lines) = composite::compute(&inputs, &rules);
    for component in units.iter_mut().flat_map(|u| u.components.iter_mut()) {
        component.explain();
    }
    Ok(WhatIf { rules, units: named(db, units).await?, lines })
}

/// An approver's decision on a tie at a group's bottom-N line, with the reason: the chosen
/// tied units are placed in the bottom N and the others not. Only on a draft nobody has
/// approved yet, so that every approval is of the decided result; audited.
pub async fn decide_tie<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    id: Uuid,
    choice: TieChoice,
) -> ApiResult<result_version::Model> {
    who.require(Permission::ApproveResults)?;
    let txn = crate::store::begin_write(db).await?;
    let version = find_locked(&txn, id).await?;
    if version.status != ResultStatus::Draft {
        return Err(ApiError::Conflict(format!("version {} is {} already", version.version, version.status)));
    }
    if !approvals_of(&txn, id).await?.is_empty() {
        return Err(ApiError::Conflict(
            "approvals of this version have begun; compute a new version to decide the tie before approving".to_owned(),
        ));
    }
    let mut body: ResultBody = serde_json::from_value(version.results.clone()).map_err(ApiError::internal)?;
    let Some(line) = body.lines.iter().find(|l| l.group == choice.group).cloned() else {
        return Err(ApiError::invalid("group", "no ranking group of that name in this version"));
    };
    let Some(tie) = &line.tie else {
        return Err(ApiError::invalid("group", "there is no tie at this group's line"));
    };
    let mut errors = Vec::new();
    for (i, unit) in choice.bottom.iter().enumerate() {
        if !tie.units.contains(unit) {
            errors.push(FieldError::new(format!("bottom[{i}]"), "is not one of the tied units"));
        }
    }
    let mut chosen = choice.bottom.clone();
    chosen.sort();
    chosen.dedup();
    if errors.is_empty() && (chosen.len() < tie.places as usize || chosen.len() > tie.units.len()) {
        errors.push(FieldError::new(
            "bottom",
            format!("must place between {} and {} of the {} tied units", tie.places, tie.units.len(), tie.units.len()),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    composite::decide_tie(&mut body.units, &line, &chosen);
    body.decisions.retain(|d| d.group != choice.group);
    let decision = TieDecision {
        group: choice.group.clone(),
        bottom: chosen,
        reason: choice.reason.trim().to_owned(),
        decided_by: who.subject.clone(),
        decided_at: crate::store::now(),
    };
    body.decisions.push(decision.clone());
    let updated = result_version::ActiveModel {
        id: Set(id),
        results: Set(serde_json::to_value(&body).map_err(ApiError::internal)?),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "results.tie_decided",
        "result_version",
        &id.to_string(),
        Some(serde_json::json!({"group": line.group, "tied": tie.units, "places": tie.places})),
        Some(serde_json::json!({"group": decision.group, "bottom": decision.bottom, "reason": decision.reason})),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
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

/// Which campaigns have an approved (or published) result: those a next year can be set up
/// from, carrying their bottom units over.
pub async fn campaigns_with_approved_result(db: &impl ConnectionTrait) -> ApiResult<std::collections::HashSet<Uuid>> {
    let ids: Vec<Uuid> = result_version::Entity::find()
        .select_only()
        .column(result_version::Column::CampaignId)
        .filter(result_version::Column::Status.is_in(["approved", "published"]))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().collect())
}

/// The bottom-N units of every ranking group of a campaign's newest approved (or published)
/// version, with the role and group they had.
pub async fn bottom_units(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<Vec<CarriedUnit>> {
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
    let members = crate::services::registry::campaign_units::members(db, campaign_id).await?;
    Ok(body
        .units
        .into_iter()
        .filter(|u| u.bottom)
        .filter_map(|u| {
            let member = members.iter().find(|m| m.unit_id == u.unit_id)?;
            Some(CarriedUnit { unit_id: u.unit_id, role: member.role, ranking_group: member.ranking_group.clone() })
        })
        .collect())
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    /// The ranking group; none for a unit graded in no group.
    pub group: Option<String>,
    pub group_name: Option<String>,
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
    pub award_eligible: bool,
    /// Why components did not count, in Chinese, for the components that have a score.
    pub notes: Vec<String>,
}

/// The report line of one unit's result.
pub fn report_row(named: &NamedResult) -> ReportRow {
    let result = &named.result;
    let score = |source: &str| result.components.iter().find(|c| c.source == source).and_then(|c| c.score);
    let notes = result
        .components
        .iter()
        .filter(|c| c.score.is_some())
        .filter_map(|c| c.note.as_ref().map(|n| format!("{}:{}", source_label(&c.source), n.zh)))
        .collect();
    ReportRow {
        group: result.group.clone(),
        group_name: named.group_name.clone(),
        rank: result.rank,
        unit_code: named.unit_code.clone(),
        unit_name: named.unit_name.clone(),
        conference: score("conference"),
        third_party: score("third_party"),
        citizen_links: score("citizen_links"),
        supervision: score("supervision").or((result.supervision_points != 0.0).then_some(result.supervision_points)),
        composite: result.composite,
        grade: result.grade,
        violation: result.violation,
        bottom: result.bottom,
        award_eligible: named.award_eligible,
        notes,
    }
}

/// A source's name in the plan's terms.
pub fn source_label(source: &str) -> &'static str {
    match source {
        "conference" => "大会测评",
        "third_party" => "第三方测评",
        "citizen_links" => "群众评议",
        "supervision" => "督查督办",
        _ => "其他",
    }
}

/// A version as reports print it: its rules, lines and decisions, and a line per unit by
/// group and rank.
pub struct Report {
    pub rules: Rules,
    pub lines: Vec<GroupLine>,
    pub decisions: Vec<TieDecision>,
    pub rows: Vec<ReportRow>,
    /// Unit names by id, for naming the units of a tie or an uncertain line.
    pub names: HashMap<Uuid, String>,
}

pub async fn report(db: &impl ConnectionTrait, version: &result_version::Model) -> ApiResult<Report> {
    let body = body_of(version)?;
    let units = named(db, body.units).await?;
    let names = units.iter().map(|u| (u.result.unit_id, u.unit_name.clone())).collect();
    Ok(Report {
        rules: body.rules,
        lines: body.lines,
        decisions: body.decisions,
        rows: units.iter().map(report_row).collect(),
        names,
    })
}
