use sea_orm::entity::prelude::*;

/// An official notice (通报) issued from a campaign's published result: its number, issuing
/// body, date and title, and to whom it was issued.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "official_notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// The published result version it reports.
    pub result_version_id: Uuid,
    /// 发文字号, e.g. 昭评办〔2018〕1号.
    pub doc_number: String,
    /// 发文机关.
    pub issuing_body: String,
    pub issued_on: Date,
    pub title: String,
    /// The bodies it was issued to (抄送), as a JSON array of names.
    pub recipients: Json,
    /// The account that issued it.
    pub issued_by: String,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
