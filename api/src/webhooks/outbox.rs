//! The outbox: events are written as deliveries, one per subscription that wants them, in
//! the same transaction as the change they announce. An event is thus sent if and only if
//! its change was committed, whatever fails after; the delivery job (`delivery`) sends what
//! the outbox holds.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use entity::vocabulary::DeliveryStatus;
use entity::{api_client, webhook_delivery, webhook_subscription};

use crate::error::ApiResult;
use crate::webhooks::EventType;

/// Queues `event` for every active subscription to it whose client may see `campaign_id`.
pub async fn emit(
    db: &impl ConnectionTrait,
    event: EventType,
    campaign_id: Uuid,
    data: serde_json::Value,
) -> ApiResult<()> {
    let subscriptions = recipients(db, event, campaign_id).await?;
    queue(db, &subscriptions, event, campaign_id, data).await
}

/// The active subscriptions to `event` whose client may see `campaign_id`.
pub async fn recipients(db: &impl ConnectionTrait, event: EventType, campaign_id: Uuid) -> ApiResult<Vec<Uuid>> {
    let subscriptions =
        webhook_subscription::Entity::find().filter(webhook_subscription::Column::DisabledAt.is_null()).all(db).await?;
    let mut wanted = Vec::new();
    for subscription in subscriptions {
        let subscribed = serde_json::from_value::<Vec<EventType>>(subscription.events.clone())
            .is_ok_and(|events| events.contains(&event));
        if !subscribed {
            continue;
        }
        let client = api_client::Entity::find_by_id(subscription.client_id).one(db).await?;
        let in_scope = client.is_some_and(|c| {
            c.disabled_at.is_none()
                && serde_json::from_value::<Vec<Uuid>>(c.campaign_ids).is_ok_and(|ids| ids.contains(&campaign_id))
        });
        if in_scope {
            wanted.push(subscription.id);
        }
    }
    Ok(wanted)
}

/// Queues one delivery of `event` per subscription.
pub async fn queue(
    db: &impl ConnectionTrait,
    subscriptions: &[Uuid],
    event: EventType,
    campaign_id: Uuid,
    data: serde_json::Value,
) -> ApiResult<()> {
    let now = crate::store::now();
    for subscription_id in subscriptions {
        let event_id = Uuid::new_v4();
        let payload = serde_json::json!({
            "id": event_id, "type": event.as_str(), "timestamp": now.to_rfc3339(),
            "data": {"campaign_id": campaign_id, "details": data}
        });
        webhook_delivery::ActiveModel {
            id: Set(Uuid::new_v4()),
            subscription_id: Set(*subscription_id),
            event_id: Set(event_id),
            event_type: Set(event),
            payload: Set(payload.to_string()),
            status: Set(DeliveryStatus::Pending),
            attempts: Set(0),
            next_attempt_at: Set(Some(now)),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
