use pingyi_tests::{TestApp, fields, government_answers, problem, spawn_app};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

/// An app with one published government questionnaire and a web link for one unit.
pub(crate) async fn with_link() -> (TestApp, String, String, Uuid) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let slug = app.link(&admin, questionnaire, unit, "web").await;
    (app, admin, slug, questionnaire)
}

#[tokio::test]
async fn the_questionnaire_behind_a_link_is_public_in_chinese_or_english() {
    let (app, _, slug, questionnaire) = with_link().await;
    let zh: Value =
        app.request(Method::GET, &format!("/api/v1/public/surveys/{slug}"), None, None).await.json().await.unwrap();
    assert_eq!((zh["lang"].as_str(), zh["unit_name"].as_str()), (Some("zh-CN"), Some("单位 jtysj")));
    assert_eq!(zh["questionnaire_id"], questionnaire.to_string());
    assert_eq!(zh["questions"][6]["text"], "您对该单位的总体评价");
    assert_eq!(zh["questions"][6]["options"][2]["label"], "基本满意");
    assert!(zh["questions"][6]["options"][0].get("weight").is_none(), "weights are not shown to citizens");
    let en: Value = app
        .request(Method::GET, &format!("/api/v1/public/surveys/{slug}?lang=en"), None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(en["questions"][6]["options"][5]["label"], "Don't know");
    let by_header = app
        .client
        .get(app.url(&format!("/api/v1/public/surveys/{slug}")))
        .header("accept-language", "en-GB,en;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.json::<Value>().await.unwrap()["lang"], "en");
    problem(app.request(Method::GET, "/api/v1/public/surveys/doesnotexist", None, None).await, 404).await;
}

#[tokio::test]
async fn a_response_is_stored_anonymously_with_the_hour_only() {
    let (app, _, slug, questionnaire) = with_link().await;
    let mut answers = government_answers("basically_satisfied");
    answers["suggestions"] = json!("窗口排队时间可以再短一些\n谢谢");
    let response = app
        .client
        .post(app.url(&format!("/api/v1/public/surveys/{slug}/responses")))
        .header("user-agent", "Mozilla/5.0 (TestPhone; like Gecko) Marker-UA-1234")
        .header("x-forwarded-for", "203.0.113.77")
        .json(&json!({"submission_id": Uuid::new_v4(), "answers": answers}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let receipt: Value = response.json().await.unwrap();
    assert_eq!(receipt["replayed"], false);
    let submission_id: Uuid = serde_json::from_value(receipt["submission_id"].clone()).unwrap();
    let hour = receipt["submitted_hour"].as_str().unwrap();
    assert!(hour.contains(":00:00"), "rounded to the hour: {hour}");

    let stored = entity::response::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    let row = &stored[0];
    assert_eq!(row.id, pingyi::intake::response_ids::for_submission(submission_id), "a hash, not time-ordered");
    assert_eq!(row.questionnaire_id, questionnaire);
    assert_eq!(row.submitted_hour.format("%M:%S").to_string(), "00:00");
    let everything = format!("{stored:?}");
    for marker in ["203.0.113.77", "Marker-UA-1234", "127.0.0.1"] {
        assert!(!everything.contains(marker), "{marker} must not be stored");
    }
    let answers = pingyi::store::answers::unpack(&row.answers).unwrap();
    assert_eq!(answers.len(), 8);
    let overall = answers.iter().find(|a| a.question_key == "overall").unwrap();
    assert_eq!((overall.option_key.as_deref(), overall.weight), (Some("basically_satisfied"), Some(0.6)));
    let text = answers.iter().find(|a| a.question_key == "suggestions").unwrap();
    assert_eq!(text.text.as_deref(), Some("窗口排队时间可以再短一些\n谢谢"));
}

#[tokio::test]
async fn a_replayed_submission_returns_the_original_outcome_without_a_second_row() {
    let (app, _, slug, _) = with_link().await;
    let id = Uuid::new_v4();
    let first = app.submit_answers(&slug, id, government_answers("satisfied")).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = app.submit_answers(&slug, id, government_answers("satisfied")).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!((again["response_id"].clone(), again["replayed"].clone()), (first["response_id"].clone(), json!(true)));
    let conflict = problem(app.submit_answers(&slug, id, government_answers("dissatisfied")).await, 409).await;
    assert!(conflict["detail"].as_str().unwrap().contains("different answers"));
    assert_eq!(app.count("responses").await, 1);
}

/// Every batch records the responses it stored, to be counted into the running totals (by a
/// restarted process from these records alone). A retry's response id is its stored
/// response's, so a batch holding only a retry must record nothing, or that response would
/// be counted twice.
#[tokio::test]
async fn a_retry_is_never_recorded_to_be_counted_again() {
    let (app, _, slug, _) = with_link().await;
    let log = match app.db.get_database_backend() {
        DbBackend::Sqlite => {
            "CREATE TABLE pending_log (response_ids TEXT NOT NULL); \
             CREATE TRIGGER log_pending AFTER INSERT ON satisfaction_pending \
             BEGIN INSERT INTO pending_log VALUES (NEW.response_ids); END"
        }
        _ => {
            "CREATE TABLE pending_log (response_ids text NOT NULL); \
             CREATE FUNCTION log_pending() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN INSERT INTO pending_log VALUES (NEW.response_ids); RETURN NEW; END $$; \
             CREATE TRIGGER log_pending AFTER INSERT ON satisfaction_pending \
             FOR EACH ROW EXECUTE FUNCTION log_pending()"
        }
    };
    app.db.execute_unprepared(log).await.unwrap();
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    let mut stored = Vec::new();
    for (submission, status) in [(first, 201), (first, 200), (second, 201), (first, 200)] {
        let response = app.submit_answers(&slug, submission, government_answers("satisfied")).await;
        assert_eq!(response.status(), status);
        let receipt: Value = response.json().await.unwrap();
        if status == 201 {
            stored.push(receipt["response_id"].as_str().unwrap().to_owned());
        }
    }
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT response_ids FROM pending_log",
        ))
        .await
        .unwrap();
    let mut recorded: Vec<String> = rows
        .iter()
        .flat_map(|row| {
            serde_json::from_str::<Vec<String>>(&row.try_get::<String>("", "response_ids").unwrap()).unwrap()
        })
        .collect();
    recorded.sort();
    stored.sort();
    assert_eq!(recorded, stored, "each stored response recorded once, retries never");
}

#[tokio::test]
async fn concurrent_sends_of_one_submission_store_it_once() {
    let (app, _, slug, _) = with_link().await;
    let id = Uuid::new_v4();
    let sends = (0..8).map(|_| app.submit_answers(&slug, id, government_answers("satisfied")));
    let statuses: Vec<u16> = futures_util::future::join_all(sends).await.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 200 || *s == 201), "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(app.count("responses").await, 1);
}

/// Has the database refuse every response row (on SQLite written after the batch's pending
/// record, in the same script); returns the statement that ends it.
async fn refuse_responses(app: &TestApp) -> &'static str {
    let (sql, end) = match app.db.get_database_backend() {
        DbBackend::Sqlite => (
            "CREATE TRIGGER refuse_responses BEFORE INSERT ON responses \
             BEGIN SELECT RAISE(ABORT, 'refused for the test'); END",
            "DROP TRIGGER refuse_responses",
        ),
        _ => (
            "CREATE FUNCTION refuse_responses() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$; \
             CREATE TRIGGER refuse_responses BEFORE INSERT ON responses \
             FOR EACH ROW EXECUTE FUNCTION refuse_responses()",
            "DROP TRIGGER refuse_responses ON responses",
        ),
    };
    app.db.execute_unprepared(sql).await.unwrap();
    end
}

