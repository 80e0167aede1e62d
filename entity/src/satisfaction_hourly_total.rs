use sea_orm::entity::prelude::*;

use crate::vocabulary::Source;

/// One (campaign, source, unit, answer hour) of the overall question's running totals: the
/// counters of each option, packed as a JSON array of `[option, answers, valid, weight_sum]`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "satisfaction_hourly_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub campaign_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub source: Source,
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub answered_at: DateTimeWithTimeZone,
    #[sea_orm(column_type = "Text")]
    pub counts: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
