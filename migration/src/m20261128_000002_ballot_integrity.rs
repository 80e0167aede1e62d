//! Ballot-integrity controls per link, single-use invitation codes, and exclusions of
//! suspicious batches from the figures.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn add_column(table: &'static str, column: ColumnDef) -> TableAlterStatement {
    Table::alter().table(table).add_column(column).to_owned()
}

/// Stored as hashes with a used flag only: no reference to or from any response.
fn invitation_codes() -> TableCreateStatement {
    Table::create()
        .table("invitation_codes")
        .col(pk_uuid("id"))
        .col(uuid("link_id"))
        .col(string_len_uniq("code_hash", 64))
        .col(timestamp_with_time_zone_null("used_at"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(
            ForeignKey::create()
                .name("fk_invitation_codes_link_id")
                .from("invitation_codes", "link_id")
                .to("survey_links", "id"),
        )
        .to_owned()
}

/// One record per decision to leave a (link, hour) batch out of the figures; undoing keeps the record.
fn batch_exclusions() -> TableCreateStatement {
    Table::create()
        .table("batch_exclusions")
        .col(pk_uuid("id"))
        .col(uuid("link_id"))
        .col(timestamp_with_time_zone("hour"))
        .col(string_len("reason", 500))
        .col(string_len("excluded_by", 64))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("undone_at"))
        .col(string_len_null("undone_by", 64))
        .foreign_key(
            ForeignKey::create()
                .name("fk_batch_exclusions_link_id")
                .from("batch_exclusions", "link_id")
                .to("survey_links", "id"),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let link_columns = [
            integer("rate_limit_per_hour").default(60).to_owned(),
            integer_null("daily_cap").default(2000).to_owned(),
            integer("duplicate_window_seconds").default(600).to_owned(),
            boolean("requires_invitation").default(false).to_owned(),
        ];
        for column in link_columns {
            manager.alter_table(add_column("survey_links", column)).await?;
        }
        manager.alter_table(add_column("response_answers", boolean("excluded").default(false).to_owned())).await?;
        manager.alter_table(add_column("responses", boolean("excluded").default(false).to_owned())).await?;
        manager.create_table(invitation_codes()).await?;
        manager.create_table(batch_exclusions()).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_responses_link_hour")
                    .table("responses")
                    .col("link_id")
                    .col("submitted_hour")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_responses_link_hour").table("responses").to_owned()).await?;
        for table in ["batch_exclusions", "invitation_codes"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        let drops = [
            ("responses", "excluded"),
            ("response_answers", "excluded"),
            ("survey_links", "requires_invitation"),
            ("survey_links", "duplicate_window_seconds"),
            ("survey_links", "daily_cap"),
            ("survey_links", "rate_limit_per_hour"),
        ];
        for (table, column) in drops {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
