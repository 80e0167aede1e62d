use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub year: i32,
    pub title: String,
    pub mobilisation_starts_on: Date,
    pub mobilisation_ends_on: Date,
    pub survey_starts_on: Date,
    pub survey_ends_on: Date,
    pub rectification_starts_on: Date,
    pub rectification_ends_on: Date,
    pub assessment_starts_on: Date,
    pub assessment_ends_on: Date,
    /// Scoring settings as JSON; shape owned by the API crate.
    pub settings: Json,
    pub created_at: DateTimeWithTimeZone,
    pub current_phase: Phase,
    /// Raised by every change to the campaign's running totals; what a replica read from
    /// them holds while it is unchanged.
    pub totals_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