// On SQLite the batch is a script with its own BEGIN and COMMIT: one that stops part-way
// must be rolled back, or the responses written before the failure would stay in an open
// transaction and the writer's next batch could not begin.
#[tokio::test]
async fn a_batch_that_fails_part_way_stores_nothing_and_the_next_one_is_stored() {
    let (app, _, slug, _) = with_link().await;
    let end_refusal = refuse_responses(&app).await;
    let failed = app.submit_answers(&slug, Uuid::new_v4(), government_answers("satisfied")).await;
    assert!(failed.status().is_server_error(), "{}", failed.status());
    app.db.execute_unprepared(end_refusal).await.unwrap();
    assert_eq!(app.count("responses").await, 0);

    let stored = app.submit_answers(&slug, Uuid::new_v4(), government_answers("satisfied")).await;
    assert_eq!(stored.status(), 201);
    assert_eq!(app.count("responses").await, 1);
}

// On SQLite a response is answered only once the write-ahead log has been synced after its
// commit (PostgreSQL syncs in the commit itself). With the log's name pointing nowhere no
// sync can succeed, so the citizen gets 503 with Retry-After, never 201.
#[tokio::test]
async fn a_response_is_not_acknowledged_before_the_log_is_synced() {
    let (app, _, slug, _) = with_link().await;
    let Some(dir) = app.sqlite_dir() else { return };
    assert_eq!(app.submit(&slug, "satisfied").await.status(), 201);
    // SQLite keeps writing to the log it has open; the path names a file that cannot exist
    // (nor be created by a new connection), so the sync's open fails.
    let log = dir.join("pingyi.db-wal");
    std::fs::remove_file(&log).unwrap();
    std::os::unix::fs::symlink(dir.join("no-such-dir").join("log"), &log).unwrap();
    let refused = app.submit(&slug, "satisfied").await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(problem(refused, 503).await["type"], "/problems/unavailable");
}

