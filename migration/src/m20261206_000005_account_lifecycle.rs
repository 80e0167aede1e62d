//! Accounts that can be shut: `disabled_at` (a disabled account cannot sign in and its tokens
//! fail), `must_change_password` (set by an admin's reset: the one-time password only lets
//! its holder choose a new one) and `token_generation` (raised by every password change or
//! reset; tokens carry the generation they were issued under, and older ones fail).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 3] = ["disabled_at", "must_change_password", "token_generation"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            timestamp_with_time_zone_null("disabled_at"),
            boolean("must_change_password").default(false).to_owned(),
            integer("token_generation").default(0).to_owned(),
        ] {
            manager.alter_table(Table::alter().table("accounts").add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager.alter_table(Table::alter().table("accounts").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
