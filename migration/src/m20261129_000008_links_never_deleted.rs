//! Survey links are never deleted, and on PostgreSQL that rule replaces the foreign key from
//! `responses` to `survey_links`.
//!
//! A link is revoked, never deleted: responses point to it for good. The foreign key kept
//! that true, but on PostgreSQL it locked the link's row (`FOR KEY SHARE`) for every response
//! inserted; with two group commits in flight on the same links that meant multixacts and a
//! write to the link's row per batch, about a sixth of PostgreSQL's time per response in the
//! benchmark. A trigger that refuses to delete any link keeps every `link_id` pointing to a
//! link at no cost to inserts (the service writes only ids of links it has just read). On
//! SQLite the foreign key is cheap and stays; the trigger is added there too, so that both
//! databases refuse the same deletes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const REFUSAL: &str = "survey links are revoked, never deleted";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION pingyi_refuse_link_delete() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$;
                     CREATE TRIGGER survey_links_never_deleted BEFORE DELETE ON survey_links \
                     FOR EACH ROW EXECUTE FUNCTION pingyi_refuse_link_delete();
                     ALTER TABLE responses DROP CONSTRAINT fk_responses_link_id;"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER survey_links_never_deleted BEFORE DELETE ON survey_links \
                     BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END;"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "ALTER TABLE responses ADD CONSTRAINT fk_responses_link_id FOREIGN KEY (link_id) \
                     REFERENCES survey_links (id) ON DELETE RESTRICT;
                     DROP TRIGGER survey_links_never_deleted ON survey_links;
                     DROP FUNCTION pingyi_refuse_link_delete();",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER survey_links_never_deleted;").await?;
            }
        }
        Ok(())
    }
}