#[tokio::test]
async fn bad_answers_are_named_and_nothing_is_stored() {
    let (app, _, slug, _) = with_link().await;
    let mut answers = government_answers("great");
    answers.as_object_mut().unwrap().remove("integrity");
    answers["colour"] = json!("blue");
    let p = problem(app.submit_answers(&slug, Uuid::new_v4(), answers).await, 422).await;
    assert_eq!(fields(&p), ["answers.colour", "answers.integrity", "answers.overall"]);

    let mut nul = government_answers("satisfied");
    nul["suggestions"] = json!("bad\u{0}text");
    assert_eq!(
        fields(&problem(app.submit_answers(&slug, Uuid::new_v4(), nul).await, 422).await),
        ["answers.suggestions"]
    );
    let mut long = government_answers("satisfied");
    long["suggestions"] = json!("长".repeat(1001));
    assert_eq!(
        fields(&problem(app.submit_answers(&slug, Uuid::new_v4(), long).await, 422).await),
        ["answers.suggestions"]
    );
    let not_a_string = json!({"submission_id": Uuid::new_v4(), "answers": {"overall": 5}});
    let p = problem(
        app.request(Method::POST, &format!("/api/v1/public/surveys/{slug}/responses"), None, Some(&not_a_string)).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["answers.overall"]);
    let no_id = json!({"answers": government_answers("satisfied")});
    problem(
        app.request(Method::POST, &format!("/api/v1/public/surveys/{slug}/responses"), None, Some(&no_id)).await,
        422,
    )
    .await;
    assert_eq!(app.count("responses").await, 0);
}

#[tokio::test]
async fn closed_revoked_unopened_and_unpublished_links_refuse_responses() {
    let (app, admin, slug, questionnaire) = with_link().await;
    let unit = app.unit(&admin, "jyj", "government").await;
    let path = format!("/api/v1/questionnaires/{questionnaire}/links");
    let later = app
        .created(&path, &admin, &json!({"unit_id": unit, "channel": "sms", "opens_at": "2099-01-01T00:00:00Z"}))
        .await;
    problem(app.submit(later["slug"].as_str().unwrap(), "satisfied").await, 409).await;
    let past = app
        .created(&path, &admin, &json!({"unit_id": unit, "channel": "on_site", "closes_at": "2000-01-01T00:00:00Z"}))
        .await;
    problem(app.submit(past["slug"].as_str().unwrap(), "satisfied").await, 410).await;
    problem(
        app.request(Method::GET, &format!("/api/v1/public/surveys/{}", past["slug"].as_str().unwrap()), None, None)
            .await,
        410,
    )
    .await;

    let revocable = app.created(&path, &admin, &json!({"unit_id": unit, "channel": "web"})).await;
    assert_eq!(app.submit(revocable["slug"].as_str().unwrap(), "satisfied").await.status(), 201);
    app.created(&format!("/api/v1/links/{}/revoke", revocable["id"].as_str().unwrap()), &admin, &json!({})).await;
    let gone = problem(app.submit(revocable["slug"].as_str().unwrap(), "satisfied").await, 410).await;
    assert!(gone["detail"].as_str().unwrap().contains("withdrawn"));

    assert_eq!(app.submit(&slug, "satisfied").await.status(), 201);
    app.created(&format!("/api/v1/questionnaires/{questionnaire}/close"), &admin, &json!({})).await;
    problem(app.submit(&slug, "satisfied").await, 410).await;
    assert_eq!(app.count("responses").await, 2);
}

#[tokio::test]
async fn a_submission_id_that_is_not_random_is_refused_and_nothing_is_kept() {
    let (app, _, slug, _) = with_link().await;
    // Version 1: a time and the MAC address of the machine that made it.
    let time_based: Uuid = "c232ab00-9414-11ec-b3c8-9f6bdeced846".parse().unwrap();
    for id in [time_based, Uuid::nil(), Uuid::from_u128(7)] {
        let refused = problem(app.submit_answers(&slug, id, government_answers("satisfied")).await, 422).await;
        assert_eq!(fields(&refused), ["submission_id"]);
    }
    assert_eq!(app.count("responses").await, 0);
    assert_eq!(app.submit_answers(&slug, Uuid::new_v4(), government_answers("satisfied")).await.status(), 201);
}
