//! Reminders by mail: the deliverable reminders the webhooks announced, gathered into one
//! digest per unit account with an address (a township's account also gets its stations'),
//! sent through the office's relay. Each round claims the reminders not yet mailed with a
//! token of its own, so rounds on several replicas never mail one twice; a reminder whose
//! digests all failed is released for the next round.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Duration;
use entity::vocabulary::Role;
use entity::{account, deliverable, deliverable_reminder, unit};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::ApiResult;
use crate::mail::smtp::{self, Message, SmtpSettings};
use crate::webhooks::EventType;

/// One reminder as a digest lists it.
struct Line {
    key: (Uuid, Uuid, String),
    unit_id: Uuid,
    text: String,
}

/// Mails the digests due now; returns how many were sent. Reminders older than
/// `window_days` are not mailed (a relay configured later does not send a backlog).
pub async fn send_digests(
    db: &impl ConnectionTrait,
    smtp: &SmtpSettings,
    public_url: &str,
    window_days: i64,
) -> ApiResult<usize> {
    let claim = Uuid::new_v4();
    let since = crate::store::now() - Duration::days(window_days);
    let claimed = deliverable_reminder::Entity::update_many()
        .col_expr(deliverable_reminder::Column::MailClaim, Expr::value(claim))
        .filter(deliverable_reminder::Column::MailClaim.is_null())
        .filter(deliverable_reminder::Column::SentAt.gte(since))
        .exec(db)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(0);
    }
    let reminders =
        deliverable_reminder::Entity::find().filter(deliverable_reminder::Column::MailClaim.eq(claim)).all(db).await?;
    let deliverables: HashMap<Uuid, deliverable::Model> = deliverable::Entity::find()
        .filter(deliverable::Column::Id.is_in(reminders.iter().map(|r| r.deliverable_id).collect::<HashSet<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let units: HashMap<Uuid, unit::Model> = unit::Entity::find()
        .filter(unit::Column::Id.is_in(reminders.iter().map(|r| r.unit_id).collect::<HashSet<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let lines: Vec<Line> = reminders
        .iter()
        .filter_map(|r| {
            let found = deliverables.get(&r.deliverable_id)?;
            let name = units.get(&r.unit_id).map_or("", |u| u.name.as_str());
            let state = if r.event == EventType::DeliverableOverdue.as_str() { "已逾期" } else { "即将截止" };
            Some(Line {
                key: (r.deliverable_id, r.unit_id, r.event.clone()),
                unit_id: r.unit_id,
                text: format!("{name}：《{}》截止日期 {}，{state}，尚未报送。", found.title, found.due_on),
            })
        })
        .collect();
    // The accounts that hear of a unit: its own, and its township's.
    let townships: HashMap<Uuid, Uuid> =
        units.values().filter_map(|u| u.parent_id.map(|parent| (u.id, parent))).collect();
    let wanted: HashSet<Uuid> = units.keys().copied().chain(townships.values().copied()).collect();
    let accounts = account::Entity::find()
        .filter(account::Column::Role.eq(Role::Unit))
        .filter(account::Column::DisabledAt.is_null())
        .filter(account::Column::Email.is_not_null())
        .filter(account::Column::UnitId.is_in(wanted))
        .all(db)
        .await?;
    let mut digests: BTreeMap<String, Vec<&Line>> = BTreeMap::new();
    for line in &lines {
        let township = townships.get(&line.unit_id).copied();
        for holder in accounts
            .iter()
            .filter(|a| a.unit_id == Some(line.unit_id) || (a.unit_id.is_some() && a.unit_id == township))
        {
            if let Some(email) = &holder.email {
                digests.entry(email.clone()).or_default().push(line);
            }
        }
    }
    let mut sent = 0;
    let mut reached: HashSet<&(Uuid, Uuid, String)> = HashSet::new();
    for (to, lines) in &digests {
        let body = format!(
            "您好：\n\n以下评议材料需要报送：\n\n{}\n\n请登录评议工作控制台报送：{public_url}/console/\n\n（本邮件由评议系统自动发送，请勿回复。）\n",
            lines.iter().map(|l| format!("· {}", l.text)).collect::<Vec<_>>().join("\n")
        );
        let message =
            Message { to: to.clone(), subject: format!("评议材料报送提醒（{} 项）", lines.len()), body };
        match smtp::send(smtp, &message).await {
            Ok(()) => {
                sent += 1;
                reached.extend(lines.iter().map(|l| &l.key));
            }
            Err(err) => tracing::warn!(error = %err, "a reminder digest could not be mailed; it is tried again"),
        }
    }
    // Released for the next round: what went into digests that all failed.
    let mailed_somewhere: HashSet<&(Uuid, Uuid, String)> = digests.values().flatten().map(|l| &l.key).collect();
    for key in mailed_somewhere.difference(&reached) {
        deliverable_reminder::Entity::update_many()
            .col_expr(deliverable_reminder::Column::MailClaim, Expr::value(Option::<Uuid>::None))
            .filter(deliverable_reminder::Column::DeliverableId.eq(key.0))
            .filter(deliverable_reminder::Column::UnitId.eq(key.1))
            .filter(deliverable_reminder::Column::Event.eq(key.2.clone()))
            .exec(db)
            .await?;
    }
    Ok(sent)
}
