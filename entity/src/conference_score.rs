use sea_orm::entity::prelude::*;

/// One rating in a ballot: a unit, a dimension (or `overall`), the option chosen.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "conference_scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Uuid,
    /// Groups the scores of one ballot; random, not linked to the code.
    pub ballot_id: Uuid,
    pub unit_id: Uuid,
    pub dimension: String,
    pub option_key: String,
    pub weight: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
