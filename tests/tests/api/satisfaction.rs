use chrono::DurationRound;

use pingyi::auth::Role;
use pingyi::domain::vocabulary::Source;
use pingyi::store::write_turn::{self, WriteTurns};
use pingyi::totals::fold::Fold;
use pingyi::totals::pending_counts::PendingCounts;
use pingyi::totals::{delta, packed, pending, summed};
use pingyi_tests::{TestApp, count_rows, problem, spawn_app};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

struct Scenario {
    app: TestApp,
    admin: String,
    campaign: Uuid,
    unit_a: Uuid,
    unit_b: Uuid,
}

/// Unit A: on the web 3 × 非常满意 (1.0), 1 × 基本满意 (0.6), 1 × 不满意 (0), 2 × 不了解;
/// by SMS 2 × 满意 (0.8). Unit B: 2 × 满意 at its window. Every other question: 满意.
async fn scenario() -> Scenario {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit_a = app.unit(&admin, "a", "government").await;
    let unit_b = app.unit(&admin, "b", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let web = app.link(&admin, questionnaire, unit_a, "web").await;
    let sms = app.link(&admin, questionnaire, unit_a, "sms").await;
    let window = app.link(&admin, questionnaire, unit_b, "window_qr").await;
    let plan = [
        (&web, "very_satisfied", 3),
        (&web, "basically_satisfied", 1),
        (&web, "dissatisfied", 1),
        (&web, "dont_know", 2),
        (&sms, "satisfied", 2),
        (&window, "satisfied", 2),
    ];
    for (slug, overall, times) in plan {
        for _ in 0..times {
            assert_eq!(app.submit(slug, overall).await.status(), 201);
        }
    }
    Scenario { app, admin, campaign, unit_a, unit_b }
}

async fn report(s: &Scenario, token: &str, kind: &str, query: &str) -> Value {
    let response = s.app.get(&format!("/api/v1/campaigns/{}/satisfaction/{kind}{query}", s.campaign), token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn cell<'a>(report: &'a Value, key: &str, value: &str) -> &'a Value {
    report["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c[key] == value)
        .unwrap_or_else(|| panic!("no cell with {key} = {value}"))
}

/// Equal to `expected` as shown: rates carry four decimals.
fn close(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or_else(|| panic!("not a number: {actual}"));
    assert_eq!(actual, (expected * 10_000.0).round() / 10_000.0, "{actual} is not {expected} to four decimals");
}

fn share(cell: &Value, option: &str) -> f64 {
    cell["levels"].as_array().unwrap().iter().find(|l| l["option"] == option).unwrap()["share"].as_f64().unwrap()
}

#[tokio::test]
async fn unit_figures_match_the_hand_computed_rate_and_interval() {
    let s = scenario().await;
    let by_unit = report(&s, &s.admin, "units", "").await;
    let a = cell(&by_unit, "unit_id", &s.unit_a.to_string());
    // 9 answers, 7 valid (不了解 left out); (3 × 1.0 + 0.6 + 0 + 2 × 0.8) / 7 = 5.2 / 7.
    assert_eq!((a["responses"].as_i64(), a["valid_answers"].as_i64()), (Some(9), Some(7)));
    // Shown to four decimals, exactly: 5.2 / 7 = 0.742857…
    assert_eq!(a["satisfaction_rate"].to_string(), "0.7429");
    // Wilson, z = 1.96, p = 0.742857, n = 7: centre 0.656806 ± 0.274024.
    assert_eq!(
        (a["interval"]["low"].to_string(), a["interval"]["high"].to_string()),
        ("0.3828".into(), "0.9308".into())
    );
    assert_eq!(share(a, "very_satisfied").to_string(), "0.3333");
    assert_eq!(share(a, "dont_know").to_string(), "0.2222");
    assert_eq!((a["unit_name"].as_str(), a["unit_code"].as_str()), (Some("单位 a"), Some("a")), "named beside the id");
    assert_eq!(a["suppressed"], false);
}

#[tokio::test]
async fn dimensions_and_channels_are_reported_separately() {
    let s = scenario().await;
    let by_dimension = report(&s, &s.admin, "dimensions", &format!("?unit_id={}", s.unit_a)).await;
    assert_eq!(by_dimension["cells"].as_array().unwrap().len(), 7, "six dimensions and overall");
    let integrity = cell(&by_dimension, "dimension", "integrity");
    assert_eq!(integrity["responses"], 9);
    close(&integrity["satisfaction_rate"], 0.8);

    let by_channel = report(&s, &s.admin, "channels", "").await;
    let web = cell(&by_channel, "channel", "web");
    // 7 answers, 5 valid: (3 + 0.6 + 0) / 5 = 0.72; Wilson (0.313402, 0.935426).
    assert_eq!((web["responses"].as_i64(), web["valid_answers"].as_i64()), (Some(7), Some(5)));
    close(&web["satisfaction_rate"], 0.72);
    close(&web["interval"]["low"], 0.313_402_000_3);
    close(&web["interval"]["high"], 0.935_425_715_2);
    close(&cell(&by_channel, "channel", "sms")["satisfaction_rate"], 0.8);
}

#[tokio::test]
async fn small_cells_are_withheld_from_everyone_but_admin() {
    let s = scenario().await;
    let b = s.unit_b.to_string();
    let admin_view = report(&s, &s.admin, "units", "").await;
    close(&cell(&admin_view, "unit_id", &b)["satisfaction_rate"], 0.8);
    let observer = s.app.token(Role::Observer, None).await;
    let observer_view = report(&s, &observer, "units", "").await;
    let hidden = cell(&observer_view, "unit_id", &b);
    assert_eq!(hidden["suppressed"], true);
    assert_eq!(hidden["responses"], 2);
    assert!(hidden["satisfaction_rate"].is_null() && hidden["interval"].is_null() && hidden["levels"].is_null());
    assert_eq!(cell(&observer_view, "unit_id", &s.unit_a.to_string())["suppressed"], false, "9 responses is enough");
}

#[tokio::test]
async fn a_unit_account_reads_its_own_unit_only() {
    let s = scenario().await;
    let own = s.app.token(Role::Unit, Some(s.unit_a)).await;
    let view = report(&s, &own, "units", "").await;
    let cells = view["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 1);
    assert_eq!(cells[0]["unit_id"], s.unit_a.to_string());
    let channels = report(&s, &own, "channels", "").await;
    assert!(
        channels["cells"].as_array().unwrap().iter().all(|c| c["channel"] != "window_qr"),
        "unit B's window is not A's"
    );
    let other =
        s.app.get(&format!("/api/v1/campaigns/{}/satisfaction/units?unit_id={}", s.campaign, s.unit_b), &own).await;
    problem(other, 403).await;
    problem(s.app.get(&format!("/api/v1/campaigns/{}/satisfaction/units", Uuid::new_v4()), &s.admin).await, 404).await;
}

/// Many citizens at once go through the group-commit writer together, some sending twice:
/// every response is stored once and the running totals agree with the stored answers.
#[tokio::test]
async fn concurrent_submissions_are_each_counted_once() {
    let s = scenario().await;
    let questionnaire = s.app.published_questionnaire(&s.admin, s.campaign, "government").await;
    let busy = s.app.link(&s.admin, questionnaire, s.unit_b, "web").await;
    let ids: Vec<Uuid> = (0..40).map(|_| Uuid::new_v4()).collect();
    let plan = ids.iter().enumerate().map(|(i, id)| (*id, if i % 2 == 0 { "very_satisfied" } else { "dont_know" }));
    // Each of the first ten is sent twice at the same moment: the second is a replay.
    let sends = plan
        .clone()
        .chain(plan.take(10))
        .map(|(id, overall)| s.app.submit_answers(&busy, id, pingyi_tests::government_answers(overall)));
    let statuses: Vec<u16> = futures_util::future::join_all(sends).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 40, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10, "{statuses:?}");
    assert_eq!(s.app.count("responses").await, 11 + 40);

    let by_unit = report(&s, &s.admin, "units", "").await;
    let b = cell(&by_unit, "unit_id", &s.unit_b.to_string());
    // Two 满意 from the scenario, twenty 非常满意 and twenty 不了解 now.
    assert_eq!((b["responses"].as_i64(), b["valid_answers"].as_i64()), (Some(42), Some(22)));
    close(&b["satisfaction_rate"], (2.0 * 0.8 + 20.0) / 22.0);
    let by_period = report(&s, &s.admin, "periods", "").await;
    let total: i64 = by_period["cells"].as_array().unwrap().iter().map(|c| c["responses"].as_i64().unwrap()).sum();
    assert_eq!(total, 11 + 40, "{by_period}");
}

/// A fold of another app on the same database, as another replica runs it: it knows
/// nothing of the batches this app recorded, and reads their responses back.
pub(crate) fn another_replicas_fold(db: &sea_orm::DatabaseConnection) -> Fold {
    Fold::new(db.clone(), WriteTurns::for_backend(db.get_database_backend()), Default::default())
}

/// Another replica's fold running beside the app's own, folding in a loop until stopped.
pub(crate) struct SecondFolder {
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl SecondFolder {
    pub(crate) fn start(db: sea_orm::DatabaseConnection) -> Self {
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = done.clone();
        let task = tokio::spawn(async move {
            let fold = another_replicas_fold(&db);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                fold.once().await.expect("a fold beside the app's own");
                tokio::task::yield_now().await;
            }
        });
        Self { done, task }
    }

    pub(crate) async fn stop(self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        self.task.await.unwrap();
    }
}

/// Folds every pending response into the totals now.
async fn until_folded(s: &Scenario) {
    s.app.jobs.fold().await;
    assert_eq!(s.app.count("satisfaction_pending").await, 0, "every pending response was folded");
}

/// Waits, for at most ten seconds, until a fold of the app has added up its batches and waits
/// to write: for the write turn on SQLite, for the campaign's totals lock on PostgreSQL.
async fn until_a_fold_waits(s: &Scenario, turns: &WriteTurns) {
    let waiting_for_the_lock = "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
                                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    for _ in 0..1000 {
        let waits = match s.app.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                let statement = sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, waiting_for_the_lock);
                let row = s.app.db.query_one_raw(statement).await.unwrap().unwrap();
                row.try_get::<i64>("", "n").unwrap() > 0
            }
            _ => turns.waiting() > 0,
        };
        if waits {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no fold came to wait for its turn within ten seconds");
}

/// A new web link to unit B, on a second questionnaire of the campaign.
async fn another_link_to_b(s: &Scenario) -> String {
    let questionnaire = s.app.published_questionnaire(&s.admin, s.campaign, "government").await;
    s.app.link(&s.admin, questionnaire, s.unit_b, "web").await
}

fn responses_of(report: &Value, unit: Uuid) -> Option<i64> {
    cell(report, "unit_id", &unit.to_string())["responses"].as_i64()
}

/// Citizens' changes to the totals are pending until a background fold merges them in.
/// A report right after each acknowledgement counts every response, whether its change was
/// folded yet or not; and nothing is counted twice, though a second folder folds the same
/// rows all along.
#[tokio::test]
async fn each_acknowledged_response_is_in_the_next_report_before_and_after_folding() {
    let s = scenario().await;
    let slug = another_link_to_b(&s).await;
    let responses_of_b = |report: &Value| responses_of(report, s.unit_b);
    let second_folder = SecondFolder::start(s.app.db.clone());
    // Long enough to span several of the app's folds (one every 200 ms).
    for sent in 1..=30 {
        assert_eq!(s.app.submit(&slug, "satisfied").await.status(), 201);
        let by_unit = report(&s, &s.admin, "units", "").await;
        assert_eq!(responses_of_b(&by_unit), Some(2 + sent), "{by_unit}");
    }
    second_folder.stop().await;
    let before = report(&s, &s.admin, "dimensions", "").await;
    until_folded(&s).await;
    assert_eq!(report(&s, &s.admin, "dimensions", "").await, before);
    assert_eq!(folded_overall_answers(&s).await, 11 + 30, "the totals now hold every response");
}

/// What a pending row of a thousand 满意 answers to unit B's overall question would add.
fn a_thousand_answers(s: &Scenario) -> pending::Counted {
    let mut counted = pending::Counted::default();
    let place = delta::AnswerPlace {
        campaign_id: s.campaign,
        unit_id: s.unit_b,
        channel: "web",
        dimension: Some("overall"),
        option_key: Some("satisfied"),
        answered_at: None,
    };
    counted.totals.count(place, delta::Counters { answers: 1000, valid: 1000, weight_sum: 800.0 });
    counted.received.insert((s.campaign, s.unit_b), 1000);
    counted
}

/// The sum of the folded answers to the overall question.
async fn folded_overall_answers(s: &Scenario) -> i64 {
    let statement =
        sea_orm::Statement::from_string(s.app.db.get_database_backend(), "SELECT counts FROM satisfaction_totals");
    let mut sum = 0;
    for row in s.app.db.query_all_raw(statement).await.unwrap() {
        let entries = packed::decode::<(String, String)>(&row.try_get::<String>("", "counts").unwrap()).unwrap();
        sum += entries.iter().filter(|((dimension, _), _)| dimension == "overall").map(|(_, c)| c.answers).sum::<i64>();
    }
    sum
}

/// Writers adding to the same totals at once (folds on two replicas, a pollster batch, an
/// exclusion) each count in full: the totals are read, added to and written back, so on
/// PostgreSQL they take turns on the campaign's advisory lock, on SQLite on its write lock.
#[tokio::test]
async fn concurrent_additions_to_the_same_totals_all_count() {
    let s = scenario().await;
    until_folded(&s).await;
    let before = folded_overall_answers(&s).await;
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (db, delta) = (s.app.db.clone(), a_thousand_answers(&s).totals);
        writers.spawn(async move {
            let txn = pingyi::store::begin_write(&db).await?;
            delta.apply(&txn, Source::CitizenLink).await?;
            txn.commit().await
        });
    }
    while let Some(written) = writers.join_next().await {
        written.unwrap().unwrap();
    }
    assert_eq!(folded_overall_answers(&s).await, before + 8_000);
}

