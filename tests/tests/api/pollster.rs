use pingyi_tests::{TestApp, fields, government_answers, problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

pub struct World {
    pub app: TestApp,
    pub admin: String,
    pub campaign: Uuid,
    pub other_campaign: Uuid,
    pub questionnaire: Uuid,
    pub unit: Uuid,
    pub other_unit: Uuid,
}

pub async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let other_campaign = app.campaign(&admin, 2018).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let other_unit = app.unit(&admin, "jyj", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    for member in [unit, other_unit] {
        let body = json!({"unit_id": member, "role": "district_key"});
        app.created(&format!("/api/v1/campaigns/{campaign}/units"), &admin, &body).await;
    }
    World { app, admin, campaign, other_campaign, questionnaire, unit, other_unit }
}

impl World {
    /// Registers a client and returns (client id, token).
    pub async fn client(&self, role: &str, units: Option<Vec<Uuid>>) -> (Uuid, String) {
        let mut body = json!({"name": format!("{role} client"), "role": role, "campaign_ids": [self.campaign]});
        if let Some(units) = units {
            body["unit_ids"] = json!(units);
        }
        self.app.client_token(&self.admin, &body).await
    }

    pub fn item(&self, external_id: &str, overall: &str) -> Value {
        json!({
            "external_id": external_id, "unit_id": self.unit, "questionnaire_id": self.questionnaire,
            "channel": "telephone", "interview_date": "2017-08-14", "answers": government_answers(overall)
        })
    }

    pub async fn push(&self, token: &str, items: Vec<Value>) -> reqwest::Response {
        self.app
            .post(&format!("/api/v1/campaigns/{}/pollster/responses", self.campaign), token, &json!({"items": items}))
            .await
    }
}

#[tokio::test]
async fn a_client_gets_a_scoped_token_and_loses_access_when_disabled() {
    let w = world().await;
    let (id, token) = w.client("pollster", None).await;
    let claims = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims).unwrap(),
    )
    .unwrap();
    assert_eq!(claims["role"], "pollster");
    assert_eq!(claims["scope"]["campaigns"], json!([w.campaign]));
    assert_eq!(w.push(&token, vec![w.item("a-1", "satisfied")]).await.status(), 200);

    let form = [
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", id.to_string()),
        ("client_secret", "wrong".to_owned()),
    ];
    let refused = w.app.client.post(w.app.url("/api/v1/auth/token")).form(&form).send().await.unwrap();
    problem(refused, 401).await;

    w.app.created(&format!("/api/v1/clients/{id}/disable"), &w.admin, &json!({})).await;
    problem(w.push(&token, vec![w.item("a-2", "satisfied")]).await, 401).await;
    w.app.created(&format!("/api/v1/clients/{id}/enable"), &w.admin, &json!({})).await;
    let rotated = w.app.created(&format!("/api/v1/clients/{id}/secret"), &w.admin, &json!({})).await;
    let grant = json!({"grant_type": "client_credentials", "client_id": id, "client_secret": rotated["client_secret"]});
    assert_eq!(w.app.request(Method::POST, "/api/v1/auth/token", None, Some(&grant)).await.status(), 200);
}

#[tokio::test]
async fn scope_is_enforced_for_pollsters_and_readers() {
    let w = world().await;
    let (_, pollster) = w.client("pollster", Some(vec![w.unit])).await;
    let (_, reader) = w.client("reader", None).await;
    let other = json!({"items": [w.item("x-1", "satisfied")]});
    problem(
        w.app.post(&format!("/api/v1/campaigns/{}/pollster/responses", w.other_campaign), &pollster, &other).await,
        403,
    )
    .await;
    let mut foreign_unit = w.item("x-2", "satisfied");
    foreign_unit["unit_id"] = json!(w.other_unit);
    problem(w.push(&pollster, vec![w.item("x-3", "satisfied"), foreign_unit]).await, 403).await;
    assert_eq!(w.app.count("pollster_responses").await, 0, "a refused batch stores nothing");
    problem(w.push(&reader, vec![w.item("x-4", "satisfied")]).await, 403).await;
    problem(
        w.app
            .post(
                "/api/v1/units",
                &reader,
                &json!({"code": "z", "name": "Z", "category": "government", "kind": "department"}),
            )
            .await,
        403,
    )
    .await;
    let rows = w.app.get(&format!("/api/v1/campaigns/{}/responses?source=citizen_link", w.campaign), &pollster).await;
    problem(rows, 403).await;
    problem(w.app.get(&format!("/api/v1/campaigns/{}/satisfaction/units", w.other_campaign), &reader).await, 403).await;
    assert_eq!(w.app.get(&format!("/api/v1/campaigns/{}/satisfaction/units", w.campaign), &reader).await.status(), 200);
}

