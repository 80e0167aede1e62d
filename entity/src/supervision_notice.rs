use sea_orm::entity::prelude::*;

/// A supervision notice (督查督办通报) about a unit.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub issued_on: Date,
    pub issuing_body: String,
    pub summary: String,
    /// Signed points added to the composite (points mode).
    pub points: Option<f64>,
    /// A 0–100 score (component mode).
    pub score: Option<f64>,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
