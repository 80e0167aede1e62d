//! Before and after rectification (回头看): the office gives a unit's links a second survey
//! window in the rectification phase, citizens answer again, and the unit's satisfaction per
//! dimension is compared: the answers before the window against those within it, each with
//! its rate and 95% interval, so the office sees whether rectification was felt.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use entity::{questionnaire, response, survey_link};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Permission, Principal};
use crate::domain::satisfaction::{Interval, OptionCount, figures, rounded};
use crate::domain::vocabulary::Phase;
use crate::error::{ApiError, ApiResult};
use crate::services::registry::{campaign_units, campaigns, units};
use crate::store::link_changes::LinkChanges;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"opens_at": "2017-11-01T08:00:00+08:00", "closes_at": "2017-11-20T18:00:00+08:00"}))]
pub struct ResurveyWindow {
    pub opens_at: DateTime<FixedOffset>,
    pub closes_at: DateTime<FixedOffset>,
}

/// One side of the comparison: citizens' answers to one dimension.
#[derive(Debug, Serialize, ToSchema)]
pub struct SideFigures {
    pub responses: i64,
    pub valid_answers: i64,
    /// `null` without valid answers, or when the cell is too small for the reader.
    pub satisfaction_rate: Option<f64>,
    /// 95% Wilson interval.
    pub interval: Option<Interval>,
    pub suppressed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DimensionChange {
    /// `overall` or a dimension's key.
    pub dimension: String,
    pub before: SideFigures,
    pub after: SideFigures,
    /// After less before, when both rates are shown.
    pub change: Option<f64>,
    /// Whether the two intervals do not overlap: a change the samples show beyond chance.
    pub clear: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BeforeAfter {
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub unit_name: String,
    /// The second window; `null` when the unit has none yet (then everything is "before").
    pub window: Option<ResurveyWindowDto>,
    pub dimensions: Vec<DimensionChange>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResurveyWindowDto {
    pub opens_at: DateTime<FixedOffset>,
    pub closes_at: DateTime<FixedOffset>,
}

/// The unit's links in the campaign.
async fn links_of(db: &impl ConnectionTrait, campaign_id: Uuid, unit_id: Uuid) -> ApiResult<Vec<survey_link::Model>> {
    let questionnaires: Vec<Uuid> = questionnaire::Entity::find()
        .select_only()
        .column(questionnaire::Column::Id)
        .filter(questionnaire::Column::CampaignId.eq(campaign_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(survey_link::Entity::find()
        .filter(survey_link::Column::QuestionnaireId.is_in(questionnaires))
        .filter(survey_link::Column::UnitId.eq(unit_id))
        .all(db)
        .await?)
}

/// Gives every link of the unit in the campaign its second survey window (audited); returns
/// how many links took it.
pub async fn set_window<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    changes: &LinkChanges,
    who: &Principal,
    campaign_id: Uuid,
    unit_id: Uuid,
    window: ResurveyWindow,
) -> ApiResult<usize> {
    who.require(Permission::ManageCampaigns)?;
    if window.closes_at <= window.opens_at {
        return Err(ApiError::invalid("closes_at", "must be after opens_at"));
    }
    let txn = crate::store::begin_write(db).await?;
    let campaign = campaigns::hold(&txn, campaign_id).await?;
    campaigns::require_phase(&campaign, &[Phase::Survey, Phase::Rectification], "setting a second survey window")?;
    campaign_units::require_member(&txn, campaign_id, unit_id, "unit_id").await?;
    let ids: Vec<Uuid> = links_of(&txn, campaign_id, unit_id).await?.into_iter().map(|l| l.id).collect();
    if ids.is_empty() {
        return Err(ApiError::Conflict("this unit has no survey link in the campaign".to_owned()));
    }
    survey_link::Entity::update_many()
        .col_expr(survey_link::Column::ResurveyOpensAt, Expr::value(window.opens_at))
        .col_expr(survey_link::Column::ResurveyClosesAt, Expr::value(window.closes_at))
        .filter(survey_link::Column::Id.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    let after = serde_json::json!({"unit_id": unit_id, "opens_at": window.opens_at, "closes_at": window.closes_at, "links": ids.len()});
    crate::services::audit::record(
        &txn,
        &who.subject,
        "campaign.resurvey_set",
        "campaign",
        &campaign_id.to_string(),
        None,
        Some(after),
    )
    .await?;
    txn.commit().await?;
    changes.changed_here();
    Ok(ids.len())
}

#[derive(Deserialize)]
struct Answer {
    dimension: Option<String>,
    option_key: String,
    weight: Option<f64>,
}

fn side(counts: Option<&BTreeMap<String, OptionCount>>, min_cell_size: i64, shows_small: bool) -> SideFigures {
    let counts: Vec<OptionCount> = counts.map(|c| c.values().cloned().collect()).unwrap_or_default();
    let f = figures(&counts);
    let suppressed = f.answers < min_cell_size && !shows_small;
    SideFigures {
        responses: f.answers,
        valid_answers: f.valid_answers,
        satisfaction_rate: if suppressed { None } else { f.rate.map(rounded) },
        interval: if suppressed {
            None
        } else {
            f.interval.map(|i| Interval { low: rounded(i.low), high: rounded(i.high) })
        },
        suppressed,
    }
}

/// The unit's satisfaction per dimension before its second window and within it, from its
/// citizens' answers (batches left out by the office stay out). An answer counts by the hour
/// it arrived in, as answers are stored: "before" is before the window's opening hour,
/// "after" from that hour until the window closes.
pub async fn before_after(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
    unit_id: Uuid,
    min_cell_size: i64,
) -> ApiResult<BeforeAfter> {
    who.require(Permission::ReadSatisfaction)?;
    who.require_campaign(campaign_id)?;
    who.require_unit_access(unit_id)?;
    campaigns::find(db, campaign_id).await?;
    campaign_units::require_member(db, campaign_id, unit_id, "unit_id").await?;
    let unit = units::find(db, unit_id).await?;
    let window = links_of(db, campaign_id, unit_id)
        .await?
        .into_iter()
        .find_map(|l| l.resurvey_opens_at.zip(l.resurvey_closes_at))
        .map(|(opens_at, closes_at)| ResurveyWindowDto { opens_at, closes_at });
    let opening_hour = window.as_ref().map(|w| crate::store::round_to_hour(w.opens_at.to_utc()));
    let rows: Vec<(DateTime<FixedOffset>, String)> = response::Entity::find()
        .select_only()
        .column(response::Column::SubmittedHour)
        .column(response::Column::Answers)
        .filter(response::Column::CampaignId.eq(campaign_id))
        .filter(response::Column::UnitId.eq(unit_id))
        .filter(response::Column::Excluded.eq(false))
        .into_tuple()
        .all(db)
        .await?;
    // (dimension, after?) → option → counts
    let mut counts: BTreeMap<(String, bool), BTreeMap<String, OptionCount>> = BTreeMap::new();
    for (hour, answers) in rows {
        let after = match (&opening_hour, &window) {
            (Some(opening), Some(w)) if hour >= *opening => {
                if hour >= w.closes_at {
                    continue;
                }
                true
            }
            _ => false,
        };
        let Ok(answers) = serde_json::from_str::<Vec<Answer>>(&answers) else { continue };
        for answer in answers {
            let Some(dimension) = answer.dimension else { continue };
            let entry =
                counts.entry((dimension, after)).or_default().entry(answer.option_key.clone()).or_insert_with(|| {
                    OptionCount { option_key: answer.option_key.clone(), answers: 0, valid: 0, weight_sum: 0.0 }
                });
            entry.answers += 1;
            if let Some(weight) = answer.weight {
                entry.valid += 1;
                entry.weight_sum += weight;
            }
        }
    }
    let dimensions: std::collections::BTreeSet<String> = counts.keys().map(|(d, _)| d.clone()).collect();
    let shows_small = who.sees_small_cells();
    let mut ordered: Vec<String> = dimensions.into_iter().collect();
    // The overall question first, then the dimensions in their order.
    ordered.sort_by_key(|d| (d != crate::domain::questionnaire::OVERALL, d.clone()));
    let dimensions = ordered
        .into_iter()
        .map(|dimension| {
            let before = side(counts.get(&(dimension.clone(), false)), min_cell_size, shows_small);
            let after = side(counts.get(&(dimension.clone(), true)), min_cell_size, shows_small);
            let change = before.satisfaction_rate.zip(after.satisfaction_rate).map(|(b, a)| rounded(a - b));
            let clear = match (before.interval, after.interval) {
                (Some(b), Some(a)) => a.low > b.high || a.high < b.low,
                _ => false,
            };
            DimensionChange { dimension, before, after, change, clear }
        })
        .collect();
    Ok(BeforeAfter { campaign_id, unit_id, unit_name: unit.name, window, dimensions })
}
