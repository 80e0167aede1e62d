use migration::{Migrator, MigratorTrait};
use pingyi::services::totals_store;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use uuid::Uuid;

/// Runs `sql` with foreign-key checks off: the rows below reference campaigns and links that
/// this test does not bother to create.
async fn without_foreign_keys(db: &sea_orm::DatabaseConnection, sql: &str) {
    let statements = match db.get_database_backend() {
        DbBackend::Postgres => format!("BEGIN; SET LOCAL session_replication_role = replica; {sql} COMMIT;"),
        _ => format!("PRAGMA foreign_keys = OFF; {sql}"),
    };
    db.execute_unprepared(&statements).await.unwrap();
}

/// A database that answered before migrations 5 and 6 keeps its answers (now packed in the
/// response row) and gets running totals that count them, excluded answers left out, kept
/// through migration 12's packing of the totals and its rollback.
#[tokio::test]
async fn answers_stored_before_the_upgrade_are_packed_and_totalled() {
    let (url, _storage) = pingyi_tests::prepare_storage().await;
    let db = Database::connect(&url).await.unwrap();
    Migrator::up(&db, Some(4)).await.unwrap();
    let (campaign, unit, link, questionnaire) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let (kept, excluded) = (Uuid::new_v4(), Uuid::new_v4());
    let hour = "2017-07-03 10:00:00+00:00";
    let mut sql = String::new();
    for (id, is_excluded) in [(kept, false), (excluded, true)] {
        sql += &format!(
            "INSERT INTO responses (id, submission_id, body_hash, link_id, questionnaire_id, campaign_id, unit_id, \
             channel, submitted_hour, excluded) VALUES ('{id}', '{}', 'h', '{link}', '{questionnaire}', '{campaign}', \
             '{unit}', 'web', '{hour}', {is_excluded});",
            Uuid::new_v4()
        );
        for (key, dimension, option, weight, text) in [
            ("overall", "'overall'", "'satisfied'", "0.8", "NULL"),
            ("integrity", "'integrity'", "'dont_know'", "NULL", "NULL"),
            ("suggestions", "NULL", "NULL", "NULL", "'排队太久'"),
        ] {
            sql += &format!(
                "INSERT INTO response_answers (response_id, question_key, campaign_id, unit_id, channel, dimension, \
                 option_key, weight, text, excluded, answered_at) VALUES ('{id}', '{key}', '{campaign}', '{unit}', \
                 'web', {dimension}, {option}, {weight}, {text}, {is_excluded}, '{hour}');"
            );
        }
    }
    without_foreign_keys(&db, &sql).await;
    Migrator::up(&db, None).await.unwrap();

    let packed = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT answers FROM responses WHERE id = '{kept}'"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "answers")
        .unwrap();
    let mut answers = pingyi::services::answers::unpack(&packed).unwrap();
    answers.sort_by(|a, b| a.question_key.cmp(&b.question_key));
    let keys: Vec<_> = answers.iter().map(|a| a.question_key.as_str()).collect();
    assert_eq!(keys, ["integrity", "overall", "suggestions"]);
    assert_eq!((answers[1].option_key.as_deref(), answers[1].weight), (Some("satisfied"), Some(0.8)));
    assert_eq!(answers[2].text.as_deref(), Some("排队太久"));

    let expected = [("integrity".to_owned(), 1, 0), ("overall".to_owned(), 1, 1)];
    assert_eq!(packed_totals(&db).await, expected, "the excluded response is not counted");
    assert_eq!(hourly_totals(&db).await, [("satisfied".to_owned(), 1)]);

    // Rolling back to migration 11 unpacks the totals into the rows of migration 5 (and
    // gives the submission ids their own unique index again); up again packs them.
    let after_the_eleventh = Migrator::migrations().len() as u32 - 11;
    Migrator::down(&db, Some(after_the_eleventh)).await.unwrap();
    let narrow = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT dimension, answers, valid, weight_sum FROM satisfaction_rollups ORDER BY dimension".to_owned(),
        ))
        .await
        .unwrap();
    let narrow: Vec<(String, i64, i64, f64)> = narrow
        .iter()
        .map(|r| {
            let get = |name| r.try_get::<i64>("", name).unwrap();
            (r.try_get("", "dimension").unwrap(), get("answers"), get("valid"), r.try_get("", "weight_sum").unwrap())
        })
        .collect();
    assert_eq!(narrow, [("integrity".to_owned(), 1, 0, 0.0), ("overall".to_owned(), 1, 1, 0.8)]);
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(packed_totals(&db).await, expected);
    assert_eq!(hourly_totals(&db).await, [("satisfied".to_owned(), 1)]);
}

