//! The console's set-up of a campaign over HTTP: the scoring-settings form, the units it
//! evaluates with their parts and ranking groups, and its questionnaires (preview, publish,
//! close, new version).

use pingyi::auth::Role;
use pingyi_tests::{PASSWORD, spawn_app};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use super::console_browser::{Browser, account, location};

/// The settings form's fields as the page fills them in, with `changes` over them.
fn settings_form(csrf: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("csrf", csrf),
        ("w_conference", "50"),
        ("w_third_party", "50"),
        ("w_citizen_links", "0"),
        ("w_supervision", "0"),
        ("qualified_min", "70"),
        ("excellent_min", "90"),
        ("bottom_n", "3"),
        ("group_bottom_n", "0"),
        ("min_conference", "10"),
        ("min_third_party", "30"),
        ("min_citizen_links", "30"),
        ("supervision_mode", "points"),
        ("organiser", ""),
        ("contact", ""),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (key, value) in changes {
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = (*value).to_owned(),
            None => fields.push(((*key).to_owned(), (*value).to_owned())),
        }
    }
    fields
}

async fn settings_of(app: &pingyi_tests::TestApp, campaign: Uuid) -> serde_json::Value {
    entity::campaign::Entity::find_by_id(campaign).one(&app.db).await.unwrap().unwrap().settings
}

#[tokio::test]
async fn the_settings_form_names_each_bad_field_saves_good_ones_and_audits_them() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let mut office = Browser::new(&app);
    office.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let path = format!("/console/campaigns/{campaign}/settings");
    let page = office.get(&path).await.text().await.unwrap();
    assert!(page.contains("id=\"w_conference\" name=\"w_conference\" value=\"50\""), "the plan's weights");
    assert!(page.contains("<script>"), "the form is checked as it is typed");
    let csrf = office.form_token(&path).await;
    let before = settings_of(&app, campaign).await;

    let bad = settings_form(&csrf, &[("w_conference", "60"), ("min_third_party", "0"), ("contact", &"长".repeat(61))]);
    let refused = office.post_pairs(&path, &bad).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let shown = refused.text().await.unwrap();
    assert!(shown.contains("<a href=\"#w_conference\">四项权重合计须为 100%。</a>"), "{shown}");
    assert!(shown.contains("<a href=\"#min_third_party\">须为 1 到 100000 之间的整数</a>"));
    assert!(shown.contains("<a href=\"#contact\">"));
    assert!(shown.contains("id=\"w_conference\" name=\"w_conference\" value=\"60\""), "what was typed comes back");
    assert_eq!(settings_of(&app, campaign).await, before, "nothing is saved");

    let wrong_order = settings_form(&csrf, &[("excellent_min", "65")]);
    let shown = office.post_pairs(&path, &wrong_order).await.text().await.unwrap();
    assert!(shown.contains("<a href=\"#excellent_min\">优秀线不能低于合格线。</a>"));

    let good = settings_form(
        &csrf,
        &[
            ("w_conference", "40"),
            ("w_third_party", "40"),
            ("w_supervision", "20"),
            ("supervision_mode", "component"),
            ("outside_survey", "on"),
            ("organiser", "昭化区纠风办"),
        ],
    );
    let saved = office.post_pairs(&path, &good).await;
    assert_eq!(location(&saved), format!("{path}?notice=saved"));
    let after = settings_of(&app, campaign).await;
    assert_eq!(
        after["weights"],
        json!({"conference": 0.4, "third_party": 0.4, "citizen_links": 0.0, "supervision": 0.2})
    );
    assert_eq!(after["supervision_mode"], "component");
    assert_eq!(after["responses_outside_survey"], true);
    assert_eq!(after["organiser"], "昭化区纠风办");
    let audited = entity::audit_record::Entity::find()
        .filter(entity::audit_record::Column::Action.eq("campaign.settings_changed"))
        .filter(entity::audit_record::Column::EntityId.eq(campaign.to_string()))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
    let api =
        app.get(&format!("/api/v1/campaigns/{campaign}"), &admin).await.json::<serde_json::Value>().await.unwrap();
    assert_eq!(api["settings"]["weights"]["supervision"], 0.2, "the API reads what the console saved");

    let forged = office.post_pairs(&path, &settings_form("", &[("w_conference", "100"), ("w_third_party", "0")])).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let mut observer = Browser::new(&app);
    observer.sign_in(&account(&app, Role::Observer).await, PASSWORD).await;
    let read = observer.get(&path).await.text().await.unwrap();
    assert!(read.contains(" disabled") && !read.contains("type=\"submit\">保存评分规则"), "an observer only reads");
    let observer_csrf = observer.form_token("/console/").await;
    let refused = observer.post_pairs(&path, &settings_form(&observer_csrf, &[])).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(settings_of(&app, campaign).await, after);
}

