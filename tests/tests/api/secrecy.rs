//! Secret ballots and invitation answers, attacked as someone who reads the database and knows
//! who got which code would: the code rows before and after spending, every time column, the
//! physical order of what spending writes, and the obvious ways to turn a code into its tag.

use pingyi_tests::{TestApp, captured_logs, government_answers, spawn_app};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryOrder, Statement};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The columns of `table`, sorted.
async fn columns(app: &TestApp, table: &str) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!(
            "SELECT column_name::text AS c FROM information_schema.columns WHERE table_name = '{table}' ORDER BY 1"
        ),
        _ => format!("SELECT name AS c FROM pragma_table_info('{table}') ORDER BY 1"),
    };
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    rows.iter().map(|row| row.try_get::<String>("", "c").unwrap()).collect()
}

/// One text column of `table`'s rows in physical order (SQLite `rowid`, PostgreSQL `ctid`).
async fn in_physical_order(app: &TestApp, table: &str, column: &str) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let order = if backend == DbBackend::Postgres { "ctid" } else { "rowid" };
    let sql = format!("SELECT CAST({column} AS TEXT) AS v FROM {table} ORDER BY {order}");
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    rows.iter().map(|row| row.try_get::<String>("", "v").unwrap()).collect()
}

/// What an attacker who knows a code would try as its spend tag, without the service's key.
fn guesses(scope: Uuid, code: &str) -> Vec<String> {
    let normal: String = code.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_uppercase();
    let sha = |parts: &[&[u8]]| {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part);
        }
        format!("{:x}", hasher.finalize())
    };
    vec![
        sha(&[normal.as_bytes()]),
        sha(&[code.as_bytes()]),
        sha(&[scope.as_bytes(), normal.as_bytes()]),
        sha(&[scope.as_bytes(), &[0], normal.as_bytes(), &[0]]),
        sha(&[scope.to_string().as_bytes(), normal.as_bytes()]),
    ]
}

#[tokio::test]
async fn a_ballot_cannot_be_traced_to_its_representative() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    app.created(
        &format!("/api/v1/campaigns/{campaign}/units"),
        &admin,
        &json!({"unit_id": unit, "role": "district_key"}),
    )
    .await;
    app.phase(&admin, campaign, "rectification").await;
    app.phase(&admin, campaign, "assessment").await;
    app.created(&format!("/api/v1/campaigns/{campaign}/evaluators"), &admin, &json!({"group": "deputies", "count": 3}))
        .await;
    let session = app
        .created(&format!("/api/v1/campaigns/{campaign}/conference/sessions"), &admin, &json!({"mode": "overall"}))
        .await;
    let session_id: Uuid = session["id"].as_str().unwrap().parse().unwrap();
    let slips = app.created(&format!("/api/v1/conference/sessions/{session_id}/codes"), &admin, &json!({})).await;
    // The attacker kept the slips: which representative got which code.
    let slips: Vec<(String, String)> = slips
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["evaluator_code"].as_str().unwrap().to_owned(), s["ballot_code"].as_str().unwrap().to_owned()))
        .collect();
    let codes_before =
        entity::ballot_code::Entity::find().order_by_asc(entity::ballot_code::Column::Id).all(&app.db).await.unwrap();
    let tallies_before = in_physical_order(&app, "conference_tallies", "option_key").await;

    // Each representative, in turn, chooses an option no one else does.
    let choices = ["very_satisfied", "basically_satisfied", "dissatisfied"];
    for ((_, code), option) in slips.iter().zip(choices) {
        let ballot = json!({"code": code, "scores": [{"unit_id": unit, "dimension": "overall", "option": option}]});
        let cast = app
            .request(Method::POST, &format!("/api/v1/public/conference/{session_id}/ballots"), None, Some(&ballot))
            .await;
        assert_eq!(cast.status(), 201);
    }

    // The codes' rows did not change when they were spent.
    let codes_after =
        entity::ballot_code::Entity::find().order_by_asc(entity::ballot_code::Column::Id).all(&app.db).await.unwrap();
    assert_eq!(codes_before, codes_after);
    // No ballot is stored as such, and nothing about spending holds a time.
    assert_eq!(columns(&app, "ballot_codes").await, ["code_hash", "evaluator_id", "id", "session_id"]);
    assert_eq!(columns(&app, "ballot_spends").await, ["session_id", "tag"]);
    assert_eq!(
        columns(&app, "conference_tallies").await,
        ["ballots", "dimension", "option_key", "session_id", "unit_id", "weight"]
    );
    // The spend tags, in any order, cannot be made from the codes without the service's key.
    let tags = in_physical_order(&app, "ballot_spends", "tag").await;
    assert_eq!(tags.len(), 3);
    for (_, code) in &slips {
        assert!(guesses(session_id, code).iter().all(|guess| !tags.contains(guess)), "a tag made without the key");
    }

    app.created(&format!("/api/v1/conference/sessions/{session_id}/close"), &admin, &json!({})).await;
    // Once closed, the tallies' physical order is the order of their keys, whatever order the
    // ballots came in; the codes and their spending are gone.
    let tallies_after = in_physical_order(&app, "conference_tallies", "option_key").await;
    let mut sorted = tallies_after.clone();
    sorted.sort();
    assert_eq!(tallies_after, sorted);
    assert_eq!(tallies_before.len(), tallies_after.len(), "a row per option from the start");
    assert_eq!((app.count("ballot_codes").await, app.count("ballot_spends").await), (0, 0));
    // The tally has the sums and nothing else.
    let tally: Value = app
        .request(Method::GET, &format!("/api/v1/public/conference/{session_id}/tally"), None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tally["ballots"], 3);
    let logs = captured_logs();
    assert!(slips.iter().all(|(_, code)| !logs.contains(code.as_str())), "no code in the log");
}

