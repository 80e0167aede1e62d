//! The official notice (通报) of a campaign's published result, and each unit's supervising
//! authority (for vertically managed units such as the power company), to which the notice
//! also goes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let authority = string_len_null("supervising_authority", 200).to_owned();
        manager.alter_table(Table::alter().table("units").add_column(authority).to_owned()).await?;
        manager
            .create_table(
                Table::create()
                    .table("official_notices")
                    .col(uuid("id").primary_key())
                    .col(uuid("campaign_id"))
                    .col(uuid("result_version_id"))
                    .col(string_len("doc_number", 100))
                    .col(string_len("issuing_body", 200))
                    .col(date("issued_on"))
                    .col(string_len("title", 200))
                    .col(json("recipients"))
                    .col(string_len("issued_by", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("official_notices", "campaign_id")
                            .to("campaigns", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create().from("official_notices", "result_version_id").to("result_versions", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("official_notices_one_number")
                    .table("official_notices")
                    .col("campaign_id")
                    .col("doc_number")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("official_notices").to_owned()).await?;
        manager.alter_table(Table::alter().table("units").drop_column("supervising_authority").to_owned()).await
    }
}
