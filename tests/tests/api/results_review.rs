//! Reviewing a result: the what-if over HTTP (other rules, nothing saved), and the console's
//! results pages taking a version from compute through a tie, two approvals and publication.

use pingyi::auth::Role;
use pingyi_tests::{PASSWORD, TestApp, fields, problem, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::console_browser::{Browser, account, location};

/// A campaign in its assessment phase whose result rests on the third party alone: four
/// district key units at 90, 80, 70 and 70, the bottom one line (so the two at 70 tie
/// across it).
async fn assessed(app: &TestApp, admin: &str) -> (Uuid, Vec<Uuid>) {
    let campaign = app.campaign(admin, 2017).await;
    let settings = json!({"weights": {"conference": 0.0, "third_party": 1.0, "citizen_links": 0.0, "supervision": 0.0},
        "bottom_n": 1, "min_samples": {"conference": 1, "third_party": 100, "citizen_links": 1}});
    let changed = app
        .request(reqwest::Method::PUT, &format!("/api/v1/campaigns/{campaign}/settings"), Some(admin), Some(&settings))
        .await;
    assert_eq!(changed.status(), 200);
    let (_, pollster) =
        app.client_token(admin, &json!({"name": "第三方", "role": "pollster", "campaign_ids": [campaign]})).await;
    let mut units = Vec::new();
    for (i, rate) in [0.9, 0.8, 0.7, 0.7].iter().enumerate() {
        let unit = app.unit(admin, &format!("u{i}"), "government").await;
        let member = json!({"unit_id": unit, "role": "district_key"});
        app.created(&format!("/api/v1/campaigns/{campaign}/units"), admin, &member).await;
        let figure = json!({"unit_id": unit, "satisfaction_rate": rate, "sample_size": 400, "method": "CATI", "field_period": {"starts_on": "2017-08-01", "ends_on": "2017-08-31"}});
        app.created(&format!("/api/v1/campaigns/{campaign}/pollster/figures"), &pollster, &figure).await;
        units.push(unit);
    }
    app.phase(admin, campaign, "rectification").await;
    app.phase(admin, campaign, "assessment").await;
    (campaign, units)
}

#[tokio::test]
async fn a_what_if_ranks_the_recorded_inputs_under_other_rules_and_saves_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (campaign, units) = assessed(&app, &admin).await;
    let version = app.created(&format!("/api/v1/campaigns/{campaign}/results"), &admin, &json!({})).await;
    let id = version["id"].as_str().unwrap().to_owned();
    let mut rules = version["rules"].clone();
    rules["qualified_min"] = json!(85.0);
    rules["bottom_n"] = json!(2);
    let what_if = app.post(&format!("/api/v1/results/{id}/what-if"), &admin, &json!({"rules": rules})).await;
    assert_eq!(what_if.status(), 200);
    let what_if: Value = what_if.json().await.unwrap();
    let unit = |body: &Value, id: Uuid| {
        body["units"].as_array().unwrap().iter().find(|u| u["unit_id"] == id.to_string()).unwrap().clone()
    };
    assert_eq!(unit(&what_if, units[1])["grade"], "unqualified", "80 is below a bound of 85");
    assert_eq!(unit(&version, units[1])["grade"], "qualified");
    assert_eq!(what_if["lines"][0]["bottom_n"], 2);

    let mut unbalanced = version["rules"].clone();
    unbalanced["weights"]["third_party"] = json!(0.9);
    let refused =
        problem(app.post(&format!("/api/v1/results/{id}/what-if"), &admin, &json!({"rules": unbalanced})).await, 422)
            .await;
    assert_eq!(fields(&refused), ["weights"]);
    let stored: Value = app.get(&format!("/api/v1/results/{id}"), &admin).await.json().await.unwrap();
    assert_eq!((stored["rules"]["bottom_n"].as_u64(), stored["units"].clone()), (Some(1), version["units"].clone()));
    assert_eq!(app.count("result_versions").await, 1);
}

