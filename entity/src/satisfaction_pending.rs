use sea_orm::entity::prelude::*;

/// Citizens' responses of one group commit and campaign, stored but not yet folded into the
/// running totals. Lives for a fraction of a second.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "satisfaction_pending")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// The response ids, as a JSON array.
    #[sea_orm(column_type = "Text")]
    pub response_ids: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
