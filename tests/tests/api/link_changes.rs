//! The link cache holds a link's context until the database's change counter moves, and
//! sees changes made around this process (another replica, an operator's SQL) within
//! `CHECK_INTERVAL`.

use std::sync::Arc;
use std::time::Duration;

use pingyi::intake::link_cache::{CHECK_INTERVAL, LinkCache};
use pingyi::store::link_changes;
use sea_orm::ConnectionTrait;

use super::submissions::with_link;

/// Long enough for every cache to read the change counter again.
async fn wait_for_the_next_check() {
    tokio::time::sleep(CHECK_INTERVAL + Duration::from_millis(300)).await;
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

#[tokio::test]
async fn a_phase_moved_through_another_connection_closes_links_within_the_check_interval() {
    let (app, _, slug, _) = with_link().await;
    assert_eq!(app.submit(&slug, "satisfied").await.status(), 201, "the link's context is now cached");
    // Bypasses this process's own invalidation, as a change through another replica does.
    app.db.execute_unprepared("UPDATE campaigns SET current_phase = 'rectification'").await.unwrap();
    wait_for_the_next_check().await;
    assert_eq!(app.submit(&slug, "satisfied").await.status(), 410);
    assert_eq!(app.count("responses").await, 1);
}

#[tokio::test]
async fn an_entry_outlives_the_check_interval_until_a_change_it_depends_on() {
    let (app, _, slug, _) = with_link().await;
    let cache = LinkCache::default();
    let title = async || cache.get(&app.db, &slug).await.unwrap().campaign.title.clone();
    let original = title().await;
    // Neither statement raises the change counter, so the cached entry stays in use.
    app.db.execute_unprepared("UPDATE campaigns SET title = 'renamed'").await.unwrap();
    app.db.execute_unprepared("UPDATE campaigns SET totals_version = totals_version + 1").await.unwrap();
    wait_for_the_next_check().await;
    assert_eq!(title().await, original);

    app.db.execute_unprepared(&format!("UPDATE survey_links SET daily_cap = 5 WHERE slug = '{slug}'")).await.unwrap();
    wait_for_the_next_check().await;
    assert_eq!(title().await, "renamed", "the link's change reloaded the entry");
}

#[tokio::test]
async fn the_links_of_one_questionnaire_share_it_until_a_change() {
    let (app, admin, slug, questionnaire) = with_link().await;
    let other_unit = app.unit(&admin, "zjj", "government").await;
    let other_slug = app.link(&admin, questionnaire, other_unit, "window_qr").await;
    let cache = LinkCache::default();
    let (first, second) = (cache.get(&app.db, &slug).await.unwrap(), cache.get(&app.db, &other_slug).await.unwrap());
    assert_ne!(first.link.id, second.link.id);
    assert!(Arc::ptr_eq(&first.questionnaire, &second.questionnaire), "one copy of the questionnaire");
    assert!(Arc::ptr_eq(&first.campaign, &second.campaign), "one copy of the campaign");

    app.db.execute_unprepared("UPDATE campaigns SET current_phase = 'rectification'").await.unwrap();
    wait_for_the_next_check().await;
    let reloaded = cache.get(&app.db, &other_slug).await.unwrap();
    assert!(!Arc::ptr_eq(&first.campaign, &reloaded.campaign), "the change reloaded the shared parts");
    assert_eq!(reloaded.campaign.current_phase, entity::vocabulary::Phase::Rectification);
    let again = cache.get(&app.db, &slug).await.unwrap();
    assert!(Arc::ptr_eq(&reloaded.questionnaire, &again.questionnaire), "shared again after the reload");
}
