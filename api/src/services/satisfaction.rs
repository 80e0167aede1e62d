//! Satisfaction figures per unit, per unit × dimension and per channel.
//!
//! One GROUP BY over the answers of a campaign returns the counts per
//! (unit, channel, dimension, option); each report then rolls those up in Rust, so all three
//! share one query, and the arithmetic lives in `domain::satisfaction`.

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use entity::response_answer::{self, Column};

use crate::domain::questionnaire::OVERALL;
use crate::domain::satisfaction::{Interval, LevelShare, OptionCount, figures};
use crate::domain::vocabulary::Channel;
use crate::error::ApiResult;

/// How a report groups the answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// Per unit, from the overall question.
    Unit,
    /// Per unit and dimension, from every rating question that has a dimension.
    UnitDimension,
    /// Per channel, from the overall question.
    Channel,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SatisfactionFilter {
    /// Only this unit. The `unit` role always sees its own unit only.
    pub unit_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "dimension": "overall", "channel": null,
    "responses": 10, "valid_answers": 9, "satisfaction_rate": 0.8222, "interval": {"low": 0.51, "high": 0.95},
    "levels": [{"option": "satisfied", "count": 6, "share": 0.6}], "suppressed": false
}))]
pub struct Cell {
    pub unit_id: Option<Uuid>,
    pub dimension: Option<String>,
    pub channel: Option<Channel>,
    /// Answers in the cell (one per response that answered the question), "don't know" included.
    pub responses: i64,
    /// Answers that count in the rate ("don't know" excluded).
    pub valid_answers: i64,
    /// Sum of the chosen options' weights over the valid answers, in [0, 1].
    pub satisfaction_rate: Option<f64>,
    /// 95% Wilson score interval of the rate.
    pub interval: Option<Interval>,
    /// Count and share of each option.
    pub levels: Option<Vec<LevelShare>>,
    /// True when the cell has fewer responses than the minimum and its rates are withheld.
    pub suppressed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SatisfactionReport {
    pub campaign_id: Uuid,
    pub grouping: Grouping,
    /// Cells with fewer responses are shown without rates to every role but admin.
    pub min_cell_size: i64,
    pub cells: Vec<Cell>,
}

#[derive(Debug, FromQueryResult)]
struct CubeRow {
    unit_id: Uuid,
    channel: String,
    dimension: Option<String>,
    option_key: String,
    answers: i64,
    valid: i64,
    weight_sum: Option<f64>,
}

async fn cube(db: &impl ConnectionTrait, campaign_id: Uuid, unit: Option<Uuid>) -> ApiResult<Vec<CubeRow>> {
    let mut query = response_answer::Entity::find()
        .select_only()
        .columns([Column::UnitId, Column::Channel, Column::Dimension, Column::OptionKey])
        .column_as(Expr::cust("COUNT(*)"), "answers")
        .column_as(Expr::cust("COUNT(weight)"), "valid")
        // Cast so that both databases return a double (PostgreSQL's SUM could differ in type).
        .column_as(Expr::cust("CAST(SUM(weight) AS DOUBLE PRECISION)"), "weight_sum")
        .filter(Column::CampaignId.eq(campaign_id))
        .filter(Column::OptionKey.is_not_null())
        .filter(Column::Excluded.eq(false))
        .group_by(Column::UnitId)
        .group_by(Column::Channel)
        .group_by(Column::Dimension)
        .group_by(Column::OptionKey);
    if let Some(unit) = unit {
        query = query.filter(Column::UnitId.eq(unit));
    }
    Ok(query.into_model::<CubeRow>().all(db).await?)
}

type CellKey = (Option<Uuid>, Option<String>, Option<String>);

fn key_of(row: &CubeRow, grouping: Grouping) -> Option<CellKey> {
    let overall = row.dimension.as_deref() == Some(OVERALL);
    match grouping {
        Grouping::Unit => overall.then(|| (Some(row.unit_id), Some(OVERALL.to_owned()), None)),
        Grouping::UnitDimension => row.dimension.as_ref().map(|d| (Some(row.unit_id), Some(d.clone()), None)),
        Grouping::Channel => overall.then(|| (None, Some(OVERALL.to_owned()), Some(row.channel.clone()))),
    }
}

/// Rolls the cube up into cells, merging the counts of one option across the rolled-up rows.
fn roll_up(rows: Vec<CubeRow>, grouping: Grouping, min_cell_size: i64, show_small_cells: bool) -> Vec<Cell> {
    let mut groups: BTreeMap<CellKey, BTreeMap<String, OptionCount>> = BTreeMap::new();
    for row in rows {
        let Some(key) = key_of(&row, grouping) else { continue };
        let entry = groups.entry(key).or_default().entry(row.option_key.clone()).or_insert_with(|| OptionCount {
            option_key: row.option_key.clone(),
            answers: 0,
            valid: 0,
            weight_sum: 0.0,
        });
        entry.answers += row.answers;
        entry.valid += row.valid;
        entry.weight_sum += row.weight_sum.unwrap_or(0.0);
    }
    groups
        .into_iter()
        .map(|((unit_id, dimension, channel), options)| {
            let counts: Vec<OptionCount> = options.into_values().collect();
            let f = figures(&counts);
            let suppressed = f.answers < min_cell_size && !show_small_cells;
            Cell {
                unit_id,
                dimension,
                channel: channel.as_deref().and_then(Channel::parse),
                responses: f.answers,
                valid_answers: f.valid_answers,
                satisfaction_rate: if suppressed { None } else { f.rate },
                interval: if suppressed { None } else { f.interval },
                levels: (!suppressed).then_some(f.levels),
                suppressed,
            }
        })
        .collect()
}

/// The report for a campaign. `show_small_cells` is for the admin role only.
pub async fn report(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    grouping: Grouping,
    unit: Option<Uuid>,
    min_cell_size: i64,
    show_small_cells: bool,
) -> ApiResult<SatisfactionReport> {
    super::campaigns::find(db, campaign_id).await?;
    let rows = cube(db, campaign_id, unit).await?;
    Ok(SatisfactionReport {
        campaign_id,
        grouping,
        min_cell_size,
        cells: roll_up(rows, grouping, min_cell_size, show_small_cells),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(unit: Uuid, channel: &str, dimension: &str, option: &str, answers: i64, weight: Option<f64>) -> CubeRow {
        CubeRow {
            unit_id: unit,
            channel: channel.to_owned(),
            dimension: Some(dimension.to_owned()),
            option_key: option.to_owned(),
            answers,
            valid: if weight.is_some() { answers } else { 0 },
            weight_sum: weight.map(|w| w * answers as f64),
        }
    }

    #[test]
    fn channels_merge_into_the_unit_and_small_cells_are_withheld() {
        let unit = Uuid::new_v4();
        let rows = || {
            vec![
                row(unit, "web", OVERALL, "satisfied", 2, Some(0.8)),
                row(unit, "sms", OVERALL, "satisfied", 1, Some(0.8)),
                row(unit, "sms", "integrity", "dont_know", 1, None),
            ]
        };
        let cells = roll_up(rows(), Grouping::Unit, 3, false);
        assert_eq!(cells.len(), 1);
        assert_eq!((cells[0].responses, cells[0].suppressed), (3, false));
        assert!((cells[0].satisfaction_rate.unwrap_or_default() - 0.8).abs() < 1e-12);
        let by_channel = roll_up(rows(), Grouping::Channel, 3, false);
        assert!(by_channel.iter().all(|c| c.suppressed && c.satisfaction_rate.is_none() && c.levels.is_none()));
        let by_channel_admin = roll_up(rows(), Grouping::Channel, 3, true);
        assert!(by_channel_admin.iter().all(|c| !c.suppressed && c.satisfaction_rate.is_some()));
    }
}
