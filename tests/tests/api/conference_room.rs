//! The conference room over HTTP: paper ballots entered by two clerks (counted when they
//! agree, flagged when they do not), the phone ballot page a slip's QR code opens, and the
//! projector page.

use pingyi::auth::Role;
use pingyi_tests::{TestApp, fields, problem, spawn_app};
use reqwest::header::{CACHE_CONTROL, LOCATION};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// A conference in session: a campaign in its assessment phase with `units` district key
/// units, `representatives` deputies, an open overall session over every unit, and the
/// representatives' codes.
struct Conference {
    pub campaign: Uuid,
    pub units: Vec<Uuid>,
    pub session: String,
    pub codes: Vec<String>,
}

async fn conference(app: &TestApp, admin: &str, units: usize, representatives: u32) -> Conference {
    let campaign = app.campaign(admin, 2017).await;
    let mut ids = Vec::new();
    for n in 0..units {
        let unit = app.unit(admin, &format!("u{n:02}"), "government").await;
        let member = json!({"unit_id": unit, "role": "district_key"});
        app.created(&format!("/api/v1/campaigns/{campaign}/units"), admin, &member).await;
        ids.push(unit);
    }
    app.phase(admin, campaign, "rectification").await;
    app.phase(admin, campaign, "assessment").await;
    let group = json!({"group": "deputies", "count": representatives});
    app.created(&format!("/api/v1/campaigns/{campaign}/evaluators"), admin, &group).await;
    let session = app
        .created(&format!("/api/v1/campaigns/{campaign}/conference/sessions"), admin, &json!({"mode": "overall"}))
        .await;
    let session = session["id"].as_str().unwrap().to_owned();
    let slips = app.created(&format!("/api/v1/conference/sessions/{session}/codes"), admin, &json!({})).await;
    let codes = slips.as_array().unwrap().iter().map(|s| s["ballot_code"].as_str().unwrap().to_owned()).collect();
    Conference { campaign, units: ids, session, codes }
}

fn ballot(code: &str, choices: &[(Uuid, &str)]) -> Value {
    let scores: Vec<Value> = choices
        .iter()
        .map(|(unit, option)| json!({"unit_id": unit, "dimension": "overall", "option": option}))
        .collect();
    json!({"code": code, "scores": scores})
}

