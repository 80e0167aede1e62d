//! The migrated schema: applied once however many start together, the rules it enforces
//! itself, and an entity for every table that agrees with it column by column.

use std::collections::BTreeSet;

use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::ColumnType;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityName, EntityTrait, IdenStatic,
    Iterable, Statement,
};
use uuid::Uuid;

async fn migrated() -> (DatabaseConnection, pingyi_tests::Storage) {
    let (url, storage) = pingyi_tests::prepare_storage().await;
    let db = Database::connect(&url).await.unwrap();
    pingyi::store::connect::migrate(&db).await.unwrap();
    (db, storage)
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.unwrap();
    row.unwrap().try_get_by_index::<i64>(0).unwrap()
}

/// The service and the migration CLI starting at once on an empty database: both succeed,
/// and each migration is applied once.
#[tokio::test]
async fn the_service_and_the_cli_starting_together_migrate_one_after_the_other() {
    let (url, _storage) = pingyi_tests::prepare_storage().await;
    let (first, second) = (
        pingyi::store::connect::connect(&url, 4).await.unwrap(),
        pingyi::store::connect::connect(&url, 4).await.unwrap(),
    );
    let (a, b) =
        tokio::join!(pingyi::store::connect::migrate(&first), migration::run(&second, migration::Direction::Up));
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    let applied = count(&first, "SELECT COUNT(*) FROM seaql_migrations").await;
    assert_eq!(applied as usize, Migrator::migrations().len());
}

/// Rolling back undoes the newest migrations where they can be undone (reminder mail, second survey windows, official notices, deliverables, public reports,
/// paper ballot entries, the console's sessions, kiosk links and the account lifecycle's
/// columns go, and come back), and stops
/// with an error where it cannot (ranking groups rewrote kept results), leaving the tables as
/// they were.
#[tokio::test]
async fn rolling_back_stops_where_a_migration_cannot_be_undone() {
    let (db, _storage) = migrated().await;
    migration::run(&db, migration::Direction::DownOne).await.unwrap();
    let mail = "SELECT email FROM accounts";
    assert!(db.execute_unprepared(mail).await.is_err(), "the addresses went");
    migration::run(&db, migration::Direction::DownOne).await.unwrap();
    let resurvey = "SELECT resurvey_opens_at FROM survey_links";
    assert!(db.execute_unprepared(resurvey).await.is_err(), "the second windows went");
    migration::run(&db, migration::Direction::DownOne).await.unwrap();
    let notices = "SELECT id FROM official_notices";
    assert!(db.execute_unprepared(notices).await.is_err(), "the notices went");
    assert!(db.execute_unprepared("SELECT supervising_authority FROM units").await.is_err(), "and the authorities");
    migration::run(&db, migration::Direction::DownOne).await.unwrap();
    let deliverables = "SELECT id FROM hand_ins";
    assert!(db.execute_unprepared(deliverables).await.is_err(), "the hand-ins went");
    migration::run(&db, migration::Direction::DownOne).await.unwrap();
    let public = "SELECT public FROM rectification_reports";
    assert!(db.execute_unprepared(public).await.is_err(), "the reports' public flag went");
    migration::run(&db, migration::Direction::DownOne).await.unwrap();
    assert!(db.execute_unprepared("SELECT id FROM paper_ballot_entries").await.is_err(), "the entries went");
    migration::run(&db, migration::Direction::DownOne).await.unwrap();
    assert!(db.execute_unprepared("SELECT id FROM console_sessions").await.is_err(), "the sessions went");
    migration::run(&db, migration::Direction::DownOne).await.unwrap();
    assert!(db.execute_unprepared("SELECT kiosk FROM survey_links").await.is_err(), "kiosk links went");
    migration::run(&db, migration::Direction::DownOne).await.unwrap();
    let gone = db.execute_unprepared("SELECT disabled_at FROM accounts").await;
    assert!(gone.is_err(), "the column went with its migration");
    let refused = migration::run(&db, migration::Direction::DownOne).await;
    assert!(refused.is_err());
    migration::run(&db, migration::Direction::Up).await.unwrap();
    let back = db.execute_unprepared("SELECT disabled_at, must_change_password, token_generation FROM accounts").await;
    assert!(db.execute_unprepared("SELECT kiosk FROM survey_links").await.is_ok());
    assert!(db.execute_unprepared("SELECT id FROM console_sessions").await.is_ok());
    assert!(db.execute_unprepared("SELECT id FROM paper_ballot_entries").await.is_ok());
    assert!(db.execute_unprepared(public).await.is_ok());
    assert!(db.execute_unprepared(deliverables).await.is_ok());
    assert!(db.execute_unprepared(notices).await.is_ok());
    assert!(db.execute_unprepared(resurvey).await.is_ok());
    assert!(db.execute_unprepared(mail).await.is_ok());
    assert!(back.is_ok(), "the columns are back: {back:?}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM campaigns").await, 0, "the tables are still there");
}

