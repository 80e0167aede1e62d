//! The schema of Pingyi 0.1: every table, index and trigger, on PostgreSQL and SQLite.
//!
//! Later changes come as migrations of their own after this one. Where the two databases
//! differ, the reason is given at the difference.

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

fn index(table: &'static str, name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(format!("ix_{table}_{name}")).table(table);
    for col in cols {
        index.col(*col);
    }
    index.to_owned()
}

fn unique_index(table: &'static str, name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = index(table, name, cols);
    index.unique();
    index
}

/// The register of evaluated bodies; township-level units point to their township.
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
        .col(string_len("current_phase", 16).default("mobilisation"))
        // Raised in every transaction that changes the campaign's running totals, so that a
        // replica can tell whether what it read from them is still current.
        .col(big_integer("totals_version").default(0))
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
        .col(integer("rate_limit_per_hour").default(60))
        .col(integer_null("daily_cap").default(2000))
        .col(integer("duplicate_window_seconds").default(600))
        .col(boolean("requires_invitation").default(false))
        .foreign_key(&mut foreign_key("survey_links", "questionnaire_id", "questionnaires"))
        .foreign_key(&mut foreign_key("survey_links", "unit_id", "units"))
        .to_owned()
}

/// One row per accepted submission, its answers packed in as JSON. Deliberately holds
/// nothing about the person: no address, agent, cookie or exact time (the hour only).
///
/// The id is derived from the submission id (see the intake's `response_ids`), so the primary
/// key alone refuses a second copy of a submission and `submission_id` needs no index.
///
/// Links are never deleted (a trigger refuses it on both databases), so every `link_id`
/// points to a link. SQLite also keeps the foreign key, which costs it nothing; on
/// PostgreSQL the key locked the link's row for every response inserted, which concurrent
/// group commits on the same links paid for with contention, so there it is left out.
fn responses(backend: DbBackend) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table("responses")
        .col(pk_uuid("id"))
        .col(uuid("submission_id"))
        .col(string_len("body_hash", 64))
        .col(uuid("link_id"))
        .col(uuid("questionnaire_id"))
        .col(uuid("campaign_id"))
        .col(uuid("unit_id"))
        .col(string_len("channel", 16))
        .col(timestamp_with_time_zone("submitted_hour"))
        .col(boolean("excluded").default(false))
        .col(text("answers").default("[]"));
    if backend == DbBackend::Sqlite {
        table.foreign_key(&mut foreign_key("responses", "link_id", "survey_links"));
    }
    table.to_owned()
}

/// Single-use codes, stored as hashes with the time they were spent: no reference to or from
/// any response.
fn invitation_codes() -> TableCreateStatement {
    Table::create()
        .table("invitation_codes")
        .col(pk_uuid("id"))
        .col(uuid("link_id"))
        .col(string_len_uniq("code_hash", 64))
        .col(timestamp_with_time_zone_null("used_at"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut foreign_key("invitation_codes", "link_id", "survey_links"))
        .to_owned()
}

/// One record per decision to leave a (link, hour) batch out of the figures; undoing keeps it.
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
        .foreign_key(&mut foreign_key("batch_exclusions", "link_id", "survey_links"))
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
        .foreign_key(&mut foreign_key("pollster_responses", "client_id", "api_clients"))
        .foreign_key(&mut foreign_key("pollster_responses", "unit_id", "units"))
        .foreign_key(&mut foreign_key("pollster_responses", "questionnaire_id", "questionnaires"))
        .to_owned()
}

/// A pollster's answers, one row per answered question: they arrive in batches, where a row
/// per answer costs little, and exclusions and exports read them one by one.
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
        .foreign_key(&mut foreign_key("pollster_answers", "response_id", "pollster_responses"))
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
        .foreign_key(&mut foreign_key("pollster_figures", "client_id", "api_clients"))
        .foreign_key(&mut foreign_key("pollster_figures", "unit_id", "units"))
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
        .foreign_key(&mut foreign_key("webhook_subscriptions", "client_id", "api_clients"))
        .to_owned()
}

