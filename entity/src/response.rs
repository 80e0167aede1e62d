use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// An accepted anonymous submission. Holds no identifier of the person who sent it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Client-generated id that makes retries idempotent. `id` is derived from it, so the
    /// primary key keeps it unique (see the intake's `response_ids`).
    pub submission_id: Uuid,
    /// SHA-256 of the canonical answers, to tell a retry from a conflicting reuse of the id.
    pub body_hash: String,
    pub link_id: Uuid,
    pub questionnaire_id: Uuid,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub channel: Channel,
    /// Submission time rounded down to the hour.
    pub submitted_hour: DateTimeWithTimeZone,
    /// Left out of the figures by an admin's batch exclusion (undoable).
    pub excluded: bool,
    /// The checked answers as a JSON array of `{question_key, dimension, option_key, weight, text}`.
    #[sea_orm(column_type = "Text")]
    pub answers: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
