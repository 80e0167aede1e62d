//! A township's account: it picks its key units among its own stations and windows, sees and
//! acts on their problems, measures, deliverables and figures, and reads the township's
//! roll-up of them; nothing of another township's, and a station's own account no roll-up.

use pingyi::auth::Role;
use pingyi_tests::{problem, spawn_app};
use serde_json::{Value, json};
use uuid::Uuid;

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_townships_account_runs_its_stations_and_reads_their_roll_up() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let township = app.unit_of_kind(&admin, "ybz", "township", None).await;
    let station = app.unit_of_kind(&admin, "ybz-gts", "station", Some(township)).await;
    let window = app.unit_of_kind(&admin, "ybz-bmfw", "service_window", Some(township)).await;
    let other_township = app.unit_of_kind(&admin, "wjz", "township", None).await;
    let elsewhere = app.unit_of_kind(&admin, "wjz-gts", "station", Some(other_township)).await;
    let ours = app.token(Role::Unit, Some(township)).await;
    let station_staff = app.token(Role::Unit, Some(station)).await;

    // Its picks, reported to the district: its own stations only, as its key units only.
    let members = format!("/api/v1/campaigns/{campaign}/units");
    for pick in [station, window] {
        ok(app.post(&members, &ours, &json!({"unit_id": pick, "role": "township_key"})).await).await;
    }
    problem(app.post(&members, &ours, &json!({"unit_id": elsewhere, "role": "township_key"})).await, 403).await;
    problem(app.post(&members, &station_staff, &json!({"unit_id": station, "role": "township_key"})).await, 403).await;
    app.created(&members, &admin, &json!({"unit_id": elsewhere, "role": "township_key"})).await;
    let other_pick = app.unit_of_kind(&admin, "ybz-cz", "station", Some(township)).await;
    problem(app.post(&members, &ours, &json!({"unit_id": other_pick, "role": "district_key"})).await, 403).await;

    // Citizens answer its two units and the other township's.
    let questionnaire = app.published_questionnaire(&admin, campaign, "government").await;
    let answers = [
        (station, ["very_satisfied", "satisfied", "satisfied", "satisfied", "dissatisfied"]),
        (window, ["very_satisfied", "very_satisfied", "satisfied", "basically_satisfied", "satisfied"]),
        (elsewhere, ["dissatisfied", "dissatisfied", "dissatisfied", "dissatisfied", "dissatisfied"]),
    ];
    for (unit, levels) in answers {
        let slug = app.link(&admin, questionnaire, unit, "web").await;
        for level in levels {
            assert_eq!(app.submit(&slug, level).await.status(), 201);
        }
    }
    app.jobs.fold().await;

    // The roll-up: its two units' counts together, one rate over their ten answers.
    let path = format!("/api/v1/campaigns/{campaign}/satisfaction/townships/{township}");
    let report = ok(app.get(&path, &ours).await).await;
    let overall = |cells: &Value, unit: Uuid| {
        cells
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["dimension"] == "overall" && c["unit_id"] == unit.to_string())
            .cloned()
            .unwrap()
    };
    let (total, first, second) =
        (overall(&report["total"], township), overall(&report["cells"], station), overall(&report["cells"], window));
    assert_eq!((total["responses"].as_i64(), first["responses"].as_i64()), (Some(10), Some(5)));
    let rate = |c: &Value| c["satisfaction_rate"].as_f64().unwrap();
    let valid = |c: &Value| c["valid_answers"].as_f64().unwrap();
    let expected = (rate(&first) * valid(&first) + rate(&second) * valid(&second)) / (valid(&first) + valid(&second));
    assert!((rate(&total) - expected).abs() < 1e-3, "{} vs {expected}", rate(&total));
    assert!(total["interval"]["low"].as_f64().unwrap() < rate(&total));
    assert!(!report["cells"].to_string().contains(&elsewhere.to_string()), "another township's unit is left out");
    problem(app.get(&path, &station_staff).await, 403).await;
    problem(
        app.get(&format!("/api/v1/campaigns/{campaign}/satisfaction/townships/{other_township}"), &ours).await,
        403,
    )
    .await;
    problem(app.get(&format!("/api/v1/campaigns/{campaign}/satisfaction/townships/{station}"), &admin).await, 404)
        .await;
    // Each station's own figures, not another township's.
    let dimensions = format!("/api/v1/campaigns/{campaign}/satisfaction/dimensions");
    ok(app.get(&format!("{dimensions}?unit_id={window}"), &ours).await).await;
    problem(app.get(&format!("{dimensions}?unit_id={elsewhere}"), &ours).await, 403).await;

    // Problems and measures of its stations, none of another township's.
    let problems = format!("/api/v1/campaigns/{campaign}/problems");
    let found = |unit: Uuid| json!({"unit_id": unit, "source": "visit", "description": "办事指南不清楚", "found_on": "2017-08-20", "public": false});
    let recorded = ok(app.post(&problems, &ours, &found(station)).await).await;
    problem(app.post(&problems, &ours, &found(elsewhere)).await, 403).await;
    app.created(&problems, &admin, &found(elsewhere)).await;
    let measure = json!({"description": "重印办事指南", "responsible": "所长", "deadline": "2099-01-01"});
    ok(app.post(&format!("/api/v1/problems/{}/measures", recorded["id"].as_str().unwrap()), &ours, &measure).await)
        .await;
    let listed = ok(app.get(&problems, &ours).await).await;
    let units: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|p| p["unit_id"].as_str().unwrap()).collect();
    assert_eq!(units, [station.to_string()]);

    // Deliverables: its stations' standings, and hand-ins for them.
    let deliverable =
        json!({"kind": "work_summary", "title": "评议工作总结", "due_on": "2099-12-20", "receivers": ["office"]});
    let deliverable = app.created(&format!("/api/v1/campaigns/{campaign}/deliverables"), &admin, &deliverable).await;
    let detail =
        ok(app.get(&format!("/api/v1/deliverables/{}", deliverable["id"].as_str().unwrap()), &ours).await).await;
    let mut seen: Vec<String> =
        detail["standings"].as_array().unwrap().iter().map(|s| s["unit_id"].as_str().unwrap().to_owned()).collect();
    seen.sort();
    let mut expected = vec![station.to_string(), window.to_string()];
    expected.sort();
    assert_eq!(seen, expected);

    // The console: the township's account reads its report; a station's account is not offered it.
    use super::console_browser::Browser;
    let township_user = format!("ybz-{}", &Uuid::new_v4().simple().to_string()[..6]);
    app.create_account(&township_user, Role::Unit, Some(township)).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&township_user, pingyi_tests::PASSWORD).await;
    let dashboard = browser.get(&format!("/console/campaigns/{campaign}")).await.text().await.unwrap();
    assert!(dashboard.contains(&format!("/console/campaigns/{campaign}/townships")), "{dashboard}");
    let page = browser.get(&format!("/console/campaigns/{campaign}/townships")).await.text().await.unwrap();
    assert!(page.contains("乡镇合计") && page.contains("单位 ybz-gts") && page.contains("单位 ybz-bmfw"), "{page}");
    assert!(page.contains(&format!("{:.1}%", rate(&total) * 100.0)), "the roll-up's rate: {page}");
    assert!(!page.contains("单位 wjz"), "only its own township is offered");
    let station_user = format!("gts-{}", &Uuid::new_v4().simple().to_string()[..6]);
    app.create_account(&station_user, Role::Unit, Some(station)).await;
    let mut station_browser = Browser::new(&app);
    station_browser.sign_in(&station_user, pingyi_tests::PASSWORD).await;
    let dashboard = station_browser.get(&format!("/console/campaigns/{campaign}")).await.text().await.unwrap();
    assert!(!dashboard.contains("/townships"), "a station's account has no township report");
}
