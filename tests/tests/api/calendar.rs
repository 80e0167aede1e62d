//! The plan's calendar walked through one campaign: its deliverables defined, one handed in on
//! time, one late, one returned and handed in again; the reminders delivered to a receiver by
//! signed webhook and to a local SMTP sink as a digest; the notice board showing only what is public; the before/after report
//! with real figures; a township's account held to its stations; the result published and the
//! official notice issued as PDF and DOCX.

use std::io::Read;

use chrono::{Duration, Utc};
use pingyi::auth::Role;
use pingyi_tests::{TestApp, problem, spawn_app_with};
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

const PDF: &[u8] = b"%PDF-1.4\n%%EOF\n";

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn hand_in(app: &TestApp, token: &str, deliverable: &str, unit: Uuid, name: &str) -> Value {
    let unit = unit.to_string();
    ok(app.hand_in(token, deliverable, &[("unit_id", &unit)], Some((name, PDF))).await).await
}

async fn review(app: &TestApp, admin: &str, hand_in: &Value, decision: Value) -> Value {
    let path = format!("/api/v1/hand-ins/{}/review", hand_in["id"].as_str().unwrap());
    ok(app.request(Method::PUT, &path, Some(admin), Some(&decision)).await).await
}

#[tokio::test]
async fn the_plans_year_walked_through_one_campaign() {
    let (port, mails) = crate::reminder_mail::sink(std::sync::Arc::new(std::sync::Mutex::new(false))).await;
    let app = spawn_app_with(|settings| {
        settings.smtp = Some(pingyi::mail::smtp::SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port,
            from: "pingyi@example.gov.cn".to_owned(),
        });
    })
    .await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let bureau = app.unit_of_kind(&admin, "jtysj", "department", None).await;
    let township = app.unit_of_kind(&admin, "ybz", "township", None).await;
    let station = app.unit_of_kind(&admin, "ybz-gts", "station", Some(township)).await;
    let window = app.unit_of_kind(&admin, "ybz-bmfw", "service_window", Some(township)).await;
    let members = format!("/api/v1/campaigns/{campaign}/units");
    app.created(&members, &admin, &json!({"unit_id": bureau, "role": "district_key"})).await;
    let bureau_staff = app.token(Role::Unit, Some(bureau)).await;
    let township_staff = app.token(Role::Unit, Some(township)).await;
    // The township's account reads its reminders by mail too.
    let accounts: Value = app.get("/api/v1/accounts", &admin).await.json().await.unwrap();
    let township_account =
        accounts["items"].as_array().unwrap().iter().find(|a| a["unit_id"] == township.to_string()).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let address = json!({"email": "dzb@ybz.example.gov.cn"});
    ok(app
        .request(Method::PUT, &format!("/api/v1/accounts/{township_account}/email"), Some(&admin), Some(&address))
        .await)
    .await;
    for pick in [station, window] {
        ok(app.post(&members, &township_staff, &json!({"unit_id": pick, "role": "township_key"})).await).await;
    }

    // The office's OA listens for reminders.
    let (url, received) = crate::webhooks::receiver(vec![200]).await;
    let (_, oa) = app.client_token(&admin, &json!({"name": "OA", "role": "reader", "campaign_ids": [campaign]})).await;
    let events = json!({"url": url, "events": ["deliverable.due_soon", "deliverable.overdue"]});
    app.created("/api/v1/webhooks", &oa, &events).await;

    // The deliverables: the plan's four and a review due in three days.
    let deliverables = format!("/api/v1/campaigns/{campaign}/deliverables");
    let planned = ok(app.post(&format!("{deliverables}/planned"), &admin, &json!({})).await).await;
    let of_kind = |kind: &str| {
        planned.as_array().unwrap().iter().find(|d| d["kind"] == kind).unwrap()["id"].as_str().unwrap().to_owned()
    };
    let (evaluation_plan, work_summary) = (of_kind("evaluation_plan"), of_kind("work_summary"));
    let soon = (Utc::now() + Duration::days(3)).with_timezone(&pingyi::domain::calendar::plan_zone()).date_naive();
    let review_materials = json!({"kind": "other", "title": "回头看自查材料", "due_on": soon, "receivers": ["office"]});
    let review_materials =
        app.created(&deliverables, &admin, &review_materials).await["id"].as_str().unwrap().to_owned();

    // On time, late, and returned then handed in again.
    let on_time = hand_in(&app, &bureau_staff, &review_materials, bureau, "自查.pdf").await;
    assert_eq!(on_time["late"], false);
    let late = hand_in(&app, &bureau_staff, &evaluation_plan, bureau, "方案.pdf").await;
    assert_eq!(late["late"], true, "the plan's 20 June has passed");
    let first = hand_in(&app, &township_staff, &work_summary, station, "总结.pdf").await;
    review(&app, &admin, &first, json!({"decision": "returned", "comment": "请补充数据"})).await;
    let again = hand_in(&app, &township_staff, &work_summary, station, "总结（修改）.pdf").await;
    assert_eq!(again["version"], 2);
    review(&app, &admin, &again, json!({"decision": "accepted", "public": true})).await;

    // The reminders, delivered: due soon to those who owe the review, overdue to those who owe
    // the plan; none to who handed in.
    let reminders = app.jobs.send_reminders().await.unwrap();
    // Due soon: the review, to the station and the window. Overdue: the plan (station, window),
    // the rectification report and the head's report (all three), the summary (window, bureau).
    assert_eq!(reminders, 2 + 2 + 3 + 3 + 2);
    let mut delivered: Vec<(String, String, String)> = Vec::new();
    for _ in 0..100 {
        app.jobs.deliver_webhooks().await.unwrap();
        delivered = received
            .lock()
            .unwrap()
            .iter()
            .map(|r| {
                assert!(r.header("webhook-signature").starts_with("v1,"), "signed");
                let payload: Value = serde_json::from_slice(&r.body).unwrap();
                let details = &payload["data"]["details"];
                (
                    payload["type"].as_str().unwrap().to_owned(),
                    details["deliverable_id"].as_str().unwrap().to_owned(),
                    details["unit_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        if delivered.len() == reminders {
            break;
        }
    }
    let got = |event: &str, deliverable: &str, unit: Uuid| {
        delivered.contains(&(event.to_owned(), deliverable.to_owned(), unit.to_string()))
    };
    assert!(
        got("deliverable.due_soon", &review_materials, station)
            && got("deliverable.due_soon", &review_materials, window)
    );
    assert!(!got("deliverable.due_soon", &review_materials, bureau), "the bureau handed it in");
    assert!(
        got("deliverable.overdue", &evaluation_plan, station) && !got("deliverable.overdue", &evaluation_plan, bureau)
    );
    assert!(got("deliverable.overdue", &work_summary, window) && !got("deliverable.overdue", &work_summary, station));
    assert_eq!(delivered.len(), reminders, "every reminder delivered");
    // And by mail: one digest for the township, of its two units' reminders.
    let mailed = mails.lock().unwrap().clone();
    assert_eq!(mailed.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(), ["dzb@ybz.example.gov.cn"]);
    let digest = mailed[0].body();
    assert!(
        digest.contains("单位 ybz-gts：《回头看自查材料》") && digest.contains("单位 ybz-bmfw：《单位评议工作方案》"),
        "{digest}"
    );
    assert!(!digest.contains("单位 jtysj"), "the bureau's account has no address");
    assert_eq!(app.jobs.send_reminders().await.unwrap(), 0, "each reminder once");

    // The notice board: the station's public problem and accepted summary; nothing private.
    let problems = format!("/api/v1/campaigns/{campaign}/problems");
    let problem_of = |unit: Uuid, text: &str, public: bool| json!({"unit_id": unit, "source": "visit", "description": text, "found_on": "2017-08-20", "public": public});
    ok(app.post(&problems, &township_staff, &problem_of(station, "窗口指示不清", true)).await).await;
    ok(app.post(&problems, &bureau_staff, &problem_of(bureau, "内部审批拖延", false)).await).await;
    let board = app.request(Method::GET, &format!("/api/v1/public/campaigns/{campaign}/problems"), None, None).await;
    let board = ok(board).await.to_string();
    assert!(board.contains("窗口指示不清") && board.contains("总结（修改）.pdf"), "{board}");
    assert!(!board.contains("内部审批拖延") && !board.contains("方案.pdf") && !board.contains("自查.pdf"), "{board}");

    // The township's account: its stations only.
    let listed = ok(app.get(&problems, &township_staff).await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    problem(app.post(&problems, &township_staff, &problem_of(bureau, "越权", true)).await, 403).await;

    // Before and after, with real answers: the bureau's link, a month apart.
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let slug = app.link(&admin, questionnaire, bureau, "web").await;
    for level in ["dissatisfied"; 6].into_iter().chain(["satisfied"; 6]) {
        assert_eq!(app.submit(&slug, level).await.status(), 201);
    }
    entity::response::Entity::update_many()
        .col_expr(
            entity::response::Column::SubmittedHour,
            Expr::value(pingyi::store::round_to_hour(Utc::now() - Duration::days(30))),
        )
        .filter(entity::response::Column::UnitId.eq(bureau))
        .exec(&app.db)
        .await
        .unwrap();
    app.phase(&admin, campaign, "rectification").await;
    let now = Utc::now().fixed_offset();
    let resurvey = json!({"opens_at": now - Duration::minutes(1), "closes_at": now + Duration::days(10)});
    let path = format!("/api/v1/campaigns/{campaign}/units/{bureau}/resurvey");
    ok(app.request(Method::PUT, &path, Some(&admin), Some(&resurvey)).await).await;
    for _ in 0..12 {
        assert_eq!(app.submit(&slug, "very_satisfied").await.status(), 201);
    }
    let compared =
        ok(app.get(&format!("/api/v1/campaigns/{campaign}/units/{bureau}/before-after"), &bureau_staff).await).await;
    let overall = compared["dimensions"].as_array().unwrap().iter().find(|d| d["dimension"] == "overall").unwrap();
    assert_eq!(
        (overall["before"]["satisfaction_rate"].as_f64(), overall["after"]["satisfaction_rate"].as_f64()),
        (Some(0.4), Some(1.0))
    );

    // The assessment: a result computed, approved by two, published, and its notice issued.
    app.phase(&admin, campaign, "assessment").await;
    let computed = app.created(&format!("/api/v1/campaigns/{campaign}/results"), &admin, &json!({})).await;
    let result = computed["id"].as_str().unwrap().to_owned();
    for approver in [app.token(Role::Approver, None).await, app.token(Role::Approver, None).await] {
        app.created(&format!("/api/v1/results/{result}/approve"), &approver, &json!({})).await;
    }
    app.created(&format!("/api/v1/results/{result}/publish"), &admin, &json!({})).await;
    let notice = json!({"doc_number": "昭评办〔2018〕1号", "issuing_body": "昭化区民主评议政风行风工作领导小组办公室", "issued_on": "2018-01-15"});
    let issued = app.created(&format!("/api/v1/campaigns/{campaign}/official-notices"), &admin, &notice).await;
    let pdf = app.get(issued["pdf"].as_str().unwrap(), &admin).await.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let docx = app.get(issued["docx"].as_str().unwrap(), &admin).await.bytes().await.unwrap();
    let mut xml = String::new();
    zip::ZipArchive::new(std::io::Cursor::new(docx.to_vec()))
        .unwrap()
        .by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    for expected in ["关于2017年度民主评议政风行风工作结果的通报", "单位 jtysj", "单位 ybz-gts", "市纠风办"]
    {
        assert!(xml.contains(expected), "{expected} in the notice");
    }
}
