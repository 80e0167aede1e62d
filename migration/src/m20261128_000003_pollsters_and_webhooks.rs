//! API clients, pollsters' raw responses and summary figures (kept apart from citizens'),
//! answer times for period reports, and webhook subscriptions with their delivery log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from_table: &'static str, from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .to_owned()
}

fn api_clients() -> TableCreateStatement {
    Table::create()
        .table("api_clients")
        .col(pk_uuid("id"))
        .col(string_len("name", 200))
        .col(string_len("role", 16))
        .col(json("campaign_ids"))
        .col(json_null("unit_ids"))
        .col(string_len("secret_hash", 200))
        .col(timestamp_with_time_zone_null("disabled_at"))
        .col(timestamp_with_time_zone("created_at"))
        .to_owned()
}

fn pollster_responses() -> TableCreateStatement {
    Table::create()
        .table("pollster_responses")
        .col(pk_uuid("id"))
        .col(uuid("client_id"))
        .col(string_len("external_id", 128))
        .col(string_len("body_hash", 64))
        .col(uuid("campaign_id"))
        .col(uuid("unit_id"))
        .col(uuid("questionnaire_id"))
        .col(string_len("channel", 32))
        .col(date("interview_date"))
        .col(timestamp_with_time_zone("received_hour"))
        .foreign_key(&mut fk("pollster_responses", "client_id", "api_clients"))
        .foreign_key(&mut fk("pollster_responses", "unit_id", "units"))
        .foreign_key(&mut fk("pollster_responses", "questionnaire_id", "questionnaires"))
        .to_owned()
}

/// The same shape as `response_answers`, so that one aggregate query serves both sources.
fn pollster_answers() -> TableCreateStatement {
    Table::create()
        .table("pollster_answers")
        .col(uuid("response_id"))
        .col(string_len("question_key", 64))
        .col(uuid("campaign_id"))
        .col(uuid("unit_id"))
        .col(string_len("channel", 32))
        .col(string_len_null("dimension", 64))
        .col(string_len_null("option_key", 64))
        .col(double_null("weight"))
        .col(text_null("text"))
        .col(boolean("excluded").default(false))
        .col(timestamp_with_time_zone_null("answered_at"))
        .primary_key(Index::create().col("response_id").col("question_key"))
        .foreign_key(&mut fk("pollster_answers", "response_id", "pollster_responses"))
        .to_owned()
}

fn pollster_figures() -> TableCreateStatement {
    Table::create()
        .table("pollster_figures")
        .col(pk_uuid("id"))
        .col(uuid("client_id"))
        .col(uuid("campaign_id"))
        .col(uuid("unit_id"))
        .col(double("satisfaction_rate"))
        .col(integer("sample_size"))
        .col(double_null("margin_of_error"))
        .col(double_null("interval_low"))
        .col(double_null("interval_high"))
        .col(string_len("method", 500))
        .col(date("field_starts_on"))
        .col(date("field_ends_on"))
        .col(timestamp_with_time_zone("received_at"))
        .col(timestamp_with_time_zone_null("superseded_at"))
        .foreign_key(&mut fk("pollster_figures", "client_id", "api_clients"))
        .foreign_key(&mut fk("pollster_figures", "unit_id", "units"))
        .to_owned()
}

fn webhook_subscriptions() -> TableCreateStatement {
    Table::create()
        .table("webhook_subscriptions")
        .col(pk_uuid("id"))
        .col(uuid("client_id"))
        .col(string_len("url", 2000))
        .col(json("events"))
        .col(string_len("secret", 100))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("disabled_at"))
        .foreign_key(&mut fk("webhook_subscriptions", "client_id", "api_clients"))
        .to_owned()
}

fn webhook_deliveries() -> TableCreateStatement {
    Table::create()
        .table("webhook_deliveries")
        .col(pk_uuid("id"))
        .col(uuid("subscription_id"))
        .col(uuid("event_id"))
        .col(string_len("event_type", 64))
        .col(text("payload"))
        .col(string_len("status", 16))
        .col(integer("attempts"))
        .col(timestamp_with_time_zone_null("next_attempt_at"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk("webhook_deliveries", "subscription_id", "webhook_subscriptions"))
        .to_owned()
}

fn webhook_attempts() -> TableCreateStatement {
    Table::create()
        .table("webhook_attempts")
        .col(pk_uuid("id"))
        .col(uuid("delivery_id"))
        .col(integer("attempt"))
        .col(timestamp_with_time_zone("attempted_at"))
        .col(integer_null("status_code"))
        .col(string_len_null("error", 500))
        .col(integer("duration_ms"))
        .foreign_key(&mut fk("webhook_attempts", "delivery_id", "webhook_deliveries"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            api_clients(),
            pollster_responses(),
            pollster_answers(),
            pollster_figures(),
            webhook_subscriptions(),
            webhook_deliveries(),
            webhook_attempts(),
        ] {
            manager.create_table(table).await?;
        }
        let indexes = [
            Index::create()
                .name("ix_pollster_responses_external")
                .table("pollster_responses")
                .col("client_id")
                .col("external_id")
                .unique()
                .to_owned(),
            Index::create()
                .name("ix_pollster_answers_campaign_unit")
                .table("pollster_answers")
                .col("campaign_id")
                .col("unit_id")
                .col("dimension")
                .to_owned(),
            Index::create()
                .name("ix_pollster_figures_current")
                .table("pollster_figures")
                .col("campaign_id")
                .col("unit_id")
                .col("client_id")
                .to_owned(),
            Index::create()
                .name("ix_webhook_deliveries_due")
                .table("webhook_deliveries")
                .col("status")
                .col("next_attempt_at")
                .to_owned(),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("response_answers")
                    .add_column(timestamp_with_time_zone_null("answered_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE response_answers SET answered_at = \
                 (SELECT submitted_hour FROM responses WHERE responses.id = response_answers.response_id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("response_answers").drop_column("answered_at").to_owned()).await?;
        for table in [
            "webhook_attempts",
            "webhook_deliveries",
            "webhook_subscriptions",
            "pollster_figures",
            "pollster_answers",
            "pollster_responses",
            "api_clients",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
