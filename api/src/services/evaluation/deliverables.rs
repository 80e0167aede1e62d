//! The plan's deliverables and units' hand-ins: a campaign defines what is due when, from
//! whom and for whom (the plan's four by default); units hand in a short text and usually a
//! document, in numbered versions, marked late after the due date; the office accepts or
//! returns each with a comment. Reminders go out through the webhooks before a due date and
//! after it, once per unit.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use entity::vocabulary::{DeliverableKind, HandInStatus, Phase, Receiver};
use entity::{campaign, deliverable, deliverable_reminder, hand_in};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Permission, Principal, Role};
use crate::config::DocumentSettings;
use crate::domain::calendar::{plan_today, planned_deliverables};
use crate::domain::documents::{self, DocumentType};
use crate::domain::text;
use crate::error::{ApiError, ApiResult};
use crate::services::evaluation::document_store;
use crate::services::registry::{campaign_units, campaigns};
use crate::webhooks::{EventType, outbox};

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "work_summary", "title": "评议工作总结", "due_on": "2017-12-20", "receivers": ["office", "cppcc"]}))]
pub struct NewDeliverable {
    pub kind: DeliverableKind,
    #[validate(length(min = 1, max = 200), custom(function = "text::single_line"))]
    pub title: String,
    /// The last day to hand in (China Standard Time).
    pub due_on: NaiveDate,
    /// The units that hand it in; left out, every unit of the campaign.
    #[serde(default)]
    #[validate(length(min = 1, max = 2000))]
    pub units: Option<Vec<Uuid>>,
    /// Who receives it: the office always reviews; the CPPCC office reads as observer; the
    /// representatives read accepted hand-ins through their slip's code.
    #[validate(length(min = 1, max = 3))]
    pub receivers: Vec<Receiver>,
}

/// How far the units have come with a deliverable.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct HandInCounts {
    /// Units that hand it in (for a unit account: its own, if it is one of them).
    pub expected: usize,
    /// Units whose latest version awaits the office.
    pub submitted: usize,
    pub accepted: usize,
    /// Units whose latest version was returned and not yet handed in again.
    pub returned: usize,
    /// Units that have handed in nothing.
    pub missing: usize,
    /// Units whose latest version came after the due date.
    pub late: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliverableDto {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub kind: DeliverableKind,
    pub title: String,
    pub due_on: NaiveDate,
    /// `null` when every unit of the campaign hands it in.
    pub units: Option<Vec<Uuid>>,
    pub receivers: Vec<Receiver>,
    pub counts: HandInCounts,
}

/// One unit's standing with a deliverable: its latest version, if any.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitStanding {
    pub unit_id: Uuid,
    /// `null` when the unit has handed in nothing.
    pub latest: Option<HandInDto>,
    /// Past the due date with nothing handed in, or only a returned version.
    pub overdue: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliverableDetail {
    #[serde(flatten)]
    pub deliverable: DeliverableDto,
    /// Every unit that hands it in (a unit account: its own).
    pub standings: Vec<UnitStanding>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HandInDto {
    pub id: Uuid,
    pub deliverable_id: Uuid,
    pub unit_id: Uuid,
    /// 1 for the first hand-in, one more for each after.
    pub version: i32,
    pub note: String,
    /// The document's name as uploaded; `null` without a document.
    pub file_name: Option<String>,
    /// The document's type, read from its bytes.
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    /// SHA-256 of the document, hex.
    pub sha256: Option<String>,
    pub late: bool,
    pub status: HandInStatus,
    pub review_comment: Option<String>,
    pub reviewed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Shown on the unit's public notice board (only once accepted).
    pub public: bool,
    pub handed_in_at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<hand_in::Model> for HandInDto {
    fn from(h: hand_in::Model) -> Self {
        Self {
            id: h.id,
            deliverable_id: h.deliverable_id,
            unit_id: h.unit_id,
            version: h.version,
            note: h.note,
            file_name: h.file_name,
            content_type: h.content_type,
            size_bytes: h.size_bytes,
            sha256: h.sha256,
            late: h.late,
            status: h.status,
            review_comment: h.review_comment,
            reviewed_at: h.reviewed_at,
            public: h.public,
            handed_in_at: h.handed_in_at,
        }
    }
}

/// A document as handed in: the name it came with and its bytes.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A hand-in as a form sends it.
pub struct HandInForm {
    pub unit_id: Uuid,
    pub note: String,
    pub document: Option<Upload>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "returned", "comment": "请补充整改措施的完成时限"}))]
