use std::collections::HashSet;

use chrono::{DurationRound, TimeDelta, Utc};
use pingyi_tests::{TestApp, problem, spawn_app};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

async fn with_responses(count: usize) -> (TestApp, String, Uuid, String) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let slug = app.link(&admin, questionnaire, unit, "web").await;
    for i in 0..count {
        let overall = if i % 2 == 0 { "satisfied" } else { "dissatisfied" };
        assert_eq!(app.submit(&slug, overall).await.status(), 201);
    }
    (app, admin, campaign, slug)
}

/// Moves every response stored so far into the previous hour, as if that hour were over.
async fn age_everything(app: &TestApp) {
    let last_hour = (Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap() - TimeDelta::hours(1)).fixed_offset();
    entity::response::Entity::update_many()
        .col_expr(entity::response::Column::SubmittedHour, Expr::value(last_hour))
        .filter(entity::response::Column::SubmittedHour.gt(last_hour))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn cursor_pages_stay_stable_while_responses_keep_arriving() {
    let (app, admin, campaign, slug) = with_responses(5).await;
    let path = format!("/api/v1/campaigns/{campaign}/responses");
    let empty: Value = app.get(&format!("{path}?limit=2"), &admin).await.json().await.unwrap();
    assert_eq!(empty["items"].as_array().unwrap().len(), 0, "the current hour is not served yet");
    age_everything(&app).await;

    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    for _ in 0..100 {
        let url = match &cursor {
            Some(after) => format!("{path}?limit=2&after={after}"),
            None => format!("{path}?limit=2"),
        };
        let page: Value = app.get(&url, &admin).await.json().await.unwrap();
        for row in page["items"].as_array().unwrap() {
            assert!(seen.insert(row["id"].as_str().unwrap().to_owned()), "a row came twice");
            assert_eq!(row["answers"].as_object().unwrap().len(), 7);
        }
        // New responses keep arriving between pages.
        assert_eq!(app.submit(&slug, "very_satisfied").await.status(), 201);
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!((seen.len(), pages), (5, 3));
    problem(app.get(&format!("{path}?after=garbage"), &admin).await, 422).await;
    problem(app.get(&format!("{path}?limit=5000"), &admin).await, 422).await;
}

#[tokio::test]
async fn unchanged_aggregates_answer_304_to_their_etag() {
    let (app, admin, campaign, slug) = with_responses(2).await;
    let path = format!("/api/v1/campaigns/{campaign}/satisfaction/units");
    let first = app.get(&path, &admin).await;
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    let same = app.client.get(app.url(&path)).bearer_auth(&admin).header("if-none-match", &tag).send().await.unwrap();
    assert_eq!(same.status(), 304);
    assert_eq!(same.text().await.unwrap(), "");
    assert_eq!(app.submit(&slug, "satisfied").await.status(), 201);
    let changed =
        app.client.get(app.url(&path)).bearer_auth(&admin).header("if-none-match", &tag).send().await.unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), tag);
}

#[tokio::test]
async fn periods_group_answers_by_day() {
    let (app, admin, campaign, _) = with_responses(4).await;
    let report: Value = app
        .get(&format!("/api/v1/campaigns/{campaign}/satisfaction/periods?granularity=day"), &admin)
        .await
        .json()
        .await
        .unwrap();
    let today = Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(report["cells"][0]["period"], today);
    assert_eq!(report["cells"][0]["responses"], 4);
    let month: Value = app
        .get(&format!("/api/v1/campaigns/{campaign}/satisfaction/periods?granularity=month"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(month["cells"][0]["period"], Utc::now().format("%Y-%m").to_string());
}

#[tokio::test]
async fn xlsx_and_csv_exports_hold_the_expected_cells() {
    let (app, admin, campaign, _) = with_responses(6).await;
    let bytes = app
        .get(&format!("/api/v1/campaigns/{campaign}/exports/satisfaction.xlsx"), &admin)
        .await
        .bytes()
        .await
        .unwrap();
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = calamine::Reader::worksheet_range(&mut workbook, "satisfaction").unwrap();
    assert_eq!(range.get_value((0, 0)).unwrap().to_string(), "unit_id");
    assert_eq!(range.get_value((0, 9)).unwrap().to_string(), "satisfaction_rate");
    assert_eq!(range.get_value((1, 7)).unwrap().to_string(), "6", "responses");
    assert_eq!(range.get_value((1, 1)).unwrap().to_string(), "jtysj", "the unit's code beside its id");
    let rate = range.get_value((1, 9)).unwrap().to_string().parse::<f64>().unwrap();
    assert!((rate - 0.4).abs() < 1e-9, "3 × 0.8 / 6 = {rate}");

    let rows =
        app.get(&format!("/api/v1/campaigns/{campaign}/exports/responses.xlsx"), &admin).await.bytes().await.unwrap();
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(rows.to_vec())).unwrap();
    let range = calamine::Reader::worksheet_range(&mut workbook, "responses").unwrap();
    assert_eq!(range.height(), 1 + 6 * 7, "a header and one line per answer");

    let csv = app.get(&format!("/api/v1/campaigns/{campaign}/exports/satisfaction.csv"), &admin).await;
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("\u{feff}unit_id,unit_code,unit_name,dimension"));
    assert_eq!(text.lines().count(), 2);
}

