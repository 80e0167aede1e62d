//! Before and after rectification (回头看): a unit's links closed by the rectification phase
//! take answers again within the second window the office gives them, and the unit's
//! satisfaction per dimension before and within it is compared with intervals.

use chrono::{Duration, Utc};
use pingyi::auth::Role;
use pingyi_tests::{fields, problem, spawn_app};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

#[tokio::test]
async fn a_second_window_after_rectification_shows_satisfaction_before_and_after() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let other = app.unit(&admin, "jyj", "government").await;
    for member in [unit, other] {
        app.created(
            &format!("/api/v1/campaigns/{campaign}/units"),
            &admin,
            &json!({"unit_id": member, "role": "district_key"}),
        )
        .await;
    }
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let slug = app.link(&admin, questionnaire, unit, "web").await;
    let other_slug = app.link(&admin, questionnaire, other, "web").await;

    // The survey: twelve answers, mostly dissatisfied, given (as far as the store knows) a
    // month before the second window.
    for level in ["dissatisfied"; 8].into_iter().chain(["satisfied"; 4]) {
        assert_eq!(app.submit(&slug, level).await.status(), 201);
    }
    entity::response::Entity::update_many()
        .col_expr(
            entity::response::Column::SubmittedHour,
            Expr::value(pingyi::store::round_to_hour(Utc::now() - Duration::days(30))),
        )
        .filter(entity::response::Column::UnitId.eq(unit))
        .exec(&app.db)
        .await
        .unwrap();
    app.phase(&admin, campaign, "rectification").await;
    assert_eq!(app.submit(&slug, "satisfied").await.status(), 410, "the survey phase is over");

    // The second window, for this unit's links only; the office alone sets it, and sensibly.
    let path = format!("/api/v1/campaigns/{campaign}/units/{unit}/resurvey");
    let now = Utc::now().fixed_offset();
    let window = json!({"opens_at": now - Duration::minutes(1), "closes_at": now + Duration::days(20)});
    let unit_staff = app.token(Role::Unit, Some(unit)).await;
    problem(app.request(reqwest::Method::PUT, &path, Some(&unit_staff), Some(&window)).await, 403).await;
    let backwards = json!({"opens_at": now + Duration::days(1), "closes_at": now});
    let refused = problem(app.request(reqwest::Method::PUT, &path, Some(&admin), Some(&backwards)).await, 422).await;
    assert_eq!(fields(&refused), ["closes_at"]);
    let set = app.request(reqwest::Method::PUT, &path, Some(&admin), Some(&window)).await;
    assert_eq!(set.json::<Value>().await.unwrap()["links"], 1);
    assert_eq!(app.audited("campaign.resurvey_set", &campaign.to_string()).await, 1);

    for level in ["very_satisfied"; 9].into_iter().chain(["satisfied"; 3]) {
        assert_eq!(app.submit(&slug, level).await.status(), 201, "the window takes answers");
    }
    assert_eq!(app.submit(&other_slug, "satisfied").await.status(), 410, "another unit's link stays closed");

    let report: Value = app
        .get(&format!("/api/v1/campaigns/{campaign}/units/{unit}/before-after"), &unit_staff)
        .await
        .json()
        .await
        .unwrap();
    assert!(report["window"]["opens_at"].is_string());
    let overall = report["dimensions"].as_array().unwrap().iter().find(|d| d["dimension"] == "overall").unwrap();
    assert_eq!((overall["before"]["responses"].as_i64(), overall["after"]["responses"].as_i64()), (Some(12), Some(12)));
    // The template's weights: dissatisfied 0, satisfied 0.8, very satisfied 1.
    let before = overall["before"]["satisfaction_rate"].as_f64().unwrap();
    let after = overall["after"]["satisfaction_rate"].as_f64().unwrap();
    assert!((before - (4.0 * 0.8) / 12.0).abs() < 1e-3, "{before}");
    assert!((after - (9.0 + 3.0 * 0.8) / 12.0).abs() < 1e-3, "{after}");
    assert!((overall["change"].as_f64().unwrap() - (after - before)).abs() < 1e-3);
    assert_eq!(overall["clear"], true, "a change this large is beyond the intervals");
    assert!(
        overall["after"]["interval"]["low"].as_f64().unwrap() > overall["before"]["interval"]["high"].as_f64().unwrap()
    );
    assert!(report["dimensions"].as_array().unwrap().len() > 1, "every dimension, not the overall only");
    problem(app.get(&format!("/api/v1/campaigns/{campaign}/units/{other}/before-after"), &unit_staff).await, 403).await;
}

/// The console's page shows the comparison and sets the window, refusing a window that ends
/// before it starts.
#[tokio::test]
async fn the_console_sets_the_second_window_and_shows_the_comparison() {
    use super::console_browser::{Browser, account, location};
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
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let slug = app.link(&admin, questionnaire, unit, "web").await;
    for _ in 0..6 {
        assert_eq!(app.submit(&slug, "satisfied").await.status(), 201);
    }
    let clerk = account(&app, Role::Admin).await;
    let mut office = Browser::new(&app);
    office.sign_in(&clerk, pingyi_tests::PASSWORD).await;
    let page_path = format!("/console/campaigns/{campaign}/before-after");
    let page = office.get(&format!("{page_path}?unit={unit}")).await.text().await.unwrap();
    assert!(page.contains("尚未设置回头看时段") && page.contains("总体评价") && page.contains("80.0%"), "{page}");
    let csrf = office.form_token(&page_path).await;
    let unit_text = unit.to_string();
    let backwards = [
        ("csrf", csrf.as_str()),
        ("unit", &unit_text),
        ("opens_at", "2017-11-20T08:00"),
        ("closes_at", "2017-11-01T08:00"),
    ];
    let refused = office.post(&page_path, &backwards).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("结束须晚于开始"));
    let window = [
        ("csrf", csrf.as_str()),
        ("unit", &unit_text),
        ("opens_at", "2017-11-01T08:00"),
        ("closes_at", "2017-11-20T18:00"),
    ];
    let set = office.post(&page_path, &window).await;
    assert_eq!(location(&set), format!("{page_path}?unit={unit}&notice=saved"));
    let page = office.get(&format!("{page_path}?unit={unit}")).await.text().await.unwrap();
    assert!(page.contains("2017-11-01 08:00 – 2017-11-20 18:00"), "{page}");
    let links: Value = app.get(&format!("/api/v1/campaigns/{campaign}/links"), &admin).await.json().await.unwrap();
    let opens = links["items"][0]["resurvey_opens_at"].as_str().unwrap().parse::<chrono::DateTime<Utc>>().unwrap();
    assert_eq!(opens.to_rfc3339(), "2017-11-01T00:00:00+00:00", "08:00 in China");
}
