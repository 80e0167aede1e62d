//! Public rectification reports: `rectification_reports.public`, set when a unit's report is
//! meant for the notice board (公示) beside the problems made public.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let column = boolean("public").default(false).to_owned();
        manager.alter_table(Table::alter().table("rectification_reports").add_column(column).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("rectification_reports").drop_column("public").to_owned()).await
    }
}
