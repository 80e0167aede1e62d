//! Paper ballots entered twice at the conference. Two clerks each enter a paper ballot; the
//! ballot counts when two clerks' entries agree, and until then its entries wait here. An
//! entry carries the keyed tag of the ballot's code (the one its spending will carry), the
//! code's last four characters for finding the paper again, and the choices; the entries are
//! deleted as the ballot is counted, so that no ballot's choices stay stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("paper_ballot_entries")
                    .col(uuid("id").primary_key())
                    .col(uuid("session_id"))
                    .col(string_len("tag", 64))
                    .col(string_len("code_hint", 8))
                    .col(string_len("entered_by", 200))
                    .col(json("scores"))
                    .col(timestamp_with_time_zone("entered_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("paper_ballot_entries", "session_id")
                            .to("conference_sessions", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("paper_ballot_entries_one_per_clerk")
                    .table("paper_ballot_entries")
                    .col("session_id")
                    .col("tag")
                    .col("entered_by")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("paper_ballot_entries").to_owned()).await
    }
}
