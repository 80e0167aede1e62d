//! Every rule that reads before it writes, sent fifty times at once: the rule holds, the
//! losers are told why (409), and the audit log records what happened exactly once.

use pingyi::auth::Role;
use pingyi_tests::{TestApp, spawn_app};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

const AT_ONCE: usize = 50;

fn successes(statuses: &[u16]) -> usize {
    statuses.iter().filter(|s| (200..300).contains(*s)).count()
}

/// Every status is a success or 409, and `expected` succeeded.
fn one_way(statuses: &[u16], expected: usize) {
    assert_eq!(successes(statuses), expected, "{statuses:?}");
    assert!(statuses.iter().all(|s| (200..300).contains(s) || *s == 409), "{statuses:?}");
}

/// A campaign in its assessment phase with one government unit in it.
async fn assessment(app: &TestApp, admin: &str) -> (Uuid, Uuid) {
    let campaign = app.campaign(admin, 2017).await;
    let unit = app.unit(admin, "jtysj", "government").await;
    app.created(
        &format!("/api/v1/campaigns/{campaign}/units"),
        admin,
        &json!({"unit_id": unit, "role": "district_key"}),
    )
    .await;
    app.phase(admin, campaign, "rectification").await;
    app.phase(admin, campaign, "assessment").await;
    (campaign, unit)
}

#[tokio::test]
async fn a_phase_change_sent_fifty_times_happens_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let path = format!("/api/v1/campaigns/{campaign}/phase");
    let statuses =
        app.at_once(AT_ONCE, Method::POST, &path, Some(&admin), Some(&json!({"phase": "rectification"}))).await;
    one_way(&statuses, 1);
    assert_eq!(app.audited("campaign.phase_changed", &campaign.to_string()).await, 2, "survey, then rectification");
    let now: Value = app.get(&format!("/api/v1/campaigns/{campaign}"), &admin).await.json().await.unwrap();
    assert_eq!(now["phase"], "rectification");
}

#[tokio::test]
async fn approvals_sent_at_once_freeze_the_version_once_and_publishing_happens_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (campaign, _) = assessment(&app, &admin).await;
    let draft = app.created(&format!("/api/v1/campaigns/{campaign}/results"), &admin, &json!({})).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let approvers = [app.token(Role::Approver, None).await, app.token(Role::Approver, None).await];
    let path = format!("/api/v1/results/{id}/approve");
    let (first, second) = futures_util::future::join(
        app.at_once(AT_ONCE / 2, Method::POST, &path, Some(&approvers[0]), Some(&json!({}))),
        app.at_once(AT_ONCE / 2, Method::POST, &path, Some(&approvers[1]), Some(&json!({}))),
    )
    .await;
    one_way(&first, 1);
    one_way(&second, 1);
    let version: Value = app.get(&format!("/api/v1/results/{id}"), &admin).await.json().await.unwrap();
    assert_eq!(version["status"], "approved", "{version}");
    assert_eq!(version["approvals"].as_array().map(Vec::len), Some(2));
    assert_eq!(app.audited("results.approved", &id).await, 2);

    let path = format!("/api/v1/results/{id}/publish");
    let statuses = app.at_once(AT_ONCE, Method::POST, &path, Some(&admin), Some(&json!({}))).await;
    one_way(&statuses, 1);
    assert_eq!(app.audited("results.published", &id).await, 1);
}

