//! Sessions of the console (`/console/`): one row per signed-in browser. The cookie carries a
//! random token; only its SHA-256 is stored, so a copy of the database signs nobody in. Each
//! session has its own token for the console's forms (`csrf_token`). A session ends when its
//! holder signs out, after `PINGYI_CONSOLE_IDLE_MINUTES` without a request, or
//! `PINGYI_CONSOLE_MAX_HOURS` after sign-in; deleting the account ends its sessions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("console_sessions")
                    .col(uuid("id").primary_key())
                    .col(string_len_uniq("token_hash", 64))
                    .col(uuid("account_id"))
                    .col(string_len("csrf_token", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("console_sessions", "account_id")
                            .to("accounts", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("console_sessions_account").table("console_sessions").col("account_id").to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("console_sessions").to_owned()).await
    }
}
