use sea_orm::entity::prelude::*;

/// A reminder that went out for a unit's deliverable (`deliverable.due_soon` or
/// `deliverable.overdue`): its row is what makes each go out once, however many replicas
/// check at once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliverable_reminders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub deliverable_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub event: String,
    pub sent_at: DateTimeWithTimeZone,
    /// The mail digest that took this reminder (set before the digest is sent, cleared again
    /// if it could not be).
    pub mail_claim: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
