use sea_orm::entity::prelude::*;

use crate::vocabulary::DeliverableKind;

/// Something the plan has units hand in by a date: their evaluation plan, the rectification
/// report, the work summary, the head's report at the conference.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deliverables")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub kind: DeliverableKind,
    pub title: String,
    /// The last day to hand in, in the plan's time (China Standard Time).
    pub due_on: Date,
    /// The units that hand it in, as a JSON array of ids; `None` for every campaign unit.
    pub units: Option<Json>,
    /// Who receives it, as a JSON array of `Receiver` words.
    pub receivers: Json,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
