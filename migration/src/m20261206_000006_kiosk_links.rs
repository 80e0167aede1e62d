//! Kiosk links: `survey_links.kiosk`, for an on-site tablet that serves citizen after
//! citizen (a fresh form after each, no "already answered" page, a device pace for a queue).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let column = boolean("kiosk").default(false).to_owned();
        manager.alter_table(Table::alter().table("survey_links").add_column(column).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("survey_links").drop_column("kiosk").to_owned()).await
    }
}