/// The outbox: one row per event and subscription, written in the transaction of the change
/// it announces, and sent by the delivery job afterwards.
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
        .foreign_key(&mut foreign_key("webhook_deliveries", "subscription_id", "webhook_subscriptions"))
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
        .foreign_key(&mut foreign_key("webhook_attempts", "delivery_id", "webhook_deliveries"))
        .to_owned()
}

fn campaign_units() -> TableCreateStatement {
    Table::create()
        .table("campaign_units")
        .col(uuid("campaign_id"))
        .col(uuid("unit_id"))
        .col(string_len("role", 32))
        .col(string_len("reason", 32))
        .col(timestamp_with_time_zone("added_at"))
        .primary_key(Index::create().col("campaign_id").col("unit_id"))
        .foreign_key(&mut foreign_key("campaign_units", "campaign_id", "campaigns"))
        .foreign_key(&mut foreign_key("campaign_units", "unit_id", "units"))
        .to_owned()
}

fn evaluators() -> TableCreateStatement {
    Table::create()
        .table("evaluators")
        .col(pk_uuid("id"))
        .col(uuid("campaign_id"))
        .col(string_len("code", 32))
        .col(string_len("group_name", 32))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut foreign_key("evaluators", "campaign_id", "campaigns"))
        .to_owned()
}

fn conference_sessions() -> TableCreateStatement {
    Table::create()
        .table("conference_sessions")
        .col(pk_uuid("id"))
        .col(uuid("campaign_id"))
        .col(string_len("mode", 16))
        .col(string_len("status", 16))
        .col(timestamp_with_time_zone("opened_at"))
        .col(timestamp_with_time_zone_null("closed_at"))
        .foreign_key(&mut foreign_key("conference_sessions", "campaign_id", "campaigns"))
        .to_owned()
}

/// Codes know their evaluator (to hand them out); ballots know neither.
fn ballot_codes() -> TableCreateStatement {
    Table::create()
        .table("ballot_codes")
        .col(pk_uuid("id"))
        .col(uuid("session_id"))
        .col(uuid("evaluator_id"))
        .col(string_len_uniq("code_hash", 64))
        .col(timestamp_with_time_zone_null("used_at"))
        .foreign_key(&mut foreign_key("ballot_codes", "session_id", "conference_sessions"))
        .foreign_key(&mut foreign_key("ballot_codes", "evaluator_id", "evaluators"))
        .to_owned()
}

fn conference_scores() -> TableCreateStatement {
    Table::create()
        .table("conference_scores")
        .col(pk_uuid("id"))
        .col(uuid("session_id"))
        .col(uuid("ballot_id"))
        .col(uuid("unit_id"))
        .col(string_len("dimension", 64))
        .col(string_len("option_key", 64))
        .col(double_null("weight"))
        .foreign_key(&mut foreign_key("conference_scores", "session_id", "conference_sessions"))
        .to_owned()
}

fn supervision_notices() -> TableCreateStatement {
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
        .foreign_key(&mut foreign_key("supervision_notices", "campaign_id", "campaigns"))
        .foreign_key(&mut foreign_key("supervision_notices", "unit_id", "units"))
        .to_owned()
}

fn violation_cases() -> TableCreateStatement {
    Table::create()
        .table("violation_cases")
        .col(pk_uuid("id"))
        .col(uuid("campaign_id"))
        .col(uuid("unit_id"))
        .col(date("confirmed_on"))
        .col(string_len("authority", 200))
        .col(string_len("reference", 200))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut foreign_key("violation_cases", "campaign_id", "campaigns"))
        .foreign_key(&mut foreign_key("violation_cases", "unit_id", "units"))
        .to_owned()
}

fn result_versions() -> TableCreateStatement {
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
        .foreign_key(&mut foreign_key("result_versions", "campaign_id", "campaigns"))
        .to_owned()
}

fn result_approvals() -> TableCreateStatement {
    Table::create()
        .table("result_approvals")
        .col(uuid("result_id"))
        .col(string_len("approver", 64))
        .col(timestamp_with_time_zone("approved_at"))
        .primary_key(Index::create().col("result_id").col("approver"))
        .foreign_key(&mut foreign_key("result_approvals", "result_id", "result_versions"))
        .to_owned()
}

