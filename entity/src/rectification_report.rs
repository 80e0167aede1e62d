use sea_orm::entity::prelude::*;

/// A unit's rectification report.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rectification_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub body: String,
    /// Shown on the public notice board (公示) with the unit's public problems.
    pub public: bool,
    pub submitted_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
