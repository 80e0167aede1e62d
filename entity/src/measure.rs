use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// A rectification measure for a problem.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "measures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub problem_id: Uuid,
    pub unit_id: Uuid,
    pub description: String,
    /// Internal: the responsible post or person; never public.
    pub responsible: String,
    pub deadline: Date,
    pub status: MeasureStatus,
    pub updated_at: DateTimeWithTimeZone,
    pub overdue_notified_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
