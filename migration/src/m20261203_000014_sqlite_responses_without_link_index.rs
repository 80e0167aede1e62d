//! On SQLite, responses no longer indexed by (link, hour).
//!
//! New responses land in the current hour of each link they were given through, so a group
//! commit spread over twenty links added its entries at twenty places of that index: about a
//! third of the pages SQLite's single writer wrote per batch (`bench/sqlite_pages.py`). What
//! read it reads elsewhere on SQLite: the daily cap keeps its count in the one process that
//! writes (`api/src/services/daily_counts.rs`), and an exclusion finds its batch through the
//! (campaign, hour) index. PostgreSQL, where several replicas write and only the database
//! knows a link's count, keeps the index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "ix_responses_link_hour";

fn on_sqlite(manager: &SchemaManager) -> bool {
    manager.get_database_backend() == DbBackend::Sqlite
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !on_sqlite(manager) {
            return Ok(());
        }
        manager.drop_index(Index::drop().name(INDEX).table("responses").to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !on_sqlite(manager) {
            return Ok(());
        }
        let index = Index::create().name(INDEX).table("responses").col("link_id").col("submitted_hour").to_owned();
        manager.create_index(index).await
    }
}