/// The packed cell totals, as (dimension, answers, valid) in dimension order.
async fn packed_totals(db: &sea_orm::DatabaseConnection) -> Vec<(String, i64, i64)> {
    let mut totals = Vec::new();
    for counts in stored_counts(db, "satisfaction_totals").await {
        let entries = totals_store::decode::<(String, String)>(&counts).unwrap();
        totals.extend(entries.into_iter().map(|((dimension, _), c)| (dimension, c.answers, c.valid)));
    }
    totals.sort();
    totals
}

/// The packed hourly totals, as (option, answers).
async fn hourly_totals(db: &sea_orm::DatabaseConnection) -> Vec<(String, i64)> {
    let mut totals = Vec::new();
    for counts in stored_counts(db, "satisfaction_hourly_totals").await {
        let entries = totals_store::decode::<String>(&counts).unwrap();
        totals.extend(entries.into_iter().map(|(option, c)| (option, c.answers)));
    }
    totals
}

async fn stored_counts(db: &sea_orm::DatabaseConnection, table: &str) -> Vec<String> {
    let sql = format!("SELECT counts FROM {table}");
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "counts").unwrap()).collect()
}

/// Two replicas starting at once on an empty database: both succeed, each migration once.
#[tokio::test]
async fn replicas_starting_together_migrate_one_after_the_other() {
    let (url, _storage) = pingyi_tests::prepare_storage().await;
    let (first, second) = (pingyi::db::connect(&url, 4).await.unwrap(), pingyi::db::connect(&url, 4).await.unwrap());
    let (a, b) = tokio::join!(pingyi::db::migrate(&first), pingyi::db::migrate(&second));
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    let applied = first
        .query_one_raw(Statement::from_string(
            first.get_database_backend(),
            "SELECT COUNT(*) AS n FROM seaql_migrations".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(applied as usize, Migrator::migrations().len());
}

/// Links are revoked, never deleted: both databases refuse to delete one, so every response's
/// link exists (on PostgreSQL this rule replaces the foreign key, see migration 8). Rolling
/// migration 8 back lifts the rule and, on PostgreSQL, restores the foreign key.
#[tokio::test]
async fn survey_links_cannot_be_deleted_until_the_rule_is_rolled_back() {
    let (url, _storage) = pingyi_tests::prepare_storage().await;
    let db = Database::connect(&url).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
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
    let delete = format!("DELETE FROM survey_links WHERE id = '{link}'");
    let refused = db.execute_unprepared(&delete).await.expect_err("a link was deleted");
    assert!(refused.to_string().contains("revoked, never deleted"), "{refused}");

    // Rolls back every migration after the seventh, down to and including 8.
    let after_the_seventh = Migrator::migrations().len() as u32 - 7;
    Migrator::down(&db, Some(after_the_seventh)).await.unwrap();
    if db.get_database_backend() == DbBackend::Postgres {
        let foreign_key = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT COUNT(*) FROM pg_constraint WHERE conname = 'fk_responses_link_id'".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
        assert_eq!(foreign_key, 1, "the foreign key is back");
    }
    assert_eq!(db.execute_unprepared(&delete).await.unwrap().rows_affected(), 1);
}

/// Whether `responses` has an index named `name`.
async fn responses_index_exists(db: &sea_orm::DatabaseConnection, name: &str) -> bool {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => "SELECT COUNT(*) AS n FROM pg_indexes WHERE tablename = 'responses' AND indexname = $1",
        _ => "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = 'responses' AND name = ?",
    };
    let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, [name.into()]);
    let row = db.query_one_raw(statement).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap() == 1
}

/// Migration 14 drops the (link, hour) index on SQLite only, where the daily cap counts in
/// memory; PostgreSQL's replicas count through it. Rolling back restores it.
#[tokio::test]
async fn the_link_hour_index_is_kept_on_postgres_only() {
    let (url, _storage) = pingyi_tests::prepare_storage().await;
    let db = Database::connect(&url).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let on_postgres = db.get_database_backend() == DbBackend::Postgres;
    assert_eq!(responses_index_exists(&db, "ix_responses_link_hour").await, on_postgres);
    assert!(responses_index_exists(&db, "ix_responses_campaign_hour").await);
    let after_the_thirteenth = Migrator::migrations().len() as u32 - 13;
    Migrator::down(&db, Some(after_the_thirteenth)).await.unwrap();
    assert!(responses_index_exists(&db, "ix_responses_link_hour").await);
}
