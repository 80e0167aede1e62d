use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// One answer of a pollster's response.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pollster_answers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub response_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_key: String,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub channel: PollsterChannel,
    pub dimension: Option<String>,
    pub option_key: Option<String>,
    pub weight: Option<f64>,
    pub text: Option<String>,
    pub excluded: bool,
    pub answered_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