pub struct Review {
    /// `accepted` or `returned` (a returned hand-in needs a comment).
    pub decision: HandInStatus,
    #[serde(default)]
    #[validate(length(max = 2000), custom(function = "text::free_text"))]
    pub comment: Option<String>,
    /// Publish the accepted hand-in and its document on the unit's notice board.
    #[serde(default)]
    pub public: bool,
}

fn units_of(found: &deliverable::Model) -> Option<Vec<Uuid>> {
    found.units.clone().and_then(|units| serde_json::from_value(units).ok())
}

fn receivers_of(found: &deliverable::Model) -> Vec<Receiver> {
    serde_json::from_value(found.receivers.clone()).unwrap_or_default()
}

/// Observers and approvers read what the CPPCC office receives; the office and units (their
/// own) read every deliverable.
fn may_read(who: &Principal, found: &deliverable::Model) -> ApiResult<()> {
    who.require(Permission::ReadDeliverables)?;
    if matches!(who.role, Role::Observer | Role::Approver) && !receivers_of(found).contains(&Receiver::Cppcc) {
        return Err(ApiError::Forbidden("the CPPCC office does not receive this deliverable".to_owned()));
    }
    Ok(())
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<deliverable::Model> {
    deliverable::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ApiError::NotFound(format!("no deliverable {id}")))
}

/// The units that hand `found` in.
async fn expected_units(db: &impl ConnectionTrait, found: &deliverable::Model) -> ApiResult<Vec<Uuid>> {
    let members = campaign_units::unit_ids(db, found.campaign_id).await?;
    Ok(match units_of(found) {
        Some(chosen) => members.into_iter().filter(|unit| chosen.contains(unit)).collect(),
        None => members,
    })
}

