//! Delivery: the job that sends due deliveries from the outbox, logs each attempt and
//! schedules retries with exponential backoff (base × 2ⁿ) until `max_attempts`.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use entity::vocabulary::DeliveryStatus;
use entity::{webhook_attempt, webhook_delivery, webhook_subscription};

use crate::store::now;
use crate::webhooks::{WebhookSettings, signing, target};

/// How often the delivery job looks for due deliveries.
pub const POLL: Duration = Duration::from_millis(250);
/// Most deliveries sent per round.
const BATCH: u64 = 20;

/// Sends due deliveries with one HTTP client, under one app's webhook settings.
pub struct Deliverer {
    client: reqwest::Client,
    settings: WebhookSettings,
}

impl Deliverer {
    pub fn new(settings: WebhookSettings) -> Result<Self, reqwest::Error> {
        // reqwest is built without a default crypto provider: use ring, as sqlx does. Only
        // the first install of the process takes effect; later ones find it there.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(target::CheckedResolver::shared(settings.allow_private_targets))
            .no_proxy()
            .build()?;
        Ok(Self { client, settings })
    }

    /// Sends the deliveries due now, up to a batch; returns how many this call sent.
    pub async fn deliver_due(&self, db: &DatabaseConnection) -> Result<usize, sea_orm::DbErr> {
        let due = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(now()))
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .limit(BATCH)
            .all(db)
            .await?;
        let mut sent = 0;
        for delivery in due {
            if claim(db, &delivery, &self.settings).await? {
                deliver(db, &self.client, &self.settings, delivery).await?;
                sent += 1;
            }
        }
        Ok(sent)
    }
}

/// Pushes the next attempt time forward before sending, so that another replica polling
/// the same table does not send it too.
async fn claim(
    db: &DatabaseConnection,
    delivery: &webhook_delivery::Model,
    settings: &WebhookSettings,
) -> Result<bool, sea_orm::DbErr> {
    let lease = now() + TimeDelta::from_std(settings.timeout * 2).unwrap_or(TimeDelta::seconds(30));
    let result = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::NextAttemptAt, sea_orm::sea_query::Expr::value(lease))
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(webhook_delivery::Column::NextAttemptAt.eq(delivery.next_attempt_at))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// One attempt: the status code, or why there was none.
async fn attempt(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    subscription: &webhook_subscription::Model,
    delivery: &webhook_delivery::Model,
) -> (Option<u16>, Option<String>) {
    if let Err(reason) = target::check_before_delivery(&subscription.url, settings.allow_private_targets) {
        return (None, Some(reason));
    }
    let timestamp = chrono::Utc::now().timestamp();
    let id = delivery.event_id.to_string();
    let signature = signing::sign(&subscription.secret, &id, timestamp, delivery.payload.as_bytes());
    let sent = client
        .post(&subscription.url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .header("user-agent", "pingyi-webhooks")
        .body(delivery.payload.clone())
        .send()
        .await;
    match sent {
        Ok(response) => (Some(response.status().as_u16()), None),
        Err(err) => (None, Some(err.to_string().chars().take(500).collect())),
    }
}

async fn deliver(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    settings: &WebhookSettings,
    delivery: webhook_delivery::Model,
) -> Result<(), sea_orm::DbErr> {
    let Some(subscription) = webhook_subscription::Entity::find_by_id(delivery.subscription_id).one(db).await? else {
        return Ok(());
    };
    let started = Instant::now();
    let (status, error) = if subscription.disabled_at.is_some() {
        (None, Some("the subscription is disabled".to_owned()))
    } else {
        attempt(client, settings, &subscription, &delivery).await
    };
    let attempts = delivery.attempts + 1;
    webhook_attempt::ActiveModel {
        id: Set(Uuid::new_v4()),
        delivery_id: Set(delivery.id),
        attempt: Set(attempts),
        attempted_at: Set(now()),
        status_code: Set(status.map(i32::from)),
        error: Set(error),
        duration_ms: Set(i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX)),
    }
    .insert(db)
    .await?;
    let delivered = status.is_some_and(|s| (200..300).contains(&s));
    let (state, next) = if delivered {
        (DeliveryStatus::Delivered, None)
    } else if attempts >= i32::try_from(settings.max_attempts).unwrap_or(i32::MAX) || subscription.disabled_at.is_some()
    {
        (DeliveryStatus::Failed, None)
    } else {
        let exponent = u32::try_from(attempts - 1).unwrap_or(0).min(16);
        let delay = settings.retry_base.saturating_mul(2u32.saturating_pow(exponent));
        (DeliveryStatus::Pending, Some(now() + TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(1))))
    };
    let result = if state == DeliveryStatus::Pending { "retrying" } else { state.as_str() };
    crate::metrics::METRICS.webhook_deliveries.with_label_values(&[result]).inc();
    webhook_delivery::ActiveModel {
        id: Set(delivery.id),
        status: Set(state),
        attempts: Set(attempts),
        next_attempt_at: Set(next),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
