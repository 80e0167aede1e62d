use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "response_answers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub response_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_key: String,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub channel: String,
    pub dimension: Option<String>,
    /// The chosen option of a rating question; `None` for free text.
    pub option_key: Option<String>,
    /// The chosen option's weight; `None` for "don't know" and free text.
    pub weight: Option<f64>,
    pub text: Option<String>,
    /// Left out of the figures by an admin's batch exclusion (undoable).
    pub excluded: bool,
    /// When the answer was given, to the hour (for period reports).
    pub answered_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