async fn check_units(db: &impl ConnectionTrait, campaign_id: Uuid, units: &Option<Vec<Uuid>>) -> ApiResult<()> {
    let Some(units) = units else { return Ok(()) };
    let members: HashSet<Uuid> = campaign_units::unit_ids(db, campaign_id).await?.into_iter().collect();
    let errors: Vec<_> = units
        .iter()
        .enumerate()
        .filter(|(_, unit)| !members.contains(unit))
        .map(|(at, unit)| {
            crate::error::FieldError::new(
                format!("units[{at}]"),
                format!("unit {unit} is not one of this campaign's units"),
            )
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

async fn insert_deliverable(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
    input: NewDeliverable,
) -> ApiResult<deliverable::Model> {
    let mut receivers = input.receivers;
    receivers.sort();
    receivers.dedup();
    if !receivers.contains(&Receiver::Office) {
        receivers.insert(0, Receiver::Office);
    }
    let model = deliverable::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(campaign_id),
        kind: Set(input.kind),
        title: Set(input.title),
        due_on: Set(input.due_on),
        units: Set(input.units.map(|units| serde_json::json!(units))),
        receivers: Set(serde_json::json!(receivers)),
        created_at: Set(crate::store::now()),
    }
    .insert(db)
    .await
    .map_err(|err| match ApiError::from(err) {
        ApiError::Duplicate(duplicate) => duplicate.told("this campaign already has a deliverable of that title"),
        other => other,
    })?;
    let after = serde_json::json!({"title": model.title, "kind": model.kind, "due_on": model.due_on});
    crate::services::audit::record(
        db,
        &who.subject,
        "deliverable.defined",
        "deliverable",
        &model.id.to_string(),
        None,
        Some(after),
    )
    .await?;
    Ok(model)
}

/// Defines a deliverable of the campaign.
pub async fn define<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    campaign_id: Uuid,
    input: NewDeliverable,
) -> ApiResult<DeliverableDto> {
    who.require(Permission::ManageDeliverables)?;
    let txn = crate::store::begin_write(db).await?;
    let found = campaigns::hold(&txn, campaign_id).await?;
    campaigns::require_phase(
        &found,
        &[Phase::Mobilisation, Phase::Survey, Phase::Rectification, Phase::Assessment],
        "defining deliverables",
    )?;
    check_units(&txn, campaign_id, &input.units).await?;
    let model = insert_deliverable(&txn, who, campaign_id, input).await?;
    let dto = summarise(&txn, who, model).await?;
    txn.commit().await?;
    Ok(dto)
}

/// Defines the plan's deliverables the campaign does not have yet (by kind): the unit's
/// evaluation plan (20 June), the rectification report (30 November), the work summary (20
/// December) and the head's report at the conference (its first day). Returns the campaign's
/// deliverables after.
pub async fn define_planned<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    campaign_id: Uuid,
) -> ApiResult<Vec<DeliverableDto>> {
    who.require(Permission::ManageDeliverables)?;
    let txn = crate::store::begin_write(db).await?;
    let found = campaigns::lock(&txn, campaign_id).await?;
    let present: HashSet<DeliverableKind> = deliverable::Entity::find()
        .filter(deliverable::Column::CampaignId.eq(campaign_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|d| d.kind)
        .collect();
    for planned in planned_deliverables(found.year, found.assessment_starts_on) {
        if present.contains(&planned.kind) {
            continue;
        }
        let input = NewDeliverable {
            kind: planned.kind,
            title: planned.title.to_owned(),
            due_on: planned.due_on,
            units: None,
            receivers: planned.receivers,
        };
        insert_deliverable(&txn, who, campaign_id, input).await?;
    }
    txn.commit().await?;
    list(db, who, campaign_id).await
}

/// The latest version per unit of each of `deliverable_ids`.
async fn latest_versions(
    db: &impl ConnectionTrait,
    deliverable_ids: Vec<Uuid>,
) -> ApiResult<HashMap<(Uuid, Uuid), hand_in::Model>> {
    let mut latest: HashMap<(Uuid, Uuid), hand_in::Model> = HashMap::new();
    if deliverable_ids.is_empty() {
        return Ok(latest);
    }
    let rows = without_content(hand_in::Entity::find().filter(hand_in::Column::DeliverableId.is_in(deliverable_ids)))
        .all(db)
        .await?;
    for row in rows {
        let row = row.into_model();
        let key = (row.deliverable_id, row.unit_id);
        if latest.get(&key).is_none_or(|seen| seen.version < row.version) {
            latest.insert(key, row);
        }
    }
    Ok(latest)
}

/// Hand-ins as `query` finds them, without the documents' bytes, which lists never need.
fn without_content(query: sea_orm::Select<hand_in::Entity>) -> sea_orm::Selector<sea_orm::SelectModel<HandInRow>> {
    query.select_only().columns(HAND_IN_COLUMNS_WITHOUT_CONTENT).into_model::<HandInRow>()
}

/// Every column but the document's bytes.
const HAND_IN_COLUMNS_WITHOUT_CONTENT: [hand_in::Column; 18] = [
    hand_in::Column::Id,
    hand_in::Column::DeliverableId,
    hand_in::Column::UnitId,
    hand_in::Column::Version,
    hand_in::Column::Note,
    hand_in::Column::FileName,
    hand_in::Column::ContentType,
    hand_in::Column::SizeBytes,
    hand_in::Column::Sha256,
    hand_in::Column::StoredAs,
    hand_in::Column::Late,
    hand_in::Column::Status,
    hand_in::Column::ReviewComment,
    hand_in::Column::ReviewedBy,
    hand_in::Column::ReviewedAt,
    hand_in::Column::Public,
    hand_in::Column::HandedInBy,
    hand_in::Column::HandedInAt,
];

#[derive(Debug, sea_orm::FromQueryResult)]
struct HandInRow {
    id: Uuid,
    deliverable_id: Uuid,
    unit_id: Uuid,
    version: i32,
    note: String,
    file_name: Option<String>,
    content_type: Option<String>,
    size_bytes: Option<i64>,
    sha256: Option<String>,
    stored_as: Option<String>,
    late: bool,
    status: HandInStatus,
    review_comment: Option<String>,
    reviewed_by: Option<String>,
    reviewed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    public: bool,
    handed_in_by: String,
    handed_in_at: chrono::DateTime<chrono::FixedOffset>,
}

impl HandInRow {
    fn into_model(self) -> hand_in::Model {
        hand_in::Model {
            id: self.id,
            deliverable_id: self.deliverable_id,
            unit_id: self.unit_id,
            version: self.version,
            note: self.note,
            file_name: self.file_name,
            content_type: self.content_type,
            size_bytes: self.size_bytes,
            sha256: self.sha256,
            content: None,
            stored_as: self.stored_as,
            late: self.late,
            status: self.status,
            review_comment: self.review_comment,
            reviewed_by: self.reviewed_by,
            reviewed_at: self.reviewed_at,
            public: self.public,
            handed_in_by: self.handed_in_by,
            handed_in_at: self.handed_in_at,
        }
    }
}

/// Whether a unit whose latest version is `latest` owes the deliverable due `due_on` today.
fn is_overdue(latest: Option<&hand_in::Model>, due_on: NaiveDate, today: NaiveDate) -> bool {
    today > due_on && latest.is_none_or(|h| h.status == HandInStatus::Returned)
}

/// The standing of each unit `who` may see with `found`.
async fn standings(
    db: &impl ConnectionTrait,
    who: &Principal,
    found: &deliverable::Model,
    latest: &HashMap<(Uuid, Uuid), hand_in::Model>,
) -> ApiResult<Vec<UnitStanding>> {
    let scope = who.unit_scope()?;
    let today = plan_today();
    Ok(expected_units(db, found)
        .await?
        .into_iter()
        .filter(|unit| scope.as_ref().is_none_or(|units| units.contains(unit)))
        .map(|unit_id| {
            let last = latest.get(&(found.id, unit_id));
            UnitStanding {
                unit_id,
                overdue: is_overdue(last, found.due_on, today),
                latest: last.cloned().map(HandInDto::from),
            }
        })
        .collect())
}

fn count(standings: &[UnitStanding]) -> HandInCounts {
    let mut counts = HandInCounts { expected: standings.len(), ..HandInCounts::default() };
    for standing in standings {
        match &standing.latest {
            None => counts.missing += 1,
            Some(latest) => {
                match latest.status {
                    HandInStatus::Submitted => counts.submitted += 1,
                    HandInStatus::Accepted => counts.accepted += 1,
                    HandInStatus::Returned => counts.returned += 1,
                }
                if latest.late {
                    counts.late += 1;
                }
            }
        }
    }
    counts
}

fn dto(found: deliverable::Model, counts: HandInCounts) -> DeliverableDto {
    DeliverableDto {
        units: units_of(&found),
        receivers: receivers_of(&found),
        id: found.id,
        campaign_id: found.campaign_id,
        kind: found.kind,
        title: found.title,
        due_on: found.due_on,
        counts,
    }
}

async fn summarise(db: &impl ConnectionTrait, who: &Principal, found: deliverable::Model) -> ApiResult<DeliverableDto> {
    let latest = latest_versions(db, vec![found.id]).await?;
    let counts = count(&standings(db, who, &found, &latest).await?);
    Ok(dto(found, counts))
}

/// The campaign's deliverables `who` may read, earliest due first, with how far the units
/// have come (a unit account: its own unit).
pub async fn list(db: &impl ConnectionTrait, who: &Principal, campaign_id: Uuid) -> ApiResult<Vec<DeliverableDto>> {
    who.require(Permission::ReadDeliverables)?;
    campaigns::find(db, campaign_id).await?;
    let found: Vec<_> = deliverable::Entity::find()
        .filter(deliverable::Column::CampaignId.eq(campaign_id))
        .order_by_asc(deliverable::Column::DueOn)
        .order_by_asc(deliverable::Column::Title)
        .all(db)
        .await?
        .into_iter()
        .filter(|d| may_read(who, d).is_ok())
        .collect();
    let latest = latest_versions(db, found.iter().map(|d| d.id).collect()).await?;
    let mut out = Vec::with_capacity(found.len());
    for one in found {
        let counts = count(&standings(db, who, &one, &latest).await?);
        out.push(dto(one, counts));
    }
    Ok(out)
}

/// One deliverable with every unit's standing (a unit account: its own).
pub async fn detail(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<DeliverableDetail> {
    let found = find(db, id).await?;
    may_read(who, &found)?;
    let latest = latest_versions(db, vec![id]).await?;
    let standings = standings(db, who, &found, &latest).await?;
    Ok(DeliverableDetail { deliverable: dto(found, count(&standings)), standings })
}

/// Every version a unit handed in of a deliverable, newest first.
pub async fn versions(
    db: &impl ConnectionTrait,
    who: &Principal,
    id: Uuid,
    unit_id: Uuid,
) -> ApiResult<Vec<HandInDto>> {
    let found = find(db, id).await?;
    may_read(who, &found)?;
    who.require_unit_access(unit_id)?;
    let query = hand_in::Entity::find()
        .filter(hand_in::Column::DeliverableId.eq(id))
        .filter(hand_in::Column::UnitId.eq(unit_id))
        .order_by_desc(hand_in::Column::Version);
    Ok(without_content(query).all(db).await?.into_iter().map(|row| HandInDto::from(row.into_model())).collect())
}

/// Checks a hand-in's fields, naming each bad one; returns the document's type, if any.
fn check_form(settings: &DocumentSettings, form: &HandInForm) -> ApiResult<Option<DocumentType>> {
    let mut errors = Vec::new();
    if form.note.chars().count() > 2000 {
        errors.push(crate::error::FieldError::new("note", "must be at most 2000 characters"));
    } else if text::free_text(&form.note).is_err() {
        errors.push(crate::error::FieldError::new("note", "must not contain NUL or other control characters"));
    }
    let kind = match &form.document {
        Some(upload) if upload.bytes.len() > settings.max_bytes => {
            return Err(ApiError::PayloadTooLarge(format!(
                "a document may be at most {} MB",
                settings.max_bytes / (1024 * 1024)
            )));
        }
        Some(upload) => {
            let kind = documents::sniff(&upload.bytes);
            if kind.is_none() {
                errors.push(crate::error::FieldError::new("document", documents::ACCEPTED));
            }
            kind
        }
        None if form.note.trim().is_empty() => {
            errors.push(crate::error::FieldError::new("document", "hand in a document, a note, or both"));
            None
        }
        None => None,
    };
    if errors.is_empty() { Ok(kind) } else { Err(ApiError::Validation(errors)) }
}

/// Hands in a new version of a deliverable for a unit: numbered after the unit's last one,
/// marked late after the due date. Refused while the last version stands accepted.
pub async fn hand_in<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &DocumentSettings,
    who: &Principal,
    id: Uuid,
    form: HandInForm,
) -> ApiResult<HandInDto> {
    who.require(Permission::HandIn)?;
    who.require_unit_access(form.unit_id)?;
    let kind = check_form(settings, &form)?;
    let found = find(db, id).await?;
    if !expected_units(db, &found).await?.contains(&form.unit_id) {
        return Err(ApiError::invalid("unit_id", "this unit does not hand in this deliverable"));
    }
    let hand_in_id = Uuid::new_v4();
    let (file_name, size, sha256, kept) = match (form.document, kind) {
        (Some(upload), Some(kind)) => {
            let size = i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX);
            let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&upload.bytes));
            let name = documents::clean_file_name(&upload.file_name)
                .unwrap_or_else(|| format!("{}.{}", found.title, kind.extension()));
            let kept = document_store::keep(settings, hand_in_id, kind, upload.bytes)?;
            (Some(name), Some(size), Some(sha256), Some(kept))
        }
        _ => (None, None, None, None),
    };
    let stored =
        record_hand_in(db, who, &found, hand_in_id, form.unit_id, form.note, kind, file_name, size, sha256, &kept)
            .await;
    if stored.is_err()
        && let Some(kept) = &kept
    {
        document_store::discard(settings, kept);
    }
    stored
}

