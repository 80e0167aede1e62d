//! A second survey window on a unit's links after rectification (回头看): from when to when
//! the links take answers again in the rectification phase, so that satisfaction before and
//! after can be compared.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["resurvey_opens_at", "resurvey_closes_at"] {
            let def = timestamp_with_time_zone_null(column).to_owned();
            manager.alter_table(Table::alter().table("survey_links").add_column(def).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["resurvey_opens_at", "resurvey_closes_at"] {
            manager.alter_table(Table::alter().table("survey_links").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
