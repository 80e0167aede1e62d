//! What reaches the service's edge from anyone on the internet: text the databases would
//! refuse, and webhook targets that would turn the service against its own network.

use pingyi_tests::{captured_logs, fields, problem, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_nul_or_broken_text_anywhere_in_a_request_is_refused_before_the_database() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for path in ["/api/v1/public/surveys/%00", "/s/a%00b/qr.png", "/s/%FF", "/api/v1/public/surveys/%E8%AF"] {
        let refused = app.request(Method::GET, path, None, None).await;
        assert_eq!(refused.status(), 400, "{path}");
        assert_eq!(refused.headers()["content-type"], "application/problem+json", "{path}");
    }
    let refused = problem(app.get("/api/v1/units?limit=5&category=a%00", &admin).await, 400).await;
    assert!(refused["detail"].as_str().unwrap().contains("`category`"), "{refused}");

    let login = json!({"grant_type": "password", "username": "ad\u{0}min", "password": "whatever-it-is"});
    let refused = problem(app.request(Method::POST, "/api/v1/auth/token", None, Some(&login)).await, 422).await;
    assert_eq!(fields(&refused), ["username"]);
    let form = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=password&username=a%00b&password=x")
        .send()
        .await
        .unwrap();
    assert_eq!(fields(&problem(form, 422).await), ["username"]);

    let hook = json!({"url": "https://example.org/ho\u{0}ok", "events": ["results.published"]});
    let campaign = app.campaign(&admin, 2017).await;
    let (_, reader) =
        app.client_token(&admin, &json!({"name": "portal", "role": "reader", "campaign_ids": [campaign]})).await;
    assert_eq!(fields(&problem(app.post("/api/v1/webhooks", &reader, &hook).await, 422).await), ["url"]);
    assert_eq!(app.count("webhook_subscriptions").await, 0, "nothing was stored");

    let unit = app.unit(&admin, "jtysj", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let slug = app.link(&admin, questionnaire, unit, "web").await;
    let mut answers = pingyi_tests::government_answers("satisfied");
    answers["overall"] = json!("satis\u{0}fied");
    let refused = problem(app.submit_answers(&slug, uuid::Uuid::new_v4(), answers).await, 422).await;
    assert_eq!(fields(&refused), ["answers.overall"]);
    let page = app
        .client
        .post(app.url(&format!("/s/{slug}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("submission_id={}&a.overall=x%00", uuid::Uuid::new_v4()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 422);
    assert_eq!(app.count("responses").await, 0);
    assert!(!captured_logs().contains("0x00"), "the database never saw a NUL");
}

#[tokio::test]
async fn special_purpose_webhook_targets_are_refused() {
    let app = spawn_app_with(|settings| settings.webhooks.allow_private_targets = false).await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let (_, reader) =
        app.client_token(&admin, &json!({"name": "portal", "role": "reader", "campaign_ids": [campaign]})).await;
    for host in [
        "[64:ff9b::7f00:1]",
        "[64:ff9b::a9fe:a9fe]",
        "[2002:7f00:1::]",
        "[::127.0.0.1]",
        "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
        "[fec0::1]",
        "198.18.0.1",
        "192.0.0.8",
        "240.0.0.1",
        "localhost",
    ] {
        let hook = json!({"url": format!("http://{host}/hook"), "events": ["results.published"]});
        let refused = problem(app.post("/api/v1/webhooks", &reader, &hook).await, 422).await;
        assert_eq!(fields(&refused), ["url"], "{host}");
    }
}

#[tokio::test]
async fn problems_speak_chinese_to_clients_that_prefer_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let bad = json!({"code": "has space", "name": "长".repeat(201), "category": "government", "kind": "department"});
    let ask = |language: Option<&'static str>| {
        let mut request = app.client.post(app.url("/api/v1/units")).bearer_auth(&admin).json(&bad);
        if let Some(language) = language {
            request = request.header("accept-language", language);
        }
        request.send()
    };
    let chinese = ask(Some("zh-CN,zh;q=0.9,en;q=0.8")).await.unwrap();
    assert_eq!(chinese.headers()["content-language"], "zh-CN");
    let chinese: serde_json::Value = chinese.json().await.unwrap();
    assert_eq!(
        (chinese["title"].as_str(), chinese["detail"].as_str()),
        (Some("请求中有字段不符合要求"), Some("2 个字段有误"))
    );
    assert_eq!(chinese["errors"][0]["message"], "须为 1 至 64 个英文字母、数字、“_”或“-”", "{chinese}");
    assert_eq!(chinese["errors"][1]["message"], "须为 1 至 200 个字符", "{chinese}");

    let english = ask(None).await.unwrap();
    assert_eq!(english.headers()["content-language"], "en");
    let english: serde_json::Value = english.json().await.unwrap();
    assert_eq!(english["title"], "The request has invalid fields");

    let missing = app
        .client
        .get(app.url(&format!("/api/v1/campaigns/{}", uuid::Uuid::nil())))
        .bearer_auth(&admin)
        .header("accept-language", "zh")
        .send()
        .await
        .unwrap();
    let missing: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(missing["detail"], format!("找不到评议活动 {}", uuid::Uuid::nil()));
    let refused = app.client.get(app.url("/s/a%00b")).header("accept-language", "zh-CN").send().await.unwrap();
    assert_eq!(refused.status(), 400);
    let refused: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(refused["detail"], "地址中含有 NUL 字符或非 UTF-8 文本", "refusals at the edge are translated too");
}
