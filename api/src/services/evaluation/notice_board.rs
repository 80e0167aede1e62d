//! The public notice board (公示): the plan makes the problems found and their rectification
//! public. Per campaign and unit: the problems the office or the unit marked public, each
//! with its measures (what is done, by when, how far it is: never the responsible post), and
//! the unit's rectification reports marked public, and the hand-ins of deliverables the office
//! accepted and made public (with a link to their document). Nothing else of the rectification records
//! is read here, so nothing unpublished can leak through it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use entity::{measure, problem, rectification_report};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::services::evaluation::deliverables;
use crate::services::evaluation::rectification::{MeasureStatus, is_overdue};
use crate::services::registry::{campaign_units, campaigns, units};

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicMeasure {
    pub description: String,
    pub deadline: NaiveDate,
    pub status: MeasureStatus,
    /// Past its deadline and neither done nor verified.
    pub overdue: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicProblem {
    pub description: String,
    pub found_on: NaiveDate,
    pub measures: Vec<PublicMeasure>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicReport {
    pub body: String,
    pub submitted_at: DateTime<FixedOffset>,
}

/// A hand-in the office accepted and made public.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicDocument {
    /// The deliverable's title (整改情况报告, …).
    pub title: String,
    pub note: String,
    /// The document's name; `null` for a hand-in without a document.
    pub file_name: Option<String>,
    /// Where the document is downloaded, without signing in.
    pub url: Option<String>,
    pub handed_in_at: DateTime<FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitNotice {
    pub unit_id: Uuid,
    pub unit_name: String,
    pub problems: Vec<PublicProblem>,
    pub reports: Vec<PublicReport>,
    pub documents: Vec<PublicDocument>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeBoard {
    pub campaign_id: Uuid,
    pub title: String,
    /// Every unit with something public (or the one asked for), by name.
    pub units: Vec<UnitNotice>,
}

/// What a unit made public: problems, reports and documents.
type UnitParts = (Vec<PublicProblem>, Vec<PublicReport>, Vec<PublicDocument>);

/// The notice board of a campaign, or of one of its units (which is then listed even with
/// nothing public yet).
pub async fn board(db: &impl ConnectionTrait, campaign_id: Uuid, unit: Option<Uuid>) -> ApiResult<NoticeBoard> {
    let campaign = campaigns::find(db, campaign_id).await?;
    if let Some(unit_id) = unit
        && !campaign_units::unit_ids(db, campaign_id).await?.contains(&unit_id)
    {
        return Err(ApiError::NotFound("this unit is not evaluated in this campaign".to_owned()));
    }
    let mut problems = problem::Entity::find()
        .filter(problem::Column::CampaignId.eq(campaign_id))
        .filter(problem::Column::Public.eq(true))
        .order_by_asc(problem::Column::FoundOn);
    let mut reports = rectification_report::Entity::find()
        .filter(rectification_report::Column::CampaignId.eq(campaign_id))
        .filter(rectification_report::Column::Public.eq(true))
        .order_by_asc(rectification_report::Column::SubmittedAt);
    if let Some(unit_id) = unit {
        problems = problems.filter(problem::Column::UnitId.eq(unit_id));
        reports = reports.filter(rectification_report::Column::UnitId.eq(unit_id));
    }
    let problems = problems.all(db).await?;
    let reports = reports.all(db).await?;
    let mut measures_of: HashMap<Uuid, Vec<PublicMeasure>> = HashMap::new();
    let today = Utc::now().date_naive();
    let measures = measure::Entity::find()
        .filter(measure::Column::ProblemId.is_in(problems.iter().map(|p| p.id)))
        .order_by_asc(measure::Column::Deadline)
        .all(db)
        .await?;
    for m in measures {
        let overdue = is_overdue(&m, today);
        measures_of.entry(m.problem_id).or_default().push(PublicMeasure {
            description: m.description,
            deadline: m.deadline,
            status: m.status,
            overdue,
        });
    }
    let mut by_unit: BTreeMap<Uuid, UnitParts> = BTreeMap::new();
    if let Some(unit_id) = unit {
        by_unit.entry(unit_id).or_default();
    }
    for p in problems {
        by_unit.entry(p.unit_id).or_default().0.push(PublicProblem {
            measures: measures_of.remove(&p.id).unwrap_or_default(),
            description: p.description,
            found_on: p.found_on,
        });
    }
    for r in reports {
        by_unit.entry(r.unit_id).or_default().1.push(PublicReport { body: r.body, submitted_at: r.submitted_at });
    }
    for (title, h) in deliverables::public_hand_ins(db, campaign_id, unit).await? {
        by_unit.entry(h.unit_id).or_default().2.push(PublicDocument {
            title,
            note: h.note,
            url: h.file_name.as_ref().map(|_| format!("/api/v1/public/hand-ins/{}/document", h.id)),
            file_name: h.file_name,
            handed_in_at: h.handed_in_at,
        });
    }
    let names = units::by_ids(db, by_unit.keys().copied()).await?;
    let mut units: Vec<UnitNotice> = by_unit
        .into_iter()
        .map(|(unit_id, (problems, reports, documents))| UnitNotice {
            unit_id,
            unit_name: names.get(&unit_id).map(|u| u.name.clone()).unwrap_or_default(),
            problems,
            reports,
            documents,
        })
        .collect();
    units.sort_by(|a, b| a.unit_name.cmp(&b.unit_name));
    Ok(NoticeBoard { campaign_id, title: campaign.title, units })
}
