//! Citizens' responses stored but not yet counted into the running totals.
//!
//! Each group commit of responses records their ids here, one row per campaign, instead of
//! updating the totals itself; a folder counts them in shortly after (see
//! `api/src/services/pending_rollups.rs`). Rows live for a fraction of a second.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("satisfaction_pending")
                    .col(uuid("id").primary_key())
                    .col(uuid("campaign_id"))
                    // The batch's response ids, as a JSON array.
                    .col(text("response_ids"))
                    .to_owned(),
            )
            .await?;
        // Reports read the pending rows of one campaign.
        manager
            .create_index(
                Index::create()
                    .name("ix_satisfaction_pending_campaign")
                    .table("satisfaction_pending")
                    .col("campaign_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping pending rows would take their responses out of the totals for good.
        let pending = manager
            .get_connection()
            .query_one(Query::select().expr(Expr::cust("COUNT(*)")).from("satisfaction_pending"))
            .await?
            .map(|row| row.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        if pending > 0 {
            return Err(DbErr::Migration(format!(
                "{pending} batches of responses are not counted into the running totals yet: run the \
                 service until they are, then roll back"
            )));
        }
        manager.drop_table(Table::drop().table("satisfaction_pending").to_owned()).await
    }
}
