//! The query plans of reads that must not grow with a campaign's responses.

use chrono::{TimeZone, Utc};
use migration::{Migrator, MigratorTrait};
use pingyi::domain::vocabulary::Source;
use pingyi::services::query::rows::{self, Cursor, RowQuery};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};
use uuid::Uuid;

/// The plan of `statement` as text, one line per step. PostgreSQL is told to avoid reading
/// whole tables, which on the test's empty tables would always be cheapest.
async fn plan(db: &sea_orm::DatabaseConnection, statement: Statement) -> String {
    let backend = db.get_database_backend();
    let (prefix, column) = match backend {
        DbBackend::Postgres => ("EXPLAIN ", "QUERY PLAN"),
        _ => ("EXPLAIN QUERY PLAN ", "detail"),
    };
    let txn = db.begin().await.unwrap();
    if backend == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
    }
    let explain = Statement { sql: format!("{prefix}{}", statement.sql), ..statement };
    let lines = txn.query_all_raw(explain).await.unwrap();
    lines.iter().map(|line| line.try_get::<String>("", column).unwrap()).collect::<Vec<_>>().join("\n")
}

/// A later page of the row listing seeks to its hour in the (campaign, hour) index, on both
/// databases, instead of reading the campaign from its first response (or every response).
#[tokio::test]
async fn a_later_page_of_rows_starts_at_its_hour() {
    let (url, _storage) = pingyi_tests::prepare_storage().await;
    let db = Database::connect(&url).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let hour = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap().fixed_offset();
    let query = RowQuery {
        campaign_id: Uuid::new_v4(),
        source: Source::CitizenLink,
        unit_id: Some(Uuid::new_v4()),
        channel: None,
        client_id: None,
        after: Some(Cursor { hour, id: Uuid::new_v4() }),
        limit: 100,
        include_current_hour: false,
    };
    let backend = db.get_database_backend();
    let plan = plan(&db, backend.build(&rows::head_query(&query))).await;
    assert!(plan.contains("ix_responses_campaign_hour"), "{plan}");
    let lower_bound = match backend {
        DbBackend::Postgres => "submitted_hour >=",
        _ => "submitted_hour>?",
    };
    assert!(plan.contains(lower_bound), "{plan}");
}
