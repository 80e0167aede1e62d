//! The plan's deliverables: what each unit hands in by when (its evaluation plan, the
//! rectification report, the work summary, the head's report at the conference), the
//! hand-ins with their documents and versions, and which reminders went out, so that each
//! goes out once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("deliverables")
                    .col(uuid("id").primary_key())
                    .col(uuid("campaign_id"))
                    .col(string_len("kind", 32))
                    .col(string_len("title", 200))
                    .col(date("due_on"))
                    .col(json_null("units"))
                    .col(json("receivers"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("deliverables", "campaign_id")
                            .to("campaigns", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("deliverables_one_title_per_campaign")
                    .table("deliverables")
                    .col("campaign_id")
                    .col("title")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("hand_ins")
                    .col(uuid("id").primary_key())
                    .col(uuid("deliverable_id"))
                    .col(uuid("unit_id"))
                    .col(integer("version"))
                    .col(text("note"))
                    .col(string_len_null("file_name", 255))
                    .col(string_len_null("content_type", 100))
                    .col(big_integer_null("size_bytes"))
                    .col(string_len_null("sha256", 64))
                    .col(blob_null("content"))
                    .col(string_len_null("stored_as", 100))
                    .col(boolean("late"))
                    .col(string_len("status", 16))
                    .col(text_null("review_comment"))
                    .col(string_len_null("reviewed_by", 200))
                    .col(timestamp_with_time_zone_null("reviewed_at"))
                    .col(boolean("public").default(false))
                    .col(string_len("handed_in_by", 200))
                    .col(timestamp_with_time_zone("handed_in_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("hand_ins", "deliverable_id")
                            .to("deliverables", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(ForeignKey::create().from("hand_ins", "unit_id").to("units", "id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("hand_ins_one_version_number")
                    .table("hand_ins")
                    .col("deliverable_id")
                    .col("unit_id")
                    .col("version")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("deliverable_reminders")
                    .col(uuid("deliverable_id"))
                    .col(uuid("unit_id"))
                    .col(string_len("event", 64))
                    .col(timestamp_with_time_zone("sent_at"))
                    .primary_key(Index::create().col("deliverable_id").col("unit_id").col("event"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("deliverable_reminders", "deliverable_id")
                            .to("deliverables", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("deliverable_reminders").to_owned()).await?;
        manager.drop_table(Table::drop().table("hand_ins").to_owned()).await?;
        manager.drop_table(Table::drop().table("deliverables").to_owned()).await
    }
}
