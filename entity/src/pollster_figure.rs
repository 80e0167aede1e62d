use sea_orm::entity::prelude::*;

/// A per-unit summary figure delivered by a pollster; earlier ones are kept, superseded.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pollster_figures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub satisfaction_rate: f64,
    pub sample_size: i32,
    pub margin_of_error: Option<f64>,
    pub interval_low: Option<f64>,
    pub interval_high: Option<f64>,
    pub method: String,
    pub field_starts_on: Date,
    pub field_ends_on: Date,
    pub received_at: DateTimeWithTimeZone,
    pub superseded_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