async fn tally(app: &TestApp, session: &str) -> Value {
    app.request(Method::GET, &format!("/api/v1/public/conference/{session}/tally"), None, None)
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_paper_ballot_counts_when_two_clerks_agree_and_a_mismatch_counts_nothing_until_reconciled() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = conference(&app, &admin, 2, 5).await;
    let (first, second) = (c.units[0], c.units[1]);
    let clerk_a = app.admin().await;
    let clerk_b = app.admin().await;
    let paper = format!("/api/v1/conference/sessions/{}/paper-ballots", c.session);
    let enter = |token: &str, body: Value| {
        let (app, paper, token) = (&app, paper.clone(), token.to_owned());
        async move { app.post(&paper, &token, &body).await }
    };
    let outcome = |response: reqwest::Response| async move {
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()
    };

    // The first entry waits for a second clerk; entering it again replaces it.
    let x = [(first, "satisfied"), (second, "very_satisfied")];
    let one = outcome(enter(&clerk_a, ballot(&c.codes[0], &x)).await).await;
    assert_eq!(one["outcome"], "awaiting_second_entry");
    let hint: String = c.codes[0].chars().filter(char::is_ascii_alphanumeric).collect();
    assert_eq!(one["code_hint"].as_str(), Some(&hint[hint.len() - 4..]));
    assert_eq!(outcome(enter(&clerk_a, ballot(&c.codes[0], &x)).await).await["outcome"], "awaiting_second_entry");
    let pending = app.get(&paper, &admin).await.json::<Value>().await.unwrap()["items"].take();
    assert_eq!(pending.as_array().map(Vec::len), Some(1));
    assert_eq!(
        (pending[0]["mismatch"].as_bool(), pending[0]["clerks"].as_array().map(Vec::len)),
        (Some(false), Some(1))
    );
    assert_eq!(tally(&app, &c.session).await["ballots"], 0, "nothing counts on one entry");

    // A second clerk's equal entry, in another order, counts it; nothing of it stays stored.
    let x_reordered = [(second, "very_satisfied"), (first, "satisfied")];
    assert_eq!(outcome(enter(&clerk_b, ballot(&c.codes[0], &x_reordered)).await).await["outcome"], "counted");
    assert_eq!(tally(&app, &c.session).await["ballots"], 1);
    assert_eq!(app.count("paper_ballot_entries").await, 0);
    problem(enter(&clerk_b, ballot(&c.codes[0], &x)).await, 409).await;
    assert_eq!(tally(&app, &c.session).await["ballots"], 1, "a counted paper counts once");

    // Two clerks who disagree: flagged with the unit that differs, nothing counted, the
    // session cannot close; a clerk's new entry agreeing with the other's counts it.
    let y = [(first, "satisfied"), (second, "dissatisfied")];
    assert_eq!(outcome(enter(&clerk_a, ballot(&c.codes[1], &x)).await).await["outcome"], "awaiting_second_entry");
    let mismatch = outcome(enter(&clerk_b, ballot(&c.codes[1], &y)).await).await;
    assert_eq!(mismatch["outcome"], "mismatch");
    assert_eq!(mismatch["differing_units"].as_array().map(Vec::len), Some(1));
    assert_eq!(mismatch["differing_units"][0]["unit_id"], second.to_string());
    let pending = app.get(&paper, &admin).await.json::<Value>().await.unwrap()["items"].take();
    assert_eq!(
        (pending[0]["mismatch"].as_bool(), pending[0]["clerks"].as_array().map(Vec::len)),
        (Some(true), Some(2))
    );
    assert_eq!(tally(&app, &c.session).await["ballots"], 1);
    let close = format!("/api/v1/conference/sessions/{}/close", c.session);
    let refused = problem(app.post(&close, &admin, &json!({})).await, 409).await;
    assert!(refused["detail"].as_str().unwrap().contains("paper ballot"), "{refused}");
    assert_eq!(outcome(enter(&clerk_a, ballot(&c.codes[1], &y)).await).await["outcome"], "counted");
    assert_eq!(tally(&app, &c.session).await["ballots"], 2);

    // A paper whose code then votes by phone: its entry is dropped, a second entry refused.
    assert_eq!(outcome(enter(&clerk_a, ballot(&c.codes[2], &x)).await).await["outcome"], "awaiting_second_entry");
    let cast = format!("/api/v1/public/conference/{}/ballots", c.session);
    assert_eq!(app.request(Method::POST, &cast, None, Some(&ballot(&c.codes[2], &y))).await.status(), 201);
    assert_eq!(app.count("paper_ballot_entries").await, 0);
    problem(enter(&clerk_b, ballot(&c.codes[2], &x)).await, 409).await;

    // A discarded paper counts nothing, and its code can still vote.
    assert_eq!(outcome(enter(&clerk_a, ballot(&c.codes[3], &x)).await).await["outcome"], "awaiting_second_entry");
    let pending = app.get(&paper, &admin).await.json::<Value>().await.unwrap()["items"].take();
    let entry = pending[0]["id"].as_str().unwrap();
    let discarded = app.request(Method::DELETE, &format!("{paper}/{entry}"), Some(&admin), None).await;
    assert_eq!(discarded.status(), 204);
    assert_eq!(app.audited("conference.paper_ballot_discarded", &c.session).await, 1);
    assert_eq!(app.request(Method::POST, &cast, None, Some(&ballot(&c.codes[3], &x))).await.status(), 201);

    // Bad input is named; other roles may not enter.
    let unknown = problem(enter(&clerk_a, ballot("AAAA-BBBB-CCCC-DDDD", &x)).await, 422).await;
    assert_eq!(fields(&unknown), ["code"]);
    let incomplete = problem(enter(&clerk_a, ballot(&c.codes[4], &x[..1])).await, 422).await;
    assert_eq!(fields(&incomplete), ["scores"]);
    let observer = app.token(Role::Observer, None).await;
    problem(enter(&observer, ballot(&c.codes[4], &x)).await, 403).await;
    assert_eq!(app.count("paper_ballot_entries").await, 0);

    app.created(&close, &admin, &json!({})).await;
    let closed = tally(&app, &c.session).await;
    assert_eq!(closed["ballots"], 4);
    let score = |unit: Uuid| {
        closed["units"].as_array().unwrap().iter().find(|u| u["unit_id"] == unit.to_string()).unwrap()["score"]
            .as_f64()
            .unwrap()
    };
    // The first unit: satisfied on all four (80); the second: 100, 0, 0, 100.
    assert_eq!((score(first), score(second)), (80.0, 50.0));
}

