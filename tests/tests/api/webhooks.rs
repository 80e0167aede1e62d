use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use pingyi_tests::{problem, spawn_app_with};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::pollster::world;

#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    }
}

/// A local HTTP receiver answering with the given statuses in turn (the last one repeats).
pub(crate) async fn receiver(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    tokio::spawn(async move {
        let mut count = 0;
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head_end, length) = loop {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break (0, 0);
                }
                buffer.extend_from_slice(&chunk[..n]);
                if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap_or(0));
                    break (end + 4, length);
                }
            };
            while buffer.len() < head_end + length {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buffer.extend_from_slice(&chunk[..n]);
            }
            let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
            let headers = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_owned()))
                .collect();
            log.lock().unwrap().push(Received { headers, body: buffer[head_end..].to_vec() });
            let status = statuses.get(count).or(statuses.last()).copied().unwrap_or(200);
            count += 1;
            let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });
    (url, received)
}

fn expected_signature(secret: &str, message: &Received) -> String {
    let key = base64::engine::general_purpose::STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", message.header("webhook-id"), message.header("webhook-timestamp")).as_bytes());
    mac.update(&message.body);
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

async fn wait_for(mut done: impl FnMut() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done(), "timed out");
}

async fn deliveries(w: &crate::pollster::World, token: &str, subscription: &str) -> Value {
    w.app.get(&format!("/api/v1/webhooks/{subscription}/deliveries"), token).await.json::<Value>().await.unwrap()["items"].clone()
}

