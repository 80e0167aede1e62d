//! The demo: a year evaluated and published with ranking groups, a conference with its own
//! minimum and a tie decided by the leading group; the next year open with the bottom units
//! carried over in their role and group.

use pingyi::services::integrity::codes::SpendKey;
use pingyi_tests::{TEST_SECRET, spawn_app};
use serde_json::Value;

#[tokio::test]
async fn the_demo_shows_a_year_evaluated_and_the_next_one_open() {
    let app = spawn_app().await;
    let key = SpendKey::derive(&pingyi::config::Secret::new(TEST_SECRET.to_vec()).unwrap());
    let summary = pingyi::demo::load(&app.db, &key).await.unwrap();
    let evaluated = summary.evaluated_campaign.unwrap();
    assert_eq!(summary.links.len(), 9, "a link per key unit of 2017 and a kiosk: {:?}", summary.links);
    assert_eq!(summary.links.iter().filter(|(name, _)| name.ends_with("（窗口平板）")).count(), 1);

    let public: Value = app
        .request(reqwest::Method::GET, &format!("/api/v1/public/campaigns/{evaluated}/results"), None, None)
        .await
        .json()
        .await
        .unwrap();
    let unit =
        |code: &str| public["units"].as_array().unwrap().iter().find(|u| u["unit_code"] == code).unwrap().clone();
    // The tie at the district's line, decided: 区政务中心 in the bottom three, 区食药工商局 not.
    assert_eq!((unit("sygsj")["composite"].as_f64(), unit("zwzx")["composite"].as_f64()), (Some(78.0), Some(78.0)));
    assert_eq!((unit("sygsj")["bottom"].as_bool(), unit("zwzx")["bottom"].as_bool()), (Some(false), Some(true)));
    // A bottom unit loses the year's award eligibility; the others keep it.
    assert_eq!(
        (unit("sygsj")["award_eligible"].as_bool(), unit("zwzx")["award_eligible"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(public["decisions"][0]["reason"].as_str().unwrap().contains("区政务中心"));
    let district = public["lines"].as_array().unwrap().iter().find(|l| l["group"] == "district").unwrap();
    assert_eq!(district["tie"]["places"], 1);
    assert!(!district["uncertain"].as_array().unwrap().is_empty(), "six representatives leave the line uncertain");
    // The conference counted with its own minimum of five; the self-organised department is
    // graded on the third party alone and not ranked.
    let conference =
        unit("jyj")["components"].as_array().unwrap().iter().find(|c| c["source"] == "conference").cloned().unwrap();
    assert_eq!(
        (conference["counted"].as_bool(), conference["sample"].as_i64(), conference["minimum"].as_i64()),
        (Some(true), Some(6), Some(5))
    );
    assert_eq!((unit("daj")["rank"].as_u64(), unit("daj")["grade"].as_str()), (None, Some("qualified")));
    assert_eq!(unit("ybz-gts")["group_name"], "元坝镇重点评议单位");
    assert_eq!((unit("ybz-gts")["rank"].as_u64(), unit("ybz-gts")["bottom"].as_bool()), (Some(2), Some(true)));

    // 2017: the bottom units again, in their role and group.
    let admin = app.admin().await;
    let campaigns: Value = app.get("/api/v1/campaigns", &admin).await.json().await.unwrap();
    let next = campaigns["items"].as_array().unwrap().iter().find(|c| c["year"] == 2017).unwrap().clone();
    assert_eq!(next["settings"]["weights"]["citizen_links"], 0.2);
    let members: Value = app
        .get(&format!("/api/v1/campaigns/{}/units", next["id"].as_str().unwrap()), &admin)
        .await
        .json::<Value>()
        .await
        .unwrap()["items"]
        .clone();
    let mut carried: Vec<(String, String, String)> = members
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["reason"] == "carried_over")
        .map(|m| {
            let group = m["ranking_group"].as_str().unwrap();
            let group = if group.starts_with("township:") { "township" } else { group };
            (m["unit_name"].as_str().unwrap().to_owned(), m["role"].as_str().unwrap().to_owned(), group.to_owned())
        })
        .collect();
    carried.sort();
    let expected = [
        ("元坝镇国土资源所", "township_key", "township"),
        ("区三江办", "district_key", "district"),
        ("区政务中心", "district_key", "district"),
        ("国网昭化供电公司", "district_key", "district"),
    ];
    let mut expected: Vec<(String, String, String)> =
        expected.iter().map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned())).collect();
    expected.sort();
    assert_eq!(carried, expected);

    let again = pingyi::demo::load(&app.db, &key).await.unwrap();
    assert_eq!((again.links.len(), again.new_admin.is_none()), (9, true), "loading twice changes nothing");
    assert_eq!(app.count("campaigns").await, 2);
}
