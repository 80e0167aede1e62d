//! The public notice board (公示): what a campaign's units made public, on the JSON and the
//! printable pages, and nothing else; linked from a unit's answer page.

use pingyi_tests::{TestApp, problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.request(Method::GET, path, None, None).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn add_problem(app: &TestApp, admin: &str, campaign: Uuid, unit: Uuid, text: &str, public: bool) -> String {
    let body = json!({"unit_id": unit, "source": "free_text", "description": text, "found_on": "2017-08-20", "public": public});
    let made = app.created(&format!("/api/v1/campaigns/{campaign}/problems"), admin, &body).await;
    made["id"].as_str().unwrap().to_owned()
}

async fn add_measure(app: &TestApp, admin: &str, problem: &str, text: &str, deadline: &str) {
    let body = json!({"description": text, "responsible": "办公室主任张某", "deadline": deadline});
    app.created(&format!("/api/v1/problems/{problem}/measures"), admin, &body).await;
}

#[tokio::test]
async fn the_notice_board_shows_what_units_made_public_and_nothing_else() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let shown = app.unit(&admin, "shown", "government").await;
    let quiet = app.unit(&admin, "quiet", "government").await;
    let outside = app.unit(&admin, "outside", "government").await;
    for member in [shown, quiet] {
        let body = json!({"unit_id": member, "role": "district_key"});
        app.created(&format!("/api/v1/campaigns/{campaign}/units"), &admin, &body).await;
    }
    let public = add_problem(&app, &admin, campaign, shown, "窗口排队时间过长", true).await;
    add_measure(&app, &admin, &public, "增设两个窗口", "2099-01-01").await;
    add_measure(&app, &admin, &public, "推行预约办理", "2017-11-15").await;
    let internal = add_problem(&app, &admin, campaign, shown, "内部考勤松散", false).await;
    add_measure(&app, &admin, &internal, "整顿考勤纪律", "2099-01-01").await;
    add_problem(&app, &admin, campaign, quiet, "未公开的问题", false).await;
    let reports = format!("/api/v1/campaigns/{campaign}/rectification-reports");
    let report = json!({"unit_id": shown, "body": "已增设窗口，排队时间缩短一半。", "public": true});
    assert_eq!(app.created(&reports, &admin, &report).await["public"], true);
    let draft = app.created(&reports, &admin, &json!({"unit_id": shown, "body": "内部初稿"})).await;
    assert_eq!(draft["public"], false, "a report is not public unless asked");

    // The JSON, without signing in: the public problem with its measures, the public report.
    let board: Value = app
        .request(Method::GET, &format!("/api/v1/public/campaigns/{campaign}/problems"), None, None)
        .await
        .json()
        .await
        .unwrap();
    let text = board.to_string();
    for hidden in ["办公室主任", "内部考勤", "整顿考勤", "内部初稿", "未公开"] {
        assert!(!text.contains(hidden), "{hidden} leaked: {text}");
    }
    let units = board["units"].as_array().unwrap();
    assert_eq!(units.len(), 1, "only the unit with something public: {board}");
    assert_eq!(
        (units[0]["unit_id"].as_str(), units[0]["unit_name"].as_str()),
        (Some(&*shown.to_string()), Some("单位 shown"))
    );
    let problems = units[0]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0]["description"], "窗口排队时间过长");
    let measures = problems[0]["measures"].as_array().unwrap();
    assert_eq!(
        measures
            .iter()
            .map(|m| (m["description"].as_str().unwrap(), m["overdue"].as_bool().unwrap()))
            .collect::<Vec<_>>(),
        [("推行预约办理", true), ("增设两个窗口", false)],
        "earliest deadline first, the past one overdue"
    );
    assert_eq!(measures[0]["status"], "planned");
    assert_eq!(units[0]["reports"][0]["body"], "已增设窗口，排队时间缩短一半。");
    assert_eq!(units[0]["reports"].as_array().unwrap().len(), 1);

    // One unit's: listed even with nothing public; a unit outside the campaign is not found.
    let only: Value = app
        .request(Method::GET, &format!("/api/v1/public/campaigns/{campaign}/problems?unit_id={quiet}"), None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(only["units"].as_array().unwrap().len(), 1);
    assert_eq!(only["units"][0]["problems"], json!([]));
    let stranger = format!("/api/v1/public/campaigns/{campaign}/problems?unit_id={outside}");
    problem(app.request(Method::GET, &stranger, None, None).await, 404).await;
    let nowhere = format!("/api/v1/public/campaigns/{}/problems", Uuid::new_v4());
    problem(app.request(Method::GET, &nowhere, None, None).await, 404).await;

    // The printable pages say the same, in Chinese unless asked.
    let (status, unit_page) = page(&app, &format!("/notice/{campaign}/{shown}")).await;
    assert_eq!(status, 200);
    for shown_text in ["整改公示", "窗口排队时间过长", "增设两个窗口", "已逾期", "已增设窗口，排队时间缩短一半。"]
    {
        assert!(unit_page.contains(shown_text), "{shown_text} missing: {unit_page}");
    }
    for hidden in ["办公室主任", "内部考勤", "整顿考勤", "内部初稿"] {
        assert!(!unit_page.contains(hidden), "{hidden} leaked on the page");
    }
    assert!(unit_page.contains("<html lang=\"zh-CN\">") && !unit_page.contains("<script"));
    let (_, english) = page(&app, &format!("/notice/{campaign}/{shown}?lang=en")).await;
    assert!(english.contains("Rectification notice board") && english.contains("overdue"));
    let (status, quiet_page) = page(&app, &format!("/notice/{campaign}/{quiet}")).await;
    assert_eq!(status, 200);
    assert!(quiet_page.contains("该单位目前还没有公开的问题或整改报告。"));
    let (status, campaign_page) = page(&app, &format!("/notice/{campaign}")).await;
    assert_eq!(status, 200);
    assert!(campaign_page.contains(&format!("href=\"/notice/{campaign}/{shown}\"")));
    assert!(!campaign_page.contains("单位 quiet"), "a unit with nothing public is not listed");
    assert_eq!(page(&app, &format!("/notice/{campaign}/{outside}")).await.0, 404);
    assert_eq!(page(&app, "/notice/not-a-campaign").await.0, 404);

    // The unit's answer page links to its notice board.
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let link = app.link_with(&admin, questionnaire, shown, "web", json!({})).await;
    let (_, answer_page) = page(&app, &format!("/s/{}", link["slug"].as_str().unwrap())).await;
    assert!(answer_page.contains(&format!("<a href=\"/notice/{campaign}/{shown}\">本单位的整改公示</a>")));
    let survey: Value = app
        .request(Method::GET, &format!("/api/v1/public/surveys/{}", link["slug"].as_str().unwrap()), None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(survey["notice_board"], format!("/notice/{campaign}/{shown}"));
}