#[allow(clippy::too_many_arguments)]
async fn record_hand_in<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    found: &deliverable::Model,
    hand_in_id: Uuid,
    unit_id: Uuid,
    note: String,
    kind: Option<DocumentType>,
    file_name: Option<String>,
    size: Option<i64>,
    sha256: Option<String>,
    kept: &Option<document_store::Kept>,
) -> ApiResult<HandInDto> {
    let txn = crate::store::begin_write(db).await?;
    // One writer per deliverable at a time: two hand-ins at once are numbered one after the other.
    deliverable::Entity::find_by_id(found.id).lock_exclusive().one(&txn).await?;
    let last = hand_in::Entity::find()
        .filter(hand_in::Column::DeliverableId.eq(found.id))
        .filter(hand_in::Column::UnitId.eq(unit_id))
        .order_by_desc(hand_in::Column::Version)
        .select_only()
        .columns([hand_in::Column::Version, hand_in::Column::Status])
        .into_tuple::<(i32, HandInStatus)>()
        .one(&txn)
        .await?;
    if let Some((_, HandInStatus::Accepted)) = last {
        return Err(ApiError::Conflict(
            "the office has accepted this unit's hand-in; it can be handed in again only after the office returns it"
                .to_owned(),
        ));
    }
    let model = hand_in::ActiveModel {
        id: Set(hand_in_id),
        deliverable_id: Set(found.id),
        unit_id: Set(unit_id),
        version: Set(last.map_or(1, |(version, _)| version + 1)),
        note: Set(note.trim().to_owned()),
        file_name: Set(file_name),
        content_type: Set(kind.map(|k| k.media_type().to_owned())),
        size_bytes: Set(size),
        sha256: Set(sha256),
        content: Set(kept.as_ref().and_then(|k| k.content.clone())),
        stored_as: Set(kept.as_ref().and_then(|k| k.stored_as.clone())),
        late: Set(plan_today() > found.due_on),
        status: Set(HandInStatus::Submitted),
        review_comment: Set(None),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        public: Set(false),
        handed_in_by: Set(who.subject.clone()),
        handed_in_at: Set(crate::store::now()),
    }
    .insert(&txn)
    .await?;
    let after = serde_json::json!({"deliverable_id": found.id, "unit_id": unit_id, "version": model.version, "late": model.late, "sha256": model.sha256});
    crate::services::audit::record(
        &txn,
        &who.subject,
        "hand_in.submitted",
        "hand_in",
        &model.id.to_string(),
        None,
        Some(after),
    )
    .await?;
    txn.commit().await?;
    Ok(HandInDto::from(model))
}