/// Runs `sql` with foreign-key checks off: the rows below reference rows this test does not
/// bother to create.
async fn without_foreign_keys(db: &DatabaseConnection, sql: &str) {
    let statements = match db.get_database_backend() {
        DbBackend::Postgres => format!("BEGIN; SET LOCAL session_replication_role = replica; {sql} COMMIT;"),
        _ => format!("PRAGMA foreign_keys = OFF; {sql}"),
    };
    db.execute_unprepared(&statements).await.unwrap();
}

/// Links are revoked, never deleted: both databases refuse to delete one, so every response's
/// link exists (on PostgreSQL this rule stands in for the foreign key).
#[tokio::test]
async fn survey_links_cannot_be_deleted() {
    let (db, _storage) = migrated().await;
    let link = Uuid::new_v4();
    without_foreign_keys(
        &db,
        &format!(
            "INSERT INTO survey_links (id, slug, questionnaire_id, unit_id, channel, created_at) VALUES ('{link}', \
             'kept-for-good', '{}', '{}', 'web', '2017-07-03 10:00:00+00:00');",
            Uuid::new_v4(),
            Uuid::new_v4()
        ),
    )
    .await;
    let refused = db
        .execute_unprepared(&format!("DELETE FROM survey_links WHERE id = '{link}'"))
        .await
        .expect_err("a link was deleted");
    assert!(refused.to_string().contains("revoked, never deleted"), "{refused}");
}

/// The (link, hour) index is there on PostgreSQL only: SQLite's single process counts a
/// link's responses today itself.
#[tokio::test]
async fn the_link_hour_index_is_kept_on_postgres_only() {
    let (db, _storage) = migrated().await;
    let exists = |name: &'static str| {
        let db = &db;
        async move {
            let sql = match db.get_database_backend() {
                DbBackend::Postgres => format!("SELECT COUNT(*) FROM pg_indexes WHERE indexname = '{name}'"),
                _ => format!("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = '{name}'"),
            };
            count(db, &sql).await == 1
        }
    };
    let on_postgres = db.get_database_backend() == DbBackend::Postgres;
    assert_eq!(exists("ix_responses_link_hour").await, on_postgres);
    assert!(exists("ix_responses_campaign_hour").await);
}

/// A column as both sides can describe it: its name, whether it takes NULL, a coarse type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    name: String,
    nullable: bool,
    kind: &'static str,
}

/// An entity column's coarse type.
fn entity_kind(column_type: &ColumnType) -> &'static str {
    match column_type {
        ColumnType::Uuid => "uuid",
        ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) | ColumnType::Enum { .. } => "text",
        ColumnType::Integer | ColumnType::SmallInteger | ColumnType::TinyInteger => "integer",
        ColumnType::BigInteger => "big integer",
        ColumnType::Double | ColumnType::Float => "double",
        ColumnType::Boolean => "boolean",
        ColumnType::TimestampWithTimeZone => "timestamp",
        ColumnType::Date => "date",
        ColumnType::Json | ColumnType::JsonBinary => "json",
        ColumnType::Blob | ColumnType::Binary(_) | ColumnType::VarBinary(_) => "bytes",
        other => panic!("no coarse type for {other:?}"),
    }
}

/// A stored column's coarse type; SQLite declares 32- and 64-bit integers alike.
fn stored_kind(backend: DbBackend, declared: &str) -> &'static str {
    let declared = declared.to_lowercase();
    match declared.as_str() {
        "uuid" | "uuid_text" => "uuid",
        "text" | "character varying" => "text",
        _ if declared.starts_with("varchar") => "text",
        "integer" if backend == DbBackend::Sqlite => "integer or big integer",
        "integer" => "integer",
        "bigint" => "big integer",
        "double" | "double precision" => "double",
        "boolean" => "boolean",
        "timestamp with time zone" | "timestamp_with_timezone_text" => "timestamp",
        "date" | "date_text" => "date",
        "json" | "json_text" => "json",
        "bytea" | "blob" => "bytes",
        other => panic!("no coarse type for the stored type {other}"),
    }
}

fn same_kind(entity: &Column, stored: &Column) -> bool {
    entity.name == stored.name
        && entity.nullable == stored.nullable
        && (entity.kind == stored.kind
            || (stored.kind == "integer or big integer" && ["integer", "big integer"].contains(&entity.kind)))
}