#[tokio::test]
async fn results_computed_at_once_get_a_version_number_each() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (campaign, _) = assessment(&app, &admin).await;
    let path = format!("/api/v1/campaigns/{campaign}/results");
    let statuses = app.at_once(AT_ONCE, Method::POST, &path, Some(&admin), Some(&json!({}))).await;
    one_way(&statuses, AT_ONCE);
    let versions: Value = app.get(&path, &admin).await.json::<Value>().await.unwrap()["items"].clone();
    let mut numbers: Vec<i64> = versions.as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=AT_ONCE as i64).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_township_gets_two_key_units_however_many_are_added_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let township = app
        .created(
            "/api/v1/units",
            &admin,
            &json!({"code": "ybz", "name": "元坝镇", "category": "government", "kind": "township"}),
        )
        .await;
    let mut stations = Vec::new();
    for i in 0..6 {
        let station = json!({"code": format!("ybz-{i}"), "name": format!("站所{i}"), "category": "government", "kind": "station", "parent_id": township["id"]});
        stations.push(app.created("/api/v1/units", &admin, &station).await["id"].as_str().unwrap().to_owned());
    }
    let path = format!("/api/v1/campaigns/{campaign}/units");
    let (app_ref, path_ref, admin_ref) = (&app, &path, &admin);
    let sends = stations.iter().map(|station| async move {
        let body = json!({"unit_id": station, "role": "township_key"});
        app_ref.request(Method::POST, path_ref, Some(admin_ref), Some(&body)).await.status().as_u16()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(sends).await;
    one_way(&statuses, 2);
    let again = app
        .at_once(
            AT_ONCE,
            Method::POST,
            &path,
            Some(&admin),
            Some(&json!({"unit_id": stations[0], "role": "self_organised"})),
        )
        .await;
    assert!(successes(&again) <= 1, "{again:?}");
    let members: Value = app.get(&path, &admin).await.json::<Value>().await.unwrap()["items"].clone();
    let keys = members.as_array().unwrap().iter().filter(|m| m["role"] == "township_key").count();
    assert_eq!(keys, 2, "{members}");
    assert_eq!(members.as_array().unwrap().len(), 2 + successes(&again));
    assert_eq!(
        app.audited("campaign.unit_added", &campaign.to_string()).await,
        members.as_array().unwrap().len() as u64
    );
}

#[tokio::test]
async fn a_batch_excluded_fifty_times_at_once_is_excluded_once_and_undone_once() {
    use chrono::{DurationRound, TimeDelta, Utc};
    use sea_orm::sea_query::Expr;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let link = app.link_with(&admin, questionnaire, unit, "web", pingyi_tests::relaxed_controls()).await;
    let (slug, link_id) = (link["slug"].as_str().unwrap(), link["id"].as_str().unwrap().to_owned());
    for _ in 0..4 {
        assert_eq!(app.submit(slug, "satisfied").await.status(), 201);
    }
    let hour = (Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap() - TimeDelta::hours(2)).fixed_offset();
    entity::response::Entity::update_many()
        .col_expr(entity::response::Column::SubmittedHour, Expr::value(hour))
        .filter(entity::response::Column::LinkId.eq(link_id.parse::<Uuid>().unwrap()))
        .exec(&app.db)
        .await
        .unwrap();
    app.jobs.fold().await;
    let responses = || async {
        let report: Value =
            app.get(&format!("/api/v1/campaigns/{campaign}/satisfaction/units"), &admin).await.json().await.unwrap();
        report["cells"][0]["responses"].as_i64().unwrap_or(0)
    };
    assert_eq!(responses().await, 4);

    let body = json!({"link_id": link_id, "hour": hour.to_rfc3339(), "reason": "一小时内同一窗口提交异常"});
    let statuses = app.at_once(AT_ONCE, Method::POST, "/api/v1/exclusions", Some(&admin), Some(&body)).await;
    one_way(&statuses, 1);
    let active = entity::batch_exclusion::Entity::find()
        .filter(entity::batch_exclusion::Column::UndoneAt.is_null())
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(responses().await, 0, "excluded once, not once per request");
    let exclusion = active[0].id.to_string();
    assert_eq!(app.audited("batch.excluded", &exclusion).await, 1);

    let path = format!("/api/v1/exclusions/{exclusion}/undo");
    let statuses = app.at_once(AT_ONCE, Method::POST, &path, Some(&admin), Some(&json!({}))).await;
    one_way(&statuses, 1);
    assert_eq!(responses().await, 4, "restored once");
    assert_eq!(app.audited("batch.exclusion_undone", &exclusion).await, 1);
    app.created("/api/v1/exclusions", &admin, &body).await;
    assert_eq!(responses().await, 0, "an undone batch can be excluded again");
}

#[tokio::test]
async fn representatives_get_one_code_each_however_often_codes_are_issued() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (campaign, _) = assessment(&app, &admin).await;
    let path = format!("/api/v1/campaigns/{campaign}/evaluators");
    let statuses =
        app.at_once(10, Method::POST, &path, Some(&admin), Some(&json!({"group": "deputies", "count": 1}))).await;
    one_way(&statuses, 10);
    let evaluators: Value = app.get(&path, &admin).await.json::<Value>().await.unwrap()["items"].clone();
    let mut codes: Vec<&str> = evaluators.as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), 10, "numbered one after the other: {evaluators}");

    let session = app
        .created(&format!("/api/v1/campaigns/{campaign}/conference/sessions"), &admin, &json!({"mode": "overall"}))
        .await;
    let session = session["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/conference/sessions/{session}/codes");
    let sends = (0..AT_ONCE).map(|_| async {
        let response = app.request(Method::POST, &path, Some(&admin), Some(&json!({}))).await;
        assert!(response.status().is_success(), "{}", response.status());
        response.json::<Value>().await.unwrap().as_array().unwrap().len()
    });
    let issued: usize = futures_util::future::join_all(sends).await.iter().sum();
    assert_eq!(issued, 10, "one code per representative over all requests");
    let stored = entity::ballot_code::Entity::find()
        .filter(entity::ballot_code::Column::SessionId.eq(session.parse::<Uuid>().unwrap()))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 10);

    let path = format!("/api/v1/conference/sessions/{session}/close");
    let statuses = app.at_once(AT_ONCE, Method::POST, &path, Some(&admin), Some(&json!({}))).await;
    one_way(&statuses, 1);
    assert_eq!(app.audited("conference.closed", &session).await, 1);
}

