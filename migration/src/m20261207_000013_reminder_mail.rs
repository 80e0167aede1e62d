//! Reminders by e-mail: an account's address, and which reminders a digest has taken, so that
//! each goes into one digest once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let email = string_len_null("email", 254).to_owned();
        manager.alter_table(Table::alter().table("accounts").add_column(email).to_owned()).await?;
        let claim = uuid_null("mail_claim").to_owned();
        manager.alter_table(Table::alter().table("deliverable_reminders").add_column(claim).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("deliverable_reminders").drop_column("mail_claim").to_owned()).await?;
        manager.alter_table(Table::alter().table("accounts").drop_column("email").to_owned()).await
    }
}