/// The stored columns of `table`, and its primary key's columns.
async fn stored_columns(db: &DatabaseConnection, table: &str) -> (Vec<Column>, BTreeSet<String>) {
    let backend = db.get_database_backend();
    let (columns, key) = match backend {
        DbBackend::Postgres => (
            format!(
                "SELECT column_name, is_nullable = 'YES', data_type FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = '{table}'"
            ),
            format!(
                "SELECT k.column_name FROM information_schema.table_constraints c \
                 JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name \
                 AND k.table_name = c.table_name WHERE c.table_schema = 'public' \
                 AND c.constraint_type = 'PRIMARY KEY' AND c.table_name = '{table}'"
            ),
        ),
        _ => (
            format!("SELECT name, \"notnull\" = 0, type FROM pragma_table_info('{table}')"),
            format!("SELECT name FROM pragma_table_info('{table}') WHERE pk > 0"),
        ),
    };
    let rows = db.query_all_raw(Statement::from_string(backend, columns)).await.unwrap();
    let columns = rows
        .iter()
        .map(|row| Column {
            name: row.try_get_by_index(0).unwrap(),
            nullable: row.try_get_by_index(1).unwrap(),
            kind: stored_kind(backend, &row.try_get_by_index::<String>(2).unwrap()),
        })
        .collect();
    let rows = db.query_all_raw(Statement::from_string(backend, key)).await.unwrap();
    (columns, rows.iter().map(|row| row.try_get_by_index(0).unwrap()).collect())
}

/// How `E` differs from its table as migrated; empty when they agree.
async fn differences<E: EntityTrait + Default>(db: &DatabaseConnection) -> Vec<String> {
    let table = E::default().table_name().to_owned();
    let mut entity: Vec<Column> = E::Column::iter()
        .map(|column| {
            let def = column.def();
            Column {
                name: column.as_str().to_owned(),
                nullable: def.is_null(),
                kind: entity_kind(def.get_column_type()),
            }
        })
        .collect();
    let entity_key: BTreeSet<String> =
        E::PrimaryKey::iter().map(|key| sea_orm::PrimaryKeyToColumn::into_column(key).as_str().to_owned()).collect();
    let (mut stored, stored_key) = stored_columns(db, &table).await;
    entity.sort();
    stored.sort();
    let mut found = Vec::new();
    if stored.is_empty() {
        found.push(format!("{table}: no such table"));
    }
    for column in &entity {
        match stored.iter().find(|s| s.name == column.name) {
            None => found.push(format!("{table}.{}: not stored", column.name)),
            Some(s) if !same_kind(column, s) => {
                found.push(format!("{table}.{}: entity {column:?}, stored {s:?}", column.name))
            }
            Some(_) => {}
        }
    }
    for column in stored.iter().filter(|s| !entity.iter().any(|e| e.name == s.name)) {
        found.push(format!("{table}.{}: stored but not in the entity", column.name));
    }
    if entity_key != stored_key {
        found.push(format!("{table}: primary key {entity_key:?} in the entity, {stored_key:?} stored"));
    }
    found
}

/// The tables the migrations create, besides their own bookkeeping.
async fn stored_tables(db: &DatabaseConnection) -> BTreeSet<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        _ => "SELECT name FROM sqlite_master WHERE type = 'table'",
    };
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.unwrap();
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .filter(|name| name != "seaql_migrations")
        .collect()
}

macro_rules! every_entity {
    ($db:expr, $($module:ident),+ $(,)?) => {{
        let mut tables = BTreeSet::new();
        let mut found = Vec::new();
        $(
            tables.insert(entity::$module::Entity.table_name().to_owned());
            found.extend(differences::<entity::$module::Entity>($db).await);
        )+
        (tables, found)
    }};
}

/// Every table has an entity, and every entity names the columns of its table with the same
/// types, nullability and primary key, on both databases.
#[tokio::test]
async fn every_table_has_an_entity_that_agrees_with_it() {
    let (db, _storage) = migrated().await;
    let (tables, found) = every_entity!(
        &db,
        account,
        api_client,
        audit_record,
        ballot_code,
        ballot_spend,
        batch_exclusion,
        campaign,
        campaign_unit,
        conference_session,
        conference_tally,
        console_session,
        deliverable,
        deliverable_reminder,
        evaluator,
        hand_in,
        invitation_code,
        invitation_spend,
        link_change,
        measure,
        official_notice,
        paper_ballot_entry,
        pollster_answer,
        pollster_figure,
        pollster_response,
        problem,
        questionnaire,
        rectification_report,
        response,
        result_approval,
        result_version,
        satisfaction_hourly_total,
        satisfaction_pending,
        satisfaction_total,
        service_key,
        supervision_notice,
        survey_link,
        unit,
        violation_case,
        webhook_attempt,
        webhook_delivery,
        webhook_subscription,
    );
    assert!(found.is_empty(), "entities differ from the schema:\n{}", found.join("\n"));
    let stored = stored_tables(&db).await;
    let without_entity: Vec<_> = stored.difference(&tables).collect();
    assert!(without_entity.is_empty(), "tables without an entity: {without_entity:?}");
}

/// The comparison itself finds a difference: a column the entity lacks.
#[tokio::test]
async fn a_column_added_outside_the_entities_is_found() {
    let (db, _storage) = migrated().await;
    assert!(differences::<entity::unit::Entity>(&db).await.is_empty());
    db.execute_unprepared("ALTER TABLE units ADD COLUMN remark TEXT").await.unwrap();
    let found = differences::<entity::unit::Entity>(&db).await;
    assert_eq!(found, ["units.remark: stored but not in the entity"]);
}