fn problems() -> TableCreateStatement {
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
        .foreign_key(&mut foreign_key("problems", "campaign_id", "campaigns"))
        .foreign_key(&mut foreign_key("problems", "unit_id", "units"))
        .to_owned()
}

fn measures() -> TableCreateStatement {
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
        .foreign_key(&mut foreign_key("measures", "problem_id", "problems"))
        .to_owned()
}

fn rectification_reports() -> TableCreateStatement {
    Table::create()
        .table("rectification_reports")
        .col(pk_uuid("id"))
        .col(uuid("campaign_id"))
        .col(uuid("unit_id"))
        .col(text("body"))
        .col(timestamp_with_time_zone("submitted_at"))
        .foreign_key(&mut foreign_key("rectification_reports", "campaign_id", "campaigns"))
        .to_owned()
}

/// Append-only and hash-chained: each record's hash covers the previous one's.
fn audit_log() -> TableCreateStatement {
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
        .to_owned()
}

/// The running totals, packed: one row per (campaign, source, unit, channel) holding the
/// counters of every (dimension, option) answered there, as a JSON array of
/// `[[dimension, option], answers, valid, weight_sum]`. One row per counter made the fold of
/// citizens' responses write hundreds of rows where it now writes one per unit and channel.
fn satisfaction_totals() -> TableCreateStatement {
    Table::create()
        .table("satisfaction_totals")
        .col(uuid("campaign_id"))
        .col(string_len("source", 16))
        .col(uuid("unit_id"))
        .col(string_len("channel", 32))
        .col(text("counts"))
        .primary_key(Index::create().col("campaign_id").col("source").col("unit_id").col("channel"))
        .to_owned()
}

/// The overall question's running totals per (campaign, source, unit, answer hour), packed
/// as `[option, answers, valid, weight_sum]` entries: the period reports.
fn satisfaction_hourly_totals() -> TableCreateStatement {
    Table::create()
        .table("satisfaction_hourly_totals")
        .col(uuid("campaign_id"))
        .col(string_len("source", 16))
        .col(uuid("unit_id"))
        .col(timestamp_with_time_zone("answered_at"))
        .col(text("counts"))
        .primary_key(Index::create().col("campaign_id").col("source").col("unit_id").col("answered_at"))
        .to_owned()
}

/// Citizens' responses stored but not yet folded into the running totals: one row per group
/// commit and campaign, holding the response ids as a JSON array, for a fraction of a second.
fn satisfaction_pending() -> TableCreateStatement {
    Table::create()
        .table("satisfaction_pending")
        .col(uuid("id").primary_key())
        .col(uuid("campaign_id"))
        .col(text("response_ids"))
        .to_owned()
}

/// One row whose `generation` triggers raise whenever something a link's answer depends on
/// changes: a link, its questionnaire, or its campaign's phase or settings. Each replica's
/// link cache reads it instead of reloading every link. Triggers rather than the service
/// raise it, so that a change by any replica or by an operator's SQL is seen all the same.
fn link_changes() -> TableCreateStatement {
    Table::create()
        .table("link_changes")
        .col(integer("id").primary_key())
        .col(big_integer("generation").default(0))
        .to_owned()
}

const LINK_DELETE_REFUSAL: &str = "survey links are revoked, never deleted";
const RAISE_LINK_CHANGES: &str = "UPDATE link_changes SET generation = generation + 1";

