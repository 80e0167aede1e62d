//! The console over HTTP: signing in and out, its cookies, forms refused without their token,
//! sessions ending when idle, when old, and with their account's lifecycle, and role limits.

use chrono::{TimeDelta, Utc};
use pingyi::auth::Role;
use pingyi_tests::{PASSWORD, TestApp, spawn_app};
use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::console_browser::{Browser, account, location};

async fn sessions(app: &TestApp) -> u64 {
    entity::console_session::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_session_cookie_and_shows_the_campaigns() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.campaign(&admin, 2017).await;
    let username = account(&app, Role::Admin).await;
    let mut browser = Browser::new(&app);

    let to_sign_in = browser.get("/console/").await;
    assert_eq!(to_sign_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&to_sign_in), "/console/sign-in");

    let wrong = browser.sign_in(&username, "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.unwrap().contains("用户名或密码不正确"));
    assert_eq!(sessions(&app).await, 0);

    let signed_in = browser.sign_in(&username, PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "{:?}", signed_in.headers());
    assert_eq!(location(&signed_in), "/console/");
    let cookie = signed_in
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("pingyi_console="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"));
    // The store keeps the token's hash only.
    let token = cookie.trim_start_matches("pingyi_console=").split(';').next().unwrap().to_owned();
    let stored = entity::console_session::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_ne!(stored.token_hash, token);

    let home = browser.get("/console/").await;
    assert_eq!(home.status(), StatusCode::OK);
    assert_eq!(home.headers().get("cache-control").unwrap(), "no-store");
    let page = home.text().await.unwrap();
    assert!(page.contains("评议活动") && page.contains("2017"), "{page}");
    assert!(page.contains("<html lang=\"zh-CN\">"));

    let english = browser.get("/console/language/en?back=/console/").await;
    assert_eq!(location(&english), "/console/");
    let page = browser.get("/console/").await.text().await.unwrap();
    assert!(page.contains("<html lang=\"en\">") && page.contains("Campaigns"), "{page}");
}

#[tokio::test]
async fn forms_without_their_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let username = account(&app, Role::Admin).await;
    let mut browser = Browser::new(&app);

    // Sign-in without the token its page set.
    browser.get("/console/sign-in").await;
    let forged =
        browser.post("/console/sign-in", &[("csrf", "0"), ("username", &username), ("password", PASSWORD)]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(sessions(&app).await, 0);

    assert_eq!(browser.sign_in(&username, PASSWORD).await.status(), StatusCode::SEE_OTHER);
    let forged = browser.post("/console/sign-out", &[("csrf", &"a".repeat(64))]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(sessions(&app).await, 1, "still signed in");
    let forged = browser
        .post("/console/password", &[("current_password", PASSWORD), ("new_password", "another long passphrase")])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(browser.get("/console/").await.status(), StatusCode::OK);

    let csrf = browser.form_token("/console/").await;
    let signed_out = browser.post("/console/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_out), "/console/sign-in?notice=signed-out");
    assert_eq!(sessions(&app).await, 0);
    assert_eq!(location(&browser.get("/console/").await), "/console/sign-in");
}

#[tokio::test]
async fn sessions_end_when_idle_and_when_old() {
    let app = spawn_app().await;
    let username = account(&app, Role::Admin).await;
    let db = &app.db;
    let age = |column: entity::console_session::Column, by: TimeDelta| async move {
        entity::console_session::Entity::update_many()
            .col_expr(column, Expr::value((Utc::now() - by).fixed_offset()))
            .exec(db)
            .await
            .unwrap();
    };

    let mut browser = Browser::new(&app);
    browser.sign_in(&username, PASSWORD).await;
    age(entity::console_session::Column::LastSeenAt, TimeDelta::minutes(29)).await;
    assert_eq!(browser.get("/console/").await.status(), StatusCode::OK, "29 minutes idle is not 30");
    age(entity::console_session::Column::LastSeenAt, TimeDelta::minutes(31)).await;
    let ended = browser.get("/console/").await;
    assert_eq!(location(&ended), "/console/sign-in?notice=session-ended");
    assert_eq!(sessions(&app).await, 0);

    let mut browser = Browser::new(&app);
    browser.sign_in(&username, PASSWORD).await;
    age(entity::console_session::Column::CreatedAt, TimeDelta::hours(13)).await;
    assert_eq!(location(&browser.get("/console/").await), "/console/sign-in?notice=session-ended");
}

#[tokio::test]
async fn a_disabled_account_or_a_reset_password_ends_the_sessions_and_a_reset_obliges_a_new_password() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let username = account(&app, Role::Admin).await;
    let id = entity::account::Entity::find()
        .filter(entity::account::Column::Username.eq(&username))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut browser = Browser::new(&app);
    browser.sign_in(&username, PASSWORD).await;

    let disabled = app.post(&format!("/api/v1/accounts/{id}/disable"), &admin, &json!({})).await;
    assert_eq!(disabled.status(), 200);
    assert_eq!(location(&browser.get("/console/").await), "/console/sign-in?notice=session-ended");
    let refused = browser.sign_in(&username, PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.text().await.unwrap().contains("该账号已停用"));
    app.post(&format!("/api/v1/accounts/{id}/enable"), &admin, &json!({})).await;

    browser.sign_in(&username, PASSWORD).await;
    let reset = app.post(&format!("/api/v1/accounts/{id}/password-reset"), &admin, &json!({})).await;
    let one_time = reset.json::<serde_json::Value>().await.unwrap()["one_time_password"].as_str().unwrap().to_owned();
    assert_eq!(location(&browser.get("/console/").await), "/console/sign-in?notice=session-ended");

    let signed_in = browser.sign_in(&username, &one_time).await;
    assert_eq!(location(&signed_in), "/console/password", "a reset account chooses a new password first");
    assert_eq!(location(&browser.get("/console/").await), "/console/password");
    let csrf = browser.form_token("/console/password").await;
    let differ = [
        ("csrf", csrf.as_str()),
        ("current_password", &one_time),
        ("new_password", "a new long passphrase"),
        ("repeat_password", "another one"),
    ];
    assert_eq!(browser.post("/console/password", &differ).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let change = [
        ("csrf", csrf.as_str()),
        ("current_password", &one_time),
        ("new_password", "a new long passphrase"),
        ("repeat_password", "a new long passphrase"),
    ];
    let changed = browser.post("/console/password", &change).await;
    assert_eq!(location(&changed), "/console/sign-in?notice=password-changed");
    assert_eq!(sessions(&app).await, 0);
    assert_eq!(location(&browser.sign_in(&username, "a new long passphrase").await), "/console/");
    assert_eq!(app.audited("account.password_changed", &id.to_string()).await, 1);
}

#[tokio::test]
async fn what_a_role_may_not_do_the_console_neither_shows_nor_serves() {
    let app = spawn_app().await;
    let admin_name = account(&app, Role::Admin).await;
    let observer_name = account(&app, Role::Observer).await;

    let mut admin = Browser::new(&app);
    admin.sign_in(&admin_name, PASSWORD).await;
    assert!(admin.get("/console/").await.text().await.unwrap().contains("href=\"/console/accounts\""));
    let accounts = admin.get("/console/accounts").await;
    assert_eq!(accounts.status(), StatusCode::OK);
    assert!(accounts.text().await.unwrap().contains(&observer_name));

    let mut observer = Browser::new(&app);
    observer.sign_in(&observer_name, PASSWORD).await;
    assert!(!observer.get("/console/").await.text().await.unwrap().contains("/console/accounts"));
    let refused = observer.get("/console/accounts").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("无权查看"));
}

#[tokio::test]
async fn the_dashboard_shows_the_phase_timeline_and_each_units_sample_against_its_minimum() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let (answered, silent) =
        (app.unit(&admin, "jtysj", "government").await, app.unit(&admin, "jyj", "government").await);
    for unit in [answered, silent] {
        app.created(
            &format!("/api/v1/campaigns/{campaign}/units"),
            &admin,
            &json!({"unit_id": unit, "role": "district_key"}),
        )
        .await;
    }
    let link = app.link_with(&admin, questionnaire, answered, "web", pingyi_tests::relaxed_controls()).await;
    for _ in 0..3 {
        assert_eq!(app.submit(link["slug"].as_str().unwrap(), "satisfied").await.status(), 201);
    }
    let username = account(&app, Role::Admin).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&username, PASSWORD).await;

    let page = browser.get(&format!("/console/campaigns/{campaign}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("调查摸底"), "the phase: {page}");
    assert!(page.contains("单位 jtysj</th><td class=\"num\">3 / 30</td>"), "the answered unit's count: {page}");
    assert!(page.contains("单位 jyj</th><td class=\"num\">0 / 30</td>"), "{page}");
    assert!(page.contains("2 个单位的样本量尚未达到最低要求"), "{page}");

    let missing = browser.get(&format!("/console/campaigns/{}", Uuid::new_v4())).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_register_is_listed_as_a_tree_of_townships_and_their_stations() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let unit = |code: &str, name: &str, kind: &str, parent: Option<&str>| json!({"code": code, "name": name, "category": "government", "kind": kind, "parent_id": parent});
    let township = app.created("/api/v1/units", &admin, &unit("t1", "元坝镇", "township", None)).await;
    let township_id = township["id"].as_str().unwrap().to_owned();
    app.created("/api/v1/units", &admin, &unit("t1-s1", "元坝镇国土资源所", "station", Some(&township_id))).await;
    app.created("/api/v1/units", &admin, &unit("d1", "区交通运输局", "department", None)).await;
    let username = account(&app, Role::Observer).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&username, PASSWORD).await;

    let page = browser.get("/console/units").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    let at = |text: &str| page.find(text).unwrap_or_else(|| panic!("{text} missing: {page}"));
    assert!(at("区交通运输局") < at("<th scope=\"row\">元坝镇</th>"), "roots by code");
    assert!(
        at("<th scope=\"row\">元坝镇</th>") < at("<th scope=\"row\" class=\"child\">元坝镇国土资源所</th>"),
        "{page}"
    );
    assert!(
        page.contains("<td>基层站所</td><td>政府部门类</td><td>元坝镇</td>"),
        "the station's kind and parent: {page}"
    );
}

/// The text between the first `start` and the `end` after it.
fn between<'a>(page: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    page.split(start).skip(1).filter_map(|rest| rest.split(end).next()).collect()
}

