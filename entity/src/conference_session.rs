use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// A scoring session of the assessment conference.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "conference_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub mode: ScoringMode,
    pub status: SessionStatus,
    pub opened_at: DateTimeWithTimeZone,
    pub closed_at: Option<DateTimeWithTimeZone>,
    /// Ballots cast.
    pub ballots: i32,
    /// The rating scale of each unit category, fixed when the session opened.
    pub scales: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
