use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub category: Category,
    pub kind: UnitKind,
    pub parent_id: Option<Uuid>,
    /// For a vertically managed unit (the power company, say): the authority above it, to
    /// which the official notice also goes.
    pub supervising_authority: Option<String>,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