#[tokio::test]
async fn two_clerks_entering_the_same_paper_at_once_count_it_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = conference(&app, &admin, 1, 1).await;
    let paper = format!("/api/v1/conference/sessions/{}/paper-ballots", c.session);
    let body = ballot(&c.codes[0], &[(c.units[0], "satisfied")]);
    let mut clerks = Vec::new();
    for _ in 0..6 {
        clerks.push(app.admin().await);
    }
    let entries = futures_util::future::join_all(clerks.iter().map(|clerk| app.post(&paper, clerk, &body))).await;
    let mut counted = 0;
    for response in entries {
        match response.status().as_u16() {
            200 => counted += usize::from(response.json::<Value>().await.unwrap()["outcome"] == "counted"),
            409 => {}
            other => panic!("an entry answered {other}"),
        }
    }
    assert_eq!(counted, 1);
    assert_eq!(tally(&app, &c.session).await["ballots"], 1);
    assert_eq!(app.count("paper_ballot_entries").await, 0);
}

fn browser() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

#[tokio::test]
async fn a_representative_scores_on_the_phone_page_once_with_every_problem_named() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = conference(&app, &admin, 2, 3).await;
    let phone = browser();
    let page_path = format!("/conference/{}/ballot", c.session);

    let page = phone.get(app.url(&format!("{page_path}?code={}", c.codes[0]))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()[CACHE_CONTROL], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("value=\"{}\"", c.codes[0])), "the slip's code is filled in");
    assert!(html.contains("单位 u00") && html.contains("单位 u01") && html.contains("不了解"));
    assert!(!html.contains("<script"), "the ballot needs no script");

    // One unit left out: the page comes back naming it, the other choice kept.
    let first = format!("s.{}.overall", c.units[0]);
    let second = format!("s.{}.overall", c.units[1]);
    let partial = [("code", c.codes[0].as_str()), (first.as_str(), "satisfied")];
    let again = phone.post(app.url(&page_path)).form(&partial).send().await.unwrap();
    assert_eq!(again.status(), 422);
    let html = again.text().await.unwrap();
    assert!(html.contains("请评价：单位 u01"), "the unit left out is named");
    assert!(html.contains(&format!("name=\"{first}\" value=\"satisfied\" checked")), "the choice is kept");
    assert_eq!(tally(&app, &c.session).await["ballots"], 0);

    let whole = [("code", c.codes[0].as_str()), (first.as_str(), "satisfied"), (second.as_str(), "dont_know")];
    let counted = phone.post(app.url(&page_path)).form(&whole).send().await.unwrap();
    assert_eq!(counted.status(), StatusCode::SEE_OTHER);
    let confirmation = counted.headers()[LOCATION].to_str().unwrap().to_owned();
    let html = phone.get(app.url(&confirmation)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("您的测评票已经计入"), "{html}");
    assert_eq!(tally(&app, &c.session).await["ballots"], 1);

    // The same code again, and a code of no session: refused in the page's words.
    let twice = phone.post(app.url(&page_path)).form(&whole).send().await.unwrap();
    assert_eq!(twice.status(), 403);
    assert!(twice.text().await.unwrap().contains("该测评码无效或已经使用过"));
    let no_code = [(first.as_str(), "satisfied"), (second.as_str(), "satisfied")];
    let missing = phone.post(app.url(&page_path)).form(&no_code).send().await.unwrap();
    assert_eq!(missing.status(), 422);
    assert!(missing.text().await.unwrap().contains("请填写测评码"));
    assert_eq!(tally(&app, &c.session).await["ballots"], 1);

    // English on request.
    let english = phone.get(app.url(&format!("{page_path}?lang=en"))).send().await.unwrap().text().await.unwrap();
    assert!(english.contains("Submit the ballot") && english.contains("lang=\"en\""));

    // The projector while open: the count, reloading itself, in Chinese only.
    let projector = format!("/conference/{}", c.session);
    let english_browser = Client::builder().default_headers({
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ACCEPT_LANGUAGE, "en".parse().unwrap());
        headers
    });
    let hall = english_browser.build().unwrap();
    let open = hall.get(app.url(&projector)).send().await.unwrap().text().await.unwrap();
    assert!(open.contains(">1</span> 张测评票已收到"), "{open}");
    assert!(open.contains("http-equiv=\"refresh\""));

    let other = [("code", c.codes[1].as_str()), (first.as_str(), "very_satisfied"), (second.as_str(), "satisfied")];
    assert_eq!(phone.post(app.url(&page_path)).form(&other).send().await.unwrap().status(), 303);
    app.created(&format!("/api/v1/conference/sessions/{}/close", c.session), &admin, &json!({})).await;

    // Closed: the scores from the highest down under their headings; the ballot page says so.
    let results = hall.get(app.url(&projector)).send().await.unwrap().text().await.unwrap();
    assert!(!results.contains("http-equiv=\"refresh\""));
    for heading in ["名次", "单位", "有效票", "得分"] {
        assert!(results.contains(&format!(">{heading}</th>")), "{heading} heading");
    }
    let (u00, u01) = (results.find("单位 u00").unwrap(), results.find("单位 u01").unwrap());
    assert!(u00 < u01, "单位 u00 (90.00) ranks above 单位 u01 (80.00)");
    assert!(results.contains("90.00") && results.contains("80.00"));
    let english = hall.get(app.url(&format!("{projector}?lang=en"))).send().await.unwrap().text().await.unwrap();
    assert!(english.contains(">Rank</th>"));
    let closed = phone.get(app.url(&page_path)).send().await.unwrap();
    assert_eq!(closed.status(), 410);
    assert!(closed.text().await.unwrap().contains("本场测评已结束"));
    let late = phone.post(app.url(&page_path)).form(&[("code", c.codes[2].as_str())]).send().await.unwrap();
    assert_eq!(late.status(), 410);
    assert_eq!(tally(&app, &c.session).await["ballots"], 2);
}