#[tokio::test]
async fn a_replayed_batch_stores_nothing_twice_and_conflicts_are_reported() {
    let w = world().await;
    let (_, token) = w.client("pollster", None).await;
    let batch = vec![w.item("r-1", "satisfied"), w.item("r-2", "dissatisfied")];
    let first: Value = w.push(&token, batch.clone()).await.json().await.unwrap();
    assert_eq!((first["created"].as_u64(), first["unchanged"].as_u64()), (Some(2), Some(0)));
    let again: Value = w.push(&token, batch).await.json().await.unwrap();
    assert_eq!((again["created"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(2)));
    assert_eq!(again["items"][0]["response_id"], first["items"][0]["response_id"]);
    // The report kept before the replay is still current (nothing was added), then gives way
    // to a batch that adds a response.
    let responses = || async {
        let path = format!("/api/v1/campaigns/{}/satisfaction/units?source=pollster", w.campaign);
        let report: Value = w.app.get(&path, &w.admin).await.json().await.unwrap();
        report["cells"][0]["responses"].as_i64()
    };
    assert_eq!(responses().await, Some(2));
    w.push(&token, vec![w.item("r-3", "satisfied")]).await;
    assert_eq!(responses().await, Some(3));
    let changed: Value = w.push(&token, vec![w.item("r-1", "very_dissatisfied")]).await.json().await.unwrap();
    assert_eq!(changed["conflicts"], 1);
    assert_eq!(changed["items"][0]["status"], "conflict");
    assert_eq!((w.app.count("pollster_responses").await, w.app.count("pollster_answers").await), (3, 21));
}

#[tokio::test]
async fn a_thousand_item_batch_with_three_bad_items_stores_the_rest() {
    let w = world().await;
    let (_, token) = w.client("pollster", None).await;
    let mut items: Vec<Value> = (0..1000).map(|i| w.item(&format!("big-{i}"), "satisfied")).collect();
    items[10]["answers"]["overall"] = json!("wonderful");
    items[500]["interview_date"] = json!("not a date");
    items[999]["questionnaire_id"] = json!(Uuid::new_v4());
    let report: Value = w.push(&token, items).await.json().await.unwrap();
    assert_eq!((report["created"].as_u64(), report["invalid"].as_u64()), (Some(997), Some(3)));
    let bad: Vec<(u64, String)> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] == "invalid")
        .map(|o| (o["index"].as_u64().unwrap(), o["errors"][0]["field"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        bad,
        [
            (10, "items[10].answers.overall".to_owned()),
            (500, "items[500].interview_date".to_owned()),
            (999, "items[999].questionnaire_id".to_owned())
        ]
    );
    assert_eq!(w.app.count("pollster_responses").await, 997);
    let too_many: Vec<Value> = (0..1001).map(|i| w.item(&format!("over-{i}"), "satisfied")).collect();
    assert_eq!(fields(&problem(w.push(&token, too_many).await, 422).await), ["items"]);
}

#[tokio::test]
async fn a_csv_upload_with_a_bom_and_chinese_text_is_read_and_errors_name_lines() {
    let w = world().await;
    let (_, token) = w.client("pollster", None).await;
    let header = "external_id,unit_id,questionnaire_id,channel,interview_date,lawful_duty,fair_enforcement,government_openness,efficiency,work_style,integrity,overall,suggestions";
    let row = |id: &str, overall: &str| {
        format!(
            "{id},{},{},street_intercept,2017-08-15,satisfied,satisfied,satisfied,satisfied,satisfied,satisfied,{overall},\"希望窗口多开几个,谢谢\"",
            w.unit, w.questionnaire
        )
    };
    let csv = format!(
        "\u{feff}{header}\n{}\n{}\n{}\n",
        row("c-1", "satisfied"),
        row("c-2", "great"),
        row("c-3", "dont_know")
    );
    let response = w
        .app
        .client
        .post(w.app.url(&format!("/api/v1/campaigns/{}/pollster/responses.csv", w.campaign)))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let report: Value = response.json().await.unwrap();
    assert_eq!((report["created"].as_u64(), report["invalid"].as_u64()), (Some(2), Some(1)), "{report}");
    let bad = report["items"].as_array().unwrap().iter().find(|o| o["status"] == "invalid").unwrap();
    assert_eq!(bad["line"], 3);
    let rows: Value = w
        .app
        .get(&format!("/api/v1/campaigns/{}/exports/responses.csv?source=pollster", w.campaign), &w.admin)
        .await
        .text()
        .await
        .map(|t| json!(t))
        .unwrap();
    let text = rows.as_str().unwrap();
    assert!(text.starts_with('\u{feff}'), "BOM first");
    assert!(text.contains("希望窗口多开几个,谢谢"), "Chinese text survives the round trip");
    let missing = w
        .app
        .client
        .post(w.app.url(&format!("/api/v1/campaigns/{}/pollster/responses.csv", w.campaign)))
        .bearer_auth(&token)
        .body("external_id,overall\nx,satisfied\n")
        .send()
        .await
        .unwrap();
    assert!(problem(missing, 422).await["errors"][0]["message"].as_str().unwrap().contains("unit_id"));
}

#[tokio::test]
async fn summary_figures_keep_history_and_sources_stay_apart() {
    let w = world().await;
    let (client, token) = w.client("pollster", None).await;
    let figure = |rate: f64| json!({"unit_id": w.unit, "satisfaction_rate": rate, "sample_size": 400, "margin_of_error": 0.03, "method": "CATI", "field_period": {"starts_on": "2017-08-01", "ends_on": "2017-08-31"}});
    let path = format!("/api/v1/campaigns/{}/pollster/figures", w.campaign);
    w.app.created(&path, &token, &figure(0.81)).await;
    let second = w.app.created(&path, &token, &figure(0.86)).await;
    assert_eq!(second["client_id"], client.to_string());
    let current: Value = w.app.get(&path, &w.admin).await.json::<Value>().await.unwrap()["items"].clone();
    assert_eq!(current.as_array().unwrap().len(), 1);
    assert_eq!(current[0]["satisfaction_rate"], 0.86);
    let all: Value =
        w.app.get(&format!("{path}?history=true"), &w.admin).await.json::<Value>().await.unwrap()["items"].clone();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(all[0]["superseded_at"].is_string() && all[1]["superseded_at"].is_null());
    problem(w.app.post(&path, &token, &json!({"unit_id": w.unit, "satisfaction_rate": 1.5, "sample_size": 0, "method": "x", "field_period": {"starts_on": "2017-08-01", "ends_on": "2017-08-31"}})).await, 422).await;

    // One citizen response (dissatisfied) and one pollster response (very satisfied).
    let slug = w.app.link(&w.admin, w.questionnaire, w.unit, "web").await;
    assert_eq!(w.app.submit(&slug, "dissatisfied").await.status(), 201);
    w.push(&token, vec![w.item("s-1", "very_satisfied")]).await;
    let by_source: Value = w
        .app
        .get(&format!("/api/v1/campaigns/{}/satisfaction/sources", w.campaign), &w.admin)
        .await
        .json()
        .await
        .unwrap();
    let rate = |source: &str| {
        by_source["cells"].as_array().unwrap().iter().find(|c| c["source"] == source).unwrap()["satisfaction_rate"]
            .as_f64()
            .unwrap()
    };
    assert_eq!((rate("citizen_link"), rate("pollster")), (0.0, 1.0));
    let pollster_only: Value = w
        .app
        .get(&format!("/api/v1/campaigns/{}/satisfaction/units?source=pollster", w.campaign), &w.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pollster_only["cells"][0]["responses"], 1);
    let both: Value = w
        .app
        .get(&format!("/api/v1/campaigns/{}/satisfaction/units", w.campaign), &w.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(both["cells"][0]["responses"], 2);
}

#[tokio::test]
async fn records_for_a_unit_outside_the_campaign_are_refused_naming_it() {
    let w = world().await;
    let outsider = w.app.unit(&w.admin, "wbdw", "government").await;
    let (_, pollster) = w.client("pollster", None).await;
    let base = format!("/api/v1/campaigns/{}", w.campaign);
    let named = |problem: &Value| {
        let errors = problem["errors"].as_array().unwrap();
        errors.iter().any(|e| {
            e["field"].as_str().unwrap().ends_with("unit_id")
                && e["message"].as_str().unwrap().contains(&outsider.to_string())
        })
    };
    let figure = json!({"unit_id": outsider, "satisfaction_rate": 0.9, "sample_size": 400, "method": "CATI", "field_period": {"starts_on": "2017-08-01", "ends_on": "2017-08-31"}});
    assert!(named(&problem(w.app.post(&format!("{base}/pollster/figures"), &pollster, &figure).await, 422).await));
    let notice = json!({"unit_id": outsider, "issued_on": "2017-09-12", "issuing_body": "区委督查室", "summary": "窗口人员脱岗", "points": -3.0});
    assert!(named(&problem(w.app.post(&format!("{base}/notices"), &w.admin, &notice).await, 422).await));
    let violation = json!({"unit_id": outsider, "confirmed_on": "2017-10-30", "authority": "区纪委", "reference": "昭纪〔2017〕12号"});
    assert!(named(&problem(w.app.post(&format!("{base}/violations"), &w.admin, &violation).await, 422).await));
    let finding = json!({"unit_id": outsider, "source": "free_text", "description": "窗口排队时间过长", "found_on": "2017-08-20", "public": true});
    assert!(named(&problem(w.app.post(&format!("{base}/problems"), &w.admin, &finding).await, 422).await));
    let mut item = w.item("ZH-1", "satisfied");
    item["unit_id"] = json!(outsider);
    let report: Value = w.push(&pollster, vec![item]).await.json().await.unwrap();
    assert_eq!((report["created"].as_u64(), report["invalid"].as_u64()), (Some(0), Some(1)));
    assert!(named(&report["items"][0]));
    for table in ["pollster_figures", "supervision_notices", "violation_cases", "problems", "pollster_responses"] {
        assert_eq!(w.app.count(table).await, 0, "{table}");
    }
}