/// The office accepts a hand-in (optionally making it public) or returns it with a comment.
/// Only the unit's latest version is reviewed, and only once.
pub async fn review<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    hand_in_id: Uuid,
    input: Review,
) -> ApiResult<HandInDto> {
    who.require(Permission::ManageDeliverables)?;
    let comment = input.comment.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    match input.decision {
        HandInStatus::Submitted => return Err(ApiError::invalid("decision", "must be accepted or returned")),
        HandInStatus::Returned if comment.is_none() => {
            return Err(ApiError::invalid("comment", "say why the hand-in is returned"));
        }
        HandInStatus::Returned if input.public => {
            return Err(ApiError::invalid("public", "only an accepted hand-in is made public"));
        }
        _ => {}
    }
    let txn = crate::store::begin_write(db).await?;
    let found = without_content(hand_in::Entity::find_by_id(hand_in_id))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no hand-in {hand_in_id}")))?
        .into_model();
    deliverable::Entity::find_by_id(found.deliverable_id).lock_exclusive().one(&txn).await?;
    let newer = hand_in::Entity::find()
        .filter(hand_in::Column::DeliverableId.eq(found.deliverable_id))
        .filter(hand_in::Column::UnitId.eq(found.unit_id))
        .filter(hand_in::Column::Version.gt(found.version))
        .select_only()
        .column(hand_in::Column::Id)
        .into_tuple::<Uuid>()
        .one(&txn)
        .await?;
    if newer.is_some() {
        return Err(ApiError::Conflict("a newer version of this hand-in has come in; review that one".to_owned()));
    }
    let updated = hand_in::Entity::update_many()
        .col_expr(hand_in::Column::Status, sea_orm::sea_query::Expr::value(input.decision))
        .col_expr(hand_in::Column::ReviewComment, sea_orm::sea_query::Expr::value(comment.clone()))
        .col_expr(hand_in::Column::ReviewedBy, sea_orm::sea_query::Expr::value(who.subject.clone()))
        .col_expr(hand_in::Column::ReviewedAt, sea_orm::sea_query::Expr::value(crate::store::now()))
        .col_expr(hand_in::Column::Public, sea_orm::sea_query::Expr::value(input.public))
        .filter(hand_in::Column::Id.eq(hand_in_id))
        .filter(hand_in::Column::Status.eq(HandInStatus::Submitted))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(ApiError::Conflict(format!("this hand-in was already {}", found.status)));
    }
    let after = serde_json::json!({"decision": input.decision, "comment": comment, "public": input.public});
    crate::services::audit::record(
        &txn,
        &who.subject,
        "hand_in.reviewed",
        "hand_in",
        &hand_in_id.to_string(),
        None,
        Some(after),
    )
    .await?;
    txn.commit().await?;
    Ok(HandInDto {
        status: input.decision,
        review_comment: comment,
        reviewed_at: Some(crate::store::now()),
        public: input.public,
        ..HandInDto::from(found)
    })
}

