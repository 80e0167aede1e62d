use pingyi::auth::Role;
use pingyi_tests::{TestApp, id_of, problem, spawn_app};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

/// The district's key units: (conference option, pollster rate, citizens' option), and the
/// composite by hand with weights 0.4 / 0.4 / 0.2 (conference / third party / citizens).
const PLAN: [(&str, f64, &str); 8] = [
    ("very_satisfied", 0.95, "very_satisfied"), // 40 + 38 + 20 = 98, but a violation
    ("very_satisfied", 0.90, "satisfied"),      // 40 + 36 + 16 = 92 → excellent
    ("satisfied", 0.90, "satisfied"),           // 32 + 36 + 16 = 84, notice −3 → 81
    ("satisfied", 0.80, "satisfied"),           // 32 + 32 + 16 = 80
    ("satisfied", 0.75, "basically_satisfied"), // 32 + 30 + 12 = 74
    ("basically_satisfied", 0.75, "satisfied"), // 24 + 30 + 16 = 70 → qualified, exactly
    ("basically_satisfied", 0.75, "satisfied"), // 70 again: a tie across the bottom-3 line
    ("basically_satisfied", 0.70, "basically_satisfied"), // 24 + 28 + 12 = 64 → unqualified
];
/// (composite, grade, rank, in the bottom 3 before the tie is decided).
const EXPECTED: [(f64, &str, u32, bool); 8] = [
    (98.0, "unqualified", 8, true),
    (92.0, "excellent", 1, false),
    (81.0, "qualified", 2, false),
    (80.0, "qualified", 3, false),
    (74.0, "qualified", 4, false),
    (70.0, "qualified", 5, true),
    (70.0, "qualified", 5, true),
    (64.0, "unqualified", 7, true),
];

async fn pollster_token(app: &TestApp, admin: &str, campaign: Uuid) -> String {
    app.client_token(admin, &json!({"name": "第三方", "role": "pollster", "campaign_ids": [campaign]})).await.1
}

