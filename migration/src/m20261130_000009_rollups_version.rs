//! A campaign's `rollups_version`: a counter raised in every transaction that changes the
//! campaign's running totals (see `api/src/services/rollups.rs`).
//!
//! A replica may keep a report it has computed for as long as the version it was computed at
//! is current and no responses are pending; checking that costs one indexed lookup instead of
//! reading and rolling up the totals (see `api/src/services/report_cache.rs`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table("campaigns").add_column(big_integer("rollups_version").default(0)).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("campaigns").drop_column("rollups_version").to_owned()).await
    }
}