/// A hand-in's document as it is served: its bytes, type and name.
pub struct Document {
    pub bytes: Vec<u8>,
    pub media_type: &'static str,
    pub file_name: String,
}

pub(crate) fn document_of(settings: &DocumentSettings, found: &hand_in::Model) -> ApiResult<Document> {
    let missing = || ApiError::NotFound(format!("hand-in {} has no document", found.id));
    let kind = found.content_type.as_deref().and_then(DocumentType::from_media_type).ok_or_else(missing)?;
    let bytes = document_store::load(settings, found)?.ok_or_else(missing)?;
    Ok(Document {
        bytes,
        media_type: kind.media_type(),
        file_name: found.file_name.clone().unwrap_or_else(|| format!("document.{}", kind.extension())),
    })
}

/// The document of a hand-in, for those who may read the deliverable.
pub async fn document(
    db: &impl ConnectionTrait,
    settings: &DocumentSettings,
    who: &Principal,
    hand_in_id: Uuid,
) -> ApiResult<Document> {
    let found = hand_in::Entity::find_by_id(hand_in_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no hand-in {hand_in_id}")))?;
    may_read(who, &find(db, found.deliverable_id).await?)?;
    who.require_unit_access(found.unit_id)?;
    document_of(settings, &found)
}

/// The document of a hand-in the office accepted and made public; anything else is not
/// found, to anyone.
pub async fn public_document(
    db: &impl ConnectionTrait,
    settings: &DocumentSettings,
    hand_in_id: Uuid,
) -> ApiResult<Document> {
    let found = hand_in::Entity::find_by_id(hand_in_id)
        .filter(hand_in::Column::Public.eq(true))
        .filter(hand_in::Column::Status.eq(HandInStatus::Accepted))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no public document {hand_in_id}")))?;
    document_of(settings, &found)
}

/// The accepted hand-ins made public of a campaign (optionally one unit's), for the notice
/// board, without their documents' bytes; with their deliverables' titles.
pub async fn public_hand_ins(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    unit_id: Option<Uuid>,
) -> ApiResult<Vec<(String, HandInDto)>> {
    let deliverables: HashMap<Uuid, String> = deliverable::Entity::find()
        .filter(deliverable::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.title))
        .collect();
    let mut query = hand_in::Entity::find()
        .filter(hand_in::Column::DeliverableId.is_in(deliverables.keys().copied().collect::<Vec<_>>()))
        .filter(hand_in::Column::Public.eq(true))
        .filter(hand_in::Column::Status.eq(HandInStatus::Accepted))
        .order_by_asc(hand_in::Column::HandedInAt);
    if let Some(unit) = unit_id {
        query = query.filter(hand_in::Column::UnitId.eq(unit));
    }
    Ok(without_content(query)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let model = row.into_model();
            (deliverables.get(&model.deliverable_id).cloned().unwrap_or_default(), HandInDto::from(model))
        })
        .collect())
}

