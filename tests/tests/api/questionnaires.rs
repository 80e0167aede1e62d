use pingyi_tests::{fields, id_of, problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

fn scratch_questions() -> Value {
    json!([
        {"key": "overall", "kind": "rating", "dimension": "overall", "text": {"zh": "总体评价"},
         "options": [{"key": "yes", "weight": 1.0, "label": {"zh": "满意"}}, {"key": "no", "weight": 0.0, "label": {"zh": "不满意"}}]},
        {"key": "notes", "kind": "text", "required": false, "text": {"zh": "意见"}, "max_length": 20}
    ])
}

#[tokio::test]
async fn templates_hold_six_dimensions_an_overall_question_and_suggestions() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let templates: Value =
        app.get("/api/v1/questionnaire-templates", &admin).await.json::<Value>().await.unwrap()["items"].clone();
    let government = templates.as_array().unwrap().iter().find(|t| t["category"] == "government").unwrap();
    let keys: Vec<&str> =
        government["questions"].as_array().unwrap().iter().map(|q| q["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "lawful_duty",
            "fair_enforcement",
            "government_openness",
            "efficiency",
            "work_style",
            "integrity",
            "overall",
            "suggestions"
        ]
    );
    let options = government["questions"][0]["options"].as_array().unwrap();
    let labels: Vec<&str> = options.iter().map(|o| o["label"]["zh"].as_str().unwrap()).collect();
    assert_eq!(labels, ["非常满意", "满意", "基本满意", "不满意", "非常不满意", "不了解"]);
    assert!(options[5]["weight"].is_null(), "不了解 carries no weight");
    let industry = templates.as_array().unwrap().iter().find(|t| t["category"] == "public_service").unwrap();
    assert_eq!(industry["questions"][4]["text"]["zh"], "您对该单位“服务态度”方面的评价");
}

#[tokio::test]
async fn a_questionnaire_from_scratch_is_checked_question_by_question() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let path = format!("/api/v1/campaigns/{campaign}/questionnaires");
    let body = json!({"category": "public_service", "title": {"zh": "简短问卷", "en": "Short"}, "questions": scratch_questions()});
    let created = app.created(&path, &admin, &body).await;
    assert_eq!((created["status"].as_str(), created["version"].as_i64()), (Some("draft"), Some(1)));
    assert_eq!(created["questions"][1]["max_length"], 20);

    let mut bad = scratch_questions();
    bad[0]["options"][1]["weight"] = json!(1.5);
    bad[1]["key"] = json!("overall");
    bad[1]["text"]["zh"] = json!("");
    let p = problem(app.post(&path, &admin, &json!({"category": "government", "questions": bad})).await, 422).await;
    assert_eq!(fields(&p), ["questions[0].options[1].weight", "questions[1].text.zh"]);
    let mut duplicate = scratch_questions();
    duplicate[1]["key"] = json!("overall");
    assert_eq!(
        fields(
            &problem(app.post(&path, &admin, &json!({"category": "government", "questions": duplicate})).await, 422)
                .await
        ),
        ["questions[1].key"]
    );
    let listed: Value = app.get(&path, &admin).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
}

#[tokio::test]
async fn a_published_questionnaire_never_changes_and_a_new_version_does() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let draft = app
        .created(&format!("/api/v1/campaigns/{campaign}/questionnaires"), &admin, &json!({"category": "government"}))
        .await;
    let id = id_of(&draft);
    let edit = json!({"title": {"zh": "改过的标题"}, "questions": scratch_questions()});
    let edited = app.request(Method::PUT, &format!("/api/v1/questionnaires/{id}"), Some(&admin), Some(&edit)).await;
    assert_eq!(edited.status(), 200, "a draft can be edited");

    let published = app.created(&format!("/api/v1/questionnaires/{id}/publish"), &admin, &json!({})).await;
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string());
    problem(app.request(Method::PUT, &format!("/api/v1/questionnaires/{id}"), Some(&admin), Some(&edit)).await, 409)
        .await;
    problem(app.post(&format!("/api/v1/questionnaires/{id}/publish"), &admin, &json!({})).await, 409).await;

    let next = app.created(&format!("/api/v1/questionnaires/{id}/versions"), &admin, &json!({})).await;
    assert_eq!((next["version"].as_i64(), next["status"].as_str()), (Some(2), Some("draft")));
    assert_eq!(next["lineage_id"], id.to_string());
    assert_eq!(next["questions"], published["questions"]);
    let unchanged: Value = app.get(&format!("/api/v1/questionnaires/{id}"), &admin).await.json().await.unwrap();
    assert_eq!(unchanged, published);

    let closed = app.created(&format!("/api/v1/questionnaires/{id}/close"), &admin, &json!({})).await;
    assert_eq!(closed["status"], "closed");
    let third = app.created(&format!("/api/v1/questionnaires/{id}/versions"), &admin, &json!({})).await;
    assert_eq!(third["version"], 3);
}

#[tokio::test]
async fn links_need_a_published_questionnaire_and_a_unit_of_its_category() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let company = app.unit(&admin, "gdgs", "public_service").await;
    let draft = id_of(
        &app.created(
            &format!("/api/v1/campaigns/{campaign}/questionnaires"),
            &admin,
            &json!({"category": "government"}),
        )
        .await,
    );
    let body = json!({"unit_id": unit, "channel": "window_qr"});
    problem(app.post(&format!("/api/v1/questionnaires/{draft}/links"), &admin, &body).await, 409).await;

    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let path = format!("/api/v1/questionnaires/{questionnaire}/links");
    let link = app.created(&path, &admin, &body).await;
    let slug = link["slug"].as_str().unwrap();
    assert_eq!(slug.len(), 12);
    assert_eq!(link["url"], format!("{}/s/{slug}", pingyi_tests::PUBLIC_URL));
    problem(app.post(&path, &admin, &body).await, 409).await;
    let wrong_category =
        problem(app.post(&path, &admin, &json!({"unit_id": company, "channel": "web"})).await, 422).await;
    assert_eq!(fields(&wrong_category), ["unit_id"]);
    let backwards = json!({"unit_id": unit, "channel": "sms", "opens_at": "2017-07-01T00:00:00+08:00", "closes_at": "2017-06-01T00:00:00+08:00"});
    assert_eq!(fields(&problem(app.post(&path, &admin, &backwards).await, 422).await), ["closes_at"]);
    assert_eq!(
        fields(&problem(app.post(&path, &admin, &json!({"unit_id": unit, "channel": "pigeon"})).await, 422).await),
        ["channel"]
    );

    app.link(&admin, questionnaire, unit, "sms").await;
    let listed: Value =
        app.get(&format!("/api/v1/campaigns/{campaign}/links?channel=sms"), &admin).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
    let all: Value = app.get(&format!("/api/v1/campaigns/{campaign}/links"), &admin).await.json().await.unwrap();
    assert_eq!(all["total"], 2);

    let revoked = app.created(&format!("/api/v1/links/{}/revoke", id_of(&link)), &admin, &json!({})).await;
    assert!(revoked["revoked_at"].is_string());
    let unit_token = app.token(pingyi::auth::Role::Unit, Some(unit)).await;
    problem(app.get(&format!("/api/v1/links/{}", id_of(&link)), &unit_token).await, 403).await;
}
