use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// A computed result: a draft, or an approved, immutable version.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "result_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub version: i32,
    pub status: ResultStatus,
    pub inputs: Json,
    pub results: Json,
    pub computed_at: DateTimeWithTimeZone,
    pub approved_at: Option<DateTimeWithTimeZone>,
    pub published_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