#[tokio::test]
async fn the_office_adds_units_to_a_campaign_and_moves_them_between_ranking_groups() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let unit = app.unit(&admin, "jtysj", "government").await;
    let mut office = Browser::new(&app);
    office.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let path = format!("/console/campaigns/{campaign}/members");
    let page = office.get(&path).await.text().await.unwrap();
    assert!(page.contains(&format!("<option value=\"{unit}\">单位 jtysj（jtysj）</option>")), "offered");
    let csrf = office.form_token(&path).await;
    let added = office
        .post(&path, &[("csrf", &csrf), ("unit", &unit.to_string()), ("role", "district_key"), ("group", "")])
        .await;
    assert_eq!(location(&added), format!("{path}?notice=saved"));
    let member =
        || async { entity::campaign_unit::Entity::find_by_id((campaign, unit)).one(&app.db).await.unwrap().unwrap() };
    assert_eq!(member().await.ranking_group.as_deref(), Some("district"), "its part's own group");
    let listed = office.get(&path).await.text().await.unwrap();
    assert!(listed.contains("<th scope=\"row\">单位 jtysj</th><td>区重点评议单位</td>"));

    let again = office
        .post(&path, &[("csrf", &csrf), ("unit", &unit.to_string()), ("role", "district_key"), ("group", "")])
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().await.unwrap().contains("这个单位已经参评。"));

    let move_to = format!("{path}/{unit}/group");
    let bad = office.post(&move_to, &[("csrf", &csrf), ("group", "district"), ("new_group", "no spaces")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(member().await.ranking_group.as_deref(), Some("district"), "unchanged");
    let moved = office.post(&move_to, &[("csrf", &csrf), ("group", "district"), ("new_group", "windows")]).await;
    assert_eq!(location(&moved), format!("{path}?notice=saved"));
    assert_eq!(member().await.ranking_group.as_deref(), Some("windows"));
    let unranked = office.post(&move_to, &[("csrf", &csrf), ("group", "none"), ("new_group", "")]).await;
    assert_eq!(location(&unranked), format!("{path}?notice=saved"));
    assert_eq!(member().await.ranking_group, None);
    let audited = entity::audit_record::Entity::find()
        .filter(entity::audit_record::Column::Action.eq("campaign.unit_group_changed"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 2);

    let mut observer = Browser::new(&app);
    observer.sign_in(&account(&app, Role::Observer).await, PASSWORD).await;
    let read = observer.get(&path).await.text().await.unwrap();
    assert!(read.contains("单位 jtysj") && !read.contains("/group\""), "an observer sees no form");
    let observer_csrf = observer.form_token("/console/").await;
    let refused = observer.post(&move_to, &[("csrf", &observer_csrf), ("group", "district")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(member().await.ranking_group, None);
}

#[tokio::test]
async fn questionnaires_are_previewed_as_citizens_see_them_then_published_closed_and_versioned() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let mut office = Browser::new(&app);
    office.sign_in(&account(&app, Role::Admin).await, PASSWORD).await;
    let path = format!("/console/campaigns/{campaign}/questionnaires");
    let csrf = office.form_token(&path).await;
    let created = office.post(&path, &[("csrf", &csrf), ("category", "government")]).await;
    assert_eq!(location(&created), format!("{path}?notice=saved"));
    let versions = || async {
        entity::questionnaire::Entity::find()
            .filter(entity::questionnaire::Column::CampaignId.eq(campaign))
            .order_by_asc(entity::questionnaire::Column::Version)
            .all(&app.db)
            .await
            .unwrap()
    };
    let draft = versions().await.remove(0);
    assert_eq!(draft.status.as_str(), "draft");
    let title = draft.title["zh"].as_str().unwrap().to_owned();
    let listed = office.get(&path).await.text().await.unwrap();
    assert!(listed.contains(&format!("<th scope=\"row\">{title}</th>")) && listed.contains("<td>草稿</td>"));

    let preview = office.get(&format!("/console/questionnaires/{}/preview", draft.id)).await;
    assert_eq!(preview.status(), StatusCode::OK);
    let preview = preview.text().await.unwrap();
    assert!(preview.contains("预览：这是群众打开链接时看到的问卷。此页不能提交。"));
    assert!(preview.contains(&title) && preview.contains("<h1>（示例单位）</h1>"));
    assert!(preview.contains("<button type=\"submit\" disabled>"), "the preview sends nothing");
    assert!(!preview.contains("method=\"post\""));
    let english = office.get(&format!("/console/questionnaires/{}/preview?lang=en", draft.id)).await;
    assert!(english.text().await.unwrap().contains(draft.title["en"].as_str().unwrap()));

    let act = |action: &str| format!("/console/questionnaires/{}/{action}", draft.id);
    let published = office.post(&act("publish"), &[("csrf", &csrf)]).await;
    assert_eq!(location(&published), format!("{path}?notice=published"));
    assert_eq!(versions().await[0].status.as_str(), "published");
    let twice = office.post(&act("publish"), &[("csrf", &csrf)]).await;
    assert_eq!(location(&twice), format!("{path}?problem=conflict"), "a published one is not published again");
    assert_eq!(location(&office.post(&act("version"), &[("csrf", &csrf)]).await), format!("{path}?notice=saved"));
    let closed = office.post(&act("close"), &[("csrf", &csrf)]).await;
    assert_eq!(location(&closed), format!("{path}?notice=closed"));
    let now = versions().await;
    assert_eq!(now.len(), 2);
    assert_eq!((now[0].status.as_str(), now[1].status.as_str(), now[1].version), ("closed", "draft", 2));

    let mut observer = Browser::new(&app);
    observer.sign_in(&account(&app, Role::Observer).await, PASSWORD).await;
    let read = observer.get(&path).await.text().await.unwrap();
    assert!(read.contains("/preview\"") && !read.contains("/publish\""), "an observer previews only");
    let observer_csrf = observer.form_token("/console/").await;
    let refused =
        observer.post(&format!("/console/questionnaires/{}/publish", now[1].id), &[("csrf", &observer_csrf)]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(versions().await[1].status.as_str(), "draft");
}
