//! Upgrading a database of Pingyi 0.1: rows written by the baseline schema go through the later
//! migrations into what the new schema keeps, and nothing that mattered is lost.

use chrono::{NaiveDate, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

async fn insert(db: &DatabaseConnection, table: &str, row: Vec<(&str, SimpleExpr)>) {
    let (columns, values): (Vec<_>, Vec<_>) = row.into_iter().unzip();
    let statement = Query::insert()
        .into_table(Alias::new(table))
        .columns(columns.into_iter().map(Alias::new))
        .values_panic(values)
        .to_owned();
    db.execute(&statement).await.unwrap();
}

fn v(value: impl Into<sea_orm::Value>) -> SimpleExpr {
    SimpleExpr::Value(value.into())
}

#[tokio::test]
async fn a_database_of_0_1_is_upgraded_without_losing_what_counts() {
    let (url, _storage) = pingyi_tests::prepare_storage().await;
    let db = Database::connect(&url).await.unwrap();
    Migrator::up(&db, Some(1)).await.unwrap();
    let now = Utc::now().fixed_offset();
    let day = NaiveDate::from_ymd_opt(2017, 6, 1).unwrap();

    let (unit, campaign, questionnaire, link) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    insert(
        &db,
        "units",
        vec![
            ("id", v(unit)),
            ("code", v("jtysj")),
            ("name", v("区交通运输局")),
            ("category", v("government")),
            ("kind", v("department")),
            ("created_at", v(now)),
        ],
    )
    .await;
    let mut campaign_row = vec![("id", v(campaign)), ("year", v(2017)), ("title", v("2017")), ("created_at", v(now))];
    for column in ["mobilisation", "survey", "rectification", "assessment"] {
        for end in ["starts_on", "ends_on"] {
            campaign_row.push((Box::leak(format!("{column}_{end}").into_boxed_str()), v(day)));
        }
    }
    campaign_row.push(("settings", v(json!({"weights": {"conference": 0.4, "third_party": 0.4, "citizen_links": 0.2, "supervision": 0.0}, "qualified_min": 70.0, "excellent_min": 90.0, "bottom_n": 3, "min_sample": 30, "supervision_mode": "points", "responses_outside_survey": false}))));
    insert(&db, "campaigns", campaign_row).await;
    insert(
        &db,
        "questionnaires",
        vec![
            ("id", v(questionnaire)),
            ("campaign_id", v(campaign)),
            ("lineage_id", v(questionnaire)),
            ("version", v(1)),
            ("category", v("government")),
            ("title", v(json!({"zh": "问卷"}))),
            ("status", v("published")),
            ("questions", v(json!([]))),
            ("created_at", v(now)),
        ],
    )
    .await;
    insert(
        &db,
        "survey_links",
        vec![
            ("id", v(link)),
            ("slug", v("abc")),
            ("questionnaire_id", v(questionnaire)),
            ("unit_id", v(unit)),
            ("channel", v("web")),
            ("created_at", v(now)),
        ],
    )
    .await;

    // Two representatives; an open session where E-001 holds a spent code and a spare one and
    // E-002 two unspent ones; a closed session with one code and two ballots.
    let (e1, e2) = (Uuid::new_v4(), Uuid::new_v4());
    for (id, code) in [(e1, "E-001"), (e2, "E-002")] {
        insert(
            &db,
            "evaluators",
            vec![
                ("id", v(id)),
                ("campaign_id", v(campaign)),
                ("code", v(code)),
                ("group_name", v("deputies")),
                ("created_at", v(now)),
            ],
        )
        .await;
    }
    let (open, closed) = (Uuid::new_v4(), Uuid::new_v4());
    for (id, status) in [(open, "open"), (closed, "closed")] {
        insert(
            &db,
            "conference_sessions",
            vec![
                ("id", v(id)),
                ("campaign_id", v(campaign)),
                ("mode", v("overall")),
                ("status", v(status)),
                ("opened_at", v(now)),
            ],
        )
        .await;
    }
    let spent = Uuid::new_v4();
    let codes = [
        (spent, open, e1, "a".repeat(64), Some(now)),
        (Uuid::new_v4(), open, e1, "b".repeat(64), None),
        (Uuid::new_v4(), open, e2, "c".repeat(64), None),
        (Uuid::new_v4(), open, e2, "d".repeat(64), None),
        (Uuid::new_v4(), closed, e1, "e".repeat(64), Some(now)),
    ];
    for (id, session, evaluator, hash, used_at) in codes {
        insert(
            &db,
            "ballot_codes",
            vec![
                ("id", v(id)),
                ("session_id", v(session)),
                ("evaluator_id", v(evaluator)),
                ("code_hash", v(hash)),
                ("used_at", v(used_at)),
            ],
        )
        .await;
    }
    let (b1, b2, b3) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    for (ballot, session, option, weight) in
        [(b1, open, "satisfied", 0.8), (b2, closed, "very_satisfied", 1.0), (b3, closed, "satisfied", 0.8)]
    {
        insert(
            &db,
            "conference_scores",
            vec![
                ("id", v(Uuid::new_v4())),
                ("session_id", v(session)),
                ("ballot_id", v(ballot)),
                ("unit_id", v(unit)),
                ("dimension", v("overall")),
                ("option_key", v(option)),
                ("weight", v(weight)),
            ],
        )
        .await;
    }
    // Invitation codes, one spent; two active exclusions of one batch.
    for (hash, used_at) in [("f".repeat(64), Some(now)), ("0".repeat(64), None)] {
        insert(
            &db,
            "invitation_codes",
            vec![
                ("id", v(Uuid::new_v4())),
                ("link_id", v(link)),
                ("code_hash", v(hash)),
                ("used_at", v(used_at)),
                ("created_at", v(now)),
            ],
        )
        .await;
    }
    let hour = now - chrono::TimeDelta::hours(3);
    for created in [now - chrono::TimeDelta::minutes(2), now] {
        insert(
            &db,
            "batch_exclusions",
            vec![
                ("id", v(Uuid::new_v4())),
                ("link_id", v(link)),
                ("hour", v(hour)),
                ("reason", v("burst")),
                ("excluded_by", v("admin")),
                ("created_at", v(created)),
            ],
        )
        .await;
    }

    // A result computed by 0.1: one ranking of everyone, one minimum for every source.
    let old_result = json!({
        "rules": {"weights": {"conference": 0.4, "third_party": 0.4, "citizen_links": 0.2, "supervision": 0.0},
            "qualified_min": 70.0, "excellent_min": 90.0, "bottom_n": 3, "min_sample": 30, "supervision_mode": "points"},
        "units": [{"unit_id": unit, "components": [
            {"source": "conference", "score": 80.0, "sample": 40, "weight": 1.0, "counted": true},
            {"source": "third_party", "score": null, "sample": null, "weight": 0.0, "counted": false},
            {"source": "citizen_links", "score": 90.0, "sample": 12, "weight": 0.0, "counted": false},
            {"source": "supervision", "score": null, "sample": null, "weight": 0.0, "counted": false}],
            "supervision_points": 0.0, "composite": 80.0, "grade": "qualified", "violation": false, "rank": 1, "bottom": true}]
    });
    let old_inputs = json!([{"unit_id": unit, "conference": {"score": 80.0, "sample": 40}, "third_party": null,
        "citizen_links": {"score": 90.0, "sample": 12}, "supervision_score": null, "supervision_points": 0.0, "violation": false}]);
    let result = Uuid::new_v4();
    insert(
        &db,
        "result_versions",
        vec![
            ("id", v(result)),
            ("campaign_id", v(campaign)),
            ("version", v(1)),
            ("status", v("approved")),
            ("inputs", v(old_inputs)),
            ("results", v(old_result)),
            ("computed_at", v(now)),
        ],
    )
    .await;
    insert(
        &db,
        "campaign_units",
        vec![
            ("campaign_id", v(campaign)),
            ("unit_id", v(unit)),
            ("role", v("district_key")),
            ("reason", v("designated")),
            ("added_at", v(now)),
        ],
    )
    .await;

    pingyi::store::connect::migrate(&db).await.unwrap();

    // One code per representative in the open session, the spent one unusable; none of the
    // closed session's.
    let kept = entity::ballot_code::Entity::find().all(&db).await.unwrap();
    assert_eq!(kept.len(), 2, "{kept:?}");
    let e1_code = kept.iter().find(|c| c.evaluator_id == e1).unwrap();
    assert_eq!(e1_code.id, spent, "the spent code stays, so that E-001 gets no second one");
    assert_ne!(e1_code.code_hash, "a".repeat(64));
    let e2_code = &kept.iter().find(|c| c.evaluator_id == e2).unwrap().code_hash;
    assert!([&"c".repeat(64), &"d".repeat(64)].contains(&e2_code), "one of E-002's codes stays usable");
    // The ballots, as sums.
    let sessions = entity::conference_session::Entity::find().all(&db).await.unwrap();
    let ballots = |id: Uuid| sessions.iter().find(|s| s.id == id).unwrap().ballots;
    assert_eq!((ballots(open), ballots(closed)), (1, 2));
    let closed_tallies = entity::conference_tally::Entity::find()
        .filter(entity::conference_tally::Column::SessionId.eq(closed))
        .all(&db)
        .await
        .unwrap();
    let mut sums: Vec<(String, i32)> = closed_tallies.iter().map(|t| (t.option_key.clone(), t.ballots)).collect();
    sums.sort();
    assert_eq!(sums, [("satisfied".to_owned(), 1), ("very_satisfied".to_owned(), 1)]);
    // The unspent invitation code stays; the batch has one active exclusion, the earlier.
    let invitations = entity::invitation_code::Entity::find().all(&db).await.unwrap();
    assert_eq!(invitations.iter().map(|c| c.code_hash.clone()).collect::<Vec<_>>(), ["0".repeat(64)]);
    let active = entity::batch_exclusion::Entity::find()
        .filter(entity::batch_exclusion::Column::UndoneAt.is_null())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(active.len(), 1);
    assert!(active[0].created_at < now);

    // Settings and kept results read as the new rules: a minimum per source, ranking groups,
    // each component's status in words.
    let settings = entity::campaign::Entity::find_by_id(campaign).one(&db).await.unwrap().unwrap().settings;
    let settings: pingyi::domain::campaign::ScoringSettings = serde_json::from_value(settings).unwrap();
    assert_eq!(
        (settings.min_samples.conference, settings.min_samples.citizen_links, settings.group_bottom_n),
        (30, 30, 0)
    );
    let member = entity::campaign_unit::Entity::find().one(&db).await.unwrap().unwrap();
    assert_eq!(member.ranking_group.as_deref(), Some("district"));
    let kept = entity::result_version::Entity::find_by_id(result).one(&db).await.unwrap().unwrap();
    let dto = pingyi::services::evaluation::results::to_dto(&db, kept).await.unwrap();
    let unit_result = &dto.units[0].result;
    assert_eq!(unit_result.group.as_deref(), Some("district"));
    let statuses: Vec<_> = unit_result.components.iter().map(|c| c.status).collect();
    use pingyi::domain::composite::ComponentStatus::*;
    assert_eq!(statuses, [Counted, NoData, BelowMinimum, AppliedAsPoints]);
    let citizens = &unit_result.components[2];
    assert_eq!(citizens.note.as_ref().map(|n| n.zh.as_str()), Some("有效样本12份，少于最低30份，未计入"));
}