/// Decodes a slip's QR code, drawn as one `M{x} {y}h1v1h-1z` square per dark module.
fn slip_qr(svg: &str) -> String {
    let width: usize = between(svg, "viewBox=\"-2 -2 ", " ")[0].parse::<usize>().unwrap() - 4;
    let (scale, quiet) = (4, 4);
    let side = (width + 2 * quiet) * scale;
    let mut pixels = vec![255u8; side * side];
    for module in between(svg, "<path d=\"", "\"")[0].split('M').filter(|m| !m.is_empty()) {
        let (x, rest) = module.split_once(' ').unwrap();
        let y = rest.split('h').next().unwrap();
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        for dy in 0..scale {
            for dx in 0..scale {
                pixels[((y + quiet) * scale + dy) * side + (x + quiet) * scale + dx] = 0;
            }
        }
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| pixels[y * side + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn the_office_runs_a_conference_from_the_console_with_slips_and_paper_ballots_entered_twice() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let mut units = Vec::new();
    for code in ["jtysj", "jyj"] {
        let unit = app.unit(&admin, code, "government").await;
        let member = json!({"unit_id": unit, "role": "district_key"});
        app.created(&format!("/api/v1/campaigns/{campaign}/units"), &admin, &member).await;
        units.push(unit);
    }
    app.phase(&admin, campaign, "rectification").await;
    app.phase(&admin, campaign, "assessment").await;
    let mut clerk = Browser::new(&app);
    clerk.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let page = format!("/console/campaigns/{campaign}/conference");
    let csrf = clerk.form_token(&page).await;

    // Representatives: refused without the form token, a bad number named, then added.
    let representatives = format!("{page}/representatives");
    let forged = clerk.post(&representatives, &[("group", "deputies"), ("count", "3")]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("evaluators").await, 0);
    let bad = clerk.post(&representatives, &[("csrf", &csrf), ("group", "deputies"), ("count", "many")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("人数须在 1 到 500 之间"));
    let added = clerk.post(&representatives, &[("csrf", &csrf), ("group", "deputies"), ("count", "3")]).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("evaluators").await, 3);
    assert!(clerk.get(&page).await.text().await.unwrap().contains("E-001–E-003"), "the group's numbers");

    // A session over the units ticked; none ticked is named.
    let sessions = format!("{page}/sessions");
    let empty = clerk.post(&sessions, &[("csrf", &csrf), ("mode", "overall")]).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().await.unwrap().contains("请至少勾选一个单位"));
    let (first, second) = (units[0].to_string(), units[1].to_string());
    let opened =
        clerk.post(&sessions, &[("csrf", &csrf), ("mode", "overall"), ("unit", &first), ("unit", &second)]).await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let session_page = location(&opened).to_owned();
    let session = session_page.trim_start_matches("/console/conference/").to_owned();

    // Slips: one per representative, each with its code and QR code and no name; shown once.
    let slips = clerk.post(&format!("{session_page}/slips"), &[("csrf", &csrf)]).await;
    assert_eq!(slips.status(), StatusCode::OK);
    let slips = slips.text().await.unwrap();
    let codes: Vec<String> = between(&slips, "<p class=\"code\">", "</p>").into_iter().map(str::to_owned).collect();
    assert_eq!(codes.len(), 3);
    let qr_codes: Vec<String> = slips.split("<svg class=\"qr\"").skip(1).map(slip_qr).collect();
    assert_eq!(qr_codes.len(), 3);
    for (qr, code) in qr_codes.iter().zip(&codes) {
        assert!(
            qr.ends_with(&format!("/conference/{session}/ballot?code={code}")),
            "the QR code opens the ballot: {qr}"
        );
    }
    assert!(!slips.contains("E-00"), "a slip does not say whose it is");
    let again = clerk.post(&format!("{session_page}/slips"), &[("csrf", &csrf)]).await;
    assert!(again.text().await.unwrap().contains("没有生成新纸条"));

    // One phone ballot, and a paper ballot entered by two clerks.
    let phone = [
        ("code", codes[0].as_str()),
        (&format!("s.{first}.overall"), "satisfied"),
        (&format!("s.{second}.overall"), "satisfied"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let cast = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cast = cast.post(app.url(&format!("/conference/{session}/ballot"))).form(&phone).send().await.unwrap();
    assert_eq!(cast.status(), StatusCode::SEE_OTHER);
    let paper = format!("{session_page}/paper");
    let (first_field, second_field) = (format!("s.{first}.overall"), format!("s.{second}.overall"));
    let entry = |csrf: String| {
        vec![
            ("csrf".to_owned(), csrf),
            ("code".to_owned(), codes[1].clone()),
            (first_field.clone(), "very_satisfied".to_owned()),
            (second_field.clone(), "dont_know".to_owned()),
        ]
    };
    let once = clerk.post_pairs(&paper, &entry(csrf.clone())).await;
    assert!(once.text().await.unwrap().contains("已录入一次"), "the first entry waits");
    let mut second_clerk = Browser::new(&app);
    second_clerk.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let second_csrf = second_clerk.form_token(&paper).await;
    let twice = second_clerk.post_pairs(&paper, &entry(second_csrf)).await;
    assert!(twice.text().await.unwrap().contains("两次录入一致，已计入"), "the second entry counts it");
    assert!(clerk.get(&session_page).await.text().await.unwrap().contains("<strong>2</strong>"), "two ballots");

    // An observer reads the conference but is offered no action, and refused one.
    let mut observer = Browser::new(&app);
    observer.sign_in(&account(&app, Role::Observer).await, PASSWORD).await;
    let read = observer.get(&page).await;
    assert_eq!(read.status(), StatusCode::OK);
    assert!(!read.text().await.unwrap().contains("开始一场测评</button>"));
    let observer_csrf = observer.form_token("/console/").await;
    let refused = observer.post(&format!("{session_page}/slips"), &[("csrf", &observer_csrf)]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Closing shows the tally in rank order.
    let closed = clerk.post(&format!("{session_page}/close"), &[("csrf", &csrf)]).await;
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
    let results = clerk.get(&session_page).await.text().await.unwrap();
    let (top, below) = (results.find("单位 jtysj").unwrap(), results.find("单位 jyj").unwrap());
    assert!(top < below && results.contains("90.00") && results.contains("80.00"), "{results}");
}

#[tokio::test]
async fn the_office_adds_edits_imports_and_exports_units_in_the_console() {
    let app = spawn_app().await;
    let mut office = Browser::new(&app);
    office.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let csrf = office.form_token("/console/units").await;

    // Added through the form: refused without the token, a bad code named, then saved.
    let fields = |csrf: &str, code: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("code".to_owned(), code.to_owned()),
            ("name".to_owned(), "元坝镇".to_owned()),
            ("category".to_owned(), "government".to_owned()),
            ("kind".to_owned(), "township".to_owned()),
            ("parent".to_owned(), String::new()),
        ]
    };
    assert_eq!(office.post_pairs("/console/units/new", &fields("", "yb")).await.status(), StatusCode::FORBIDDEN);
    let bad = office.post_pairs("/console/units/new", &fields(&csrf, "元坝")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("代码只能由字母、数字、_ 和 - 组成"));
    assert_eq!(app.count("units").await, 0);
    let saved = office.post_pairs("/console/units/new", &fields(&csrf, "yb")).await;
    assert_eq!((saved.status(), location(&saved)), (StatusCode::SEE_OTHER, "/console/units?notice=saved"));
    let taken = office.post_pairs("/console/units/new", &fields(&csrf, "yb")).await;
    assert!(taken.text().await.unwrap().contains("这个代码已被其他单位使用"));
    let township: Uuid = entity::unit::Entity::find().one(&app.db).await.unwrap().unwrap().id;
    let mut renamed = fields(&csrf, "yb");
    renamed[2].1 = "元坝镇人民政府".to_owned();
    let edited = office.post_pairs(&format!("/console/units/{township}"), &renamed).await;
    assert_eq!(edited.status(), StatusCode::SEE_OTHER);
    assert!(office.get("/console/units").await.text().await.unwrap().contains("元坝镇人民政府"));

    // A file with bad rows: each named in Chinese, nothing written.
    let bad_file = "代码,名称,类别,类型,上级单位代码\nyb-gt,元坝镇国土资源所,政府部门类,基层站所,yb\nyb-x,,政府部门类,站所,nowhere\n";
    let refused = office.upload("/console/units/import", &[("csrf", &csrf)], ("units.csv", bad_file.as_bytes())).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains("没有写入任何内容"), "{page}");
    for expected in ["<th scope=\"row\">3</th><td>名称</td>", "“站所”不是部门", "没有代码为“nowhere”的单位"]
    {
        assert!(page.contains(expected), "{expected} in {page}");
    }
    assert_eq!(app.count("units").await, 1);

    // Checked only, then imported; the export lists them under their township's code.
    let good_file = "代码,名称,类别,类型,上级单位代码\nyb-gt,元坝镇国土资源所,政府部门类,基层站所,yb\n";
    let checked = office
        .upload("/console/units/import", &[("csrf", &csrf), ("dry_run", "true")], ("units.csv", good_file.as_bytes()))
        .await;
    assert!(checked.text().await.unwrap().contains("检查通过（没有写入）：将新增 1 个单位"));
    assert_eq!(app.count("units").await, 1);
    let imported =
        office.upload("/console/units/import", &[("csrf", &csrf)], ("units.csv", good_file.as_bytes())).await;
    assert!(imported.text().await.unwrap().contains("已导入：新增 1 个单位，修改 0 个，0 个没有变化"));
    let forged = office.upload("/console/units/import", &[], ("units.csv", good_file.as_bytes())).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let export = office.get("/console/units/export.csv").await.text().await.unwrap();
    assert!(export.contains("yb-gt,元坝镇国土资源所,政府部门类,基层站所,yb"), "{export}");

    // An observer reads the register and exports it, and is offered no change.
    let mut observer = Browser::new(&app);
    observer.sign_in(&account(&app, Role::Observer).await, PASSWORD).await;
    let page = observer.get("/console/units").await.text().await.unwrap();
    assert!(!page.contains("/console/units/new") && !page.contains("/console/units/import"));
    assert_eq!(observer.get("/console/units/new").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(observer.get("/console/units/export.csv").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_admin_adds_disables_enables_and_resets_accounts_in_the_console() {
    let app = spawn_app().await;
    let mut admin = Browser::new(&app);
    admin.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let csrf = admin.form_token("/console/accounts").await;
    let one_time = |page: &str| between(page, "<code>", "</code>")[0].to_owned();

    let add = |csrf: &str, role: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("username", "ybz-staff".to_owned()),
            ("role", role.to_owned()),
            ("unit", String::new()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect::<Vec<_>>()
    };
    assert_eq!(admin.post_pairs("/console/accounts", &add("", "observer")).await.status(), StatusCode::FORBIDDEN);
    let no_unit = admin.post_pairs("/console/accounts", &add(&csrf, "unit")).await;
    assert_eq!(no_unit.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_unit.text().await.unwrap().contains("参评单位账号须选择所属单位"));
    let added = admin.post_pairs("/console/accounts", &add(&csrf, "observer")).await;
    assert_eq!(added.status(), StatusCode::OK);
    let password = one_time(&added.text().await.unwrap());
    assert_eq!(password.len(), 20);
    let taken = admin.post_pairs("/console/accounts", &add(&csrf, "observer")).await;
    assert!(taken.text().await.unwrap().contains("这个用户名已被使用"));

    // The holder signs in once with it and must choose their own password.
    let mut holder = Browser::new(&app);
    let first = holder.sign_in("ybz-staff", &password).await;
    assert_eq!(location(&first), "/console/password");

    let id = entity::account::Entity::find()
        .filter(entity::account::Column::Username.eq("ybz-staff"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let disabled = admin.post(&format!("/console/accounts/{id}/disable"), &[("csrf", &csrf)]).await;
    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
    assert_eq!(holder.get("/console/password").await.status(), StatusCode::SEE_OTHER, "the session ended");
    assert_eq!(Browser::new(&app).sign_in("ybz-staff", &password).await.status(), StatusCode::UNAUTHORIZED);
    admin.post(&format!("/console/accounts/{id}/enable"), &[("csrf", &csrf)]).await;
    let reset = admin.post(&format!("/console/accounts/{id}/reset"), &[("csrf", &csrf)]).await;
    let new_password = one_time(&reset.text().await.unwrap());
    assert_ne!(new_password, password);
    assert_eq!(Browser::new(&app).sign_in("ybz-staff", &password).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(location(&Browser::new(&app).sign_in("ybz-staff", &new_password).await), "/console/password");
    assert_eq!(app.audited("account.password_reset", &id.to_string()).await, 1);

    // Other roles are shown no accounts page and refused its actions.
    let mut observer = Browser::new(&app);
    observer.sign_in(&account(&app, Role::Observer).await, PASSWORD).await;
    let observer_csrf = observer.form_token("/console/").await;
    assert_eq!(observer.get("/console/accounts").await.status(), StatusCode::FORBIDDEN);
    let refused = observer.post(&format!("/console/accounts/{id}/disable"), &[("csrf", &observer_csrf)]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn notices_and_violations_are_recorded_in_the_console_and_the_audit_log_is_read_and_verified() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    app.created(
        &format!("/api/v1/campaigns/{campaign}/units"),
        &admin,
        &json!({"unit_id": unit, "role": "district_key"}),
    )
    .await;
    let mut office = Browser::new(&app);
    office.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let page = format!("/console/campaigns/{campaign}/supervision");
    let csrf = office.form_token(&page).await;
    let unit = unit.to_string();
    let notice = |csrf: &str, date: &str, by: &str| {
        [
            ("csrf", csrf),
            ("unit", unit.as_str()),
            ("date", date),
            ("by", by),
            ("text", "窗口人员脱岗"),
            ("points", "-2"),
            ("score", ""),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec()
    };
    let notices = format!("{page}/notices");
    assert_eq!(
        office.post_pairs(&notices, &notice("", "2017-09-12", "区委督查室")).await.status(),
        StatusCode::FORBIDDEN
    );
    let bad = office.post_pairs(&notices, &notice(&csrf, "9/12", "")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("请填写日期") && bad.contains("请填写（单行"), "{bad}");
    assert_eq!(app.count("supervision_notices").await, 0);
    let saved = office.post_pairs(&notices, &notice(&csrf, "2017-09-12", "区委督查室")).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let violation = [
        ("csrf", csrf.as_str()),
        ("unit", unit.as_str()),
        ("date", "2017-10-30"),
        ("by", "区纪委"),
        ("text", "昭纪〔2017〕12号"),
    ];
    assert_eq!(office.post(&format!("{page}/violations"), &violation).await.status(), StatusCode::SEE_OTHER);
    let listed = office.get(&page).await.text().await.unwrap();
    assert!(
        listed.contains("窗口人员脱岗")
            && listed.contains("<td class=\"num\">-2</td>")
            && listed.contains("昭纪〔2017〕12号")
    );

    // An observer reads them and is refused a record.
    let mut observer = Browser::new(&app);
    observer.sign_in(&account(&app, Role::Observer).await, PASSWORD).await;
    let read = observer.get(&page).await.text().await.unwrap();
    assert!(read.contains("窗口人员脱岗") && !read.contains("登记通报</button>"));
    let observer_csrf = observer.form_token("/console/").await;
    let refused = observer.post_pairs(&notices, &notice(&observer_csrf, "2017-09-13", "区委督查室")).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("supervision_notices").await, 1);

    // The audit log lists what was done, and its verification finds a changed record.
    let audit = observer.get("/console/audit").await.text().await.unwrap();
    assert!(audit.contains("notice.recorded") && audit.contains("violation."), "{audit}");
    let intact = observer.get("/console/audit?verify=1").await.text().await.unwrap();
    assert!(intact.contains("审计日志完整"), "{intact}");
    entity::audit_record::Entity::update_many()
        .col_expr(entity::audit_record::Column::Actor, Expr::value("someone else"))
        .filter(entity::audit_record::Column::Seq.eq(1))
        .exec(&app.db)
        .await
        .unwrap();
    let broken = observer.get("/console/audit?verify=1").await.text().await.unwrap();
    assert!(broken.contains("第 1 条记录的哈希或链接不一致"), "{broken}");
    let mut approver = Browser::new(&app);
    approver.sign_in(&account(&app, Role::Approver).await, PASSWORD).await;
    assert_eq!(approver.get("/console/audit").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_links_page_shows_each_links_qr_code_and_posters_and_revokes_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    app.created(
        &format!("/api/v1/campaigns/{campaign}/units"),
        &admin,
        &json!({"unit_id": unit, "role": "district_key"}),
    )
    .await;
    let web = app.link(&admin, questionnaire, unit, "web").await;
    let window = app.link(&admin, questionnaire, unit, "window_qr").await;
    let mut office = Browser::new(&app);
    office.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let page_path = format!("/console/campaigns/{campaign}/links");
    let page = office.get(&page_path).await.text().await.unwrap();
    for slug in [&web, &window] {
        assert!(page.contains(&format!("<img src=\"/s/{slug}/qr.svg\"")), "{slug}'s QR code");
        assert!(page.contains(&format!("/s/{slug}/poster.pdf")), "{slug}'s poster");
    }
    let zip = office.get(&format!("/console/campaigns/{campaign}/posters.zip?format=pdf")).await;
    assert_eq!(zip.headers()["content-type"], "application/zip");
    let zip = zip.bytes().await.unwrap();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap();
    assert_eq!(archive.len(), 2, "a poster per live link");

    let link_id = |slug: &str| {
        let slug = slug.to_owned();
        let db = app.db.clone();
        async move {
            entity::survey_link::Entity::find()
                .filter(entity::survey_link::Column::Slug.eq(slug))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let target = link_id(&web).await.id;
    let revoke = format!("/console/links/{target}/revoke");
    assert_eq!(office.post(&revoke, &[("csrf", "")]).await.status(), StatusCode::FORBIDDEN);
    assert!(link_id(&web).await.revoked_at.is_none(), "a forged form changes nothing");
    let csrf = office.form_token(&page_path).await;
    let revoked = office.post(&revoke, &[("csrf", &csrf)]).await;
    assert_eq!(location(&revoked), format!("{page_path}?notice=revoked"));
    assert!(link_id(&web).await.revoked_at.is_some());
    assert_eq!(app.submit(&web, "satisfied").await.status(), 410, "the revoked link takes no answer");

    let mut observer = Browser::new(&app);
    observer.sign_in(&account(&app, Role::Observer).await, PASSWORD).await;
    let read = observer.get(&page_path).await.text().await.unwrap();
    assert!(read.contains(&window) && !read.contains("/revoke\""));
    let observer_csrf = observer.form_token("/console/").await;
    let other = link_id(&window).await.id;
    let refused = observer.post(&format!("/console/links/{other}/revoke"), &[("csrf", &observer_csrf)]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