async fn wait_for_status(w: &crate::pollster::World, token: &str, subscription: &str, status: &str) -> Value {
    for _ in 0..100 {
        let list = deliveries(w, token, subscription).await;
        if list[0]["status"] == status {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("delivery never became {status}: {}", deliveries(w, token, subscription).await);
}

#[tokio::test]
async fn a_signed_event_reaches_a_receiver_that_fails_twice_on_the_third_attempt() {
    let w = world().await;
    let (_, reader) = w.client("reader", None).await;
    let (url, received) = receiver(vec![500, 503, 204]).await;
    let made = w.app.created("/api/v1/webhooks", &reader, &json!({"url": url, "events": ["responses.received"]})).await;
    let secret = made["secret"].as_str().unwrap().to_owned();
    let subscription = made["subscription"]["id"].as_str().unwrap().to_owned();

    let slug = w.app.link(&w.admin, w.questionnaire, w.unit, "web").await;
    assert_eq!(w.app.submit(&slug, "satisfied").await.status(), 201);
    wait_for(|| received.lock().unwrap().len() >= 3).await;
    let messages = received.lock().unwrap().clone();
    for message in &messages {
        assert_eq!(message.header("webhook-signature"), expected_signature(&secret, message));
    }
    assert!(
        messages.iter().all(|m| m.header("webhook-id") == messages[0].header("webhook-id")),
        "one event id across retries"
    );
    let event: Value = serde_json::from_slice(&messages[0].body).unwrap();
    assert_eq!(event["type"], "responses.received");
    assert_eq!(event["data"]["campaign_id"], w.campaign.to_string());

    let log = wait_for_status(&w, &reader, &subscription, "delivered").await;
    let attempts: Vec<i64> =
        log[0]["log"].as_array().unwrap().iter().map(|a| a["status_code"].as_i64().unwrap()).collect();
    assert_eq!(attempts, [500, 503, 204]);
}

/// Citizens' responses are announced by the folds that count them into the totals: every
/// response exactly once, in an event for its campaign and unit, though a second folder (as
/// another replica would run) folds the same pending records, half the time reading their
/// responses back.
#[tokio::test]
async fn each_citizen_response_is_announced_once_with_its_unit() {
    let w = world().await;
    let (_, reader) = w.client("reader", None).await;
    let (url, received) = receiver(vec![204]).await;
    w.app.created("/api/v1/webhooks", &reader, &json!({"url": url, "events": ["responses.received"]})).await;
    let slug = w.app.link(&w.admin, w.questionnaire, w.unit, "web").await;
    let second_folder = crate::satisfaction::SecondFolder::start(w.app.db.clone());
    const SENT: u64 = 12;
    for _ in 0..SENT {
        assert_eq!(w.app.submit(&slug, "satisfied").await.status(), 201);
    }
    let announced = || {
        let messages = received.lock().unwrap().clone();
        let events: Vec<Value> = messages.iter().map(|m| serde_json::from_slice(&m.body).unwrap()).collect();
        for event in &events {
            assert_eq!(event["type"], "responses.received");
            assert_eq!(event["data"]["campaign_id"], w.campaign.to_string());
            assert_eq!(event["data"]["details"]["source"], "citizen_link");
            assert_eq!(event["data"]["details"]["unit_id"], w.unit.to_string());
        }
        events.iter().map(|e| e["data"]["details"]["count"].as_u64().unwrap()).sum::<u64>()
    };
    wait_for(|| announced() >= SENT).await;
    second_folder.stop().await;
    // With nothing left pending no fold can announce more: what the outbox holds is all.
    w.app.jobs.fold().await;
    assert_eq!(w.app.count("satisfaction_pending").await, 0);
    let queued: u64 = entity::webhook_delivery::Entity::find()
        .all(&w.app.db)
        .await
        .unwrap()
        .iter()
        .map(|d| serde_json::from_str::<Value>(&d.payload).unwrap()["data"]["details"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!((queued, announced()), (SENT, SENT));
}

#[tokio::test]
async fn an_unreachable_receiver_ends_as_failed_and_can_be_redelivered() {
    let w = world().await;
    let (_, reader) = w.client("reader", None).await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/gone", closed.local_addr().unwrap());
    drop(closed);
    let made = w.app.created("/api/v1/webhooks", &reader, &json!({"url": url, "events": ["responses.received"]})).await;
    let subscription = made["subscription"]["id"].as_str().unwrap().to_owned();
    let (_, pollster) = w.client("pollster", None).await;
    w.push(&pollster, vec![w.item("w-1", "satisfied")]).await;

    let log = wait_for_status(&w, &reader, &subscription, "failed").await;
    assert_eq!(log[0]["attempts"], 3);
    assert!(log[0]["log"].as_array().unwrap().iter().all(|a| a["status_code"].is_null() && a["error"].is_string()));

    let delivery = log[0]["id"].as_str().unwrap();
    let queued = w.app.post(&format!("/api/v1/webhooks/deliveries/{delivery}/redeliver"), &reader, &json!({})).await;
    assert_eq!(queued.status(), 202);
    let log = wait_for_status(&w, &reader, &subscription, "failed").await;
    assert_eq!(log[0]["log"].as_array().unwrap().len(), 6, "the attempt log keeps growing, nothing is erased");
}

#[tokio::test]
async fn private_targets_are_refused_unless_allowed() {
    let app = spawn_app_with(|settings| settings.webhooks.allow_private_targets = false).await;
    let admin = app.admin().await;
    let campaign = app.campaign(&admin, 2017).await;
    let (_, token) =
        app.client_token(&admin, &json!({"name": "portal", "role": "reader", "campaign_ids": [campaign]})).await;
    let token = token.as_str();
    for url in ["http://127.0.0.1:8080/hook", "http://10.0.0.5/hook", "http://[::1]/hook"] {
        let p = problem(
            app.post("/api/v1/webhooks", token, &json!({"url": url, "events": ["results.published"]})).await,
            422,
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "url");
    }
    problem(
        app.post(
            "/api/v1/webhooks",
            &admin,
            &json!({"url": "https://example.org/hook", "events": ["results.published"]}),
        )
        .await,
        403,
    )
    .await;
}

/// Stops every write to the outbox at the database, on either kind of database.
async fn refuse_outbox_writes(db: &sea_orm::DatabaseConnection, refuse: bool) {
    use sea_orm::ConnectionTrait;
    let sql = match (db.get_database_backend(), refuse) {
        (sea_orm::DbBackend::Postgres, true) => {
            "CREATE FUNCTION refuse_outbox() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'the outbox is refused'; END $$; \
             CREATE TRIGGER refuse_outbox BEFORE INSERT ON webhook_deliveries \
             FOR EACH ROW EXECUTE FUNCTION refuse_outbox();"
        }
        (sea_orm::DbBackend::Postgres, false) => "DROP TRIGGER refuse_outbox ON webhook_deliveries;",
        (_, true) => {
            "CREATE TRIGGER refuse_outbox BEFORE INSERT ON webhook_deliveries \
             BEGIN SELECT RAISE(ABORT, 'the outbox is refused'); END;"
        }
        (_, false) => "DROP TRIGGER refuse_outbox;",
    };
    db.execute_unprepared(sql).await.unwrap();
}

/// An event is written in the transaction of the change it announces: when it cannot be
/// written, the change is not made either (and the client is told), and once it can, the
/// change and its event are stored together.
#[tokio::test]
async fn a_change_whose_event_cannot_be_queued_is_not_made() {
    let w = world().await;
    let (_, reader) = w.client("reader", None).await;
    let (url, _received) = receiver(vec![204]).await;
    let made =
        w.app.created("/api/v1/webhooks", &reader, &json!({"url": url, "events": ["campaign.phase_changed"]})).await;
    let subscription = made["subscription"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/campaigns/{}", w.campaign);
    let phase = || async { w.app.get(&path, &w.admin).await.json::<Value>().await.unwrap()["phase"].clone() };
    let before = phase().await;
    let next = match before.as_str().unwrap() {
        "mobilisation" => "survey",
        "survey" => "rectification",
        other => panic!("the campaign is in {other}"),
    };

    refuse_outbox_writes(&w.app.db, true).await;
    let refused = w.app.post(&format!("{path}/phase"), &w.admin, &json!({"phase": next})).await;
    assert!(refused.status().is_server_error(), "{}", refused.status());
    let sent = refused.text().await.unwrap();
    assert!(!sent.contains("outbox is refused"), "the cause is not sent: {sent}");
    assert!(pingyi_tests::captured_logs().contains("the outbox is refused"), "the whole cause chain is logged");
    assert_eq!(phase().await, before, "the phase did not change without its event");
    assert_eq!(w.app.count("webhook_deliveries").await, 0);

    refuse_outbox_writes(&w.app.db, false).await;
    let moved = w.app.post(&format!("{path}/phase"), &w.admin, &json!({"phase": next})).await;
    assert_eq!(moved.status(), 200);
    assert_eq!(phase().await, json!(next));
    let queued = deliveries(&w, &reader, &subscription).await;
    assert_eq!(queued.as_array().unwrap().len(), 1, "the event was queued with the change: {queued}");
    assert_eq!(queued[0]["event_type"], "campaign.phase_changed");
}
