use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "questionnaires")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// The id of the first version; all versions of one questionnaire share it.
    pub lineage_id: Uuid,
    pub version: i32,
    pub category: Category,
    /// Localized title as JSON (`{"zh": …, "en": …}`).
    pub title: Json,
    pub status: QuestionnaireStatus,
    /// The questions as JSON; shape owned by the API crate. Immutable once published.
    pub questions: Json,
    pub created_at: DateTimeWithTimeZone,
    pub published_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