#[tokio::test]
async fn a_whole_year_runs_from_key_units_to_the_published_ranking_and_the_carry_over() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    // The conference has its own minimum, sized for its room of three.
    let settings = json!({"weights": {"conference": 0.4, "third_party": 0.4, "citizen_links": 0.2, "supervision": 0.0},
        "min_samples": {"conference": 3, "third_party": 2, "citizen_links": 2}});
    let changed = app
        .request(reqwest::Method::PUT, &format!("/api/v1/campaigns/{campaign}/settings"), Some(&admin), Some(&settings))
        .await;
    assert_eq!(changed.status(), 200);
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let pollster = pollster_token(&app, &admin, campaign).await;
    let mut units = Vec::new();
    for (i, (_, rate, citizens)) in PLAN.iter().enumerate() {
        let unit = app.unit(&admin, &format!("u{i}"), "government").await;
        app.created(
            &format!("/api/v1/campaigns/{campaign}/units"),
            &admin,
            &json!({"unit_id": unit, "role": "district_key"}),
        )
        .await;
        let slug = app.link(&admin, questionnaire, unit, "web").await;
        for _ in 0..2 {
            assert_eq!(app.submit(&slug, citizens).await.status(), 201);
        }
        let figure = json!({"unit_id": unit, "satisfaction_rate": rate, "sample_size": 400, "margin_of_error": 0.04, "method": "CATI", "field_period": {"starts_on": "2017-08-01", "ends_on": "2017-08-31"}});
        app.created(&format!("/api/v1/campaigns/{campaign}/pollster/figures"), &pollster, &figure).await;
        units.push((unit, slug));
    }
    // A township ranks its two key units in its own group; a self-organised department is
    // graded without a rank.
    let township = app
        .created(
            "/api/v1/units",
            &admin,
            &json!({"code": "ybz", "name": "元坝镇", "category": "government", "kind": "township"}),
        )
        .await;
    let mut stations = Vec::new();
    for (i, rate) in [0.9, 0.7].iter().enumerate() {
        let station = json!({"code": format!("ybz-{i}"), "name": format!("元坝镇站所{i}"), "category": "government", "kind": "station", "parent_id": township["id"]});
        let station = id_of(&app.created("/api/v1/units", &admin, &station).await);
        let member = app
            .created(
                &format!("/api/v1/campaigns/{campaign}/units"),
                &admin,
                &json!({"unit_id": station, "role": "township_key"}),
            )
            .await;
        assert_eq!(member["ranking_group"], format!("township:{}", township["id"].as_str().unwrap()));
        assert_eq!(member["group_name"], "元坝镇重点评议单位");
        let figure = json!({"unit_id": station, "satisfaction_rate": rate, "sample_size": 400, "method": "CATI", "field_period": {"starts_on": "2017-08-01", "ends_on": "2017-08-31"}});
        app.created(&format!("/api/v1/campaigns/{campaign}/pollster/figures"), &pollster, &figure).await;
        stations.push(station);
    }
    let own = app.unit(&admin, "daj", "government").await;
    let member = app
        .created(
            &format!("/api/v1/campaigns/{campaign}/units"),
            &admin,
            &json!({"unit_id": own, "role": "self_organised"}),
        )
        .await;
    assert_eq!(member["ranking_group"], Value::Null);
    let figure = json!({"unit_id": own, "satisfaction_rate": 0.88, "sample_size": 400, "method": "CATI", "field_period": {"starts_on": "2017-08-01", "ends_on": "2017-08-31"}});
    app.created(&format!("/api/v1/campaigns/{campaign}/pollster/figures"), &pollster, &figure).await;
    problem(app.post(&format!("/api/v1/campaigns/{campaign}/results"), &admin, &json!({})).await, 409).await;
    let notice = json!({"unit_id": units[2].0, "issued_on": "2017-09-12", "issuing_body": "区委督查室", "summary": "窗口人员脱岗", "points": -3.0});
    app.created(&format!("/api/v1/campaigns/{campaign}/notices"), &admin, &notice).await;

    app.phase(&admin, campaign, "rectification").await;
    problem(app.submit(&units[1].1, "satisfied").await, 410).await;
    problem(app.post(&format!("/api/v1/campaigns/{campaign}/phase"), &admin, &json!({"phase": "closed"})).await, 409)
        .await;
    let violation = json!({"unit_id": units[0].0, "confirmed_on": "2017-10-30", "authority": "区纪委", "reference": "昭纪〔2017〕12号"});
    app.created(&format!("/api/v1/campaigns/{campaign}/violations"), &admin, &violation).await;
    app.phase(&admin, campaign, "assessment").await;

    // The conference: three representatives score every unit once.
    app.created(&format!("/api/v1/campaigns/{campaign}/evaluators"), &admin, &json!({"group": "deputies", "count": 3}))
        .await;
    let session = app
        .created(&format!("/api/v1/campaigns/{campaign}/conference/sessions"), &admin, &json!({"mode": "overall"}))
        .await;
    let session = session["id"].as_str().unwrap().to_owned();
    let codes = app.created(&format!("/api/v1/conference/sessions/{session}/codes"), &admin, &json!({})).await;
    let codes: Vec<String> =
        codes.as_array().unwrap().iter().map(|c| c["ballot_code"].as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 3);
    // Every ranked unit, and nothing else: the self-organised department is not in scope.
    let mut scores: Vec<Value> = units
        .iter()
        .zip(PLAN.iter())
        .map(|((unit, _), (option, ..))| json!({"unit_id": unit, "dimension": "overall", "option": option}))
        .collect();
    scores.extend(stations.iter().map(|s| json!({"unit_id": s, "dimension": "overall", "option": "satisfied"})));
    let ballots_path = format!("/api/v1/public/conference/{session}/ballots");
    let mut outside = scores.clone();
    outside.push(json!({"unit_id": own, "dimension": "overall", "option": "satisfied"}));
    let refused = problem(
        app.request(reqwest::Method::POST, &ballots_path, None, Some(&json!({"code": codes[0], "scores": outside})))
            .await,
        422,
    )
    .await;
    assert_eq!(pingyi_tests::fields(&refused), [format!("scores[{}]", outside.len() - 1)]);
    for code in &codes {
        let cast = app
            .request(reqwest::Method::POST, &ballots_path, None, Some(&json!({"code": code, "scores": scores})))
            .await;
        assert_eq!(cast.status(), 201);
    }
    problem(
        app.request(reqwest::Method::POST, &ballots_path, None, Some(&json!({"code": codes[0], "scores": scores})))
            .await,
        403,
    )
    .await;
    let open: Value = app
        .request(reqwest::Method::GET, &format!("/api/v1/public/conference/{session}/tally"), None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open["ballots"], 3);
    assert!(open["units"].as_array().unwrap().iter().all(|u| u["score"].is_null()), "counts only while open");
    app.created(&format!("/api/v1/conference/sessions/{session}/close"), &admin, &json!({})).await;
    let closed: Value = app
        .request(reqwest::Method::GET, &format!("/api/v1/public/conference/{session}/tally"), None, None)
        .await
        .json()
        .await
        .unwrap();
    let first_unit =
        closed["units"].as_array().unwrap().iter().find(|u| u["unit_id"] == units[0].0.to_string()).unwrap();
    assert_eq!(first_unit["score"], 100.0);

    // Compute; the approvers decide the tie at the district's line; approve twice, publish.
    let draft = app.created(&format!("/api/v1/campaigns/{campaign}/results"), &admin, &json!({})).await;
    let result_id = draft["id"].as_str().unwrap().to_owned();
    let row_of = |result: &Value, unit: Uuid| {
        result["units"].as_array().unwrap().iter().find(|u| u["unit_id"] == unit.to_string()).unwrap().clone()
    };
    for (i, (unit, _)) in units.iter().enumerate() {
        let row = row_of(&draft, *unit);
        let (composite, grade, rank, bottom) = EXPECTED[i];
        assert_eq!(row["composite"].as_f64(), Some(composite), "unit {i}: {row}");
        assert_eq!(
            (row["grade"].as_str(), row["rank"].as_u64(), row["bottom"].as_bool(), row["group"].as_str()),
            (Some(grade), Some(u64::from(rank)), Some(bottom), Some("district")),
            "unit {i}"
        );
        assert_eq!(row["unit_code"], format!("u{i}"));
    }
    assert_eq!(draft["units"][7]["violation"], true, "the violation ranks last in the district");
    // Award eligibility: lost by the bottom units and the violation, kept by the others.
    for (i, (unit, _)) in units.iter().enumerate() {
        let row = row_of(&draft, *unit);
        let expected = !EXPECTED[i].3 && row["violation"] == false;
        assert_eq!(row["award_eligible"].as_bool(), Some(expected), "unit {i}: {row}");
    }
    let (first, second) = (row_of(&draft, stations[0]), row_of(&draft, stations[1]));
    assert_eq!((first["rank"].as_u64(), second["rank"].as_u64()), (Some(1), Some(2)), "ranked within the township");
    assert_eq!((first["bottom"].as_bool(), second["bottom"].as_bool()), (Some(false), Some(false)));
    let citizens = first["components"].as_array().unwrap().iter().find(|c| c["source"] == "citizen_links").unwrap();
    assert_eq!((citizens["counted"].as_bool(), citizens["status"].as_str()), (Some(false), Some("no_data")));
    assert_eq!(citizens["note"]["zh"], "无数据，未计入");
    let graded = row_of(&draft, own);
    assert_eq!(
        (graded["rank"].as_u64(), graded["group"].as_str(), graded["composite"].as_f64(), graded["grade"].as_str()),
        (None, None, Some(88.0), Some("qualified")),
        "graded on the third party alone, not ranked"
    );
    let conference = graded["components"].as_array().unwrap().iter().find(|c| c["source"] == "conference").unwrap();
    assert_eq!(conference["note"]["en"], "no data: not counted");
    let line = draft["lines"].as_array().unwrap().iter().find(|l| l["group"] == "district").unwrap();
    let mut tied: Vec<String> =
        line["tie"]["units"].as_array().unwrap().iter().map(|u| u.as_str().unwrap().to_owned()).collect();
    tied.sort();
    let mut expected_tie = vec![units[5].0.to_string(), units[6].0.to_string()];
    expected_tie.sort();
    assert_eq!((tied, line["tie"]["places"].as_u64()), (expected_tie, Some(1)));
    let approvers = [app.token(Role::Approver, None).await, app.token(Role::Approver, None).await];
    let decision =
        json!({"group": "district", "bottom": [units[6].0], "reason": "并列单位中群众评议得分较低者列入末位"});
    problem(app.post(&format!("/api/v1/results/{result_id}/tie-decision"), &admin, &decision).await, 403).await;
    let wrong = json!({"group": "district", "bottom": [units[1].0], "reason": "不是并列单位"});
    problem(app.post(&format!("/api/v1/results/{result_id}/tie-decision"), &approvers[0], &wrong).await, 422).await;
    let decided: Value = app
        .post(&format!("/api/v1/results/{result_id}/tie-decision"), &approvers[0], &decision)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (row_of(&decided, units[5].0)["bottom"].as_bool(), row_of(&decided, units[6].0)["bottom"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(decided["decisions"][0]["reason"], "并列单位中群众评议得分较低者列入末位");
    assert_eq!(app.audited("results.tie_decided", &result_id).await, 1);
    problem(app.post(&format!("/api/v1/results/{result_id}/approve"), &admin, &json!({})).await, 403).await;
    let once = app.created(&format!("/api/v1/results/{result_id}/approve"), &approvers[0], &json!({})).await;
    assert_eq!(once["status"], "draft");
    problem(app.post(&format!("/api/v1/results/{result_id}/approve"), &approvers[0], &json!({})).await, 409).await;
    problem(app.post(&format!("/api/v1/results/{result_id}/tie-decision"), &approvers[1], &decision).await, 409).await;
    problem(app.post(&format!("/api/v1/results/{result_id}/publish"), &admin, &json!({})).await, 409).await;
    let approved = app.created(&format!("/api/v1/results/{result_id}/approve"), &approvers[1], &json!({})).await;
    assert_eq!(
        (approved["status"].as_str(), approved["approvals"].as_array().map(Vec::len)),
        (Some("approved"), Some(2))
    );
    problem(
        app.request(reqwest::Method::GET, &format!("/api/v1/public/campaigns/{campaign}/results"), None, None).await,
        404,
    )
    .await;
    app.created(&format!("/api/v1/results/{result_id}/publish"), &admin, &json!({})).await;
    let public: Value = app
        .request(reqwest::Method::GET, &format!("/api/v1/public/campaigns/{campaign}/results"), None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["version"], 1);
    assert_eq!(public["units"].as_array().unwrap().len(), 11);
    assert_eq!(
        (public["units"][0]["unit_code"].as_str(), public["units"][0]["unit_name"].as_str()),
        (Some("u1"), Some("单位 u1"))
    );
    assert_eq!(public["units"][0]["group_name"], "区重点评议单位");
    assert_eq!(public["decisions"][0]["reason"], "并列单位中群众评议得分较低者列入末位");
    let text = public.to_string();
    assert!(public.get("approvals").is_none() && !text.contains("decided_by"), "no account ids: {text}");
    for id in approved["approvals"].as_array().unwrap() {
        assert!(!text.contains(id.as_str().unwrap()), "an approver's id is public");
    }

    // The report: CSV, XLSX and the printable page with its chart.
    let csv = app.get(&format!("/api/v1/results/{result_id}/report.csv"), &admin).await.text().await.unwrap();
    assert!(csv.starts_with("\u{feff}ranking_group,rank,unit_code"));
    assert_eq!(csv.lines().count(), 12);
    assert!(
        csv.lines().nth(1).unwrap().starts_with("区重点评议单位,1,u1,单位 u1,100.00,90.00,80.00,,92.00,优秀 excellent"),
        "{csv}"
    );
    let xlsx = app.get(&format!("/api/v1/results/{result_id}/report.xlsx"), &admin).await.bytes().await.unwrap();
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let range = calamine::Reader::worksheet_range(&mut workbook, "results").unwrap();
    assert_eq!(range.get_value((8, 2)).unwrap().to_string(), "u0", "the violating unit is last in the district");
    assert_eq!(range.get_value((1, 8)), Some(&calamine::Data::Float(92.0)), "scores are numbers");
    let page = app
        .request(reqwest::Method::GET, &format!("/api/v1/public/results/{result_id}/report.html"), None, None)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("<rect").count(), 11);
    assert_eq!(page.matches("<line").count(), 6, "lines at 70 and 90 in each group's chart");
    assert!(
        page.contains("区重点评议单位排名")
            && page.contains("元坝镇重点评议单位排名")
            && page.contains("未列入排名的单位")
    );
    assert!(page.contains("领导小组决定列入末位") && page.contains("并列单位中群众评议得分较低者列入末位"));
    assert!(
        page.contains("#1a7f37") && page.contains("#a4161a") && !page.contains("src=") && !page.contains("<script")
    );
    let projector =
        app.request(reqwest::Method::GET, &format!("/conference/{session}"), None, None).await.text().await.unwrap();
    assert!(projector.contains("<h2>测评结果") && projector.contains(">得分</th>") && !projector.contains("<script"));

    // Recomputing makes version 2 and leaves version 1 as it was.
    let second = app.created(&format!("/api/v1/campaigns/{campaign}/results"), &admin, &json!({})).await;
    assert_eq!((second["version"].as_i64(), second["status"].as_str()), (Some(2), Some("draft")));
    let first: Value = app.get(&format!("/api/v1/results/{result_id}"), &admin).await.json().await.unwrap();
    assert_eq!(first["status"], "published");

    // Closing the year makes it read-only; the published result stays readable.
    app.phase(&admin, campaign, "closed").await;
    problem(app.post(&format!("/api/v1/campaigns/{campaign}/notices"), &admin, &notice).await, 409).await;
    let still: Value = app
        .request(reqwest::Method::GET, &format!("/api/v1/public/campaigns/{campaign}/results"), None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["version"], 1);

    // Next year: the bottom three as decided (units 6, 7 and the violating unit 0) are key
    // units again, in the district's group.
    let next = app
        .created(
            "/api/v1/campaigns",
            &admin,
            &json!({"year": 2018, "title": "2018年度民主评议", "carry_over_from": campaign}),
        )
        .await;
    let members: Value = app
        .get(&format!("/api/v1/campaigns/{}/units", next["id"].as_str().unwrap()), &admin)
        .await
        .json::<Value>()
        .await
        .unwrap()["items"]
        .clone();
    let mut carried: Vec<String> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(
                (m["reason"].as_str(), m["role"].as_str(), m["ranking_group"].as_str()),
                (Some("carried_over"), Some("district_key"), Some("district"))
            );
            m["unit_id"].as_str().unwrap().to_owned()
        })
        .collect();
    carried.sort();
    let mut expected: Vec<String> = [0, 6, 7].iter().map(|i| units[*i].0.to_string()).collect();
    expected.sort();
    assert_eq!(carried, expected);

    // The audit chain holds, and a tampered record is found.
    let check: Value = app.get("/api/v1/audit/verify", &admin).await.json().await.unwrap();
    assert_eq!(check["valid"], true, "{check}");
    assert!(check["records"].as_u64().unwrap() >= 12);
    entity::audit_record::Entity::update_many()
        .col_expr(entity::audit_record::Column::Actor, Expr::value("someone else"))
        .filter(entity::audit_record::Column::Seq.eq(3))
        .exec(&app.db)
        .await
        .unwrap();
    let check: Value = app.get("/api/v1/audit/verify", &admin).await.json().await.unwrap();
    assert_eq!((check["valid"].as_bool(), check["first_invalid_seq"].as_i64()), (Some(false), Some(3)));
}

