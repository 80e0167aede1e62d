//! Feedback to the representatives: what the units they score report on their rectification,
//! read through the code on their ballot slip, which names no one. A code of the session
//! (spent or not: reading is not voting) opens the rectification reports of the session's
//! units and the hand-ins the office accepted of the deliverables the representatives receive
//! (the rectification report, the head's report), with their documents.

use std::collections::HashMap;

use entity::vocabulary::{HandInStatus, Receiver};
use entity::{deliverable, hand_in, rectification_report};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::config::DocumentSettings;
use crate::error::{ApiError, ApiResult};
use crate::services::evaluation::ballot_sheet;
use crate::services::evaluation::conference;
use crate::services::evaluation::deliverables::Document;

pub struct FeedbackDocument {
    pub hand_in_id: Uuid,
    /// The deliverable's title.
    pub title: String,
    pub note: String,
    pub file_name: Option<String>,
    pub handed_in_at: chrono::DateTime<chrono::FixedOffset>,
}

pub struct FeedbackUnit {
    pub name: String,
    pub reports: Vec<rectification_report::Model>,
    pub documents: Vec<FeedbackDocument>,
}

pub struct Feedback {
    pub campaign_title: String,
    pub units: Vec<FeedbackUnit>,
}

async fn require_code(db: &impl ConnectionTrait, session_id: Uuid, code: &str) -> ApiResult<()> {
    if code.trim().is_empty() || !conference::code_issued(db, session_id, code).await? {
        return Err(ApiError::Forbidden("this code is not one of the session's".to_owned()));
    }
    Ok(())
}

/// The deliverables the representatives receive, of the session's campaign, by id.
async fn for_representatives(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<HashMap<Uuid, String>> {
    Ok(deliverable::Entity::find()
        .filter(deliverable::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .filter(|d| {
            serde_json::from_value::<Vec<Receiver>>(d.receivers.clone())
                .is_ok_and(|receivers| receivers.contains(&Receiver::Representatives))
        })
        .map(|d| (d.id, d.title))
        .collect())
}

/// What the holder of `code` may read: per unit of the session, its rectification reports
/// and the accepted hand-ins meant for the representatives.
pub async fn for_code(db: &impl ConnectionTrait, session_id: Uuid, code: &str) -> ApiResult<Feedback> {
    let sheet = ballot_sheet::sheet(db, session_id).await?;
    require_code(db, session_id, code).await?;
    let unit_ids: Vec<Uuid> = sheet.units.iter().map(|u| u.id).collect();
    let campaign_id = sheet.session.campaign_id;
    let mut reports: HashMap<Uuid, Vec<rectification_report::Model>> = HashMap::new();
    for report in rectification_report::Entity::find()
        .filter(rectification_report::Column::CampaignId.eq(campaign_id))
        .filter(rectification_report::Column::UnitId.is_in(unit_ids.clone()))
        .order_by_asc(rectification_report::Column::SubmittedAt)
        .all(db)
        .await?
    {
        reports.entry(report.unit_id).or_default().push(report);
    }
    let titles = for_representatives(db, campaign_id).await?;
    let mut documents: HashMap<Uuid, Vec<FeedbackDocument>> = HashMap::new();
    for accepted in hand_in::Entity::find()
        .filter(hand_in::Column::DeliverableId.is_in(titles.keys().copied().collect::<Vec<_>>()))
        .filter(hand_in::Column::UnitId.is_in(unit_ids))
        .filter(hand_in::Column::Status.eq(HandInStatus::Accepted))
        .order_by_asc(hand_in::Column::HandedInAt)
        .all(db)
        .await?
    {
        documents.entry(accepted.unit_id).or_default().push(FeedbackDocument {
            hand_in_id: accepted.id,
            title: titles.get(&accepted.deliverable_id).cloned().unwrap_or_default(),
            note: accepted.note,
            file_name: accepted.file_name,
            handed_in_at: accepted.handed_in_at,
        });
    }
    Ok(Feedback {
        campaign_title: sheet.campaign_title,
        units: sheet
            .units
            .into_iter()
            .map(|unit| FeedbackUnit {
                reports: reports.remove(&unit.id).unwrap_or_default(),
                documents: documents.remove(&unit.id).unwrap_or_default(),
                name: unit.name,
            })
            .collect(),
    })
}

/// The document of an accepted hand-in meant for the representatives, for the holder of a
/// code of a session that scores its unit; anything else is not found.
pub async fn document(
    db: &impl ConnectionTrait,
    settings: &DocumentSettings,
    session_id: Uuid,
    code: &str,
    hand_in_id: Uuid,
) -> ApiResult<Document> {
    let sheet = ballot_sheet::sheet(db, session_id).await?;
    require_code(db, session_id, code).await?;
    let titles = for_representatives(db, sheet.session.campaign_id).await?;
    let found = hand_in::Entity::find_by_id(hand_in_id)
        .filter(hand_in::Column::Status.eq(HandInStatus::Accepted))
        .one(db)
        .await?
        .filter(|h| titles.contains_key(&h.deliverable_id) && sheet.units.iter().any(|u| u.id == h.unit_id))
        .ok_or_else(|| ApiError::NotFound(format!("no document {hand_in_id} for this session")))?;
    crate::services::evaluation::deliverables::document_of(settings, &found)
}
