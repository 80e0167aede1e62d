//! Clients' subscriptions, emission of events into the delivery queue, and the delivery log.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use entity::vocabulary::DeliveryStatus;
use entity::{webhook_attempt, webhook_delivery, webhook_subscription};

use crate::auth::Role;
use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult};
use crate::webhooks::{EventType, signing, target};

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://portal.example.gov.cn/hooks/pingyi", "events": ["responses.received", "results.published"]}))]
pub struct NewSubscription {
    #[validate(length(min = 8, max = 2000))]
    #[schema(min_length = 8, max_length = 2000)]
    pub url: String,
    #[validate(length(min = 1, max = 10))]
    pub events: Vec<EventType>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionDto {
    pub id: Uuid,
    pub client_id: Uuid,
    pub url: String,
    pub events: Vec<EventType>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub disabled_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionWithSecret {
    pub subscription: SubscriptionDto,
    /// The signing secret (`whsec_…`), shown this once. Verify `webhook-signature` with it.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptDto {
    pub attempt: i32,
    pub attempted_at: chrono::DateTime<chrono::FixedOffset>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDto {
    pub id: Uuid,
    pub subscription_id: Uuid,
    /// The `webhook-id` header: the same on every attempt and redelivery.
    pub event_id: Uuid,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub log: Vec<AttemptDto>,
}

impl TryFrom<webhook_subscription::Model> for SubscriptionDto {
    type Error = ApiError;

    fn try_from(m: webhook_subscription::Model) -> ApiResult<Self> {
        Ok(Self {
            id: m.id,
            client_id: m.client_id,
            url: m.url,
            events: serde_json::from_value(m.events).map_err(ApiError::internal)?,
            created_at: m.created_at,
            disabled_at: m.disabled_at,
        })
    }
}

fn owner(who: &Principal) -> ApiResult<Uuid> {
    who.require_client("webhooks")
}

pub async fn create(
    db: &impl ConnectionTrait,
    who: &Principal,
    allow_private: bool,
    input: NewSubscription,
) -> ApiResult<SubscriptionWithSecret> {
    let client_id = owner(who)?;
    target::check(&input.url, allow_private).await.map_err(|reason| ApiError::invalid("url", reason))?;
    let secret = signing::new_secret();
    let model = webhook_subscription::ActiveModel {
        id: Set(Uuid::new_v4()),
        client_id: Set(client_id),
        url: Set(input.url),
        events: Set(serde_json::to_value(&input.events).map_err(ApiError::internal)?),
        secret: Set(secret.clone()),
        created_at: Set(crate::store::now()),
        disabled_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(SubscriptionWithSecret { subscription: model.try_into()?, secret })
}

/// A subscription the principal may manage: its own client's, or any for admins.
pub async fn find_for(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<webhook_subscription::Model> {
    who.require(Permission::ManageWebhooks)?;
    let found = webhook_subscription::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no subscription {id}")))?;
    if who.role == Role::Admin || who.client_id() == Some(found.client_id) {
        Ok(found)
    } else {
        Err(ApiError::NotFound(format!("no subscription {id}")))
    }
}

pub async fn list(db: &impl ConnectionTrait, who: &Principal) -> ApiResult<Vec<webhook_subscription::Model>> {
    who.require(Permission::ManageWebhooks)?;
    let mut query = webhook_subscription::Entity::find().order_by_asc(webhook_subscription::Column::CreatedAt);
    if who.role != Role::Admin {
        query = query.filter(webhook_subscription::Column::ClientId.eq(owner(who)?));
    }
    Ok(query.all(db).await?)
}

pub async fn disable(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<webhook_subscription::Model> {
    find_for(db, who, id).await?;
    let update = webhook_subscription::ActiveModel {
        id: Set(id),
        disabled_at: Set(Some(crate::store::now())),
        ..Default::default()
    };
    Ok(update.update(db).await?)
}

pub async fn deliveries(
    db: &impl ConnectionTrait,
    who: &Principal,
    subscription_id: Uuid,
) -> ApiResult<Vec<DeliveryDto>> {
    find_for(db, who, subscription_id).await?;
    let list = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::SubscriptionId.eq(subscription_id))
        .order_by_asc(webhook_delivery::Column::CreatedAt)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for d in list {
        let log = webhook_attempt::Entity::find()
            .filter(webhook_attempt::Column::DeliveryId.eq(d.id))
            .order_by_asc(webhook_attempt::Column::Attempt)
            .all(db)
            .await?
            .into_iter()
            .map(|a| AttemptDto {
                attempt: a.attempt,
                attempted_at: a.attempted_at,
                status_code: a.status_code,
                error: a.error,
                duration_ms: a.duration_ms,
            })
            .collect();
        out.push(DeliveryDto {
            id: d.id,
            subscription_id: d.subscription_id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            log,
        });
    }
    Ok(out)
}

/// Queues a delivery again (after a failure, or to replay one): same event id, attempts from 0.
pub async fn redeliver(db: &impl ConnectionTrait, who: &Principal, delivery_id: Uuid) -> ApiResult<()> {
    let delivery = webhook_delivery::Entity::find_by_id(delivery_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no delivery {delivery_id}")))?;
    find_for(db, who, delivery.subscription_id).await?;
    webhook_delivery::ActiveModel {
        id: Set(delivery_id),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(Some(crate::store::now())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
