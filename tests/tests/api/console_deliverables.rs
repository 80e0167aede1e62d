//! The console's deliverables: the office adds the plan's, a unit hands in a document through
//! the upload form (no script), the office returns it with a comment, the unit hands in again,
//! the office accepts and publishes it; the dashboard shows the deadlines and what is overdue.

use pingyi::auth::Role;
use pingyi_tests::{PASSWORD, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use super::console_browser::{Browser, account, location};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

#[tokio::test]
async fn the_office_and_a_unit_take_a_deliverable_through_the_console() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let first = app.unit(&admin, "first", "government").await;
    let second = app.unit(&admin, "second", "government").await;
    for member in [first, second] {
        let body = json!({"unit_id": member, "role": "district_key"});
        app.created(&format!("/api/v1/campaigns/{campaign}/units"), &admin, &body).await;
    }
    let clerk = account(&app, Role::Admin).await;
    let mut office = Browser::new(&app);
    office.sign_in(&clerk, PASSWORD).await;
    let staff = format!("unit-{}", &Uuid::new_v4().simple().to_string()[..8]);
    app.create_account(&staff, Role::Unit, Some(first)).await;
    let mut unit = Browser::new(&app);
    unit.sign_in(&staff, PASSWORD).await;

    // The plan's deliverables, added with the form's token only.
    let list = format!("/console/campaigns/{campaign}/deliverables");
    let empty = office.get(&list).await.text().await.unwrap();
    assert!(empty.contains("还没有设置报送材料"), "{empty}");
    let forged = office.post(&format!("{list}/planned"), &[("csrf", "forged")]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("deliverables").await, 0);
    let csrf = office.form_token(&list).await;
    let added = office.post(&format!("{list}/planned"), &[("csrf", &csrf)]).await;
    assert_eq!(location(&added), format!("{list}?notice=saved"));
    let page = office.get(&list).await.text().await.unwrap();
    for title in ["单位评议工作方案", "整改情况报告", "评议工作总结", "主要负责人述职报告"]
    {
        assert!(page.contains(title), "{title}: {page}");
    }
    let untitled =
        office.post(&list, &[("csrf", &csrf), ("title", ""), ("kind", "other"), ("due_on", "2099-01-01")]).await;
    assert_eq!(untitled.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(untitled.text().await.unwrap().contains("请填写材料名称"));
    let defined = office
        .post(
            &list,
            &[
                ("csrf", &csrf),
                ("title", "整改回头看材料"),
                ("kind", "other"),
                ("due_on", "2099-01-01"),
                ("cppcc", "on"),
            ],
        )
        .await;
    assert_eq!(defined.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("deliverables").await, 5);

    // The dashboard: every deadline, and the plan past due as an alert linking to it.
    let plan: serde_json::Value = app
        .get(&format!("/api/v1/campaigns/{campaign}/deliverables"), &admin)
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "evaluation_plan")
        .unwrap()
        .clone();
    let plan_page = format!("/console/deliverables/{}", plan["id"].as_str().unwrap());
    let dashboard = office.get(&format!("/console/campaigns/{campaign}")).await.text().await.unwrap();
    assert!(dashboard.contains("报送截止日期") && dashboard.contains("2017-06-20"), "{dashboard}");
    assert!(dashboard.contains("单位评议工作方案：2 个单位逾期未报送"), "{dashboard}");
    assert!(dashboard.contains(&format!("href=\"{plan_page}\"")));

    // The unit hands in through the upload form: a web page named .pdf is refused by name.
    let unit_csrf = unit.form_token(&plan_page).await;
    let own = unit.get(&plan_page).await.text().await.unwrap();
    assert!(own.contains("单位 first") && !own.contains("单位 second"), "a unit sees its own only: {own}");
    let hand_ins = format!("{plan_page}/hand-ins");
    let first_text = first.to_string();
    let fields = [("csrf", unit_csrf.as_str()), ("unit_id", first_text.as_str()), ("note", "方案见附件")];
    let page = b"<html><script>alert(1)</script></html>".as_slice();
    let refused = unit.upload_as(&hand_ins, &fields, "document", ("方案.pdf", page)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("文件须为 PDF、DOCX、XLSX、PNG 或 JPEG"));
    let nothing = unit
        .upload_as(&hand_ins, &[("csrf", unit_csrf.as_str()), ("unit_id", &first_text)], "document", ("", b""))
        .await;
    assert_eq!(nothing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing.text().await.unwrap().contains("请上传文件或填写说明"));
    let forged =
        unit.upload_as(&hand_ins, &[("csrf", "forged"), ("unit_id", &first_text)], "document", ("方案.pdf", PDF)).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("hand_ins").await, 0);
    let handed = unit.upload_as(&hand_ins, &fields, "document", ("方案.pdf", PDF)).await;
    assert_eq!(location(&handed), format!("{plan_page}?notice=saved"));

    // The office sees it late, downloads it, returns it (a comment required), then accepts the next.
    let review_page = office.get(&plan_page).await.text().await.unwrap();
    assert!(review_page.contains("方案.pdf") && review_page.contains("逾期报送"), "{review_page}");
    let start = review_page.find("/console/hand-ins/").unwrap();
    let hand_in_id = &review_page[start + "/console/hand-ins/".len()..start + "/console/hand-ins/".len() + 36];
    let download = office.get(&format!("/console/hand-ins/{hand_in_id}/document")).await;
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);
    let review = format!("/console/hand-ins/{hand_in_id}/review");
    let no_reason = office.post(&review, &[("csrf", &csrf), ("decision", "returned"), ("comment", "")]).await;
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text().await.unwrap().contains("退回修改时请写明审核意见"));
    let returned =
        office.post(&review, &[("csrf", &csrf), ("decision", "returned"), ("comment", "请补充时间安排")]).await;
    assert_eq!(returned.status(), StatusCode::SEE_OTHER);
    let seen = unit.get(&plan_page).await.text().await.unwrap();
    assert!(seen.contains("请补充时间安排") && seen.contains("退回修改"), "{seen}");
    let again = unit.upload_as(&hand_ins, &fields, "document", ("方案（修改）.pdf", PDF)).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let review_page = office.get(&plan_page).await.text().await.unwrap();
    let start = review_page.find("/console/hand-ins/").unwrap();
    let second_version = &review_page[start + "/console/hand-ins/".len()..start + "/console/hand-ins/".len() + 36];
    assert_ne!(second_version, hand_in_id);
    let published = office
        .post(&format!("/console/hand-ins/{second_version}/review"), &[("csrf", &csrf), ("decision", "published")])
        .await;
    assert_eq!(published.status(), StatusCode::SEE_OTHER);
    let board =
        app.request(Method::GET, &format!("/notice/{campaign}/{first}"), None, None).await.text().await.unwrap();
    assert!(board.contains("方案（修改）.pdf"), "{board}");
    assert!(!board.contains(hand_in_id), "the returned version is not published");
}