/// A fold adds up the totals before its write turn and writes those sums only if no writer
/// changed the campaign's totals since (else it sums again): a change of any source's totals
/// in between, here a pollster's, makes them stale; folds that find nothing pending do not.
#[tokio::test]
async fn totals_summed_before_another_change_are_no_longer_current() {
    let s = scenario().await;
    until_folded(&s).await;
    let summed =
        summed::SummedTotals::read(&s.app.db, Source::CitizenLink, a_thousand_answers(&s).totals).await.unwrap();
    assert_eq!(s.app.jobs.fold().await, 0, "a fold that finds nothing pending");
    assert!(summed.is_current(&s.app.db).await.unwrap(), "nothing changed the totals yet");
    let txn = pingyi::store::begin_write(&s.app.db).await.unwrap();
    a_thousand_answers(&s).totals.apply(&txn, Source::Pollster).await.unwrap();
    txn.commit().await.unwrap();
    assert!(!summed.is_current(&s.app.db).await.unwrap(), "a pollster's answers changed the campaign's totals");
}

/// A change to the totals while a fold that has added up its batches waits to write (here
/// the test holds, around the change, the write turn on SQLite and the campaign's totals
/// lock on PostgreSQL) still counts: the fold finds its sums stale and adds up again.
#[tokio::test]
async fn a_change_while_a_fold_waits_to_write_still_counts() {
    let s = scenario().await;
    let slug = another_link_to_b(&s).await;
    until_folded(&s).await;
    let before = folded_overall_answers(&s).await;
    let (mut submitted, mut changes, mut tries) = (0, 0, 0);
    // Three times: a fold that began just before the test took the turn and the lock may
    // have had nothing to add up yet.
    while changes < 3 {
        tries += 1;
        assert!(tries <= 50, "the app's fold always folded before the test took the turn");
        for _ in 0..3 {
            assert_eq!(s.app.submit(&slug, "satisfied").await.status(), 201);
            submitted += 1;
        }
        let turns = s.app.jobs.write_turns();
        let turn = turns.take(write_turn::Holder::Fold).await;
        let txn = pingyi::store::begin_write(&s.app.db).await.unwrap();
        packed::lock(&txn, &std::collections::BTreeSet::from([s.campaign])).await.unwrap();
        if count_rows(&txn, "satisfaction_pending").await == 0 {
            continue; // folded before the test took the turn and the lock: try again
        }
        // Meanwhile the app's fold adds up the pending batches, then waits for the turn
        // (SQLite) or the lock (PostgreSQL).
        until_a_fold_waits(&s, &turns).await;
        a_thousand_answers(&s).totals.apply(&txn, Source::CitizenLink).await.unwrap();
        txn.commit().await.unwrap();
        drop(turn);
        changes += 1;
    }
    until_folded(&s).await;
    assert_eq!(folded_overall_answers(&s).await, before + submitted + 3000);
}