#[tokio::test]
async fn the_console_takes_a_result_from_compute_through_a_tie_and_two_approvals_to_publication() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (campaign, units) = assessed(&app, &admin).await;
    let mut office = Browser::new(&app);
    office.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let list = format!("/console/campaigns/{campaign}/results");
    let csrf = office.form_token(&list).await;

    let computed = office.post(&list, &[("csrf", &csrf)]).await;
    assert_eq!(computed.status(), StatusCode::SEE_OTHER);
    let page_path = location(&computed).to_owned();
    let page = office.get(&page_path).await.text().await.unwrap();
    let at = |page: &str, text: &str| page.find(text).unwrap_or_else(|| panic!("{text} missing"));
    assert!(at(&page, "单位 u0") < at(&page, "单位 u1") && at(&page, "单位 u1") < at(&page, "单位 u2"), "by rank");
    assert!(page.contains("90.00（n=400，"), "the third party's score with its sample and interval");
    assert!(page.contains("第 3 名并列，跨越末位线"), "the tie at the line is shown");
    assert!(
        !page.contains("审核通过</button>") && !page.contains("决定</button>"),
        "the office neither approves nor decides"
    );

    // What if the qualified bound were 85: shown beside the version, nothing saved.
    let what_if = office
        .get(&format!("{page_path}?w_conference=0&w_third_party=100&w_citizen_links=0&w_supervision=0&qualified_min=85&excellent_min=90&bottom_n=1&group_bottom_n=0"))
        .await
        .text()
        .await
        .unwrap();
    assert!(what_if.contains(">试算等次</th>"));
    let u1_row = &what_if[at(&what_if, "单位 u1")..];
    let u1_row = &u1_row[..u1_row.find("</tr>").unwrap()];
    assert!(u1_row.contains("<td>合格</td>") && u1_row.contains("<td>不合格</td>"), "{u1_row}");
    let unbalanced = office.get(&format!("{page_path}?w_third_party=90")).await.text().await.unwrap();
    assert!(unbalanced.contains("权重合计须为 100%"));
    assert_eq!(app.count("result_versions").await, 1);

    // Two approvers: the first decides the tie (a reason is required) and approves.
    let mut first = Browser::new(&app);
    first.sign_in(&account(&app, Role::Approver).await, PASSWORD).await;
    let first_csrf = first.form_token(&page_path).await;
    let tie = format!("{page_path}/tie");
    let (group, lower) = ("district".to_owned(), units[3].to_string());
    let no_reason = first.post(&tie, &[("csrf", &first_csrf), ("group", &group), ("bottom", &lower)]).await;
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let reason = "领导小组决定：第三方测评样本相同，按单位代码";
    let decided =
        first.post(&tie, &[("csrf", &first_csrf), ("group", &group), ("bottom", &lower), ("reason", reason)]).await;
    assert_eq!(decided.status(), StatusCode::SEE_OTHER);
    assert!(first.get(&page_path).await.text().await.unwrap().contains(reason));
    assert_eq!(
        first.post(&format!("{page_path}/approve"), &[("csrf", &first_csrf)]).await.status(),
        StatusCode::SEE_OTHER
    );
    let after = first.get(&page_path).await.text().await.unwrap();
    assert!(!after.contains("审核通过</button>"), "one approval per approver");

    let mut second = Browser::new(&app);
    second.sign_in(&account(&app, Role::Approver).await, PASSWORD).await;
    let second_csrf = second.form_token(&page_path).await;
    assert_eq!(
        second.post(&format!("{page_path}/approve"), &[("csrf", &second_csrf)]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(office.get(&page_path).await.text().await.unwrap().contains("<strong>已审定</strong>"));

    // An observer reads it and may do nothing; the office publishes and downloads.
    let mut observer = Browser::new(&app);
    observer.sign_in(&account(&app, Role::Observer).await, PASSWORD).await;
    let read = observer.get(&page_path).await.text().await.unwrap();
    assert!(!read.contains("公布结果</button>"));
    let observer_csrf = observer.form_token("/console/").await;
    let refused = observer.post(&format!("{page_path}/publish"), &[("csrf", &observer_csrf)]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(office.post(&format!("{page_path}/publish"), &[("csrf", &csrf)]).await.status(), StatusCode::SEE_OTHER);
    let published = office.get(&page_path).await.text().await.unwrap();
    assert!(published.contains("<strong>已公布</strong>") && published.contains("/report.html"));
    let csv = office.get(&format!("{page_path}/report.csv")).await.text().await.unwrap();
    assert!(csv.contains("单位 u0"));
    let public =
        app.request(reqwest::Method::GET, &format!("/api/v1/public/campaigns/{campaign}/results"), None, None).await;
    assert_eq!(public.status(), 200);
}

#[tokio::test]
async fn the_next_year_is_set_up_from_an_approved_one_with_its_bottom_units_questionnaires_and_links() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (campaign, units) = assessed(&app, &admin).await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let controls = json!({"rate_limit_per_hour": 123, "daily_cap": 456, "duplicate_window_seconds": 60, "requires_invitation": false, "kiosk": false});
    let last = units[3];
    app.link_with(&admin, questionnaire, last, "web", controls.clone()).await;
    app.link_with(&admin, questionnaire, last, "window_qr", controls).await;
    app.link(&admin, questionnaire, units[0], "web").await;
    let version = app.created(&format!("/api/v1/campaigns/{campaign}/results"), &admin, &json!({})).await;
    let id = version["id"].as_str().unwrap().to_owned();
    let (first, second) = (app.token(Role::Approver, None).await, app.token(Role::Approver, None).await);
    let tie = json!({"group": "district", "bottom": [last], "reason": "领导小组决定"});
    app.created(&format!("/api/v1/results/{id}/tie-decision"), &first, &tie).await;
    app.created(&format!("/api/v1/results/{id}/approve"), &first, &json!({})).await;
    app.created(&format!("/api/v1/results/{id}/approve"), &second, &json!({})).await;

    let copy = json!({"year": 2018, "title": "2018年度民主评议"});
    let copied = app.created(&format!("/api/v1/campaigns/{campaign}/copy"), &admin, &copy).await;
    assert_eq!(
        (copied["carried_units"].as_u64(), copied["questionnaires"].as_u64(), copied["links"].as_u64()),
        (Some(1), Some(1), Some(2))
    );
    let next = copied["campaign"]["id"].as_str().unwrap().to_owned();
    let members: Value = app.get(&format!("/api/v1/campaigns/{next}/units"), &admin).await.json().await.unwrap();
    assert_eq!(members["items"][0]["unit_id"], last.to_string());
    assert_eq!(members["items"][0]["reason"], "carried_over");
    let links: Value = app.get(&format!("/api/v1/campaigns/{next}/links"), &admin).await.json().await.unwrap();
    let links = links["items"].as_array().unwrap();
    assert_eq!(links.len(), 2);
    assert!(links.iter().all(|l| l["unit_id"] == last.to_string() && l["controls"]["rate_limit_per_hour"] == 123));
    let next_campaign: Value = app.get(&format!("/api/v1/campaigns/{next}"), &admin).await.json().await.unwrap();
    assert_eq!(next_campaign["settings"]["bottom_n"], 1, "the settings carried on");
    assert_eq!(app.audited("campaign.copied", &next).await, 1);

    problem(app.post(&format!("/api/v1/campaigns/{campaign}/copy"), &admin, &copy).await, 409).await;
    let observer = app.token(Role::Observer, None).await;
    let later = json!({"year": 2019, "title": "2019年度"});
    problem(app.post(&format!("/api/v1/campaigns/{campaign}/copy"), &observer, &later).await, 403).await;

    // The console sets a year up the same way, and says what it carried.
    let mut office = Browser::new(&app);
    office.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let csrf = office.form_token("/console/").await;
    let campaign_id = campaign.to_string();
    let taken = office
        .post(
            "/console/campaigns",
            &[("csrf", &csrf), ("year", "2018"), ("title", "2018年度"), ("copy_from", &campaign_id)],
        )
        .await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text().await.unwrap().contains("这一年度的评议活动已经存在"));
    let made = office
        .post(
            "/console/campaigns",
            &[("csrf", &csrf), ("year", "2019"), ("title", "2019年度民主评议"), ("copy_from", &campaign_id)],
        )
        .await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let dashboard = office.get(location(&made)).await.text().await.unwrap();
    assert!(dashboard.contains("1 个末位单位列为重点评议单位，发布 1 份问卷，生成 2 个链接"), "{dashboard}");

    // Only a year with an approved result is offered to copy; another is refused with why.
    let home = office.get("/console/").await.text().await.unwrap();
    assert!(home.contains(&format!("<option value=\"{campaign_id}\"")), "the evaluated year is offered");
    assert!(!home.contains(&format!("<option value=\"{next}\"")), "a year without an approved result is not");
    let unapproved = office
        .post("/console/campaigns", &[("csrf", &csrf), ("year", "2020"), ("title", "2020年度"), ("copy_from", &next)])
        .await;
    assert_eq!(unapproved.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unapproved.text().await.unwrap().contains("所选年度还没有已审定的结果"));
}
