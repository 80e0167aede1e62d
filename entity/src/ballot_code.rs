use sea_orm::entity::prelude::*;

/// A representative's single-use ballot code for a session, stored as a hash. Spending it
/// writes nothing here (see `ballot_spend`); one live code per representative per session.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ballot_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Uuid,
    pub evaluator_id: Uuid,
    #[sea_orm(unique)]
    pub code_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
