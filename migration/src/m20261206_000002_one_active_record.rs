//! One active record where the rules allow one: a (link, hour) batch has at most one exclusion
//! that is not undone, and a pollster has at most one current figure per unit of a campaign.
//! Unique indexes over the active rows make the database refuse a second one, also when two
//! requests arrive at the same moment.
//!
//! Rows that break the rule already are resolved first: of several active exclusions of one
//! batch the earliest stays active and the others are marked undone by `migration`; of several
//! current figures the newest stays current and the others are marked superseded.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const RESOLVE_EXCLUSIONS: &str = "\
UPDATE batch_exclusions SET undone_at = created_at, undone_by = 'migration' \
WHERE undone_at IS NULL AND EXISTS (\
 SELECT 1 FROM batch_exclusions AS earlier \
 WHERE earlier.link_id = batch_exclusions.link_id AND earlier.hour = batch_exclusions.hour \
 AND earlier.undone_at IS NULL \
 AND (earlier.created_at < batch_exclusions.created_at \
  OR (earlier.created_at = batch_exclusions.created_at AND earlier.id < batch_exclusions.id)))";

const RESOLVE_FIGURES: &str = "\
UPDATE pollster_figures SET superseded_at = received_at \
WHERE superseded_at IS NULL AND EXISTS (\
 SELECT 1 FROM pollster_figures AS newer \
 WHERE newer.campaign_id = pollster_figures.campaign_id AND newer.unit_id = pollster_figures.unit_id \
 AND newer.client_id = pollster_figures.client_id AND newer.superseded_at IS NULL \
 AND (newer.received_at > pollster_figures.received_at \
  OR (newer.received_at = pollster_figures.received_at AND newer.id > pollster_figures.id)))";

fn active_exclusion() -> IndexCreateStatement {
    Index::create()
        .name("ux_batch_exclusions_active")
        .table("batch_exclusions")
        .col("link_id")
        .col("hour")
        .unique()
        .and_where(Expr::col("undone_at").is_null())
        .to_owned()
}

fn current_figure() -> IndexCreateStatement {
    Index::create()
        .name("ux_pollster_figures_current")
        .table("pollster_figures")
        .col("campaign_id")
        .col("unit_id")
        .col("client_id")
        .unique()
        .and_where(Expr::col("superseded_at").is_null())
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(RESOLVE_EXCLUSIONS).await?;
        db.execute_unprepared(RESOLVE_FIGURES).await?;
        manager.create_index(active_exclusion()).await?;
        manager.create_index(current_figure()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ux_pollster_figures_current").table("pollster_figures").to_owned())
            .await?;
        manager.drop_index(Index::drop().name("ux_batch_exclusions_active").table("batch_exclusions").to_owned()).await
    }
}
