use sea_orm::entity::prelude::*;

/// An admin's decision to leave one link's responses of one hour out of the figures.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "batch_exclusions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub link_id: Uuid,
    pub hour: DateTimeWithTimeZone,
    pub reason: String,
    /// The account (token subject) that excluded the batch.
    pub excluded_by: String,
    pub created_at: DateTimeWithTimeZone,
    pub undone_at: Option<DateTimeWithTimeZone>,
    pub undone_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
