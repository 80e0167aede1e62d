//! The register in bulk over HTTP: import from CSV and XLSX with every bad row named before
//! anything is written, export and import again, and the same through the console's form.

use pingyi::auth::Role;
use pingyi_tests::{TestApp, fields, problem, spawn_app};
use serde_json::Value;

/// A township with its stations and windows and village committees (parents further down
/// the file than their children), district departments and a company: twelve units.
const REGISTER: &str = "代码,名称,类别,类型,上级单位代码
yb-gt,元坝镇国土资源所,政府部门类,基层站所,yb
yb-cz,元坝镇财政所,政府部门类,基层站所,yb
yb-bm,元坝镇便民服务中心,政府部门类,窗口单位,yb
yb-c1,元坝镇石龙村委会,政府部门类,村（居）委会,yb
yb,元坝镇,政府部门类,乡镇（街道）,
jtysj,区交通运输局,政府部门类,部门,
jyj,区教育局,government,department,
wsj,区卫生健康局,政府部门类,部门,
zwzx,区政务中心,政府部门类,窗口单位,
gdj,国网昭化供电公司,公共服务行业类,公共服务企业,
zls,区自来水公司,public_service,company,
yz,区邮政分公司,公共服务行业类,公共服务企业,
";

async fn import(app: &TestApp, token: &str, body: Vec<u8>, dry_run: bool) -> reqwest::Response {
    let path = if dry_run { "/api/v1/units/import?dry_run=true" } else { "/api/v1/units/import" };
    app.client.post(app.url(path)).bearer_auth(token).body(body).send().await.unwrap()
}

async fn units(app: &TestApp, admin: &str) -> Vec<Value> {
    let page: Value = app.get("/api/v1/units?limit=200", admin).await.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_register_is_imported_from_csv_checked_first_and_imported_again_unchanged() {
    let app = spawn_app().await;
    let admin = app.admin().await;

    let checked = import(&app, &admin, REGISTER.as_bytes().to_vec(), true).await;
    assert_eq!(checked.status(), 200);
    let checked: Value = checked.json().await.unwrap();
    assert_eq!((checked["created"].as_u64(), checked["dry_run"].as_bool()), (Some(12), Some(true)));
    assert_eq!(app.count("units").await, 0, "a check writes nothing");

    let imported: Value = import(&app, &admin, REGISTER.as_bytes().to_vec(), false).await.json().await.unwrap();
    assert_eq!((imported["created"].as_u64(), imported["updated"].as_u64()), (Some(12), Some(0)));
    let all = units(&app, &admin).await;
    assert_eq!(all.len(), 12);
    let id_of = |code: &str| all.iter().find(|u| u["code"] == code).unwrap()["id"].clone();
    let station = all.iter().find(|u| u["code"] == "yb-gt").unwrap();
    assert_eq!((station["kind"].as_str(), &station["parent_id"]), (Some("station"), &id_of("yb")));
    assert_eq!(all.iter().find(|u| u["code"] == "gdj").unwrap()["category"], "public_service");
    assert_eq!(app.audited("units.imported", "register").await, 1);

    // The export, imported again, changes nothing; one name edited changes that unit only.
    let export = app.get("/api/v1/units/export.csv", &admin).await;
    assert!(export.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let export = export.bytes().await.unwrap().to_vec();
    let again: Value = import(&app, &admin, export.clone(), false).await.json().await.unwrap();
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(0), Some(12))
    );
    let edited = String::from_utf8(export).unwrap().replace("区教育局", "区教育和体育局");
    let changed: Value = import(&app, &admin, edited.into_bytes(), false).await.json().await.unwrap();
    assert_eq!((changed["updated"].as_u64(), changed["unchanged"].as_u64()), (Some(1), Some(11)));
    let renamed = units(&app, &admin).await.into_iter().find(|u| u["code"] == "jyj").unwrap();
    assert_eq!(renamed["name"], "区教育和体育局");
}

#[tokio::test]
async fn every_bad_row_is_named_and_nothing_is_written() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.unit(&admin, "jtysj", "government").await;
    let file = "code,name,category,kind,parent_code
ok,好单位,government,department,
bad code,坏代码,government,department,
x1,类别不对,政府,department,
x2,上级不存在,government,station,nowhere
ok,重复,government,department,
x3,,government,department,
";
    let refused = problem(import(&app, &admin, file.as_bytes().to_vec(), false).await, 422).await;
    assert_eq!(
        fields(&refused),
        ["rows[3].code", "rows[4].category", "rows[5].parent_code", "rows[6].code", "rows[7].name"]
    );
    assert_eq!(app.count("units").await, 1, "nothing written");

    let no_column = problem(import(&app, &admin, b"code,name\nx,y\n".to_vec(), false).await, 422).await;
    assert_eq!(fields(&no_column), ["rows[1].category", "rows[1].kind"], "the header lacks them");
    let binary = problem(import(&app, &admin, vec![0x50, 0x4b, 0x03, 0x04, 0, 1, 2], false).await, 422).await;
    assert_eq!(fields(&binary), ["file"]);
    let observer = app.token(Role::Observer, None).await;
    problem(import(&app, &observer, REGISTER.as_bytes().to_vec(), false).await, 403).await;
    assert_eq!(app.count("units").await, 1);
}

#[tokio::test]
async fn an_xlsx_workbook_is_imported_and_the_export_is_one_too() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (row, line) in REGISTER.lines().enumerate() {
        for (column, cell) in line.split(',').enumerate() {
            sheet.write_string(row as u32, column as u16, cell).unwrap();
        }
    }
    // A code typed as a number in a spreadsheet is read as its digits.
    sheet.write_number(13, 0, 812).unwrap();
    for (column, cell) in ["区档案馆", "政府部门类", "部门"].into_iter().enumerate() {
        sheet.write_string(13, column as u16 + 1, cell).unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let imported = import(&app, &admin, bytes, false).await;
    assert_eq!(imported.status(), 200);
    let imported: Value = imported.json().await.unwrap();
    assert_eq!(imported["created"].as_u64(), Some(13), "{imported}");
    assert!(units(&app, &admin).await.iter().any(|u| u["code"] == "812" && u["name"] == "区档案馆"));

    let xlsx = app.get("/api/v1/units/export.xlsx", &admin).await.bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let range = calamine::Reader::worksheet_range(&mut book, "units").unwrap();
    assert_eq!(range.height(), 14, "the header and thirteen units");
    assert_eq!(range.get_value((0, 4)).unwrap().to_string(), "上级单位代码");
}