/// A small PDF handed in for `unit`, by `token`.
async fn hand_in_pdf(app: &TestApp, token: &str, deliverable: &str, unit: Uuid, name: &str) -> Value {
    let unit = unit.to_string();
    let response = app.hand_in(token, deliverable, &[("unit_id", &unit)], Some((name, b"%PDF-1.4 feedback"))).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// Representatives read the units' rectification feedback with the code on their slip, spent
/// or not, and only what is meant for them; a code of no session reads nothing.
#[tokio::test]
async fn representatives_read_the_rectification_feedback_with_their_slips_code() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = conference(&app, &admin, 2, 3).await;
    let (reporting, silent) = (c.units[0], c.units[1]);
    let reports = format!("/api/v1/campaigns/{}/rectification-reports", c.campaign);
    app.created(&reports, &admin, &json!({"unit_id": reporting, "body": "已增设两个窗口，排队时间缩短一半。"})).await;
    let deliverables = format!("/api/v1/campaigns/{}/deliverables", c.campaign);
    let for_them = json!({"kind": "rectification_report", "title": "整改情况报告", "due_on": "2099-11-30", "receivers": ["office", "representatives"]});
    let for_them = app.created(&deliverables, &admin, &for_them).await["id"].as_str().unwrap().to_owned();
    let internal = json!({"kind": "other", "title": "内部自查材料", "due_on": "2099-11-30", "receivers": ["office"]});
    let internal = app.created(&deliverables, &admin, &internal).await["id"].as_str().unwrap().to_owned();
    let shown = hand_in_pdf(&app, &admin, &for_them, reporting, "整改报告.pdf").await;
    let hidden = hand_in_pdf(&app, &admin, &internal, reporting, "自查.pdf").await;
    let waiting = hand_in_pdf(&app, &admin, &for_them, silent, "未审核.pdf").await;
    for made in [&shown, &hidden] {
        let review = format!("/api/v1/hand-ins/{}/review", made["id"].as_str().unwrap());
        let accepted = app.request(Method::PUT, &review, Some(&admin), Some(&json!({"decision": "accepted"}))).await;
        assert_eq!(accepted.status(), 200);
    }

    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = format!("{}/conference/{}/feedback", app.address, c.session);
    let form = client.get(format!("{page}?code={}", c.codes[0])).send().await.unwrap().text().await.unwrap();
    assert!(form.contains(&format!("value=\"{}\"", c.codes[0])), "the slip's code fills the form: {form}");
    let ballot_page = client.get(format!("{}/conference/{}/ballot", app.address, c.session)).send().await.unwrap();
    assert!(
        ballot_page.text().await.unwrap().contains("查看参评单位的整改情况反馈"),
        "the ballot links to the feedback"
    );

    let refused = client.post(&page).form(&[("code", "AAAA-BBBB-CCCC-DDDD")]).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("该测评码无效"));
    // A ballot spends the code; reading the feedback with it still works.
    let cast = app
        .request(
            Method::POST,
            &format!("/api/v1/public/conference/{}/ballots", c.session),
            None,
            Some(&ballot(&c.codes[0], &[(reporting, "satisfied"), (silent, "satisfied")])),
        )
        .await;
    assert_eq!(cast.status(), 201, "{}", cast.text().await.unwrap());
    let opened = client.post(&page).form(&[("code", c.codes[0].as_str())]).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    assert_eq!(opened.headers()[CACHE_CONTROL], "no-store");
    let text = opened.text().await.unwrap();
    assert!(
        text.contains("已增设两个窗口") && text.contains("整改情况报告") && text.contains("整改报告.pdf"),
        "{text}"
    );
    assert!(!text.contains("自查.pdf") && !text.contains("内部自查材料"), "what the office alone receives stays out");
    assert!(!text.contains("未审核.pdf"), "a hand-in not yet accepted stays out");
    assert!(text.contains("该单位尚未反馈整改情况"), "the silent unit is named as such");

    let document = |hand_in: &Value, code: &str| {
        let url = format!("{page}/{}", hand_in["id"].as_str().unwrap());
        let request = client.post(url).form(&[("code", code.to_owned())]);
        async move { request.send().await.unwrap() }
    };
    let pdf = document(&shown, &c.codes[1]).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-1.4 feedback"));
    assert_eq!(document(&shown, "AAAA-BBBB-CCCC-DDDD").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(document(&hidden, &c.codes[1]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(document(&waiting, &c.codes[1]).await.status(), StatusCode::NOT_FOUND);
}
