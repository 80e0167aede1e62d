use pingyi_tests::{fields, id_of, problem, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn units_are_registered_listed_and_rolled_up_under_their_township() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let township = app
        .created(
            "/api/v1/units",
            &admin,
            &json!({"code": "ybz", "name": "元坝镇", "category": "government", "kind": "township"}),
        )
        .await;
    let township_id = id_of(&township);
    let window = json!({"code": "ybz-window", "name": "元坝镇便民服务中心", "category": "government", "kind": "service_window", "parent_id": township_id});
    let window = app.created("/api/v1/units", &admin, &window).await;
    assert_eq!(window["parent_id"], township_id.to_string());
    app.unit(&admin, "gdgs", "public_service").await;

    let children: Value =
        app.get(&format!("/api/v1/units?parent_id={township_id}"), &admin).await.json().await.unwrap();
    assert_eq!(children["total"], 1);
    assert_eq!(children["items"][0]["code"], "ybz-window");
    let page: Value = app.get("/api/v1/units?limit=2&offset=1", &admin).await.json().await.unwrap();
    assert_eq!(
        (page["total"].as_u64(), page["items"].as_array().unwrap().len(), page["limit"].as_u64()),
        (Some(3), 2, Some(2))
    );
    let public_service: Value = app.get("/api/v1/units?category=public_service", &admin).await.json().await.unwrap();
    assert_eq!(public_service["total"], 1);
}

#[tokio::test]
async fn invalid_units_name_every_bad_field_and_store_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let bad = json!({"code": "has space", "name": "bad\u{0}name", "category": "government", "kind": "department"});
    assert_eq!(fields(&problem(app.post("/api/v1/units", &admin, &bad).await, 422).await), ["code", "name"]);
    let bad_kind = json!({"code": "x", "name": "X", "category": "government", "kind": "castle"});
    assert_eq!(fields(&problem(app.post("/api/v1/units", &admin, &bad_kind).await, 422).await), ["kind"]);
    let unknown_field =
        json!({"code": "x", "name": "X", "category": "government", "kind": "department", "colour": "red"});
    problem(app.post("/api/v1/units", &admin, &unknown_field).await, 422).await;
    let orphan = json!({"code": "x", "name": "X", "category": "government", "kind": "station", "parent_id": uuid::Uuid::new_v4()});
    assert_eq!(fields(&problem(app.post("/api/v1/units", &admin, &orphan).await, 422).await), ["parent_id"]);
    assert_eq!(app.count("units").await, 0);
    app.unit(&admin, "dup", "government").await;
    let taken = problem(
        app.post(
            "/api/v1/units",
            &admin,
            &json!({"code": "dup", "name": "D", "category": "government", "kind": "department"}),
        )
        .await,
        409,
    )
    .await;
    // The database's unique constraint is named to the client: the record and the field.
    assert_eq!(fields(&taken), ["code"], "{taken}");
    assert_eq!(taken["detail"], "a unit with the same code exists already");
}

#[tokio::test]
async fn a_unit_can_be_updated_but_not_made_its_own_parent() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app.unit(&admin, "jyj", "government").await;
    let path = format!("/api/v1/units/{id}");
    let changed = json!({"code": "jyj", "name": "区教育和体育局", "category": "government", "kind": "department"});
    let response = app.request(reqwest::Method::PUT, &path, Some(&admin), Some(&changed)).await;
    assert_eq!(response.status(), 200);
    let fetched: Value = app.get(&path, &admin).await.json().await.unwrap();
    assert_eq!(fetched["name"], "区教育和体育局");
    let own_parent =
        json!({"code": "jyj", "name": "X", "category": "government", "kind": "department", "parent_id": id});
    problem(app.request(reqwest::Method::PUT, &path, Some(&admin), Some(&own_parent)).await, 422).await;
    problem(app.get(&format!("/api/v1/units/{}", uuid::Uuid::new_v4()), &admin).await, 404).await;
}

#[tokio::test]
async fn a_campaign_gets_the_plans_calendar_and_settings_by_default() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app
        .created("/api/v1/campaigns", &admin, &json!({"year": 2017, "title": "昭化区2017年度民主评议政风行风"}))
        .await;
    assert_eq!(campaign["phases"]["mobilisation"], json!({"starts_on": "2017-06-01", "ends_on": "2017-06-20"}));
    assert_eq!(campaign["phases"]["survey"], json!({"starts_on": "2017-06-21", "ends_on": "2017-09-30"}));
    assert_eq!(campaign["phases"]["rectification"], json!({"starts_on": "2017-10-01", "ends_on": "2017-11-30"}));
    assert_eq!(campaign["settings"]["qualified_min"], 70.0);
    assert_eq!(campaign["settings"]["excellent_min"], 90.0);
    assert_eq!(campaign["settings"]["bottom_n"], 3);
    let fetched: Value =
        app.get(&format!("/api/v1/campaigns/{}", id_of(&campaign)), &admin).await.json().await.unwrap();
    assert_eq!(fetched, campaign);
    problem(app.post("/api/v1/campaigns", &admin, &json!({"year": 2017, "title": "again"})).await, 409).await;
}

#[tokio::test]
async fn campaign_phases_and_weights_are_checked() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = json!({
        "year": 2018, "title": "2018",
        "phases": {
            "mobilisation": {"starts_on": "2018-06-01", "ends_on": "2018-06-20"},
            "survey": {"starts_on": "2018-06-10", "ends_on": "2018-09-30"},
            "rectification": {"starts_on": "2018-10-01", "ends_on": "2018-09-01"},
            "assessment": {"starts_on": "2018-12-20", "ends_on": "2018-12-31"}
        },
        "settings": {"weights": {"conference": 0.5, "third_party": 0.5, "citizen_links": 0.5, "supervision": 0.0}}
    });
    let p = problem(app.post("/api/v1/campaigns", &admin, &body).await, 422).await;
    assert_eq!(fields(&p), ["phases.survey.starts_on", "phases.rectification.ends_on", "settings.weights"]);
    assert_eq!(app.count("campaigns").await, 0);
}
