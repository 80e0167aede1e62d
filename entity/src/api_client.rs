use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// A system that talks to the API: a pollster pushing results or a reader.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// `pollster` or `reader`.
    pub role: Role,
    /// Campaigns the client may touch, as a JSON array of ids.
    pub campaign_ids: Json,
    /// Pollsters: units they may push for (JSON array); `None` for every unit.
    pub unit_ids: Option<Json>,
    /// Argon2 hash of the secret; the secret is shown once.
    pub secret_hash: String,
    pub disabled_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
