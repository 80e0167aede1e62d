//! The official notice (通报): issued from the demo's published year to the plan's recipients
//! and the power company's supervising authority, recorded, and rendered as PDF and DOCX whose
//! text says the title, every unit with its grade, the bottom units and the recipients.

use std::io::Read;

use pingyi::auth::Role;
use pingyi::services::integrity::codes::SpendKey;
use pingyi_tests::{TEST_SECRET, fields, problem, spawn_app};
use serde_json::{Value, json};

/// The text of a PDF's page contents as Pingyi writes them: each `<hex> Tj` is UCS-2.
fn pdf_text(pdf: &[u8]) -> String {
    let raw = String::from_utf8_lossy(pdf);
    let mut out = String::new();
    for piece in raw.split('<').skip(1) {
        let Some((hex, rest)) = piece.split_once('>') else { continue };
        if !rest.trim_start().starts_with("Tj") || hex.len() % 4 != 0 {
            continue;
        }
        let units: Vec<u16> =
            (0..hex.len()).step_by(4).map(|at| u16::from_str_radix(&hex[at..at + 4], 16).unwrap()).collect();
        out.push_str(&String::from_utf16(&units).unwrap());
        out.push('\n');
    }
    out
}

/// The text of a DOCX's body, its tags dropped.
fn docx_text(docx: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut xml = String::new();
    archive.by_name("word/document.xml").unwrap().read_to_string(&mut xml).unwrap();
    let mut text = String::new();
    let mut inside = false;
    for c in xml.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => text.push(c),
            _ => {}
        }
    }
    text
}

#[tokio::test]
async fn the_notice_is_issued_from_the_published_result_as_pdf_and_docx() {
    let app = spawn_app().await;
    let key = SpendKey::derive(&pingyi::config::Secret::new(TEST_SECRET.to_vec()).unwrap());
    let summary = pingyi::demo::load(&app.db, &key).await.unwrap();
    let evaluated = summary.evaluated_campaign.unwrap();
    let admin = app.admin().await;
    let path = format!("/api/v1/campaigns/{evaluated}/official-notices");
    let body = json!({"doc_number": "昭评办〔2017〕1号", "issuing_body": "昭化区民主评议政风行风工作领导小组办公室", "issued_on": "2017-01-15"});

    // Only the office issues; a bad field is named; a campaign without a published result cannot.
    let observer = app.token(Role::Observer, None).await;
    problem(app.post(&path, &observer, &body).await, 403).await;
    let bad = json!({"doc_number": "", "issuing_body": "x", "issued_on": "2017-01-15", "recipients": ["区委", " "]});
    let refused = problem(app.post(&path, &admin, &bad).await, 422).await;
    assert_eq!(fields(&refused), ["doc_number"]);
    let bad = json!({"doc_number": "1号", "issuing_body": "x", "issued_on": "2017-01-15", "recipients": ["区委", " "]});
    assert_eq!(fields(&problem(app.post(&path, &admin, &bad).await, 422).await), ["recipients[1]"]);
    let open = app.campaign(&admin, 2030).await;
    problem(app.post(&format!("/api/v1/campaigns/{open}/official-notices"), &admin, &body).await, 409).await;

    let issued = app.created(&path, &admin, &body).await;
    let recipients: Vec<String> =
        issued["recipients"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()).collect();
    assert_eq!(
        recipients,
        ["区委", "区人大", "区政府", "区政协", "区委组织部", "市纠风办", "国网四川省电力公司广元供电公司"]
    );
    assert_eq!(issued["title"], "关于2016年度民主评议政风行风工作结果的通报");
    problem(app.post(&path, &admin, &body).await, 409).await;
    let listed: Value = app.get(&path, &observer).await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.audited("official_notice.issued", issued["id"].as_str().unwrap()).await, 1);

    // The result it reports, unit by unit.
    let public: Value = app
        .request(reqwest::Method::GET, &format!("/api/v1/public/campaigns/{evaluated}/results"), None, None)
        .await
        .json()
        .await
        .unwrap();
    let units = public["units"].as_array().unwrap();
    let grade = |g: &str| match g {
        "excellent" => "优秀",
        "qualified" => "合格",
        "unqualified" => "不合格",
        _ => "未评分",
    };

    let pdf = app.get(issued["pdf"].as_str().unwrap(), &observer).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-1.4") && pdf.ends_with(b"%%EOF\n"));
    let docx = app.get(issued["docx"].as_str().unwrap(), &observer).await;
    assert_eq!(docx.status(), 200);
    let docx = docx.bytes().await.unwrap();
    // The PDF's lines are broken to the page's width: its text is read joined.
    for text in [pdf_text(&pdf).replace('\n', ""), docx_text(&docx)] {
        for expected in [
            "昭化区民主评议政风行风工作领导小组办公室文件",
            "昭评办〔2017〕1号",
            "关于2016年度民主评议政风行风工作结果的通报",
            "2017年1月15日",
            "国网四川省电力公司广元供电公司",
            "区委组织部",
            "一、评议方法",
        ] {
            assert!(text.contains(expected), "{expected} missing from:\n{text}");
        }
        for unit in units {
            let name = unit["unit_name"].as_str().unwrap();
            if let Some(rank) = unit["rank"].as_u64() {
                // A row's cells, read in order: its rank, then the unit.
                assert!(text.contains(&format!("{rank}{name}")), "{name}'s rank {rank}");
            } else {
                assert!(text.contains(name), "{name} missing");
            }
            assert!(text.contains(grade(unit["grade"].as_str().unwrap())));
        }
        // The bottom units and their consequences.
        assert!(text.contains("区政务中心") && text.contains("取消上述单位及其主要负责人2016年度评先评优资格"));
        assert!(text.contains("列为2017年度重点评议单位"));
    }
    // The PDF's grades sit beside their units: each unit's row is followed by its grade.
    let pdf_lines: Vec<String> = pdf_text(&pdf).lines().map(str::to_owned).collect();
    for unit in units.iter().filter(|u| u["rank"].as_u64().is_some()) {
        let name = unit["unit_name"].as_str().unwrap();
        let at = pdf_lines.iter().position(|l| l == name).unwrap();
        assert_eq!(pdf_lines[at + 2], grade(unit["grade"].as_str().unwrap()), "{name}");
    }
    let some_unit = app.unit(&admin, "outsider", "government").await;
    let unit_staff = app.token(Role::Unit, Some(some_unit)).await;
    problem(app.get(issued["pdf"].as_str().unwrap(), &unit_staff).await, 403).await;
}