#[tokio::test]
async fn a_township_chooses_two_key_units_among_its_stations_and_windows() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let township = app
        .created(
            "/api/v1/units",
            &admin,
            &json!({"code": "ybz", "name": "元坝镇", "category": "government", "kind": "township"}),
        )
        .await;
    let mut windows = Vec::new();
    for i in 0..3 {
        let window = json!({"code": format!("ybz-{i}"), "name": format!("窗口{i}"), "category": "government", "kind": "service_window", "parent_id": township["id"]});
        windows.push(app.created("/api/v1/units", &admin, &window).await["id"].as_str().unwrap().to_owned());
    }
    let path = format!("/api/v1/campaigns/{campaign}/units");
    for window in &windows[..2] {
        app.created(&path, &admin, &json!({"unit_id": window, "role": "township_key"})).await;
    }
    problem(app.post(&path, &admin, &json!({"unit_id": windows[2], "role": "township_key"})).await, 409).await;
    problem(app.post(&path, &admin, &json!({"unit_id": township["id"], "role": "township_key"})).await, 422).await;
    problem(app.post(&path, &admin, &json!({"unit_id": windows[0], "role": "self_organised"})).await, 409).await;
    let members: Value = app.get(&path, &admin).await.json::<Value>().await.unwrap()["items"].clone();
    assert_eq!(members.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_live_tally_streams_server_sent_events() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "u", "government").await;
    app.created(
        &format!("/api/v1/campaigns/{campaign}/units"),
        &admin,
        &json!({"unit_id": unit, "role": "district_key"}),
    )
    .await;
    problem(
        app.post(&format!("/api/v1/campaigns/{campaign}/conference/sessions"), &admin, &json!({"mode": "overall"}))
            .await,
        409,
    )
    .await;
    app.phase(&admin, campaign, "rectification").await;
    app.phase(&admin, campaign, "assessment").await;
    let session = app
        .created(&format!("/api/v1/campaigns/{campaign}/conference/sessions"), &admin, &json!({"mode": "dimensions"}))
        .await;
    let session = session["id"].as_str().unwrap();
    app.created(&format!("/api/v1/conference/sessions/{session}/close"), &admin, &json!({})).await;
    let response =
        app.request(reqwest::Method::GET, &format!("/api/v1/public/conference/{session}/live"), None, None).await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let body = response.text().await.unwrap();
    assert!(body.starts_with("event: tally\ndata: {"), "{body}");
    assert!(body.contains("\"status\":\"closed\""));
}