/// PostgreSQL: statement-level triggers (one raise per statement, not per row).
fn postgres_triggers() -> String {
    format!(
        "CREATE FUNCTION pingyi_refuse_link_delete() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION '{LINK_DELETE_REFUSAL}'; END $$;
         CREATE TRIGGER survey_links_never_deleted BEFORE DELETE ON survey_links \
         FOR EACH ROW EXECUTE FUNCTION pingyi_refuse_link_delete();
         CREATE FUNCTION pingyi_raise_link_changes() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN {RAISE_LINK_CHANGES}; RETURN NULL; END $$;
         CREATE TRIGGER link_changes_campaigns AFTER UPDATE OF current_phase, settings OR DELETE \
         ON campaigns FOR EACH STATEMENT EXECUTE FUNCTION pingyi_raise_link_changes();
         CREATE TRIGGER link_changes_questionnaires AFTER UPDATE OR DELETE \
         ON questionnaires FOR EACH STATEMENT EXECUTE FUNCTION pingyi_raise_link_changes();
         CREATE TRIGGER link_changes_links AFTER UPDATE \
         ON survey_links FOR EACH STATEMENT EXECUTE FUNCTION pingyi_raise_link_changes();"
    )
}

/// SQLite: row-level triggers only, one per event.
fn sqlite_triggers() -> String {
    let raise = [
        ("link_changes_campaigns", "UPDATE OF current_phase, settings ON campaigns"),
        ("link_changes_campaigns_deleted", "DELETE ON campaigns"),
        ("link_changes_questionnaires", "UPDATE ON questionnaires"),
        ("link_changes_questionnaires_deleted", "DELETE ON questionnaires"),
        ("link_changes_links", "UPDATE ON survey_links"),
    ];
    let mut sql = format!(
        "CREATE TRIGGER survey_links_never_deleted BEFORE DELETE ON survey_links \
         BEGIN SELECT RAISE(ABORT, '{LINK_DELETE_REFUSAL}'); END;\n"
    );
    for (name, event) in raise {
        sql.push_str(&format!("CREATE TRIGGER {name} AFTER {event} BEGIN {RAISE_LINK_CHANGES}; END;\n"));
    }
    sql
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let tables = [
            units(),
            accounts(),
            campaigns(),
            questionnaires(),
            survey_links(),
            responses(backend),
            invitation_codes(),
            batch_exclusions(),
            api_clients(),
            pollster_responses(),
            pollster_answers(),
            pollster_figures(),
            webhook_subscriptions(),
            webhook_deliveries(),
            webhook_attempts(),
            campaign_units(),
            evaluators(),
            conference_sessions(),
            ballot_codes(),
            conference_scores(),
            supervision_notices(),
            violation_cases(),
            result_versions(),
            result_approvals(),
            problems(),
            measures(),
            rectification_reports(),
            audit_log(),
            satisfaction_totals(),
            satisfaction_hourly_totals(),
            satisfaction_pending(),
            link_changes(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let mut indexes = vec![
            unique_index("questionnaires", "lineage_version", &["lineage_id", "version"]),
            index("questionnaires", "campaign", &["campaign_id"]),
            unique_index("survey_links", "target", &["questionnaire_id", "unit_id", "channel"]),
            // The row listing reads a campaign's responses in (hour, id) order, and new
            // responses all land in the current hour: one place in the index per batch.
            index("responses", "campaign_hour", &["campaign_id", "submitted_hour"]),
            unique_index("pollster_responses", "external", &["client_id", "external_id"]),
            index("pollster_answers", "campaign_unit", &["campaign_id", "unit_id", "dimension"]),
            index("pollster_figures", "current", &["campaign_id", "unit_id", "client_id"]),
            index("webhook_deliveries", "due", &["status", "next_attempt_at"]),
            unique_index("evaluators", "code", &["campaign_id", "code"]),
            unique_index("result_versions", "version", &["campaign_id", "version"]),
            index("satisfaction_pending", "campaign", &["campaign_id"]),
        ];
        // The daily cap counts a link's responses today. On PostgreSQL, where several
        // replicas write, only the database knows that count, through this index. On SQLite
        // one process writes and keeps the count itself: there the index would add a place
        // per link to every group commit of the single writer.
        if backend == DbBackend::Postgres {
            indexes.push(index("responses", "link_hour", &["link_id", "submitted_hour"]));
        }
        for index in indexes {
            manager.create_index(index).await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO link_changes (id, generation) VALUES (1, 0)").await?;
        let triggers = match backend {
            DbBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        };
        db.execute_unprepared(&triggers).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the baseline is not rolled back: drop the database, or restore a backup, instead".to_owned(),
        ))
    }
}
