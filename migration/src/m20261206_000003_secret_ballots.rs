//! Ballots and invitation answers secret by construction (see docs/privacy-and-integrity.md).
//!
//! - A representative's ballot code is never written to when it is spent: spending records an
//!   unordered keyed tag in `ballot_spends`, and the ballot itself only adds to the session's
//!   `conference_tallies`. `ballot_codes.used_at` goes, and a representative has one live
//!   code per session (a unique index).
//! - Invitation codes likewise: spends are tags in `invitation_spends`;
//!   `invitation_codes.used_at` goes.
//! - `service_keys` remembers a fingerprint of the key the tags are made with, so that the
//!   service can refuse to start when that key changed while spent codes still matter.
//!
//! What was stored before is converted without keeping what the new schema leaves out:
//! codes of closed sessions are deleted (they have nothing left to do); a spent code of an
//! open session keeps its row, so that its representative gets no second code, but with a
//! random hash that no code matches; of several codes of one representative in one session
//! the spent one (or any one) stays; spent invitation codes are deleted; the ballots'
//! scores are summed into tallies and the per-ballot rows dropped.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn foreign_key(from_table: &'static str, from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn ballot_spends() -> TableCreateStatement {
    Table::create()
        .table("ballot_spends")
        .col(uuid("session_id"))
        .col(string_len("tag", 64))
        .primary_key(Index::create().col("session_id").col("tag"))
        .foreign_key(&mut foreign_key("ballot_spends", "session_id", "conference_sessions"))
        .to_owned()
}

fn invitation_spends() -> TableCreateStatement {
    Table::create()
        .table("invitation_spends")
        .col(uuid("link_id"))
        .col(string_len("tag", 64))
        .primary_key(Index::create().col("link_id").col("tag"))
        .foreign_key(&mut foreign_key("invitation_spends", "link_id", "survey_links"))
        .to_owned()
}

fn conference_tallies() -> TableCreateStatement {
    Table::create()
        .table("conference_tallies")
        .col(uuid("session_id"))
        .col(uuid("unit_id"))
        .col(string_len("dimension", 64))
        .col(string_len("option_key", 64))
        .col(double_null("weight"))
        .col(integer("ballots"))
        .primary_key(Index::create().col("session_id").col("unit_id").col("dimension").col("option_key"))
        .foreign_key(&mut foreign_key("conference_tallies", "session_id", "conference_sessions"))
        .to_owned()
}

fn service_keys() -> TableCreateStatement {
    Table::create()
        .table("service_keys")
        .col(string_len("purpose", 32).primary_key())
        .col(string_len("fingerprint", 64))
        .to_owned()
}

/// A random 64-character hex string per row, which no code hashes to.
fn random_hash(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "md5(random()::text || id::text) || md5(id::text || random()::text)",
        _ => "lower(hex(randomblob(32)))",
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for table in [ballot_spends(), invitation_spends(), conference_tallies(), service_keys()] {
            manager.create_table(table).await?;
        }

        db.execute_unprepared(
            "DELETE FROM ballot_codes WHERE session_id IN (SELECT id FROM conference_sessions WHERE status = 'closed')",
        )
        .await?;
        db.execute_unprepared(
            "DELETE FROM ballot_codes WHERE EXISTS (SELECT 1 FROM ballot_codes AS kept \
             WHERE kept.session_id = ballot_codes.session_id AND kept.evaluator_id = ballot_codes.evaluator_id \
             AND ((kept.used_at IS NOT NULL AND ballot_codes.used_at IS NULL) \
              OR ((kept.used_at IS NULL) = (ballot_codes.used_at IS NULL) AND kept.id < ballot_codes.id)))",
        )
        .await?;
        db.execute_unprepared(&format!(
            "UPDATE ballot_codes SET code_hash = {} WHERE used_at IS NOT NULL",
            random_hash(backend)
        ))
        .await?;
        db.execute_unprepared("ALTER TABLE ballot_codes DROP COLUMN used_at").await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_ballot_codes_holder")
                    .table("ballot_codes")
                    .col("session_id")
                    .col("evaluator_id")
                    .unique()
                    .to_owned(),
            )
            .await?;

        db.execute_unprepared(
            "INSERT INTO conference_tallies (session_id, unit_id, dimension, option_key, weight, ballots) \
             SELECT session_id, unit_id, dimension, option_key, MAX(weight), COUNT(*) FROM conference_scores \
             GROUP BY session_id, unit_id, dimension, option_key",
        )
        .await?;
        manager
            .alter_table(
                Table::alter().table("conference_sessions").add_column(integer("ballots").default(0)).to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE conference_sessions SET ballots = (SELECT COUNT(DISTINCT ballot_id) FROM conference_scores \
             WHERE conference_scores.session_id = conference_sessions.id)",
        )
        .await?;
        manager.drop_table(Table::drop().table("conference_scores").to_owned()).await?;

        db.execute_unprepared("DELETE FROM invitation_codes WHERE used_at IS NOT NULL").await?;
        db.execute_unprepared("ALTER TABLE invitation_codes DROP COLUMN used_at").await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "secret ballots are not rolled back: the order and times of spent codes were never kept, so there is \
             nothing to restore them from; restore a backup taken before the upgrade instead"
                .to_owned(),
        ))
    }
}
