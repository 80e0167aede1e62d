use sea_orm::entity::prelude::*;

/// One clerk's entry of a paper ballot at the conference, kept until a second clerk's entry
/// agrees with it and the ballot is counted. It names the ballot only by the keyed tag of
/// its code (and the code's last characters, to find the paper again).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "paper_ballot_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Uuid,
    pub tag: String,
    pub code_hint: String,
    /// The clerk's account.
    pub entered_by: String,
    /// The choices, sorted by unit, dimension and option.
    pub scores: Json,
    pub entered_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