#[tokio::test]
async fn figures_pushed_at_once_leave_one_current_figure() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (campaign, unit) = assessment(&app, &admin).await;
    let pollster =
        app.client_token(&admin, &json!({"name": "第三方", "role": "pollster", "campaign_ids": [campaign]})).await.1;
    let figure = json!({"unit_id": unit, "satisfaction_rate": 0.9, "sample_size": 400, "method": "CATI", "field_period": {"starts_on": "2017-08-01", "ends_on": "2017-08-31"}});
    let path = format!("/api/v1/campaigns/{campaign}/pollster/figures");
    let statuses = app.at_once(AT_ONCE, Method::POST, &path, Some(&pollster), Some(&figure)).await;
    assert_eq!(successes(&statuses), AT_ONCE, "each push supersedes the one before: {statuses:?}");
    let current = entity::pollster_figure::Entity::find()
        .filter(entity::pollster_figure::Column::SupersededAt.is_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(current, 1);
}

#[tokio::test]
async fn a_questionnaire_published_fifty_times_is_published_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let draft = app
        .created(&format!("/api/v1/campaigns/{campaign}/questionnaires"), &admin, &json!({"category": "government"}))
        .await;
    let id = draft["id"].as_str().unwrap();
    let path = format!("/api/v1/questionnaires/{id}/publish");
    let statuses = app.at_once(AT_ONCE, Method::POST, &path, Some(&admin), Some(&json!({}))).await;
    one_way(&statuses, 1);
}

#[tokio::test]
async fn two_admins_shutting_each_other_at_once_leave_one_enabled() {
    let app = spawn_app().await;
    let (first, second) = (app.admin().await, app.admin().await);
    let (a, b) = (pingyi_tests::subject_of(&first), pingyi_tests::subject_of(&second));
    // Each admin tries to disable the other.
    let (disable_a, disable_b) = (format!("/api/v1/accounts/{a}/disable"), format!("/api/v1/accounts/{b}/disable"));
    let sends = (0..AT_ONCE).map(|n| {
        let (token, path) = if n % 2 == 0 { (&first, &disable_b) } else { (&second, &disable_a) };
        app.request(Method::POST, path, Some(token), None)
    });
    let statuses: Vec<u16> = futures_util::future::join_all(sends).await.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|s| [200, 401, 409].contains(s)), "{statuses:?}");
    let after: Value = app.get("/api/v1/accounts", &app.admin().await).await.json().await.unwrap();
    let disabled: Vec<&Value> =
        after["items"].as_array().unwrap().iter().filter(|account| account["disabled_at"].is_string()).collect();
    assert_eq!(disabled.len(), 1, "{after}");
    let audited = app.audited("account.disabled", &a).await + app.audited("account.disabled", &b).await;
    assert_eq!(audited, 1);
}

/// A pollster's push holds its campaign and then adds to the totals, which a fold on another
/// connection may be writing at that moment: the two must not wait on each other (on
/// PostgreSQL such a wait was a deadlock, and the push a 500).
#[tokio::test]
async fn pollster_pushes_and_folds_at_once_all_go_through() {
    let w = crate::pollster::world().await;
    let (_, pollster) = w.client("pollster", None).await;
    let slug = w.app.link_with(&w.admin, w.questionnaire, w.unit, "web", pingyi_tests::relaxed_controls()).await;
    let slug = slug["slug"].as_str().unwrap().to_owned();
    let mut pushed = 0;
    for round in 0..10 {
        for _ in 0..3 {
            assert_eq!(w.app.submit(&slug, "satisfied").await.status(), 201);
        }
        let pushes = (0..AT_ONCE / 5).map(|n| w.push(&pollster, vec![w.item(&format!("r{round}-{n}"), "satisfied")]));
        let (statuses, _) = tokio::join!(futures_util::future::join_all(pushes), async {
            for _ in 0..4 {
                w.app.jobs.fold().await;
            }
        });
        let statuses: Vec<u16> = statuses.iter().map(|r| r.status().as_u16()).collect();
        assert!(statuses.iter().all(|s| *s == 200), "round {round}: {statuses:?}");
        pushed += statuses.len();
    }
    assert_eq!(w.app.count("pollster_responses").await, i64::try_from(pushed).unwrap());
}
