//! The citizen's side at a service window: neighbours behind one address are not mistaken
//! for one person, an on-site tablet serves one citizen after another, and every message is
//! in the page's language.

use pingyi_tests::{TestApp, government_answers, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// A link with the default controls (as an office would make it), and its admin.
async fn link(app: &TestApp, controls: Value) -> String {
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    app.link_with(&admin, questionnaire, unit, "window_qr", controls).await["slug"].as_str().unwrap().to_owned()
}

/// Opens the answer page as a new device: its device cookie (`name=value`) and the page.
async fn open(app: &TestApp, slug: &str) -> (String, String) {
    let page = app.request(Method::GET, &format!("/s/{slug}"), None, None).await;
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("pingyi_device="))
        .expect("the page sets a device cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (cookie, page.text().await.unwrap())
}

async fn send(app: &TestApp, slug: &str, cookie: Option<&str>, overall: &str) -> reqwest::Response {
    let body = json!({"submission_id": Uuid::new_v4(), "answers": government_answers(overall)});
    let mut request = app.client.post(app.url(&format!("/api/v1/public/surveys/{slug}/responses"))).json(&body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn two_people_behind_one_address_giving_the_same_answers_are_both_counted() {
    let app = spawn_app().await;
    let slug = link(&app, json!({})).await;
    let (first, _) = open(&app, &slug).await;
    let (second, _) = open(&app, &slug).await;
    assert_ne!(first, second, "each page load without a cookie gets its own device");
    assert_eq!(send(&app, &slug, Some(&first), "very_satisfied").await.status(), 201);
    assert_eq!(send(&app, &slug, Some(&second), "very_satisfied").await.status(), 201, "a neighbour, not a repeat");
    let repeat = pingyi_tests::problem(send(&app, &slug, Some(&first), "very_satisfied").await, 409).await;
    assert!(repeat["detail"].as_str().unwrap().contains("this device"), "{repeat}");
    assert_eq!(app.count("responses").await, 2);

    // Without JavaScript the repeat is explained in Chinese, and truly: a repeat, not "already answered".
    let form = [
        ("submission_id".to_owned(), Uuid::new_v4().to_string()),
        ("a.overall".to_owned(), "very_satisfied".to_owned()),
    ]
    .into_iter()
    .chain(
        ["lawful_duty", "fair_enforcement", "government_openness", "efficiency", "work_style", "integrity"]
            .map(|k| (format!("a.{k}"), "satisfied".to_owned())),
    )
    .collect::<Vec<_>>();
    let page =
        app.client.post(app.url(&format!("/s/{slug}"))).header("cookie", &first).form(&form).send().await.unwrap();
    assert_eq!(page.status(), 409);
    let page = page.text().await.unwrap();
    assert!(page.contains("这份答卷刚刚已经提交") && page.contains("无需重复提交。"), "{page}");
}

#[tokio::test]
async fn fifty_citizens_behind_one_address_can_answer_at_once() {
    let app = spawn_app().await;
    let slug = link(&app, json!({})).await;
    let mut devices = Vec::new();
    for _ in 0..51 {
        devices.push(open(&app, &slug).await.0);
    }
    let sends = devices[..50].iter().map(|cookie| send(&app, &slug, Some(cookie), "satisfied"));
    let statuses: Vec<u16> = futures_util::future::join_all(sends).await.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let over = pingyi_tests::problem(send(&app, &slug, Some(&devices[50]), "satisfied").await, 429).await;
    assert!(over["detail"].as_str().unwrap().contains("connection"), "the address's hourly pace, then: {over}");
}

#[tokio::test]
async fn a_kiosk_serves_one_citizen_after_another() {
    let app = spawn_app().await;
    let slug = link(&app, json!({"kiosk": true})).await;
    let (tablet, page) = open(&app, &slug).await;
    assert!(page.contains(" data-kiosk") && !page.contains("data-cookie=\""), "nothing marks the tablet as answered");
    let answers = |id: Uuid| {
        let mut form = vec![("submission_id".to_owned(), id.to_string()), ("lang".to_owned(), "zh-CN".to_owned())];
        for key in ["lawful_duty", "fair_enforcement", "government_openness", "efficiency", "work_style", "integrity"] {
            form.push((format!("a.{key}"), "very_satisfied".to_owned()));
        }
        form.push(("a.overall".to_owned(), "very_satisfied".to_owned()));
        form
    };
    for citizen in 0..3 {
        let thanks = app
            .client
            .post(app.url(&format!("/s/{slug}")))
            .header("cookie", format!("{tablet}; pingyi_done_{slug}=1"))
            .form(&answers(Uuid::new_v4()))
            .send()
            .await
            .unwrap();
        assert_eq!(thanks.status(), 200, "citizen {citizen}: the same answers are no repeat at a kiosk");
        assert!(
            thanks.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("pingyi_done_"))
        );
        let thanks = thanks.text().await.unwrap();
        assert!(thanks.contains("感谢您对单位 jtysj的评价！"), "the unit is named: {thanks}");
        assert!(thanks.contains(&format!("href=\"/s/{slug}\">下一位评价</a>")), "a fresh form for the next citizen");
        let next = app
            .client
            .get(app.url(&format!("/s/{slug}")))
            .header("cookie", format!("{tablet}; pingyi_done_{slug}=1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(next.contains("name=\"submission_id\""), "the form, not \"already answered\"");
    }
    assert_eq!(app.count("responses").await, 3);
}

#[tokio::test]
async fn the_page_introduces_itself_and_refusals_speak_the_pages_language() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let settings = json!({"organiser": "昭化区评议办", "contact": "电话 0839-1234567"});
    let path = format!("/api/v1/campaigns/{campaign}/settings");
    let changed = app.request(Method::PUT, &path, Some(&admin), Some(&settings)).await;
    assert_eq!(changed.status(), 200, "{}", changed.text().await.unwrap());
    let unit = app.unit(&admin, "jtysj", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let made = app.link_with(&admin, questionnaire, unit, "web", json!({"daily_cap": 1})).await;
    let slug = made["slug"].as_str().unwrap();
    let (_, page) = open(&app, slug).await;
    assert!(page.contains("本问卷由昭化区评议办组织，约需 2 分钟，匿名填写，"), "{page}");
    assert!(page.contains("（必答）") && !page.contains("(必答)"), "full-width punctuation");
    let (_, english) = open(&app, &format!("{slug}?lang=en")).await;
    assert!(english.contains("Asked by 昭化区评议办. About 2 min, anonymous, open until"), "{english}");

    assert_eq!(send(&app, slug, None, "satisfied").await.status(), 201);
    let form = |lang: &str| {
        let mut form =
            vec![("submission_id".to_owned(), Uuid::new_v4().to_string()), ("lang".to_owned(), lang.to_owned())];
        for (key, option) in government_answers("dissatisfied").as_object().unwrap() {
            form.push((format!("a.{key}"), option.as_str().unwrap().to_owned()));
        }
        form
    };
    let full = app.client.post(app.url(&format!("/s/{slug}"))).form(&form("zh-CN")).send().await.unwrap();
    assert_eq!(full.status(), 429);
    let full = full.text().await.unwrap();
    assert!(full.contains("今日答卷已满") && full.contains("欢迎明天再来评价。"), "{full}");
    let full =
        app.client.post(app.url(&format!("/s/{slug}"))).form(&form("en")).send().await.unwrap().text().await.unwrap();
    assert!(full.contains("Full for today"), "{full}");

    let id = made["id"].as_str().unwrap();
    let revoked = app.request(Method::POST, &format!("/api/v1/links/{id}/revoke"), Some(&admin), None).await;
    assert_eq!(revoked.status(), 200);
    let gone = app.request(Method::GET, &format!("/s/{slug}"), None, None).await;
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.unwrap().contains("此链接已停用"));
}
