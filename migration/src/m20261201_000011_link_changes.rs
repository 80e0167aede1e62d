//! `link_changes`: one row whose `generation` the database raises whenever something a link's
//! answer depends on changes — a link's row, its questionnaire, or its campaign's phase or
//! settings.
//!
//! Each replica caches what answering through a link needs (see
//! `api/src/services/link_cache.rs`) and reads this counter once a second instead of reloading
//! every link once a second. Triggers, rather than the service, raise it, so that a change
//! made by any replica, a migration or an operator's SQL is seen all the same. The fold's
//! frequent raising of a campaign's `rollups_version` does not touch it: only the campaign
//! columns that links read are watched.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const RAISE: &str = "UPDATE link_changes SET generation = generation + 1";

/// PostgreSQL: one function, statement-level triggers (one raise per statement, not per row).
fn postgres_triggers() -> String {
    format!(
        "CREATE FUNCTION pingyi_raise_link_changes() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN {RAISE}; RETURN NULL; END $$;
         CREATE TRIGGER link_changes_campaigns AFTER UPDATE OF current_phase, settings OR DELETE \
         ON campaigns FOR EACH STATEMENT EXECUTE FUNCTION pingyi_raise_link_changes();
         CREATE TRIGGER link_changes_questionnaires AFTER UPDATE OR DELETE \
         ON questionnaires FOR EACH STATEMENT EXECUTE FUNCTION pingyi_raise_link_changes();
         CREATE TRIGGER link_changes_links AFTER UPDATE \
         ON survey_links FOR EACH STATEMENT EXECUTE FUNCTION pingyi_raise_link_changes();"
    )
}

/// SQLite: row-level triggers only, one per event: (name, event).
const SQLITE_TRIGGERS: [(&str, &str); 5] = [
    ("link_changes_campaigns", "UPDATE OF current_phase, settings ON campaigns"),
    ("link_changes_campaigns_deleted", "DELETE ON campaigns"),
    ("link_changes_questionnaires", "UPDATE ON questionnaires"),
    ("link_changes_questionnaires_deleted", "DELETE ON questionnaires"),
    ("link_changes_links", "UPDATE ON survey_links"),
];

fn sqlite_triggers() -> String {
    SQLITE_TRIGGERS
        .iter()
        .map(|(name, event)| format!("CREATE TRIGGER {name} AFTER {event} BEGIN {RAISE}; END;\n"))
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("link_changes")
                    .col(integer("id").primary_key())
                    .col(big_integer("generation").default(0))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO link_changes (id, generation) VALUES (1, 0)").await?;
        let triggers = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        };
        db.execute_unprepared(&triggers).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "DROP TRIGGER link_changes_campaigns ON campaigns;
                     DROP TRIGGER link_changes_questionnaires ON questionnaires;
                     DROP TRIGGER link_changes_links ON survey_links;
                     DROP FUNCTION pingyi_raise_link_changes();",
                )
                .await?;
            }
            _ => {
                let drops: String = SQLITE_TRIGGERS.iter().map(|(name, _)| format!("DROP TRIGGER {name};\n")).collect();
                db.execute_unprepared(&drops).await?;
            }
        }
        manager.drop_table(Table::drop().table("link_changes").to_owned()).await
    }
}
