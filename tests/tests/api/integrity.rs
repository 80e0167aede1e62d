use chrono::{DurationRound, TimeDelta, Utc};
use pingyi::auth::Role;
use pingyi_tests::{PASSWORD, TestApp, captured_logs, government_answers, id_of, problem, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use super::console_browser::{Browser, account, location};

struct Setup {
    app: TestApp,
    admin: String,
    campaign: Uuid,
    questionnaire: Uuid,
    unit: Uuid,
}

async fn setup(app: TestApp) -> Setup {
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    Setup { app, admin, campaign, questionnaire, unit }
}

impl Setup {
    async fn link(&self, channel: &str, controls: Value) -> Value {
        let mut all = pingyi_tests::relaxed_controls();
        all.as_object_mut().unwrap().extend(controls.as_object().unwrap().clone());
        self.app.link_with(&self.admin, self.questionnaire, self.unit, channel, all).await
    }

    async fn send(&self, slug: &str, overall: &str, forwarded_for: Option<&str>) -> reqwest::Response {
        let mut request = self.app.client.post(self.app.url(&format!("/api/v1/public/surveys/{slug}/responses")));
        if let Some(address) = forwarded_for {
            request = request.header("x-forwarded-for", address);
        }
        request
            .json(&json!({"submission_id": Uuid::new_v4(), "answers": government_answers(overall)}))
            .send()
            .await
            .unwrap()
    }
}

fn slug(link: &Value) -> &str {
    link["slug"].as_str().unwrap()
}

#[tokio::test]
async fn a_source_over_its_rate_gets_429_with_retry_after_on_api_and_page() {
    let s = setup(spawn_app().await).await;
    let link = s.link("web", json!({"rate_limit_per_hour": 6})).await;
    assert_eq!(s.send(slug(&link), "satisfied", None).await.status(), 201);
    let refused = s.send(slug(&link), "dissatisfied", None).await;
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    let p = problem(refused, 429).await;
    assert_eq!(p["type"], "/problems/too-many-requests");
    let form = [("submission_id", Uuid::new_v4().to_string()), ("a.overall", "satisfied".to_owned())];
    let page = s.app.client.post(s.app.url(&format!("/s/{}", slug(&link)))).form(&form).send().await.unwrap();
    assert_eq!(page.status(), 429);
    assert!(page.headers().contains_key("retry-after"));
    assert!(page.text().await.unwrap().contains("提交过于频繁"));
    assert_eq!(s.app.count("responses").await, 1);
}

#[tokio::test]
async fn forwarded_headers_are_ignored_unless_the_peer_is_a_trusted_proxy() {
    let s = setup(spawn_app().await).await;
    let link = s.link("web", json!({"rate_limit_per_hour": 6})).await;
    assert_eq!(s.send(slug(&link), "satisfied", Some("203.0.113.1")).await.status(), 201);
    assert_eq!(
        s.send(slug(&link), "dissatisfied", Some("203.0.113.2")).await.status(),
        429,
        "a forged header does not buy a new bucket"
    );

    let trusting =
        setup(spawn_app_with(|settings| settings.trusted_proxies = "127.0.0.1".parse().unwrap()).await).await;
    let link = trusting.link("web", json!({"rate_limit_per_hour": 6})).await;
    assert_eq!(trusting.send(slug(&link), "satisfied", Some("203.0.113.1")).await.status(), 201);
    assert_eq!(
        trusting.send(slug(&link), "dissatisfied", Some("203.0.113.2")).await.status(),
        201,
        "behind a trusted proxy each client has its own bucket"
    );
    assert_eq!(trusting.send(slug(&link), "dissatisfied", Some("203.0.113.1")).await.status(), 429);
}

#[tokio::test]
async fn a_link_stops_at_its_daily_cap_and_repeats_are_refused() {
    let s = setup(spawn_app().await).await;
    let capped = s.link("sms", json!({"daily_cap": 2})).await;
    assert_eq!(s.send(slug(&capped), "satisfied", None).await.status(), 201);
    assert_eq!(s.send(slug(&capped), "dissatisfied", None).await.status(), 201);
    let p = problem(s.send(slug(&capped), "basically_satisfied", None).await, 429).await;
    assert!(p["detail"].as_str().unwrap().contains("today"));

    let guarded = s.link("web", json!({"duplicate_window_seconds": 600})).await;
    assert_eq!(s.send(slug(&guarded), "satisfied", None).await.status(), 201);
    let p = problem(s.send(slug(&guarded), "satisfied", None).await, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("just submitted"));
    assert_eq!(s.send(slug(&guarded), "dissatisfied", None).await.status(), 201, "other answers are not a duplicate");
    assert_eq!(s.app.count("responses").await, 4);

    let changed = s
        .app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/links/{}/controls", capped["id"].as_str().unwrap()),
            Some(&s.admin),
            Some(&json!({"daily_cap": null})),
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(
        s.send(slug(&capped), "very_satisfied", None).await.status(),
        201,
        "lifting the cap takes effect at once"
    );
}

#[tokio::test]
async fn the_daily_cap_counts_each_response_of_the_day_once_after_a_restart_too() {
    let s = setup(spawn_app().await).await;
    let capped = s.link("sms", json!({})).await;
    let other = s.link("web", json!({})).await;
    assert_eq!(s.send(slug(&capped), "satisfied", None).await.status(), 201);
    assert_eq!(s.send(slug(&capped), "satisfied", None).await.status(), 201);
    let yesterday = (Utc::now() - TimeDelta::days(1)).duration_trunc(TimeDelta::hours(1)).unwrap().fixed_offset();
    backdate(&s.app, id_of(&capped), yesterday).await;
    let controls = format!("/api/v1/links/{}/controls", capped["id"].as_str().unwrap());
    let mut capped_controls = pingyi_tests::relaxed_controls();
    capped_controls["daily_cap"] = json!(3);
    let capping = s.app.request(reqwest::Method::PUT, &controls, Some(&s.admin), Some(&capped_controls)).await;
    assert_eq!(capping.status(), 200);

    assert_eq!(s.send(slug(&capped), "satisfied", None).await.status(), 201, "yesterday's responses do not count");
    assert_eq!(s.send(slug(&other), "satisfied", None).await.status(), 201);
    // Started again (an upgrade; on PostgreSQL also a second replica), the service finds
    // today's count in the database.
    let restarted = Setup { app: s.app.replica().await, admin: s.admin.clone(), ..s };
    assert_eq!(restarted.send(slug(&capped), "satisfied", None).await.status(), 201);
    assert_eq!(restarted.send(slug(&other), "satisfied", None).await.status(), 201, "other links count apart");
    assert_eq!(restarted.send(slug(&capped), "satisfied", None).await.status(), 201);
    problem(restarted.send(slug(&capped), "satisfied", None).await, 429).await;
    assert_eq!(restarted.app.count("responses").await, 7);
}

#[tokio::test]
async fn responses_with_invitation_codes_count_towards_the_daily_cap() {
    let s = setup(spawn_app().await).await;
    let link = s.link("on_site", json!({"requires_invitation": true, "daily_cap": 2})).await;
    let made = s
        .app
        .created(&format!("/api/v1/links/{}/invitations", link["id"].as_str().unwrap()), &s.admin, &json!({"count": 3}))
        .await;
    let codes: Vec<&str> = made["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(submit_with_code(&s, slug(&link), Some(codes[0])).await.status(), 201);
    assert_eq!(submit_with_code(&s, slug(&link), Some(codes[1])).await.status(), 201);
    problem(submit_with_code(&s, slug(&link), Some(codes[2])).await, 429).await;
    assert_eq!(s.app.count("responses").await, 2);
}

async fn submit_with_code(s: &Setup, slug: &str, code: Option<&str>) -> reqwest::Response {
    let mut body = json!({"submission_id": Uuid::new_v4(), "answers": government_answers("satisfied")});
    if let Some(code) = code {
        body["invitation_code"] = json!(code);
    }
    s.app.request(reqwest::Method::POST, &format!("/api/v1/public/surveys/{slug}/responses"), None, Some(&body)).await
}

#[tokio::test]
async fn an_invitation_code_works_once_even_when_sent_twice_at_once() {
    let s = setup(spawn_app().await).await;
    let link = s.link("on_site", json!({"requires_invitation": true})).await;
    let made = s
        .app
        .created(&format!("/api/v1/links/{}/invitations", link["id"].as_str().unwrap()), &s.admin, &json!({"count": 3}))
        .await;
    let codes: Vec<String> = made["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 3);

    problem(submit_with_code(&s, slug(&link), None).await, 403).await;
    problem(submit_with_code(&s, slug(&link), Some("NOT-AREALCODE")).await, 403).await;
    assert_eq!(submit_with_code(&s, slug(&link), Some(&codes[0].to_lowercase())).await.status(), 201);
    problem(submit_with_code(&s, slug(&link), Some(&codes[0])).await, 403).await;

    let (a, b) = tokio::join!(
        submit_with_code(&s, slug(&link), Some(&codes[1])),
        submit_with_code(&s, slug(&link), Some(&codes[1]))
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 403]);
    assert_eq!(s.app.count("responses").await, 2);

    let stored = entity::invitation_code::Entity::find().all(&s.app.db).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(s.app.count("invitation_spends").await, 2);
    assert!(stored.iter().all(|c| !codes.contains(&c.code_hash) && c.code_hash.len() == 64), "only hashes are kept");
    let page =
        s.app.request(reqwest::Method::GET, &format!("/s/{}", slug(&link)), None, None).await.text().await.unwrap();
    assert!(page.contains("name=\"invitation_code\""));
}

/// Moves every response (and answer) of `link` stored so far into `hour`.
async fn backdate(app: &TestApp, link: Uuid, hour: chrono::DateTime<chrono::FixedOffset>) {
    entity::response::Entity::update_many()
        .col_expr(entity::response::Column::SubmittedHour, Expr::value(hour))
        .filter(entity::response::Column::LinkId.eq(link))
        .filter(entity::response::Column::SubmittedHour.gt(hour))
        .exec(&app.db)
        .await
        .unwrap();
}

async fn unit_rate(s: &Setup) -> Value {
    let report: Value = s
        .app
        .get(&format!("/api/v1/campaigns/{}/satisfaction/units", s.campaign), &s.admin)
        .await
        .json()
        .await
        .unwrap();
    report["cells"][0].clone()
}

/// A window link that took two answers an hour for three hours, then 24 in one hour (two
/// hours ago): its id, and the start of the current hour.
async fn window_with_a_burst(s: &Setup) -> (Uuid, chrono::DateTime<Utc>) {
    let link = s.link("window_qr", json!({})).await;
    let link_id: Uuid = link["id"].as_str().unwrap().parse().unwrap();
    let now = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap();
    for hours_ago in [5, 4, 3] {
        for _ in 0..2 {
            assert_eq!(s.send(slug(&link), "satisfied", None).await.status(), 201);
        }
        backdate(&s.app, link_id, (now - TimeDelta::hours(hours_ago)).fixed_offset()).await;
    }
    for _ in 0..24 {
        assert_eq!(s.send(slug(&link), "very_dissatisfied", None).await.status(), 201);
    }
    backdate(&s.app, link_id, (now - TimeDelta::hours(2)).fixed_offset()).await;
    (link_id, now)
}

#[tokio::test]
async fn a_burst_is_flagged_excluded_with_a_reason_and_restored_by_undo() {
    let s = setup(spawn_app().await).await;
    let (link_id, now) = window_with_a_burst(&s).await;

    let report: Value =
        s.app.get(&format!("/api/v1/campaigns/{}/bursts", s.campaign), &s.admin).await.json().await.unwrap();
    let bursts = report["bursts"].as_array().unwrap();
    assert_eq!(bursts.len(), 1, "{report}");
    assert_eq!(
        (bursts[0]["responses"].as_i64(), bursts[0]["link_median"].as_f64(), bursts[0]["excluded"].as_bool()),
        (Some(24), Some(2.0), Some(false))
    );
    assert_eq!(unit_rate(&s).await["responses"], 30);

    let current = json!({"link_id": link_id, "hour": now.to_rfc3339(), "reason": "still running"});
    problem(s.app.post("/api/v1/exclusions", &s.admin, &current).await, 422).await;
    let body = json!({"link_id": link_id, "hour": bursts[0]["hour"], "reason": "24 identical answers in one hour at one window"});
    let exclusion = s.app.created("/api/v1/exclusions", &s.admin, &body).await;
    problem(s.app.post("/api/v1/exclusions", &s.admin, &body).await, 409).await;
    let cell = unit_rate(&s).await;
    assert_eq!(cell["responses"], 6);
    assert!((cell["satisfaction_rate"].as_f64().unwrap() - 0.8).abs() < 1e-9);
    assert_eq!(s.app.count("responses").await, 30, "nothing is deleted");
    let report: Value =
        s.app.get(&format!("/api/v1/campaigns/{}/bursts", s.campaign), &s.admin).await.json().await.unwrap();
    assert_eq!(report["bursts"][0]["excluded"], true);

    let observer = s.app.token(pingyi::auth::Role::Observer, None).await;
    problem(
        s.app
            .post(&format!("/api/v1/exclusions/{}/undo", exclusion["id"].as_str().unwrap()), &observer, &json!({}))
            .await,
        403,
    )
    .await;
    let undone = s
        .app
        .created(&format!("/api/v1/exclusions/{}/undo", exclusion["id"].as_str().unwrap()), &s.admin, &json!({}))
        .await;
    assert!(undone["undone_at"].is_string() && undone["undone_by"].is_string());
    assert_eq!(unit_rate(&s).await["responses"], 30);
    let records: Value = s
        .app
        .get(&format!("/api/v1/campaigns/{}/exclusions", s.campaign), &s.admin)
        .await
        .json::<Value>()
        .await
        .unwrap()["items"]
        .clone();
    assert_eq!(records.as_array().unwrap().len(), 1);
    assert_eq!(records[0]["reason"], "24 identical answers in one hour at one window");
}

#[tokio::test]
async fn nothing_identifying_reaches_the_rows_or_the_logs() {
    let s = setup(spawn_app_with(|settings| settings.trusted_proxies = "127.0.0.1".parse().unwrap()).await).await;
    let link = s.link("web", json!({})).await;
    let response = s
        .app
        .client
        .post(s.app.url(&format!("/api/v1/public/surveys/{}/responses", slug(&link))))
        .header("user-agent", "Marker-Agent/9.9 (PhoneModel-XYZ)")
        .header("x-forwarded-for", "198.51.100.231")
        .header("cookie", "tracking=Marker-Cookie-77")
        .json(&json!({"submission_id": Uuid::new_v4(), "answers": government_answers("satisfied")}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let page = s
        .app
        .client
        .get(s.app.url(&format!("/s/{}", slug(&link))))
        .header("user-agent", "Marker-Agent/9.9 (PhoneModel-XYZ)")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    let logs = captured_logs();
    assert!(logs.contains("/api/v1/public/surveys/{slug}/responses"), "the request was logged: {logs}");
    let rows = format!("{:?}", entity::response::Entity::find().all(&s.app.db).await.unwrap());
    // The client's address here is the forwarded one (the proxy, 127.0.0.1, is also the
    // server's own listening address, which the start-up line names).
    for marker in ["198.51.100.231", "Marker-Agent", "PhoneModel", "Marker-Cookie"] {
        assert!(!logs.contains(marker), "{marker} was logged");
        assert!(!rows.contains(marker), "{marker} was stored");
    }
    assert!(!rows.contains("127.0.0.1"));
}

/// The value of the first `name="{name}"` field of a page.
fn field_value(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {name} field in {page}")) + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_console_reviews_what_the_burst_check_found_leaves_a_batch_out_with_a_reason_and_counts_it_again() {
    let s = setup(spawn_app().await).await;
    let (link_id, _) = window_with_a_burst(&s).await;
    let mut office = Browser::new(&s.app);
    office.sign_in(&account(&s.app, Role::Admin).await, PASSWORD).await;
    let review = format!("/console/campaigns/{}/integrity", s.campaign);
    let dashboard = format!("/console/campaigns/{}", s.campaign);
    assert!(office.get(&review).await.text().await.unwrap().contains("尚未检查"));
    assert!(!office.get(&dashboard).await.text().await.unwrap().contains("批集中填报待核查"));

    // The background check finds the burst; the dashboard sends the office to review it.
    assert_eq!(s.app.jobs.check_bursts().await.unwrap(), 1, "the campaign taking answers is checked");
    let alerted = office.get(&dashboard).await.text().await.unwrap();
    assert!(alerted.contains(&format!("<a href=\"{review}\">1 批集中填报待核查。</a>")), "{alerted}");
    let listed = office.get(&review).await.text().await.unwrap();
    assert!(listed.contains("待核查") && listed.contains("<td class=\"num\">24</td>"), "{listed}");

    // Checking again at once works the same; a form without the session's token does nothing.
    let csrf = office.form_token(&review).await;
    let checked = office.post(&format!("{review}/check"), &[("csrf", &csrf)]).await;
    assert_eq!(checked.status(), StatusCode::SEE_OTHER);
    assert!(office.get(location(&checked)).await.text().await.unwrap().contains("已检查。"));
    let hour = field_value(&listed, "hour");
    let link = link_id.to_string();
    let reason = "窗口平板一小时内收到24份相同答卷";
    let forged = office
        .post(&format!("{review}/exclude"), &[("csrf", "x"), ("link", &link), ("hour", &hour), ("reason", reason)])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(unit_rate(&s).await["responses"], 30);

    // Without a reason nothing is left out, and the field is marked.
    let blank = office
        .post(&format!("{review}/exclude"), &[("csrf", &csrf), ("link", &link), ("hour", &hour), ("reason", " ")])
        .await;
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let blank = blank.text().await.unwrap();
    assert!(blank.contains("排除一批答卷须写明理由") && blank.contains("aria-invalid=\"true\""), "{blank}");
    assert_eq!(unit_rate(&s).await["responses"], 30);

    let excluded = office
        .post(&format!("{review}/exclude"), &[("csrf", &csrf), ("link", &link), ("hour", &hour), ("reason", reason)])
        .await;
    assert_eq!(excluded.status(), StatusCode::SEE_OTHER);
    assert_eq!(unit_rate(&s).await["responses"], 6, "the batch is left out of the figures");
    let after = office.get(location(&excluded)).await.text().await.unwrap();
    assert!(after.contains("已将这一批答卷排除在统计之外。") && after.contains("已排除") && after.contains(reason));
    assert!(!office.get(&dashboard).await.text().await.unwrap().contains("批集中填报待核查"), "no alert once reviewed");

    let exclusion = field_value(&after, "exclusion");
    let restored = office.post(&format!("{review}/undo"), &[("csrf", &csrf), ("exclusion", &exclusion)]).await;
    assert_eq!(restored.status(), StatusCode::SEE_OTHER);
    assert_eq!(unit_rate(&s).await["responses"], 30, "the batch counts again");
    let again = office.get(location(&restored)).await.text().await.unwrap();
    assert!(again.contains("这一批答卷已恢复计入统计。") && again.contains("待核查"));

    // An observer reads the review but has nothing to act with, and cannot check.
    let mut observer = Browser::new(&s.app);
    observer.sign_in(&account(&s.app, Role::Observer).await, PASSWORD).await;
    let read = observer.get(&review).await.text().await.unwrap();
    assert!(read.contains("待核查") && !read.contains("/integrity/exclude") && !read.contains("/integrity/check"));
    let token = observer.form_token(&review).await;
    assert_eq!(observer.post(&format!("{review}/check"), &[("csrf", &token)]).await.status(), StatusCode::FORBIDDEN);
    let theirs = observer
        .post(&format!("{review}/exclude"), &[("csrf", &token), ("link", &link), ("hour", &hour), ("reason", reason)])
        .await;
    assert_eq!(theirs.status(), StatusCode::FORBIDDEN);
    assert_eq!(unit_rate(&s).await["responses"], 30);
}
