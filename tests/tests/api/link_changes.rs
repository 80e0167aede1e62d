//! The link cache holds a link's context until the database's change counter moves, and
//! sees changes made around the app (another replica, an operator's SQL) within its check
//! interval, and changes made through the app at once.

use std::sync::Arc;
use std::time::Duration;

use pingyi::intake::link_cache::{CHECK_INTERVAL, LinkCache};
use pingyi::store::link_changes::{self, LinkChanges};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::submissions::with_link;

/// A cache that reads the database's change counter on every request.
fn reading_every_time() -> LinkCache {
    LinkCache::new(Arc::new(LinkChanges::default()), Duration::ZERO)
}

#[tokio::test]
async fn the_database_counts_changes_to_what_links_depend_on_and_nothing_else() {
    let (app, _, slug, _) = with_link().await;
    let generation = || link_changes::database_generation(&app.db);
    let changes: [(&str, i64); 5] = [
        // The fold raises `totals_version` several times a second: not a change to links.
        ("UPDATE campaigns SET totals_version = totals_version + 1", 0),
        ("UPDATE campaigns SET title = 'renamed'", 0),
        ("UPDATE campaigns SET current_phase = 'survey'", 1),
        ("UPDATE questionnaires SET version = version", 1),
        (&format!("UPDATE survey_links SET daily_cap = 5 WHERE slug = '{slug}'"), 1),
    ];
    for (statement, raised) in changes {
        let before = generation().await.unwrap();
        app.db.execute_unprepared(statement).await.unwrap();
        assert_eq!(generation().await.unwrap() - before, raised, "{statement}");
    }
}

/// Answers without the required ones: refused with 422 while the link takes responses,
/// with 410 once it does not, and stored in neither case.
async fn incomplete_answers_status(app: &pingyi_tests::TestApp, slug: &str) -> u16 {
    let body = json!({"submission_id": uuid::Uuid::new_v4(), "answers": {}});
    let path = format!("/api/v1/public/surveys/{slug}/responses");
    app.request(reqwest::Method::POST, &path, None, Some(&body)).await.status().as_u16()
}

#[tokio::test]
async fn a_phase_moved_through_another_connection_closes_links_within_the_check_interval() {
    let (app, _, slug, _) = with_link().await;
    assert_eq!(app.submit(&slug, "satisfied").await.status(), 201, "the link's context is now cached");
    // Bypasses the app's own count of its changes, as a change through another replica does.
    app.db.execute_unprepared("UPDATE campaigns SET current_phase = 'rectification'").await.unwrap();
    let changed = std::time::Instant::now();
    let mut status = incomplete_answers_status(&app, &slug).await;
    while status == 422 && changed.elapsed() < CHECK_INTERVAL * 10 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        status = incomplete_answers_status(&app, &slug).await;
    }
    assert_eq!(status, 410, "the closed phase was seen");
    assert!(changed.elapsed() < CHECK_INTERVAL * 10);
    assert_eq!(app.count("responses").await, 1);
}

/// A change made through the app is seen at its next request, however long the interval.
#[tokio::test]
async fn a_change_made_through_the_app_is_seen_at_once() {
    let (app, admin, slug, _) = with_link().await;
    assert_eq!(app.submit(&slug, "satisfied").await.status(), 201, "the link's context is now cached");
    let link = entity::survey_link::Entity::find()
        .filter(entity::survey_link::Column::Slug.eq(&slug))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(app.post(&format!("/api/v1/links/{link}/revoke"), &admin, &json!({})).await.status(), 200);
    assert_eq!(incomplete_answers_status(&app, &slug).await, 410);
}

#[tokio::test]
async fn an_entry_outlives_the_check_interval_until_a_change_it_depends_on() {
    let (app, _, slug, _) = with_link().await;
    let cache = reading_every_time();
    let title = async || cache.get(&app.db, &slug).await.unwrap().campaign.title.clone();
    let original = title().await;
    // Neither statement raises the change counter, so the cached entry stays in use.
    app.db.execute_unprepared("UPDATE campaigns SET title = 'renamed'").await.unwrap();
    app.db.execute_unprepared("UPDATE campaigns SET totals_version = totals_version + 1").await.unwrap();
    assert_eq!(title().await, original);

    app.db.execute_unprepared(&format!("UPDATE survey_links SET daily_cap = 5 WHERE slug = '{slug}'")).await.unwrap();
    assert_eq!(title().await, "renamed", "the link's change reloaded the entry");
}

#[tokio::test]
async fn the_links_of_one_questionnaire_share_it_until_a_change() {
    let (app, admin, slug, questionnaire) = with_link().await;
    let other_unit = app.unit(&admin, "zjj", "government").await;
    let other_slug = app.link(&admin, questionnaire, other_unit, "window_qr").await;
    let cache = reading_every_time();
    let (first, second) = (cache.get(&app.db, &slug).await.unwrap(), cache.get(&app.db, &other_slug).await.unwrap());
    assert_ne!(first.link.id, second.link.id);
    assert!(Arc::ptr_eq(&first.questionnaire, &second.questionnaire), "one copy of the questionnaire");
    assert!(Arc::ptr_eq(&first.campaign, &second.campaign), "one copy of the campaign");

    app.db.execute_unprepared("UPDATE campaigns SET current_phase = 'rectification'").await.unwrap();
    let reloaded = cache.get(&app.db, &other_slug).await.unwrap();
    assert!(!Arc::ptr_eq(&first.campaign, &reloaded.campaign), "the change reloaded the shared parts");
    assert_eq!(reloaded.campaign.current_phase, entity::vocabulary::Phase::Rectification);
    let again = cache.get(&app.db, &slug).await.unwrap();
    assert!(Arc::ptr_eq(&reloaded.questionnaire, &again.questionnaire), "shared again after the reload");
}

/// Within its interval a cache does not read the change counter again, unless the app made a
/// change itself.
#[tokio::test]
async fn within_its_interval_a_cache_reads_the_counter_again_only_after_a_change_of_the_app() {
    let (app, _, slug, _) = with_link().await;
    let changes = Arc::new(LinkChanges::default());
    let cache = LinkCache::new(changes.clone(), Duration::from_secs(3600));
    let cap = async || cache.get(&app.db, &slug).await.unwrap().link.daily_cap;
    let original = cap().await;
    app.db.execute_unprepared(&format!("UPDATE survey_links SET daily_cap = 5 WHERE slug = '{slug}'")).await.unwrap();
    assert_eq!(cap().await, original, "the counter was not read again within the hour");
    changes.changed_here();
    assert_eq!(cap().await, Some(5), "the app's own change made it read the counter");
}
