use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// A raw response pushed by a pollster, idempotent per (client, external id).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pollster_responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub external_id: String,
    pub body_hash: String,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub questionnaire_id: Uuid,
    pub channel: PollsterChannel,
    pub interview_date: Date,
    /// The hour the push arrived; cursor pagination uses it.
    pub received_hour: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
