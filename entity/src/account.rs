use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    /// A disabled account cannot sign in, and its tokens fail at their next request.
    pub disabled_at: Option<DateTimeWithTimeZone>,
    /// Set by an admin's password reset: until a new password is chosen, the account may only
    /// change its password.
    pub must_change_password: bool,
    /// Raised by every password change or reset; tokens issued under an older one fail.
    pub token_generation: i32,
    /// Where reminders are mailed (a digest per account), if the office gave one.
    pub email: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