#[tokio::test]
async fn a_response_cannot_be_traced_to_its_invitation_code() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let mut controls = pingyi_tests::relaxed_controls();
    controls["requires_invitation"] = json!(true);
    let link = app.link_with(&admin, questionnaire, unit, "on_site", controls).await;
    let link_id: Uuid = link["id"].as_str().unwrap().parse().unwrap();
    let slug = link["slug"].as_str().unwrap();
    let issued = app.created(&format!("/api/v1/links/{link_id}/invitations"), &admin, &json!({"count": 5})).await;
    // The attacker knows who got which code.
    let codes: Vec<String> =
        issued["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    let before = entity::invitation_code::Entity::find()
        .order_by_asc(entity::invitation_code::Column::Id)
        .all(&app.db)
        .await
        .unwrap();

    let options = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"];
    for (code, option) in codes.iter().zip(options) {
        let body =
            json!({"submission_id": Uuid::new_v4(), "answers": government_answers(option), "invitation_code": code});
        let sent =
            app.request(Method::POST, &format!("/api/v1/public/surveys/{slug}/responses"), None, Some(&body)).await;
        assert_eq!(sent.status(), 201);
    }
    let spent_again = json!({"submission_id": Uuid::new_v4(), "answers": government_answers("satisfied"), "invitation_code": codes[0]});
    let refused =
        app.request(Method::POST, &format!("/api/v1/public/surveys/{slug}/responses"), None, Some(&spent_again)).await;
    assert_eq!(refused.status(), 403, "a code counts once");

    let after = entity::invitation_code::Entity::find()
        .order_by_asc(entity::invitation_code::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(before, after, "spending changed no code's row");
    assert_eq!(columns(&app, "invitation_codes").await, ["code_hash", "created_at", "id", "link_id"]);
    assert_eq!(columns(&app, "invitation_spends").await, ["link_id", "tag"]);
    let tags = in_physical_order(&app, "invitation_spends", "tag").await;
    assert_eq!(tags.len(), 5);
    for code in &codes {
        assert!(guesses(link_id, code).iter().all(|guess| !tags.contains(guess)), "a tag made without the key");
    }
    let logs = captured_logs();
    assert!(codes.iter().all(|code| !logs.contains(code.as_str())), "no code in the log");
}
