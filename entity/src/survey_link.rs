use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub questionnaire_id: Uuid,
    pub unit_id: Uuid,
    pub channel: Channel,
    pub opens_at: Option<DateTimeWithTimeZone>,
    pub closes_at: Option<DateTimeWithTimeZone>,
    pub revoked_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
    /// Submissions one client address may make to this link per hour (token bucket).
    pub rate_limit_per_hour: i32,
    /// Most responses the link takes per day (UTC); `None` for no cap.
    pub daily_cap: Option<i32>,
    /// The same answers from the same device or address within this many seconds are refused.
    pub duplicate_window_seconds: i32,
    /// Whether a single-use invitation code is needed to answer.
    pub requires_invitation: bool,
    /// An on-site tablet: a fresh form after each citizen (see `links::Controls`).
    pub kiosk: bool,
    /// The second survey window after rectification (回头看): the link takes answers again
    /// from here, in the rectification phase…
    pub resurvey_opens_at: Option<DateTimeWithTimeZone>,
    /// …until here.
    pub resurvey_closes_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
