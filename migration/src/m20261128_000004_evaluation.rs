//! The evaluation itself: phases, campaign units, evaluators, the conference, supervision
//! notices, violation cases, result versions with approvals, rectification, and the
//! hash-chained audit log.

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

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("campaign_units")
            .col(uuid("campaign_id"))
            .col(uuid("unit_id"))
            .col(string_len("role", 32))
            .col(string_len("reason", 32))
            .col(timestamp_with_time_zone("added_at"))
            .primary_key(Index::create().col("campaign_id").col("unit_id"))
            .foreign_key(&mut fk("campaign_units", "campaign_id", "campaigns"))
            .foreign_key(&mut fk("campaign_units", "unit_id", "units"))
            .to_owned(),
        Table::create()
            .table("evaluators")
            .col(pk_uuid("id"))
            .col(uuid("campaign_id"))
            .col(string_len("code", 32))
            .col(string_len("group_name", 32))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("evaluators", "campaign_id", "campaigns"))
            .to_owned(),
        Table::create()
            .table("conference_sessions")
            .col(pk_uuid("id"))
            .col(uuid("campaign_id"))
            .col(string_len("mode", 16))
            .col(string_len("status", 16))
            .col(timestamp_with_time_zone("opened_at"))
            .col(timestamp_with_time_zone_null("closed_at"))
            .foreign_key(&mut fk("conference_sessions", "campaign_id", "campaigns"))
            .to_owned(),
        // Codes know their evaluator (to hand them out); ballots know neither.
        Table::create()
            .table("ballot_codes")
            .col(pk_uuid("id"))
            .col(uuid("session_id"))
            .col(uuid("evaluator_id"))
            .col(string_len_uniq("code_hash", 64))
            .col(timestamp_with_time_zone_null("used_at"))
            .foreign_key(&mut fk("ballot_codes", "session_id", "conference_sessions"))
            .foreign_key(&mut fk("ballot_codes", "evaluator_id", "evaluators"))
            .to_owned(),
        Table::create()
            .table("conference_scores")
            .col(pk_uuid("id"))
            .col(uuid("session_id"))
            .col(uuid("ballot_id"))
            .col(uuid("unit_id"))
            .col(string_len("dimension", 64))
            .col(string_len("option_key", 64))
            .col(double_null("weight"))
            .foreign_key(&mut fk("conference_scores", "session_id", "conference_sessions"))
            .to_owned(),
        Table::create()
            .table("supervision_notices")
            .col(pk_uuid("id"))
            .col(uuid("campaign_id"))
            .col(uuid("unit_id"))
            .col(date("issued_on"))
            .col(string_len("issuing_body", 200))
            .col(text("summary"))
            .col(double_null("points"))
            .col(double_null("score"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("supervision_notices", "campaign_id", "campaigns"))
            .foreign_key(&mut fk("supervision_notices", "unit_id", "units"))
            .to_owned(),
        Table::create()
            .table("violation_cases")
            .col(pk_uuid("id"))
            .col(uuid("campaign_id"))
            .col(uuid("unit_id"))
            .col(date("confirmed_on"))
            .col(string_len("authority", 200))
            .col(string_len("reference", 200))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("violation_cases", "campaign_id", "campaigns"))
            .foreign_key(&mut fk("violation_cases", "unit_id", "units"))
            .to_owned(),
        Table::create()
            .table("result_versions")
            .col(pk_uuid("id"))
            .col(uuid("campaign_id"))
            .col(integer("version"))
            .col(string_len("status", 16))
            .col(json("inputs"))
            .col(json("results"))
            .col(timestamp_with_time_zone("computed_at"))
            .col(timestamp_with_time_zone_null("approved_at"))
            .col(timestamp_with_time_zone_null("published_at"))
            .foreign_key(&mut fk("result_versions", "campaign_id", "campaigns"))
            .to_owned(),
        Table::create()
            .table("result_approvals")
            .col(uuid("result_id"))
            .col(string_len("approver", 64))
            .col(timestamp_with_time_zone("approved_at"))
            .primary_key(Index::create().col("result_id").col("approver"))
            .foreign_key(&mut fk("result_approvals", "result_id", "result_versions"))
            .to_owned(),
        Table::create()
            .table("problems")
            .col(pk_uuid("id"))
            .col(uuid("campaign_id"))
            .col(uuid("unit_id"))
            .col(string_len("source", 32))
            .col(text("description"))
            .col(date("found_on"))
            .col(boolean("public"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("problems", "campaign_id", "campaigns"))
            .foreign_key(&mut fk("problems", "unit_id", "units"))
            .to_owned(),
        Table::create()
            .table("measures")
            .col(pk_uuid("id"))
            .col(uuid("problem_id"))
            .col(uuid("unit_id"))
            .col(text("description"))
            .col(string_len("responsible", 200))
            .col(date("deadline"))
            .col(string_len("status", 16))
            .col(timestamp_with_time_zone("updated_at"))
            .col(timestamp_with_time_zone_null("overdue_notified_at"))
            .foreign_key(&mut fk("measures", "problem_id", "problems"))
            .to_owned(),
        Table::create()
            .table("rectification_reports")
            .col(pk_uuid("id"))
            .col(uuid("campaign_id"))
            .col(uuid("unit_id"))
            .col(text("body"))
            .col(timestamp_with_time_zone("submitted_at"))
            .foreign_key(&mut fk("rectification_reports", "campaign_id", "campaigns"))
            .to_owned(),
        Table::create()
            .table("audit_log")
            .col(big_integer("seq").primary_key())
            .col(timestamp_with_time_zone("at"))
            .col(string_len("actor", 64))
            .col(string_len("action", 64))
            .col(string_len("entity", 64))
            .col(string_len("entity_id", 64))
            .col(json_null("before"))
            .col(json_null("after"))
            .col(string_len("prev_hash", 64))
            .col(string_len("hash", 64))
            .to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("campaigns")
                    .add_column(string_len("current_phase", 16).default("mobilisation"))
                    .to_owned(),
            )
            .await?;
        for table in tables() {
            manager.create_table(table).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_evaluators_code")
                    .table("evaluators")
                    .col("campaign_id")
                    .col("code")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_result_versions_version")
                    .table("result_versions")
                    .col("campaign_id")
                    .col("version")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let names = [
            "audit_log",
            "rectification_reports",
            "measures",
            "problems",
            "result_approvals",
            "result_versions",
            "violation_cases",
            "supervision_notices",
            "conference_scores",
            "ballot_codes",
            "conference_sessions",
            "evaluators",
            "campaign_units",
        ];
        for name in names {
            manager.drop_table(Table::drop().table(name).to_owned()).await?;
        }
        manager.alter_table(Table::alter().table("campaigns").drop_column("current_phase").to_owned()).await
    }
}
