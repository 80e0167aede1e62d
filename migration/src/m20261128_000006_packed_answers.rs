//! Citizens' answers move into their response row, as a JSON array.
//!
//! One row per response instead of nine: the write path's cost is dominated by rows and
//! index entries, and nothing reads single answers across responses any more (the reports
//! read the running totals of migration 5; row exports read a response at a time).
//! Pollsters' answers keep their own table: they arrive in batches, where that cost is small.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The answers of each response as `[{question_key, dimension, option_key, weight, text}]`.
fn pack(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "UPDATE responses SET answers = COALESCE((SELECT json_agg(json_build_object(\
             'question_key', a.question_key, 'dimension', a.dimension, 'option_key', a.option_key, \
             'weight', a.weight, 'text', a.text) ORDER BY a.question_key)::text \
             FROM response_answers a WHERE a.response_id = responses.id), '[]')"
        }
        _ => {
            "UPDATE responses SET answers = COALESCE((SELECT json_group_array(json_object(\
             'question_key', a.question_key, 'dimension', a.dimension, 'option_key', a.option_key, \
             'weight', a.weight, 'text', a.text)) \
             FROM response_answers a WHERE a.response_id = responses.id), '[]')"
        }
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("responses").add_column(text("answers").default("[]")).to_owned())
            .await?;
        let connection = manager.get_connection();
        connection.execute_unprepared(pack(manager.get_database_backend())).await?;
        manager.drop_table(Table::drop().table("response_answers").to_owned()).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("packing answers into responses cannot be undone; restore a backup instead".to_owned()))
    }
}