/// The console's result page issues the notice with the plan's recipients filled in, lists it,
/// and serves both files to the signed-in office.
#[tokio::test]
async fn the_console_issues_the_notice_from_the_published_version() {
    use super::console_browser::{Browser, account, location};
    let app = spawn_app().await;
    let key = SpendKey::derive(&pingyi::config::Secret::new(TEST_SECRET.to_vec()).unwrap());
    let evaluated = pingyi::demo::load(&app.db, &key).await.unwrap().evaluated_campaign.unwrap();
    let public: Value = app
        .request(reqwest::Method::GET, &format!("/api/v1/public/campaigns/{evaluated}/results"), None, None)
        .await
        .json()
        .await
        .unwrap();
    let version = format!("/console/results/{}", public["id"].as_str().unwrap());
    let clerk = account(&app, Role::Admin).await;
    let mut office = Browser::new(&app);
    office.sign_in(&clerk, pingyi_tests::PASSWORD).await;
    let page = office.get(&version).await.text().await.unwrap();
    assert!(page.contains("市纠风办\n国网四川省电力公司广元供电公司"), "the plan's recipients are offered: {page}");
    let csrf = office.form_token(&version).await;
    let issue = format!("{version}/official-notices");
    let missing = office
        .post(&issue, &[("csrf", &csrf), ("doc_number", ""), ("issuing_body", "评议办"), ("issued_on", "2017-01-15")])
        .await;
    assert_eq!(missing.status(), 422);
    assert!(missing.text().await.unwrap().contains("请填写发文字号"));
    let form = [
        ("csrf", csrf.as_str()),
        ("doc_number", "昭评办〔2017〕2号"),
        ("issuing_body", "昭化区民主评议政风行风工作领导小组办公室"),
        ("issued_on", "2017-01-16"),
        ("recipients", "区委\r\n区政府\r\n"),
    ];
    let issued = office.post(&issue, &form).await;
    assert_eq!(location(&issued), format!("{version}#notices"));
    let page = office.get(&version).await.text().await.unwrap();
    assert!(page.contains("昭评办〔2017〕2号") && page.contains("区委、区政府"), "{page}");
    let start = page.find("/console/official-notices/").unwrap();
    let link = &page[start..start + "/console/official-notices/".len() + 36];
    let pdf = office.get(&format!("{link}/notice.pdf")).await;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let text = pdf_text(&pdf.bytes().await.unwrap()).replace('\n', "");
    assert!(text.contains("抄送：区委，区政府。"), "{text}");
    let docx = office.get(&format!("{link}/notice.docx")).await;
    assert!(docx_text(&docx.bytes().await.unwrap()).contains("昭评办〔2017〕2号"));
}