/// An entry an app remembers for a pending row that another replica's fold took first is
/// never counted, however often a fold finds the row gone (each fold puts it back until it
/// is too old: see `pending_counts`), and the responses around it are each counted once.
#[tokio::test]
async fn a_remembered_batch_folded_elsewhere_is_never_counted() {
    let s = scenario().await;
    let slug = another_link_to_b(&s).await;
    until_folded(&s).await;
    let counts = std::sync::Arc::new(PendingCounts::default());
    counts.remember(Uuid::new_v4(), a_thousand_answers(&s));
    let fold = Fold::new(s.app.db.clone(), WriteTurns::for_backend(s.app.db.get_database_backend()), counts);
    for _ in 0..5 {
        assert_eq!(s.app.submit(&slug, "satisfied").await.status(), 201);
    }
    fold.once().await.unwrap();
    for _ in 0..3 {
        assert_eq!(s.app.submit(&slug, "satisfied").await.status(), 201);
    }
    until_folded(&s).await;
    assert_eq!(folded_overall_answers(&s).await, 11 + 5 + 3);
    assert_eq!(responses_of(&report(&s, &s.admin, "units", "").await, s.unit_b), Some(2 + 5 + 3));
}

/// A report computed with nothing pending is kept and served again while the campaign's
/// totals are unchanged (see `totals::cache`); a fold of new responses and an exclusion each
/// change the totals, and the next report shows the change.
#[tokio::test]
async fn a_kept_report_gives_way_to_every_change_of_the_totals() {
    let s = scenario().await;
    let slug = another_link_to_b(&s).await;
    let responses_of_b = |report: &Value| responses_of(report, s.unit_b);
    until_folded(&s).await;
    let kept = report(&s, &s.admin, "units", "").await;
    assert_eq!(responses_of_b(&kept), Some(2));
    assert_eq!(report(&s, &s.admin, "units", "").await, kept);

    assert_eq!(s.app.submit(&slug, "satisfied").await.status(), 201);
    until_folded(&s).await;
    assert_eq!(responses_of_b(&report(&s, &s.admin, "units", "").await), Some(3), "the fold is counted");

    // Exclude the hour of the new link's response: its hour must be over, so move it back.
    let link = entity::survey_link::Entity::find()
        .filter(entity::survey_link::Column::Slug.eq(slug.as_str()))
        .one(&s.app.db)
        .await
        .unwrap()
        .unwrap();
    let hour = chrono::Utc::now().duration_trunc(chrono::TimeDelta::hours(1)).unwrap() - chrono::TimeDelta::hours(2);
    entity::response::Entity::update_many()
        .col_expr(entity::response::Column::SubmittedHour, Expr::value(hour.fixed_offset()))
        .filter(entity::response::Column::LinkId.eq(link.id))
        .exec(&s.app.db)
        .await
        .unwrap();
    let exclusion = serde_json::json!({"link_id": link.id, "hour": hour.to_rfc3339(), "reason": "test"});
    s.app.created("/api/v1/exclusions", &s.admin, &exclusion).await;
    assert_eq!(responses_of_b(&report(&s, &s.admin, "units", "").await), Some(2), "the exclusion is counted");
}
