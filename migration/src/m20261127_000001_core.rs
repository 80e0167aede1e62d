//! Units, accounts, campaigns, questionnaires, survey links and anonymous responses.

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

fn index(table: &'static str, name: &str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(format!("ix_{table}_{name}")).table(table);
    for col in cols {
        index.col(*col);
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

fn units() -> TableCreateStatement {
    Table::create()
        .table("units")
        .col(pk_uuid("id"))
        .col(string_len_uniq("code", 64))
        .col(string_len("name", 200))
        .col(string_len("category", 32))
        .col(string_len("kind", 32))
        .col(uuid_null("parent_id"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut foreign_key("units", "parent_id", "units"))
        .to_owned()
}

fn accounts() -> TableCreateStatement {
    Table::create()
        .table("accounts")
        .col(pk_uuid("id"))
        .col(string_len_uniq("username", 64))
        .col(string_len("password_hash", 200))
        .col(string_len("role", 16))
        .col(uuid_null("unit_id"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut foreign_key("accounts", "unit_id", "units"))
        .to_owned()
}

fn campaigns() -> TableCreateStatement {
    Table::create()
        .table("campaigns")
        .col(pk_uuid("id"))
        .col(integer_uniq("year"))
        .col(string_len("title", 200))
        .col(date("mobilisation_starts_on"))
        .col(date("mobilisation_ends_on"))
        .col(date("survey_starts_on"))
        .col(date("survey_ends_on"))
        .col(date("rectification_starts_on"))
        .col(date("rectification_ends_on"))
        .col(date("assessment_starts_on"))
        .col(date("assessment_ends_on"))
        .col(json("settings"))
        .col(timestamp_with_time_zone("created_at"))
        .to_owned()
}

fn questionnaires() -> TableCreateStatement {
    Table::create()
        .table("questionnaires")
        .col(pk_uuid("id"))
        .col(uuid("campaign_id"))
        .col(uuid("lineage_id"))
        .col(integer("version"))
        .col(string_len("category", 32))
        .col(json("title"))
        .col(string_len("status", 16))
        .col(json("questions"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("published_at"))
        .foreign_key(&mut foreign_key("questionnaires", "campaign_id", "campaigns"))
        .to_owned()
}

fn survey_links() -> TableCreateStatement {
    Table::create()
        .table("survey_links")
        .col(pk_uuid("id"))
        .col(string_len_uniq("slug", 32))
        .col(uuid("questionnaire_id"))
        .col(uuid("unit_id"))
        .col(string_len("channel", 16))
        .col(timestamp_with_time_zone_null("opens_at"))
        .col(timestamp_with_time_zone_null("closes_at"))
        .col(timestamp_with_time_zone_null("revoked_at"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut foreign_key("survey_links", "questionnaire_id", "questionnaires"))
        .foreign_key(&mut foreign_key("survey_links", "unit_id", "units"))
        .to_owned()
}

/// One row per accepted submission. Deliberately holds nothing about the person:
/// no address, agent, cookie or exact time (the hour only).
fn responses() -> TableCreateStatement {
    Table::create()
        .table("responses")
        .col(pk_uuid("id"))
        .col(uuid_uniq("submission_id"))
        .col(string_len("body_hash", 64))
        .col(uuid("link_id"))
        .col(uuid("questionnaire_id"))
        .col(uuid("campaign_id"))
        .col(uuid("unit_id"))
        .col(string_len("channel", 16))
        .col(timestamp_with_time_zone("submitted_hour"))
        .foreign_key(&mut foreign_key("responses", "link_id", "survey_links"))
        .to_owned()
}

/// One row per answered question, with the campaign, unit and channel copied in so that
/// every aggregate is a single-table GROUP BY.
fn response_answers() -> TableCreateStatement {
    Table::create()
        .table("response_answers")
        .col(uuid("response_id"))
        .col(string_len("question_key", 64))
        .col(uuid("campaign_id"))
        .col(uuid("unit_id"))
        .col(string_len("channel", 16))
        .col(string_len_null("dimension", 64))
        .col(string_len_null("option_key", 64))
        .col(double_null("weight"))
        .col(text_null("text"))
        .primary_key(Index::create().col("response_id").col("question_key"))
        .foreign_key(&mut foreign_key("response_answers", "response_id", "responses"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in
            [units(), accounts(), campaigns(), questionnaires(), survey_links(), responses(), response_answers()]
        {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("questionnaires", "lineage_version", &["lineage_id", "version"], true),
            index("questionnaires", "campaign", &["campaign_id"], false),
            index("survey_links", "target", &["questionnaire_id", "unit_id", "channel"], true),
            index("responses", "campaign_unit", &["campaign_id", "unit_id"], false),
            index("response_answers", "campaign_unit", &["campaign_id", "unit_id", "dimension"], false),
            index("response_answers", "campaign_channel", &["campaign_id", "channel"], false),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in
            ["response_answers", "responses", "survey_links", "questionnaires", "campaigns", "accounts", "units"]
        {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