/// Sends the reminders due now: `deliverable.due_soon` to each unit that owes a deliverable
/// due within `window_days`, and `deliverable.overdue` once it is past its due date. Each
/// reminder goes out once per deliverable, unit and kind: its row and its event are written
/// in one transaction, and only by the check whose row went in, so checks running at once on
/// several replicas send it once. Returns how many went out.
pub async fn send_reminders<C: ConnectionTrait + TransactionTrait>(db: &C, window_days: i64) -> ApiResult<usize> {
    let today = plan_today();
    let open_campaigns: Vec<Uuid> = campaign::Entity::find()
        .filter(campaign::Column::CurrentPhase.ne(Phase::Closed))
        .select_only()
        .column(campaign::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let due: Vec<deliverable::Model> = deliverable::Entity::find()
        .filter(deliverable::Column::CampaignId.is_in(open_campaigns))
        .filter(deliverable::Column::DueOn.lte(today + Duration::days(window_days)))
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let latest = latest_versions(db, due.iter().map(|d| d.id).collect()).await?;
    let sent: HashSet<(Uuid, Uuid, String)> = deliverable_reminder::Entity::find()
        .filter(deliverable_reminder::Column::DeliverableId.is_in(due.iter().map(|d| d.id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.deliverable_id, r.unit_id, r.event))
        .collect();
    let mut announced = 0;
    for found in &due {
        let event = if today > found.due_on { EventType::DeliverableOverdue } else { EventType::DeliverableDueSoon };
        for unit_id in expected_units(db, found).await? {
            let last = latest.get(&(found.id, unit_id));
            let owes = last.is_none_or(|h| h.status == HandInStatus::Returned);
            if !owes || sent.contains(&(found.id, unit_id, event.as_str().to_owned())) {
                continue;
            }
            if remind(db, found, unit_id, event).await? {
                announced += 1;
            }
        }
    }
    Ok(announced)
}

async fn remind<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    found: &deliverable::Model,
    unit_id: Uuid,
    event: EventType,
) -> ApiResult<bool> {
    let txn = crate::store::begin_write(db).await?;
    let inserted = deliverable_reminder::Entity::insert(deliverable_reminder::ActiveModel {
        deliverable_id: Set(found.id),
        unit_id: Set(unit_id),
        event: Set(event.as_str().to_owned()),
        sent_at: Set(crate::store::now()),
        mail_claim: Set(None),
    })
    .on_conflict(
        OnConflict::columns([
            deliverable_reminder::Column::DeliverableId,
            deliverable_reminder::Column::UnitId,
            deliverable_reminder::Column::Event,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 1 {
        let data = serde_json::json!({
            "deliverable_id": found.id, "unit_id": unit_id, "kind": found.kind,
            "title": found.title, "due_on": found.due_on,
        });
        outbox::emit(&txn, event, found.campaign_id, data).await?;
    }
    txn.commit().await?;
    Ok(inserted == 1)
}
