//! The console's pages for running the year over HTTP: making links and setting their times
//! and controls, the API clients (secret shown once, rotated, disabled) with what a pollster
//! pushed, and the rectification board with its overdue marks.

use pingyi::auth::Role;
use pingyi_tests::{PASSWORD, spawn_app};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::console_browser::{Browser, account, location};

#[tokio::test]
async fn the_office_makes_a_link_and_sets_its_times_and_controls_in_the_console() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let company = app.unit(&admin, "gdgs", "public_service").await;
    for member in [unit, company] {
        let body = json!({"unit_id": member, "role": "district_key"});
        app.created(&format!("/api/v1/campaigns/{campaign}/units"), &admin, &body).await;
    }
    let mut office = Browser::new(&app);
    office.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let page = format!("/console/campaigns/{campaign}/links");
    let csrf = office.form_token(&page).await;
    let form = |unit: Uuid, opens: &str, closes: &str| {
        vec![
            ("csrf".to_owned(), csrf.clone()),
            ("questionnaire".to_owned(), questionnaire.to_string()),
            ("unit".to_owned(), unit.to_string()),
            ("channel".to_owned(), "window_qr".to_owned()),
            ("opens".to_owned(), opens.to_owned()),
            ("closes".to_owned(), closes.to_owned()),
        ]
    };
    let backwards = office.post_pairs(&page, &form(unit, "2017-07-01T08:00", "2017-06-21T08:00")).await;
    assert_eq!(backwards.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(backwards.text().await.unwrap().contains("<a href=\"#closes\">截止时间须晚于开始时间。</a>"));
    let not_a_time = office.post_pairs(&page, &form(unit, "next week", "")).await;
    assert!(not_a_time.text().await.unwrap().contains("<a href=\"#opens\">时间须为 年-月-日 时:分。</a>"));
    let wrong_category = office.post_pairs(&page, &form(company, "", "")).await;
    assert!(wrong_category.text().await.unwrap().contains("这个单位的类别和问卷的类别不同。"));
    let links = || async {
        entity::survey_link::Entity::find()
            .filter(entity::survey_link::Column::QuestionnaireId.eq(questionnaire))
            .all(&app.db)
            .await
            .unwrap()
    };
    assert!(links().await.is_empty(), "nothing is made from a refused form");

    let made = office.post_pairs(&page, &form(unit, "2017-06-21T08:00", "")).await;
    assert_eq!(location(&made), format!("{page}?notice=created"));
    let link = links().await.remove(0);
    let expected = chrono::DateTime::parse_from_rfc3339("2017-06-21T08:00:00+08:00").unwrap();
    assert_eq!(link.opens_at, Some(expected), "read as China Standard Time");
    assert_eq!(link.closes_at, None);
    let again = office.post_pairs(&page, &form(unit, "", "")).await;
    assert!(again.text().await.unwrap().contains("这份问卷已经有这个单位这种渠道的链接。"));

    let settings = format!("/console/links/{}", link.id);
    let shown = office.get(&settings).await.text().await.unwrap();
    assert!(shown.contains("name=\"opens\" value=\"2017-06-21T08:00\""), "shown in China Standard Time");
    let window = office
        .post(&format!("{settings}/window"), &[("csrf", &csrf), ("opens", ""), ("closes", "2017-07-20T18:00")])
        .await;
    assert_eq!(location(&window), format!("{settings}?notice=saved"));
    let api = app.get(&format!("/api/v1/links/{}", link.id), &admin).await.json::<serde_json::Value>().await.unwrap();
    assert_eq!(api["opens_at"], serde_json::Value::Null);
    let closes = chrono::DateTime::parse_from_rfc3339(api["closes_at"].as_str().unwrap()).unwrap();
    assert_eq!(closes, chrono::DateTime::parse_from_rfc3339("2017-07-20T18:00:00+08:00").unwrap());

    let controls = format!("{settings}/controls");
    let bad = office.post(&controls, &[("csrf", &csrf), ("rate", "0"), ("cap", "-1"), ("duplicate", "600")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = bad.text().await.unwrap();
    assert!(
        bad.contains("<a href=\"#rate\">")
            && bad.contains("<a href=\"#cap\">")
            && !bad.contains("<a href=\"#duplicate\">")
    );
    let saved = office
        .post(&controls, &[("csrf", &csrf), ("rate", "1200"), ("cap", ""), ("duplicate", "0"), ("kiosk", "on")])
        .await;
    assert_eq!(location(&saved), format!("{settings}?notice=saved"));
    let stored = entity::survey_link::Entity::find_by_id(link.id).one(&app.db).await.unwrap().unwrap();
    assert_eq!((stored.rate_limit_per_hour, stored.daily_cap, stored.duplicate_window_seconds), (1200, None, 0));
    assert!(stored.kiosk && !stored.requires_invitation);

    let mut observer = Browser::new(&app);
    observer.sign_in(&account(&app, Role::Observer).await, PASSWORD).await;
    let read = observer.get(&settings).await.text().await.unwrap();
    assert!(read.contains(" disabled") && !read.contains("保存接收时间"), "an observer only reads");
    let observer_csrf = observer.form_token("/console/").await;
    let refused = observer.post(&format!("{settings}/window"), &[("csrf", &observer_csrf), ("opens", "")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_api_sets_a_links_times_and_refuses_a_window_that_ends_before_it_starts() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let slug = app.link(&admin, questionnaire, unit, "web").await;
    let id = entity::survey_link::Entity::find()
        .filter(entity::survey_link::Column::Slug.eq(slug))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let path = format!("/api/v1/links/{id}/window");
    let backwards = json!({"opens_at": "2017-07-01T00:00:00+08:00", "closes_at": "2017-06-01T00:00:00+08:00"});
    let refused = app.request(Method::PUT, &path, Some(&admin), Some(&backwards)).await;
    assert_eq!(refused.status(), 422);
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "closes_at");
    let window = json!({"opens_at": "2017-06-21T08:00:00+08:00", "closes_at": null});
    let set = app.request(Method::PUT, &path, Some(&admin), Some(&window)).await;
    assert_eq!(set.status(), 200);
    let body: serde_json::Value = set.json().await.unwrap();
    let opens = chrono::DateTime::parse_from_rfc3339(body["opens_at"].as_str().unwrap()).unwrap();
    assert_eq!(opens, chrono::DateTime::parse_from_rfc3339("2017-06-21T08:00:00+08:00").unwrap());
    let observer = app.token(Role::Observer, None).await;
    assert_eq!(app.request(Method::PUT, &path, Some(&observer), Some(&window)).await.status(), 403);
}

#[tokio::test]
async fn an_admin_adds_a_pollster_sees_its_secret_once_reads_its_pushes_rotates_and_disables_it() {
    let w = super::pollster::world().await;
    let app = &w.app;
    let mut office = Browser::new(app);
    office.sign_in(&account(app, Role::Admin).await, PASSWORD).await;
    let csrf = office.form_token("/console/clients").await;
    let no_campaign =
        office.post("/console/clients", &[("csrf", &csrf), ("name", "某调查公司"), ("role", "pollster")]).await;
    assert_eq!(no_campaign.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_campaign.text().await.unwrap().contains("<a href=\"#campaigns\">请至少勾选一个评议活动。</a>"));
    let campaign = w.campaign.to_string();
    let unit = w.unit.to_string();
    let made = office
        .post(
            "/console/clients",
            &[
                ("csrf", &csrf),
                ("name", "某调查公司"),
                ("role", "pollster"),
                ("campaigns", &campaign),
                ("units", &unit),
            ],
        )
        .await;
    assert_eq!(made.status(), StatusCode::OK);
    assert_eq!(made.headers()["cache-control"], "no-store", "a secret is never cached");
    let shown = made.text().await.unwrap();
    let secret = shown.split("<code>pys_").nth(1).unwrap().split('<').next().unwrap();
    let secret = format!("pys_{secret}");
    let client = entity::api_client::Entity::find()
        .filter(entity::api_client::Column::Name.eq("某调查公司"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(client.unit_ids, Some(json!([w.unit])));
    let grant = json!({"grant_type": "client_credentials", "client_id": client.id, "client_secret": secret});
    let token = app.request(Method::POST, "/api/v1/auth/token", None, Some(&grant)).await;
    assert_eq!(token.status(), 200, "the secret shown works");
    let token: serde_json::Value = token.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let items = vec![w.item("t-1", "satisfied"), w.item("t-2", "dissatisfied")];
    assert_eq!(w.push(&token, items).await.status(), 200);

    let page = format!("/console/clients/{}", client.id);
    let read = office.get(&page).await.text().await.unwrap();
    assert!(read.contains("<td>电话访问</td><td class=\"num\">2</td>"), "two pushed by telephone for the unit");
    assert!(!read.contains(&secret), "the secret is not shown again");

    let rotated = office.post(&format!("{page}/secret"), &[("csrf", &csrf)]).await.text().await.unwrap();
    assert!(rotated.contains("<code>pys_") && !rotated.contains(&secret), "a new secret");
    assert_eq!(
        app.request(Method::POST, "/api/v1/auth/token", None, Some(&grant)).await.status(),
        401,
        "the old one stops"
    );
    let disabled = office.post(&format!("{page}/disable"), &[("csrf", &csrf)]).await;
    assert_eq!(location(&disabled), format!("{page}?notice=saved"));
    assert_eq!(w.push(&token, vec![w.item("t-3", "satisfied")]).await.status(), 401, "cut off at once");
    let enabled = office.post(&format!("{page}/enable"), &[("csrf", &csrf)]).await;
    assert_eq!(location(&enabled), format!("{page}?notice=saved"));

    let mut observer = Browser::new(app);
    observer.sign_in(&account(app, Role::Observer).await, PASSWORD).await;
    let home = observer.get("/console/").await.text().await.unwrap();
    assert!(!home.contains("/console/clients"), "not offered to an observer");
    assert_eq!(observer.get("/console/clients").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_rectification_board_lists_problems_and_measures_marks_the_overdue_and_takes_progress() {
    let w = super::pollster::world().await;
    let app = &w.app;
    let mut office = Browser::new(app);
    office.sign_in(&account(app, Role::Admin).await, PASSWORD).await;
    let board = format!("/console/campaigns/{}/rectification", w.campaign);
    let csrf = office.form_token(&board).await;
    let unit = w.unit.to_string();
    let empty = office
        .post(
            &format!("{board}/problems"),
            &[("csrf", &csrf), ("unit", &unit), ("source", "visit"), ("found_on", "2017-08-20"), ("description", " ")],
        )
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().await.unwrap().contains("<a href=\"#p-text\">请写明问题，最多 5000 字。</a>"));
    let recorded = office
        .post(
            &format!("{board}/problems"),
            &[
                ("csrf", &csrf),
                ("unit", &unit),
                ("source", "visit"),
                ("found_on", "2017-08-20"),
                ("description", "窗口排队时间过长"),
                ("public", "on"),
            ],
        )
        .await;
    assert_eq!(location(&recorded), format!("{board}?notice=saved"));
    let problem = entity::problem::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert!(problem.public);
    let measures = format!("/console/problems/{}/measures", problem.id);
    let late = office
        .post(
            &measures,
            &[
                ("csrf", &csrf),
                ("description", "增设两个窗口"),
                ("responsible", "办公室主任"),
                ("deadline", "2017-11-15"),
            ],
        )
        .await;
    assert_eq!(location(&late), format!("{board}?notice=saved"));
    let shown = office.get(&board).await.text().await.unwrap();
    assert!(shown.contains("窗口排队时间过长") && shown.contains("增设两个窗口") && shown.contains("办公室主任"));
    assert!(shown.contains("<span class=\"tag\">逾期</span>"), "past its deadline and not done");

    let measure = entity::measure::Entity::find().one(&app.db).await.unwrap().unwrap();
    let status = format!("/console/measures/{}/status", measure.id);
    let done = office.post(&status, &[("csrf", &csrf), ("status", "done")]).await;
    assert_eq!(location(&done), format!("{board}?notice=saved"));
    let shown = office.get(&board).await.text().await.unwrap();
    assert!(!shown.contains("<span class=\"tag\">逾期</span>"), "done is not overdue");
    assert_eq!(
        entity::measure::Entity::find_by_id(measure.id).one(&app.db).await.unwrap().unwrap().status.as_str(),
        "done"
    );

    let unit_account = format!("unit-{}", &Uuid::new_v4().simple().to_string()[..8]);
    app.create_account(&unit_account, Role::Unit, Some(w.other_unit)).await;
    let mut other = Browser::new(app);
    other.sign_in(&unit_account, PASSWORD).await;
    let theirs = other.get(&board).await.text().await.unwrap();
    assert!(!theirs.contains("窗口排队时间过长"), "another unit's problems are not shown");
    let other_csrf = other.form_token(&board).await;
    let refused = other.post(&status, &[("csrf", &other_csrf), ("status", "planned")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let verify = office.post(&status, &[("csrf", &csrf), ("status", "verified")]).await;
    assert_eq!(location(&verify), format!("{board}?notice=saved"), "the office verifies");
}

#[tokio::test]
async fn the_office_moves_a_campaign_on_from_its_dashboard_one_phase_at_a_time() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let mut office = Browser::new(&app);
    office.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let dashboard = format!("/console/campaigns/{campaign}");
    let shown = office.get(&dashboard).await.text().await.unwrap();
    assert!(shown.contains("进入下一阶段：整改落实"), "the next phase is offered");
    let csrf = office.form_token(&dashboard).await;
    let phase = format!("{dashboard}/phase");
    let phase_now = || async {
        entity::campaign::Entity::find_by_id(campaign).one(&app.db).await.unwrap().unwrap().current_phase.as_str()
    };
    assert_eq!(office.post(&phase, &[("csrf", ""), ("phase", "rectification")]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(phase_now().await, "survey", "a forged form changes nothing");
    let phase_records = || async {
        entity::audit_record::Entity::find()
            .filter(entity::audit_record::Column::Action.eq("campaign.phase_changed"))
            .all(&app.db)
            .await
            .unwrap()
            .len()
    };
    let before = phase_records().await;
    let moved = office.post(&phase, &[("csrf", &csrf), ("phase", "rectification")]).await;
    assert_eq!(location(&moved), format!("{dashboard}?notice=phase-changed"));
    assert_eq!(phase_now().await, "rectification");
    let twice = office.post(&phase, &[("csrf", &csrf), ("phase", "rectification")]).await;
    assert_eq!(location(&twice), format!("{dashboard}?notice=phase-conflict"), "a second click moves nothing");
    assert_eq!(phase_now().await, "rectification");
    assert_eq!(phase_records().await, before + 1, "one change, audited once");

    let mut observer = Browser::new(&app);
    observer.sign_in(&account(&app, Role::Observer).await, PASSWORD).await;
    let read = observer.get(&dashboard).await.text().await.unwrap();
    assert!(!read.contains("进入下一阶段"), "an observer is not offered it");
    let observer_csrf = observer.form_token("/console/").await;
    let refused = observer.post(&phase, &[("csrf", &observer_csrf), ("phase", "assessment")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(phase_now().await, "rectification");
}
