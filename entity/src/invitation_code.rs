use sea_orm::entity::prelude::*;

/// A single-use code for a closed group, stored as a hash. Spending it writes nothing here
/// (see `invitation_spend`), and nothing links it to a response.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitation_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub link_id: Uuid,
    /// SHA-256 of the code; the code itself is shown once and never stored.
    #[sea_orm(unique)]
    pub code_hash: String,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
