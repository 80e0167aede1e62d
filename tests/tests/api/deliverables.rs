//! The plan's deliverables: defined from the plan or by hand, handed in by units as
//! documents told by their bytes, in versions, late after the due date, accepted or returned
//! by the office, read by those who receive them, published only when the office says so,
//! and reminded of through the webhooks once per unit.

use std::io::{Cursor, Write};

use pingyi::auth::Role;
use pingyi_tests::{TestApp, fields, problem, spawn_app, spawn_app_with};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

/// A minimal Word document: what makes an archive a DOCX.
fn docx() -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut out);
    for (name, body) in [("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w:document/>")] {
        writer.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(body.as_bytes()).unwrap();
    }
    writer.finish().unwrap();
    out.into_inner()
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.request(Method::PUT, path, Some(token), Some(body)).await
}

struct World {
    app: TestApp,
    admin: String,
    campaign: Uuid,
    first: Uuid,
    second: Uuid,
    first_staff: String,
    second_staff: String,
}

async fn world(app: TestApp) -> World {
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let first = app.unit(&admin, "first", "government").await;
    let second = app.unit(&admin, "second", "government").await;
    for member in [first, second] {
        let body = json!({"unit_id": member, "role": "district_key"});
        app.created(&format!("/api/v1/campaigns/{campaign}/units"), &admin, &body).await;
    }
    let first_staff = app.token(Role::Unit, Some(first)).await;
    let second_staff = app.token(Role::Unit, Some(second)).await;
    World { app, admin, campaign, first, second, first_staff, second_staff }
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn units_hand_in_versions_the_office_accepts_or_returns() {
    let World { app, admin, campaign, first, second, first_staff, second_staff } = world(spawn_app().await).await;
    let list_path = format!("/api/v1/campaigns/{campaign}/deliverables");

    // The plan's four, once however often asked, on the plan's days.
    let planned = json_of(app.post(&format!("{list_path}/planned"), &admin, &json!({})).await, 200).await;
    let again = json_of(app.post(&format!("{list_path}/planned"), &admin, &json!({})).await, 200).await;
    assert_eq!((planned.as_array().unwrap().len(), again.as_array().unwrap().len()), (4, 4));
    let due: Vec<(&str, &str)> = planned
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["kind"].as_str().unwrap(), d["due_on"].as_str().unwrap()))
        .collect();
    assert!(due.contains(&("evaluation_plan", "2017-06-20")), "{due:?}");
    assert!(due.contains(&("rectification_report", "2017-11-30")), "{due:?}");
    assert!(due.contains(&("work_summary", "2017-12-20")), "{due:?}");
    let plan = planned.as_array().unwrap().iter().find(|d| d["kind"] == "evaluation_plan").unwrap().clone();
    assert_eq!(plan["counts"]["expected"], 2);
    assert_eq!(plan["counts"]["missing"], 2);

    // One only the first unit hands in, due far ahead, for the office alone.
    let body = json!({"kind": "other", "title": "整改回头看材料", "due_on": "2099-12-31", "units": [first], "receivers": ["office"]});
    let later = app.created(&list_path, &admin, &body).await;
    assert_eq!(later["receivers"], json!(["office"]));
    let outsider = Uuid::new_v4();
    let no_receivers = json!({"kind": "other", "title": "x", "due_on": "2099-12-31", "receivers": []});
    assert_eq!(fields(&problem(app.post(&list_path, &admin, &no_receivers).await, 422).await), ["receivers"]);
    let stranger =
        json!({"kind": "other", "title": "x", "due_on": "2099-12-31", "units": [outsider], "receivers": ["office"]});
    assert_eq!(fields(&problem(app.post(&list_path, &admin, &stranger).await, 422).await), ["units[0]"]);
    let duplicate =
        json!({"kind": "other", "title": "整改回头看材料", "due_on": "2099-12-31", "receivers": ["office"]});
    problem(app.post(&list_path, &admin, &duplicate).await, 409).await;
    problem(app.post(&list_path, &first_staff, &duplicate).await, 403).await;

    // Handed in late (the plan's day has passed) with a PDF; on time with a DOCX.
    let plan_id = id(&plan);
    let first_text = first.to_string();
    let v1 = json_of(
        app.hand_in(
            &first_staff,
            &plan_id,
            &[("unit_id", &first_text), ("note", "本单位评议工作方案")],
            Some(("方案.pdf", PDF)),
        )
        .await,
        201,
    )
    .await;
    assert_eq!((v1["version"].as_i64(), v1["late"].as_bool()), (Some(1), Some(true)));
    assert_eq!(v1["content_type"], "application/pdf");
    assert_eq!(v1["status"], "submitted");
    assert_eq!(v1["file_name"], "方案.pdf");
    let word = docx();
    let on_time = json_of(
        app.hand_in(&first_staff, &id(&later), &[("unit_id", &first_text)], Some(("材料.docx", &word))).await,
        201,
    )
    .await;
    assert_eq!(on_time["late"], false);
    assert_eq!(on_time["content_type"], "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    assert_eq!(app.audited("hand_in.submitted", &id(&v1)).await, 1);

    // Refusals, each naming its field, storing nothing.
    let stored = app.count("hand_ins").await;
    let page = b"<html><script>alert(1)</script></html>";
    let named =
        problem(app.hand_in(&first_staff, &plan_id, &[("unit_id", &first_text)], Some(("方案.pdf", page))).await, 422)
            .await;
    assert_eq!(fields(&named), ["document"]);
    let empty = problem(app.hand_in(&first_staff, &plan_id, &[("unit_id", &first_text)], None).await, 422).await;
    assert_eq!(fields(&empty), ["document"]);
    let no_unit = problem(app.hand_in(&first_staff, &plan_id, &[("note", "x")], Some(("a.pdf", PDF))).await, 422).await;
    assert_eq!(fields(&no_unit), ["unit_id"]);
    let second_text = second.to_string();
    problem(app.hand_in(&first_staff, &plan_id, &[("unit_id", &second_text)], Some(("a.pdf", PDF))).await, 403).await;
    let not_theirs =
        problem(app.hand_in(&second_staff, &id(&later), &[("unit_id", &second_text)], Some(("a.pdf", PDF))).await, 422)
            .await;
    assert_eq!(fields(&not_theirs), ["unit_id"]);
    let garbled = app
        .client
        .post(app.url(&format!("/api/v1/deliverables/{plan_id}/hand-ins")))
        .bearer_auth(&first_staff)
        .header("content-type", "multipart/form-data; boundary=nothing-here")
        .body("not a form")
        .send()
        .await
        .unwrap();
    problem(garbled, 400).await;
    assert_eq!(app.count("hand_ins").await, stored, "a refused hand-in stores nothing");

    // Returned (a comment is required), handed in again, the old version no longer reviewable.
    let review_path = |h: &Value| format!("/api/v1/hand-ins/{}/review", id(h));
    let no_reason = problem(put(&app, &review_path(&v1), &admin, &json!({"decision": "returned"})).await, 422).await;
    assert_eq!(fields(&no_reason), ["comment"]);
    problem(put(&app, &review_path(&v1), &first_staff, &json!({"decision": "accepted"})).await, 403).await;
    let returned = json_of(
        put(&app, &review_path(&v1), &admin, &json!({"decision": "returned", "comment": "请补充时间安排"})).await,
        200,
    )
    .await;
    assert_eq!(
        (returned["status"].as_str(), returned["review_comment"].as_str()),
        (Some("returned"), Some("请补充时间安排"))
    );
    problem(put(&app, &review_path(&v1), &admin, &json!({"decision": "accepted"})).await, 409).await;
    let v2 = json_of(
        app.hand_in(
            &first_staff,
            &plan_id,
            &[("unit_id", &first_text), ("note", "已补充时间安排")],
            Some(("方案2.pdf", PDF)),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(v2["version"], 2);
    problem(put(&app, &review_path(&v1), &admin, &json!({"decision": "accepted"})).await, 409).await;
    let accepted =
        json_of(put(&app, &review_path(&v2), &admin, &json!({"decision": "accepted", "public": true})).await, 200)
            .await;
    assert_eq!((accepted["status"].as_str(), accepted["public"].as_bool()), (Some("accepted"), Some(true)));
    problem(app.hand_in(&first_staff, &plan_id, &[("unit_id", &first_text)], Some(("方案3.pdf", PDF))).await, 409)
        .await;

    // Versions newest first; each unit's standing; a unit sees its own only.
    let versions =
        json_of(app.get(&format!("/api/v1/deliverables/{plan_id}/hand-ins?unit_id={first}"), &admin).await, 200).await;
    let numbers: Vec<i64> =
        versions["items"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [2, 1]);
    let detail = json_of(app.get(&format!("/api/v1/deliverables/{plan_id}"), &admin).await, 200).await;
    let standings = detail["standings"].as_array().unwrap();
    let of = |unit: Uuid| standings.iter().find(|s| s["unit_id"] == unit.to_string()).unwrap().clone();
    assert_eq!((of(first)["latest"]["version"].as_i64(), of(first)["overdue"].as_bool()), (Some(2), Some(false)));
    assert_eq!((of(second)["latest"].is_null(), of(second)["overdue"].as_bool()), (true, Some(true)));
    assert_eq!(detail["counts"]["accepted"], 1);
    assert_eq!(detail["counts"]["missing"], 1);
    assert_eq!(detail["counts"]["late"], 1);
    let own = json_of(app.get(&format!("/api/v1/deliverables/{plan_id}"), &second_staff).await, 200).await;
    assert_eq!(own["standings"].as_array().unwrap().len(), 1);
    problem(app.get(&format!("/api/v1/deliverables/{plan_id}/hand-ins?unit_id={first}"), &second_staff).await, 403)
        .await;

    // The observer (the CPPCC office) reads what it receives, not what it does not.
    let observer = app.token(Role::Observer, None).await;
    let seen = json_of(app.get(&list_path, &observer).await, 200).await["items"].clone();
    assert_eq!(seen.as_array().unwrap().len(), 4, "the office-only deliverable is not listed");
    problem(app.get(&format!("/api/v1/deliverables/{}", id(&later)), &observer).await, 403).await;

    // Documents: to those who may read them, as handed in; public only when made public.
    let download = app.get(&format!("/api/v1/hand-ins/{}/document", id(&v1)), &first_staff).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert!(download.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);
    problem(app.get(&format!("/api/v1/hand-ins/{}/document", id(&v1)), &second_staff).await, 403).await;
    let public = app.request(Method::GET, &format!("/api/v1/public/hand-ins/{}/document", id(&v2)), None, None).await;
    assert_eq!(public.status(), 200);
    for hidden in [&v1, &on_time] {
        let path = format!("/api/v1/public/hand-ins/{}/document", id(hidden));
        problem(app.request(Method::GET, &path, None, None).await, 404).await;
    }
    let board: Value = app
        .request(Method::GET, &format!("/api/v1/public/campaigns/{campaign}/problems"), None, None)
        .await
        .json()
        .await
        .unwrap();
    let documents = &board["units"][0]["documents"];
    assert_eq!(documents.as_array().unwrap().len(), 1, "{board}");
    assert_eq!(documents[0]["title"], "单位评议工作方案");
    assert_eq!(documents[0]["url"], format!("/api/v1/public/hand-ins/{}/document", id(&v2)));
    let page = app.request(Method::GET, &format!("/notice/{campaign}/{first}"), None, None).await.text().await.unwrap();
    assert!(page.contains("公开材料") && page.contains("方案2.pdf"), "{page}");
}

#[tokio::test]
async fn reminders_go_out_by_webhook_once_per_unit() {
    let World { app, admin, campaign, first, second, first_staff, .. } = world(spawn_app().await).await;
    let (_, reader) =
        app.client_token(&admin, &json!({"name": "oa", "role": "reader", "campaign_ids": [campaign]})).await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let events = json!({"url": url, "events": ["deliverable.due_soon", "deliverable.overdue"]});
    app.created("/api/v1/webhooks", &reader, &events).await;

    let list_path = format!("/api/v1/campaigns/{campaign}/deliverables");
    let soon = (chrono::Utc::now() + chrono::Duration::days(3)).with_timezone(&pingyi::domain::calendar::plan_zone());
    let soon = soon.date_naive().to_string();
    let body =
        json!({"kind": "work_summary", "title": "评议工作总结", "due_on": soon, "receivers": ["office", "cppcc"]});
    let summary = app.created(&list_path, &admin, &body).await;
    let body = json!({"kind": "evaluation_plan", "title": "单位评议工作方案", "due_on": "2017-06-20", "receivers": ["office"]});
    let plan = app.created(&list_path, &admin, &body).await;
    let body = json!({"kind": "other", "title": "远期材料", "due_on": "2099-12-31", "receivers": ["office"]});
    app.created(&list_path, &admin, &body).await;
    // The first unit has handed its plan in: it is not reminded of it.
    let first_text = first.to_string();
    json_of(app.hand_in(&first_staff, &id(&plan), &[("unit_id", &first_text)], Some(("方案.pdf", PDF))).await, 201)
        .await;

    assert_eq!(app.jobs.send_reminders().await.unwrap(), 3);
    assert_eq!(app.jobs.send_reminders().await.unwrap(), 0, "each reminder goes out once");
    let queued = entity::webhook_delivery::Entity::find()
        .filter(entity::webhook_delivery::Column::EventType.is_in([
            entity::vocabulary::EventType::DeliverableDueSoon,
            entity::vocabulary::EventType::DeliverableOverdue,
        ]))
        .all(&app.db)
        .await
        .unwrap();
    let mut sent: Vec<(String, String, String)> = queued
        .iter()
        .map(|d| {
            let payload: Value = serde_json::from_str(&d.payload).unwrap();
            let details = &payload["data"]["details"];
            (
                payload["type"].as_str().unwrap().to_owned(),
                details["deliverable_id"].as_str().unwrap().to_owned(),
                details["unit_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    sent.sort();
    let mut expected = vec![
        ("deliverable.due_soon".to_owned(), id(&summary), first.to_string()),
        ("deliverable.due_soon".to_owned(), id(&summary), second.to_string()),
        ("deliverable.overdue".to_owned(), id(&plan), second.to_string()),
    ];
    expected.sort();
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn documents_can_be_kept_in_a_directory_and_are_size_limited() {
    let dir = tempfile::tempdir().unwrap();
    let kept_in = dir.path().to_path_buf();
    let app = spawn_app_with(|settings| {
        settings.documents.dir = Some(kept_in);
        settings.documents.max_bytes = 1024 * 1024;
    })
    .await;
    let World { app, admin, campaign, first, first_staff, .. } = world(app).await;
    let body =
        json!({"kind": "work_summary", "title": "评议工作总结", "due_on": "2099-12-20", "receivers": ["office"]});
    let summary = app.created(&format!("/api/v1/campaigns/{campaign}/deliverables"), &admin, &body).await;
    let first_text = first.to_string();
    let made = json_of(
        app.hand_in(&first_staff, &id(&summary), &[("unit_id", &first_text)], Some(("总结.pdf", PDF))).await,
        201,
    )
    .await;
    let row =
        entity::hand_in::Entity::find_by_id(id(&made).parse::<Uuid>().unwrap()).one(&app.db).await.unwrap().unwrap();
    assert!(row.content.is_none(), "the bytes are not in the database");
    let file = dir.path().join(row.stored_as.unwrap());
    assert_eq!(std::fs::read(&file).unwrap(), PDF);
    let download = app.get(&format!("/api/v1/hand-ins/{}/document", id(&made)), &admin).await;
    assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);

    let mut large = PDF.to_vec();
    large.resize(1024 * 1024 + 1, b' ');
    let stored = app.count("hand_ins").await;
    problem(app.hand_in(&first_staff, &id(&summary), &[("unit_id", &first_text)], Some(("大.pdf", &large))).await, 413)
        .await;
    assert_eq!(app.count("hand_ins").await, stored);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing else was written");
}

/// Hand-ins arriving at once are numbered one after the other, and two reviews of one
/// hand-in at once decide it once.
#[tokio::test]
async fn hand_ins_and_reviews_at_once_keep_their_order() {
    let World { app, admin, campaign, first, first_staff, .. } = world(spawn_app().await).await;
    let body =
        json!({"kind": "work_summary", "title": "评议工作总结", "due_on": "2099-12-20", "receivers": ["office"]});
    let summary = id(&app.created(&format!("/api/v1/campaigns/{campaign}/deliverables"), &admin, &body).await);
    let first_text = first.to_string();
    let fields = [("unit_id", first_text.as_str()), ("note", "总结")];
    let sent = futures_util::future::join_all(
        (0..6).map(|_| app.hand_in(&first_staff, &summary, &fields, Some(("a.pdf", PDF)))),
    )
    .await;
    let mut versions = Vec::new();
    for response in sent {
        versions.push(json_of(response, 201).await["version"].as_i64().unwrap());
    }
    versions.sort_unstable();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6]);

    let detail = json_of(app.get(&format!("/api/v1/deliverables/{summary}"), &admin).await, 200).await;
    let standing = detail["standings"].as_array().unwrap().iter().find(|s| s["unit_id"] == first_text).unwrap().clone();
    let latest = standing["latest"]["id"].as_str().unwrap().to_owned();
    assert_eq!(standing["latest"]["version"], 6);
    let path = format!("/api/v1/hand-ins/{latest}/review");
    let (accepting, returning) = (json!({"decision": "accepted"}), json!({"decision": "returned", "comment": "重写"}));
    let (accept, send_back) = tokio::join!(put(&app, &path, &admin, &accepting), put(&app, &path, &admin, &returning));
    let mut statuses = [accept.status().as_u16(), send_back.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    assert_eq!(app.audited("hand_in.reviewed", &latest).await, 1);
}