#[tokio::test]
async fn exports_keep_codes_as_text_and_never_run_what_citizens_typed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "0812", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let slug = app.link(&admin, questionnaire, unit, "web").await;
    let mut answers = pingyi_tests::government_answers("satisfied");
    answers["suggestions"] = Value::from("=HYPERLINK(\"http://example.com\",\"点此\")");
    assert_eq!(app.submit_answers(&slug, Uuid::new_v4(), answers).await.status(), 201);
    age_everything(&app).await;

    let csv =
        app.get(&format!("/api/v1/campaigns/{campaign}/exports/responses.csv"), &admin).await.text().await.unwrap();
    let suggestion = csv.lines().find(|l| l.contains("suggestions")).unwrap();
    assert!(suggestion.ends_with(",\"'=HYPERLINK(\"\"http://example.com\"\",\"\"点此\"\")\""), "{suggestion}");

    let rows =
        app.get(&format!("/api/v1/campaigns/{campaign}/exports/responses.xlsx"), &admin).await.bytes().await.unwrap();
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(rows.to_vec())).unwrap();
    let range = calamine::Reader::worksheet_range(&mut workbook, "responses").unwrap();
    let typed = range.rows().find(|r| r[8] == "suggestions").unwrap();
    assert_eq!(typed[9], calamine::Data::String("=HYPERLINK(\"http://example.com\",\"点此\")".to_owned()));
    let formulas = calamine::Reader::worksheet_formula(&mut workbook, "responses").unwrap();
    assert!(formulas.used_cells().all(|(.., f)| f.is_empty()), "no cell is a formula");
    let sheet = String::from_utf8(unzipped(&rows, "xl/worksheets/sheet1.xml")).unwrap();
    let styles = String::from_utf8(unzipped(&rows, "xl/styles.xml")).unwrap();
    assert!(styles.contains("quotePrefix=\"1\""), "{styles}");
    assert!(sheet.contains(" s=\""), "the risky text carries the quote-prefix style");

    let report = app
        .get(&format!("/api/v1/campaigns/{campaign}/exports/satisfaction.xlsx"), &admin)
        .await
        .bytes()
        .await
        .unwrap();
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(report.to_vec())).unwrap();
    let range = calamine::Reader::worksheet_range(&mut workbook, "satisfaction").unwrap();
    assert_eq!(range.get_value((1, 7)), Some(&calamine::Data::Float(1.0)), "counts are numbers");
    assert!(matches!(range.get_value((1, 0)), Some(calamine::Data::String(_))), "ids are text");

    // The results report keeps the unit's code as it is.
    let body = serde_json::json!({"unit_id": unit, "role": "district_key"});
    app.created(&format!("/api/v1/campaigns/{campaign}/units"), &admin, &body).await;
    app.phase(&admin, campaign, "rectification").await;
    app.phase(&admin, campaign, "assessment").await;
    let result = app.created(&format!("/api/v1/campaigns/{campaign}/results"), &admin, &serde_json::json!({})).await;
    let id = result["id"].as_str().unwrap();
    let report = app.get(&format!("/api/v1/results/{id}/report.xlsx"), &admin).await.bytes().await.unwrap();
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(report.to_vec())).unwrap();
    let range = calamine::Reader::worksheet_range(&mut workbook, "results").unwrap();
    assert_eq!(range.get_value((0, 2)), Some(&calamine::Data::String("unit_code".to_owned())));
    assert_eq!(range.get_value((1, 2)), Some(&calamine::Data::String("0812".to_owned())), "not the number 812");
    let csv = app.get(&format!("/api/v1/results/{id}/report.csv"), &admin).await.text().await.unwrap();
    assert!(csv.lines().nth(1).unwrap().contains(",0812,"), "{csv}");
}

fn unzipped(bytes: &[u8], name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut file = archive.by_name(name).unwrap();
    let mut out = Vec::new();
    file.read_to_end(&mut out).unwrap();
    out
}
