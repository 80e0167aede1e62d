//! A response's id derived from its submission id, and the submission id's own index dropped.
//!
//! Since this migration the service stores a citizen's response under an id computed from the
//! submission id the citizen's page chose (a hash, so as unordered as before, see
//! `api/src/services/response_ids.rs`); the primary key then also refuses a second copy of a
//! submission, and the unique index on `submission_id` (one more entry at a random place in a
//! large index on every insert, and so several pages written per batch on SQLite) can go.
//!
//! Responses stored before keep their ids, unrelated to their submission ids. So that a late
//! retry of one of them is still answered with its receipt rather than stored again, their
//! pairs are copied into `legacy_submissions`, which nothing writes afterwards.
//!
//! SQLite cannot drop a constraint declared with its column: there the table is rebuilt
//! without it (inside this migration's transaction).

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &str = "id, submission_id, body_hash, link_id, questionnaire_id, campaign_id, unit_id, channel, submitted_hour, excluded, answers";
const REBUILT: &str = "responses_rebuilt";

fn legacy_submissions() -> TableCreateStatement {
    Table::create().table("legacy_submissions").col(pk_uuid("submission_id")).col(uuid("response_id")).to_owned()
}

/// `responses` as the migrations before left it, under `name`, with or without the
/// uniqueness of `submission_id`.
fn responses(name: &'static str, unique_submissions: bool) -> TableCreateStatement {
    let submission_id = if unique_submissions { uuid_uniq("submission_id") } else { uuid("submission_id") };
    Table::create()
        .table(name)
        .col(pk_uuid("id"))
        .col(submission_id)
        .col(string_len("body_hash", 64))
        .col(uuid("link_id"))
        .col(uuid("questionnaire_id"))
        .col(uuid("campaign_id"))
        .col(uuid("unit_id"))
        .col(string_len("channel", 16))
        .col(timestamp_with_time_zone("submitted_hour"))
        .col(boolean("excluded").default(false))
        .col(text("answers").default("[]"))
        .foreign_key(
            ForeignKey::create()
                .name("fk_responses_link_id")
                .from(name, "link_id")
                .to("survey_links", "id")
                .on_delete(ForeignKeyAction::Restrict),
        )
        .to_owned()
}

fn responses_index(name: &str, columns: [&'static str; 2]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table("responses");
    for column in columns {
        index.col(column);
    }
    index.to_owned()
}

/// SQLite: copies `responses` into a new table with or without the submission ids' uniqueness
/// and puts it in the old one's place, with the old one's indexes.
async fn rebuild_on_sqlite(manager: &SchemaManager<'_>, unique_submissions: bool) -> Result<(), DbErr> {
    manager.create_table(responses(REBUILT, unique_submissions)).await?;
    let db = manager.get_connection();
    db.execute_unprepared(&format!("INSERT INTO {REBUILT} ({COLUMNS}) SELECT {COLUMNS} FROM responses")).await?;
    manager.drop_table(Table::drop().table("responses").to_owned()).await?;
    manager.rename_table(Table::rename().table(REBUILT, "responses").to_owned()).await?;
    manager.create_index(responses_index("ix_responses_link_hour", ["link_id", "submitted_hour"])).await?;
    manager.create_index(responses_index("ix_responses_campaign_hour", ["campaign_id", "submitted_hour"])).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(legacy_submissions()).await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO legacy_submissions (submission_id, response_id) SELECT submission_id, id FROM responses",
        )
        .await?;
        match manager.get_database_backend() {
            DbBackend::Sqlite => rebuild_on_sqlite(manager, false).await,
            _ => db
                .execute_unprepared("ALTER TABLE responses DROP CONSTRAINT responses_submission_id_key")
                .await
                .map(drop),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => rebuild_on_sqlite(manager, true).await?,
            _ => {
                let add = "ALTER TABLE responses ADD CONSTRAINT responses_submission_id_key UNIQUE (submission_id)";
                manager.get_connection().execute_unprepared(add).await?;
            }
        }
        manager.drop_table(Table::drop().table("legacy_submissions").to_owned()).await
    }

    /// Also on SQLite, whose schema changes are transactional too: a rebuild cut off half-way
    /// must leave the table as it was.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