#[tokio::test]
async fn units_see_only_their_own_problems_and_overdue_measures_are_flagged_and_announced_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let own = app.unit(&admin, "own", "government").await;
    let other = app.unit(&admin, "other", "government").await;
    for member in [own, other] {
        let body = json!({"unit_id": member, "role": "district_key"});
        app.created(&format!("/api/v1/campaigns/{campaign}/units"), &admin, &body).await;
    }
    let unit = app.token(Role::Unit, Some(own)).await;
    let (_, reader) =
        app.client_token(&admin, &json!({"name": "portal", "role": "reader", "campaign_ids": [campaign]})).await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let subscription =
        app.created("/api/v1/webhooks", &reader, &json!({"url": url, "events": ["rectification.overdue"]})).await;
    let subscription = subscription["subscription"]["id"].as_str().unwrap().to_owned();

    let problem_body = |unit: Uuid| json!({"unit_id": unit, "source": "free_text", "description": "窗口排队时间过长", "found_on": "2017-08-20", "public": true});
    let mine = app.created(&format!("/api/v1/campaigns/{campaign}/problems"), &unit, &problem_body(own)).await;
    problem(app.post(&format!("/api/v1/campaigns/{campaign}/problems"), &unit, &problem_body(other)).await, 403).await;
    let theirs = app.created(&format!("/api/v1/campaigns/{campaign}/problems"), &admin, &problem_body(other)).await;
    let measure = json!({"description": "增设窗口", "responsible": "办公室主任", "deadline": "2017-11-15"});
    let overdue =
        app.created(&format!("/api/v1/problems/{}/measures", mine["id"].as_str().unwrap()), &unit, &measure).await;
    assert_eq!(overdue["overdue"], true);
    problem(
        app.post(&format!("/api/v1/problems/{}/measures", theirs["id"].as_str().unwrap()), &unit, &measure).await,
        403,
    )
    .await;
    let their_measure = app
        .created(
            &format!("/api/v1/problems/{}/measures", theirs["id"].as_str().unwrap()),
            &admin,
            &json!({"description": "x", "responsible": "y", "deadline": "2099-01-01"}),
        )
        .await;
    assert_eq!(their_measure["overdue"], false);
    let status_path = |m: &Value| format!("/api/v1/measures/{}/status", m["id"].as_str().unwrap());
    problem(
        app.request(reqwest::Method::PUT, &status_path(&their_measure), Some(&unit), Some(&json!({"status": "done"})))
            .await,
        403,
    )
    .await;
    problem(
        app.request(reqwest::Method::PUT, &status_path(&overdue), Some(&unit), Some(&json!({"status": "verified"})))
            .await,
        403,
    )
    .await;
    let listed: Value =
        app.get(&format!("/api/v1/campaigns/{campaign}/problems"), &unit).await.json::<Value>().await.unwrap()["items"]
            .clone();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // The overdue check announces each measure once, however often it runs.
    app.jobs.check_overdue_measures().await.unwrap();
    let deliveries: Value = app
        .get(&format!("/api/v1/webhooks/{subscription}/deliveries"), &reader)
        .await
        .json::<Value>()
        .await
        .unwrap()["items"]
        .clone();
    assert_eq!(app.jobs.check_overdue_measures().await.unwrap(), 0, "nothing new to announce");
    let again: Value = app
        .get(&format!("/api/v1/webhooks/{subscription}/deliveries"), &reader)
        .await
        .json::<Value>()
        .await
        .unwrap()["items"]
        .clone();
    assert_eq!((deliveries.as_array().unwrap().len(), again.as_array().unwrap().len()), (1, 1));
    assert_eq!(again[0]["event_type"], "rectification.overdue");

    let done =
        app.request(reqwest::Method::PUT, &status_path(&overdue), Some(&unit), Some(&json!({"status": "done"}))).await;
    assert_eq!(done.json::<Value>().await.unwrap()["overdue"], false);
    let report = app
        .created(
            &format!("/api/v1/campaigns/{campaign}/rectification-reports"),
            &unit,
            &json!({"unit_id": own, "body": "针对排队问题,已增设窗口。"}),
        )
        .await;
    assert_eq!(report["unit_id"], own.to_string());
    let observer = app.token(Role::Observer, None).await;
    let reports: Value = app
        .get(&format!("/api/v1/campaigns/{campaign}/rectification-reports"), &observer)
        .await
        .json::<Value>()
        .await
        .unwrap()["items"]
        .clone();
    assert_eq!(reports.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_lost_slip_is_replaced_and_the_old_code_stops_working() {
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
    app.phase(&admin, campaign, "rectification").await;
    app.phase(&admin, campaign, "assessment").await;
    app.created(&format!("/api/v1/campaigns/{campaign}/evaluators"), &admin, &json!({"group": "deputies", "count": 2}))
        .await;
    let session = app
        .created(&format!("/api/v1/campaigns/{campaign}/conference/sessions"), &admin, &json!({"mode": "overall"}))
        .await;
    let session = session["id"].as_str().unwrap().to_owned();
    let slips = app.created(&format!("/api/v1/conference/sessions/{session}/codes"), &admin, &json!({})).await;
    let lost = slips.as_array().unwrap().iter().find(|s| s["evaluator_code"] == "E-001").unwrap()["ballot_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = app.created(&format!("/api/v1/conference/sessions/{session}/codes"), &admin, &json!({})).await;
    assert_eq!(again.as_array().map(Vec::len), Some(0), "no second code without a reissue");

    let new =
        app.created(&format!("/api/v1/conference/sessions/{session}/codes/E-001/reissue"), &admin, &json!({})).await;
    assert_eq!(new["evaluator_code"], "E-001");
    assert_ne!(new["ballot_code"].as_str(), Some(lost.as_str()));
    problem(
        app.post(&format!("/api/v1/conference/sessions/{session}/codes/E-099/reissue"), &admin, &json!({})).await,
        404,
    )
    .await;
    assert_eq!(app.audited("conference.code_reissued", &session).await, 1);

    let path = format!("/api/v1/public/conference/{session}/ballots");
    let ballot = |code: &str| json!({"code": code, "scores": [{"unit_id": unit, "dimension": "overall", "option": "satisfied"}]});
    problem(app.request(reqwest::Method::POST, &path, None, Some(&ballot(&lost))).await, 403).await;
    let cast =
        app.request(reqwest::Method::POST, &path, None, Some(&ballot(new["ballot_code"].as_str().unwrap()))).await;
    assert_eq!(cast.status(), 201);
    // 不了解 is an answer too: it is counted as cast, not in the score.
    let other = slips.as_array().unwrap().iter().find(|s| s["evaluator_code"] == "E-002").unwrap()["ballot_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let unsure = json!({"code": other, "scores": [{"unit_id": unit, "dimension": "overall", "option": "dont_know"}]});
    assert_eq!(app.request(reqwest::Method::POST, &path, None, Some(&unsure)).await.status(), 201);
    app.created(&format!("/api/v1/conference/sessions/{session}/close"), &admin, &json!({})).await;
    let tally: Value = app
        .request(reqwest::Method::GET, &format!("/api/v1/public/conference/{session}/tally"), None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((tally["ballots"].as_i64(), tally["units"][0]["ballots"].as_i64()), (Some(2), Some(1)));
    assert_eq!(tally["units"][0]["score"], 80.0);
}

#[tokio::test]
async fn a_conference_scores_each_unit_on_its_categorys_scale_unless_the_session_sets_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let bureau = app.unit(&admin, "jtysj", "government").await;
    let company = app.unit(&admin, "gdgs", "public_service").await;
    for unit in [bureau, company] {
        app.created(
            &format!("/api/v1/campaigns/{campaign}/units"),
            &admin,
            &json!({"unit_id": unit, "role": "district_key"}),
        )
        .await;
    }
    // The public-service questionnaire weighs 满意 at 0.7; the government one keeps 0.8.
    let questions = json!([{"key": "overall", "kind": "rating", "dimension": "overall", "text": {"zh": "总体评价"},
        "options": [{"key": "satisfied", "weight": 0.7, "label": {"zh": "满意"}}, {"key": "dissatisfied", "weight": 0.0, "label": {"zh": "不满意"}}]}]);
    let draft = app
        .created(
            &format!("/api/v1/campaigns/{campaign}/questionnaires"),
            &admin,
            &json!({"category": "public_service", "title": {"zh": "问卷"}, "questions": questions}),
        )
        .await;
    app.created(&format!("/api/v1/questionnaires/{}/publish", draft["id"].as_str().unwrap()), &admin, &json!({})).await;
    app.phase(&admin, campaign, "rectification").await;
    app.phase(&admin, campaign, "assessment").await;
    app.created(&format!("/api/v1/campaigns/{campaign}/evaluators"), &admin, &json!({"group": "deputies", "count": 1}))
        .await;

    let sessions = format!("/api/v1/campaigns/{campaign}/conference/sessions");
    let session = app.created(&sessions, &admin, &json!({"mode": "overall"})).await;
    let scale = |category: &str| -> Vec<String> {
        session["scales"][category].as_array().unwrap().iter().map(|l| l["key"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(scale("public_service"), ["satisfied", "dissatisfied", "dont_know"], "不了解 is always a choice");
    assert_eq!(scale("government").len(), 6);
    let id = session["id"].as_str().unwrap();
    let codes = app.created(&format!("/api/v1/conference/sessions/{id}/codes"), &admin, &json!({})).await;
    let code = codes[0]["ballot_code"].as_str().unwrap();
    let ballot = json!({"code": code, "scores": [
        {"unit_id": bureau, "dimension": "overall", "option": "satisfied"},
        {"unit_id": company, "dimension": "overall", "option": "satisfied"}]});
    let cast = app
        .request(reqwest::Method::POST, &format!("/api/v1/public/conference/{id}/ballots"), None, Some(&ballot))
        .await;
    assert_eq!(cast.status(), 201);
    app.created(&format!("/api/v1/conference/sessions/{id}/close"), &admin, &json!({})).await;
    let tally: Value = app
        .request(reqwest::Method::GET, &format!("/api/v1/public/conference/{id}/tally"), None, None)
        .await
        .json()
        .await
        .unwrap();
    let score = |unit: Uuid| {
        tally["units"].as_array().unwrap().iter().find(|u| u["unit_id"] == unit.to_string()).unwrap()["score"].clone()
    };
    assert_eq!((score(bureau), score(company)), (json!(80.0), json!(70.0)));

    // A session's own scale, for every unit; a scale that names 不了解 or lacks weights is refused.
    let own = json!({"mode": "overall", "unit_ids": [company], "scale": [
        {"key": "good", "weight": 1.0, "label": {"zh": "好"}}, {"key": "fair", "weight": 0.5, "label": {"zh": "一般"}}]});
    let session = app.created(&sessions, &admin, &own).await;
    let levels: Vec<&str> =
        session["scales"]["public_service"].as_array().unwrap().iter().map(|l| l["key"].as_str().unwrap()).collect();
    assert_eq!(levels, ["good", "fair", "dont_know"]);
    let bad = json!({"mode": "overall", "scale": [{"key": "dont_know", "weight": 1.0, "label": {"zh": "不了解"}}, {"key": "x", "weight": null, "label": {"zh": "某"}}]});
    let refused = problem(app.post(&sessions, &admin, &bad).await, 422).await;
    assert_eq!(pingyi_tests::fields(&refused), ["scale[0].key", "scale[1].weight"]);
    let outsider = app.unit(&admin, "wbdw", "government").await;
    let refused =
        problem(app.post(&sessions, &admin, &json!({"mode": "overall", "unit_ids": [outsider]})).await, 422).await;
    assert_eq!(pingyi_tests::fields(&refused), ["unit_ids[0]"]);
}
