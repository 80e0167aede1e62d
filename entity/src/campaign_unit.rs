use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// A unit's part in a campaign: key unit (district's or a township's) or self-organised, and
/// the group it is ranked in.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub campaign_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: Uuid,
    pub role: UnitRole,
    pub reason: UnitReason,
    pub added_at: DateTimeWithTimeZone,
    /// The group the unit is ranked in (`district`, `township:<township id>`, or one the
    /// office names); none for a unit that is graded but not ranked.
    pub ranking_group: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
