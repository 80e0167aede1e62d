use sea_orm::entity::prelude::*;

use crate::vocabulary::HandInStatus;

/// One version of a unit's hand-in of a deliverable: a short text and, usually, a document.
/// Versions are numbered from 1 per deliverable and unit; a returned hand-in is followed by
/// a new version, never overwritten.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hand_ins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub deliverable_id: Uuid,
    pub unit_id: Uuid,
    pub version: i32,
    pub note: String,
    /// The document's name as uploaded (shown, never trusted for its type).
    pub file_name: Option<String>,
    /// The type read from the document's bytes.
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    /// The document itself, when documents are kept in the database.
    #[sea_orm(column_type = "Blob", nullable)]
    pub content: Option<Vec<u8>>,
    /// The document's file name in the configured document directory, when kept there.
    pub stored_as: Option<String>,
    /// Handed in after the deliverable's due date.
    pub late: bool,
    pub status: HandInStatus,
    pub review_comment: Option<String>,
    /// The account that accepted or returned it.
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTimeWithTimeZone>,
    /// Published with the unit's notice board (only once accepted).
    pub public: bool,
    /// The account that handed it in.
    pub handed_in_by: String,
    pub handed_in_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
