//! What third-party pollsters push: raw responses (JSON batches or CSV) and per-unit
//! summary figures. Everything is stored apart from citizens' responses and tagged with
//! the pushing client.
//!
//! Batches are processed **per item**: each well-formed, valid item is stored (or found
//! unchanged) and every other item is reported with its index and reasons; the valid items
//! of a batch are written in one transaction. A batch naming a unit outside the client's
//! scope is refused whole (403).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use entity::{pollster_answer, pollster_figure, pollster_response, unit};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Permission, Principal, Role};
use crate::domain::questionnaire::check_answers;
use crate::domain::text;
use crate::domain::vocabulary::{Phase, PollsterChannel, QuestionnaireStatus, Source};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::services::registry::campaign_units::not_a_member;
use crate::services::registry::questionnaires::{self, Parsed};
use crate::totals::delta::{AnswerPlace, Counters, TotalsDelta};
use crate::webhooks::{EventType, outbox};

pub const MAX_BATCH: usize = 1000;

/// The third-party survey may deliver after the survey phase, until the campaign closes.
const PUSH_PHASES: &[Phase] = &[Phase::Survey, Phase::Rectification, Phase::Assessment];

/// One interview as a pollster delivers it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "external_id": "ZH2017-000123", "unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11",
    "questionnaire_id": "43bdd9f9-eb40-4c4d-9166-88c842f7aa6a", "channel": "telephone", "interview_date": "2017-08-14",
    "answers": {"lawful_duty": "satisfied", "fair_enforcement": "satisfied", "government_openness": "basically_satisfied",
                "efficiency": "satisfied", "work_style": "satisfied", "integrity": "very_satisfied", "overall": "satisfied"}
}))]
pub struct PushItem {
    /// The pollster's own id of the interview; a retry with the same id stores nothing twice.
    #[validate(length(min = 1, max = 128), custom(function = "text::single_line"))]
    #[schema(min_length = 1, max_length = 128)]
    pub external_id: String,
    pub unit_id: Uuid,
    /// The exact questionnaire version (published or closed) the interview used.
    pub questionnaire_id: Uuid,
    pub channel: PollsterChannel,
    pub interview_date: NaiveDate,
    /// Question key → option key or text, as for citizens' responses.
    pub answers: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": [{
    "external_id": "ZH2017-000123", "unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11",
    "questionnaire_id": "43bdd9f9-eb40-4c4d-9166-88c842f7aa6a", "channel": "telephone", "interview_date": "2017-08-14",
    "answers": {"lawful_duty": "satisfied", "fair_enforcement": "satisfied", "government_openness": "basically_satisfied",
                "efficiency": "satisfied", "work_style": "satisfied", "integrity": "very_satisfied", "overall": "satisfied"}
}]}))]
pub struct PushBatch {
    /// 1 to 1,000 interviews. Each is checked on its own.
    #[validate(length(min = 1, max = 1000))]
    #[schema(value_type = Vec<PushItem>, min_items = 1, max_items = 1000)]
    pub items: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Stored now.
    Created,
    /// Stored before with the same content; nothing changed.
    Unchanged,
    /// Stored before under this external id with other content; the earlier one is kept.
    Conflict,
    /// Not stored: see `errors`.
    Invalid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemOutcome {
    /// Position in the batch, from 0.
    pub index: usize,
    /// CSV uploads: the line of the file (the header is line 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub external_id: Option<String>,
    pub status: ItemStatus,
    pub response_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PushReport {
    pub created: usize,
    pub unchanged: usize,
    pub conflicts: usize,
    pub invalid: usize,
    pub items: Vec<ItemOutcome>,
}

/// An item that passed every check, ready to store.
struct Checked {
    index: usize,
    item: PushItem,
    hash: String,
    answers: Vec<crate::domain::questionnaire::CheckedAnswer>,
}

fn item_hash(item: &PushItem) -> String {
    let mut hasher = Sha256::new();
    for part in [
        item.unit_id.to_string(),
        item.questionnaire_id.to_string(),
        item.channel.as_str().to_owned(),
        item.interview_date.to_string(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    for (key, value) in &item.answers {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

fn prefixed(errors: Vec<FieldError>, index: usize) -> Vec<FieldError> {
    errors.into_iter().map(|e| FieldError::new(format!("items[{index}].{}", e.field), e.message)).collect()
}

/// Looks questionnaires and units up once per batch.
#[derive(Default)]
struct Lookups {
    questionnaires: HashMap<Uuid, Option<Parsed>>,
    units: HashMap<Uuid, Option<unit::Model>>,
    members: Option<HashSet<Uuid>>,
}

impl Lookups {
    async fn questionnaire(&mut self, db: &impl ConnectionTrait, id: Uuid) -> ApiResult<Option<&Parsed>> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.questionnaires.entry(id) {
            slot.insert(match questionnaires::find(db, id).await {
                Ok(parsed) => Some(parsed),
                Err(ApiError::NotFound(_)) => None,
                Err(other) => return Err(other),
            });
        }
        Ok(self.questionnaires.get(&id).and_then(Option::as_ref))
    }

    async fn unit(&mut self, db: &impl ConnectionTrait, id: Uuid) -> ApiResult<Option<&unit::Model>> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.units.entry(id) {
            slot.insert(unit::Entity::find_by_id(id).one(db).await?);
        }
        Ok(self.units.get(&id).and_then(Option::as_ref))
    }

    async fn is_member(&mut self, db: &impl ConnectionTrait, campaign_id: Uuid, unit_id: Uuid) -> ApiResult<bool> {
        if self.members.is_none() {
            let ids = crate::services::registry::campaign_units::unit_ids(db, campaign_id).await?;
            self.members = Some(ids.into_iter().collect());
        }
        Ok(self.members.as_ref().is_some_and(|members| members.contains(&unit_id)))
    }
}

/// Every reason `item` cannot be stored, or its checked answers.
async fn check_item(
    db: &impl ConnectionTrait,
    lookups: &mut Lookups,
    campaign_id: Uuid,
    item: &PushItem,
) -> ApiResult<Result<Vec<crate::domain::questionnaire::CheckedAnswer>, Vec<FieldError>>> {
    let mut errors = match item.validate() {
        Ok(()) => Vec::new(),
        Err(e) => match ApiError::from(e) {
            ApiError::Validation(list) => list,
            _ => Vec::new(),
        },
    };
    let unit_category = lookups.unit(db, item.unit_id).await?.map(|u| u.category);
    if unit_category.is_none() {
        errors.push(FieldError::new("unit_id", "no such unit"));
    } else if !lookups.is_member(db, campaign_id, item.unit_id).await? {
        errors.push(FieldError::new("unit_id", not_a_member(item.unit_id)));
    }
    let Some(questionnaire) = lookups.questionnaire(db, item.questionnaire_id).await? else {
        errors.push(FieldError::new("questionnaire_id", "no such questionnaire"));
        return Ok(Err(errors));
    };
    if questionnaire.model.campaign_id != campaign_id {
        errors.push(FieldError::new("questionnaire_id", "belongs to another campaign"));
    }
    if questionnaire.status == QuestionnaireStatus::Draft {
        errors.push(FieldError::new("questionnaire_id", "is a draft; push against a published version"));
    }
    if unit_category.is_some_and(|c| c != questionnaire.category) {
        errors.push(FieldError::new("unit_id", "is not in the questionnaire's category"));
    }
    match check_answers(&questionnaire.questions, &item.answers) {
        Ok(answers) if errors.is_empty() => Ok(Ok(answers)),
        Ok(_) => Ok(Err(errors)),
        Err(answer_errors) => {
            errors.extend(answer_errors);
            Ok(Err(errors))
        }
    }
}

fn outcome(
    index: usize,
    external_id: Option<String>,
    status: ItemStatus,
    response_id: Option<Uuid>,
    errors: Vec<FieldError>,
) -> ItemOutcome {
    ItemOutcome { index, line: None, external_id, status, response_id, errors }
}

/// Checks, classifies and stores a batch for `who` (a pollster with a client scope).
pub async fn push(
    db: &DatabaseConnection,
    who: &Principal,
    campaign_id: Uuid,
    raw_items: Vec<serde_json::Value>,
) -> ApiResult<PushReport> {
    who.require(Permission::PushResults)?;
    let client_id = who.require_client("pushes")?;
    who.require_campaign(campaign_id)?;
    let campaign = crate::services::registry::campaigns::find(db, campaign_id).await?;
    crate::services::registry::campaigns::require_phase(&campaign, PUSH_PHASES, "pushing results")?;
    if raw_items.len() > MAX_BATCH {
        return Err(ApiError::invalid("items", format!("may hold at most {MAX_BATCH} items")));
    }
    let mut outcomes: Vec<Option<ItemOutcome>> = raw_items.iter().map(|_| None).collect();
    let mut parsed = Vec::new();
    for (index, value) in raw_items.into_iter().enumerate() {
        let external_id = value.get("external_id").and_then(|v| v.as_str()).map(str::to_owned);
        match serde_path_to_error::deserialize::<_, PushItem>(value) {
            Ok(item) => parsed.push((index, item)),
            Err(err) => {
                let error = FieldError::new(format!("items[{index}].{}", err.path()), err.inner().to_string());
                outcomes[index] = Some(outcome(index, external_id, ItemStatus::Invalid, None, vec![error]));
            }
        }
    }
    for (_, item) in &parsed {
        who.require_pushing_for(item.unit_id)?;
    }
    let mut lookups = Lookups::default();
    let mut checked = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, item) in parsed {
        if let Some(first) = seen.insert(item.external_id.clone(), index) {
            let error = FieldError::new(format!("items[{index}].external_id"), format!("repeats items[{first}]"));
            outcomes[index] = Some(outcome(index, Some(item.external_id), ItemStatus::Invalid, None, vec![error]));
            continue;
        }
        match check_item(db, &mut lookups, campaign_id, &item).await? {
            Ok(answers) => checked.push(Checked { index, hash: item_hash(&item), item, answers }),
            Err(errors) => {
                outcomes[index] =
                    Some(outcome(index, Some(item.external_id), ItemStatus::Invalid, None, prefixed(errors, index)))
            }
        }
    }
    // A concurrent push of the same batch may win the race; classify again once if so.
    let stored = match store(db, client_id, campaign_id, &checked).await {
        Err(ApiError::Duplicate(_)) => store(db, client_id, campaign_id, &checked).await?,
        other => other?,
    };
    for (index, item_outcome) in stored {
        outcomes[index] = Some(item_outcome);
    }
    let items: Vec<ItemOutcome> = outcomes.into_iter().flatten().collect();
    let count = |status| items.iter().filter(|o| o.status == status).count();
    Ok(PushReport {
        created: count(ItemStatus::Created),
        unchanged: count(ItemStatus::Unchanged),
        conflicts: count(ItemStatus::Conflict),
        invalid: count(ItemStatus::Invalid),
        items,
    })
}

/// Stores the new items in one transaction; reports the known ones as unchanged or conflicting.
async fn store(
    db: &DatabaseConnection,
    client_id: Uuid,
    campaign_id: Uuid,
    checked: &[Checked],
) -> ApiResult<Vec<(usize, ItemOutcome)>> {
    let ids: Vec<String> = checked.iter().map(|c| c.item.external_id.clone()).collect();
    let mut existing: HashMap<String, pollster_response::Model> = HashMap::new();
    for chunk in ids.chunks(500) {
        let found = pollster_response::Entity::find()
            .filter(pollster_response::Column::ClientId.eq(client_id))
            .filter(pollster_response::Column::ExternalId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        existing.extend(found.into_iter().map(|r| (r.external_id.clone(), r)));
    }
    let received_hour = crate::store::this_hour();
    let mut results = Vec::new();
    let mut responses = Vec::new();
    let mut answers = Vec::new();
    let mut rollup = TotalsDelta::default();
    for c in checked {
        let external_id = Some(c.item.external_id.clone());
        if let Some(earlier) = existing.get(&c.item.external_id) {
            let status = if earlier.body_hash == c.hash { ItemStatus::Unchanged } else { ItemStatus::Conflict };
            results.push((c.index, outcome(c.index, external_id, status, Some(earlier.id), Vec::new())));
            continue;
        }
        let id = Uuid::new_v4();
        let answered_at = c.item.interview_date.and_hms_opt(0, 0, 0).map(|t| t.and_utc().fixed_offset());
        responses.push(pollster_response::ActiveModel {
            id: Set(id),
            client_id: Set(client_id),
            external_id: Set(c.item.external_id.clone()),
            body_hash: Set(c.hash.clone()),
            campaign_id: Set(campaign_id),
            unit_id: Set(c.item.unit_id),
            questionnaire_id: Set(c.item.questionnaire_id),
            channel: Set(c.item.channel),
            interview_date: Set(c.item.interview_date),
            received_hour: Set(received_hour),
        });
        for a in &c.answers {
            let place = AnswerPlace {
                campaign_id,
                unit_id: c.item.unit_id,
                channel: c.item.channel.as_str(),
                dimension: a.dimension.as_deref(),
                option_key: a.option_key.as_deref(),
                answered_at,
            };
            rollup.count(place, Counters::of_answer(a.weight));
        }
        answers.extend(c.answers.iter().map(|a| pollster_answer::ActiveModel {
            response_id: Set(id),
            question_key: Set(a.question_key.clone()),
            campaign_id: Set(campaign_id),
            unit_id: Set(c.item.unit_id),
            channel: Set(c.item.channel),
            dimension: Set(a.dimension.clone()),
            option_key: Set(a.option_key.clone()),
            weight: Set(a.weight),
            text: Set(a.text.clone()),
            excluded: Set(false),
            answered_at: Set(answered_at),
        }));
        results.push((c.index, outcome(c.index, external_id, ItemStatus::Created, Some(id), Vec::new())));
    }
    if !responses.is_empty() {
        let txn = crate::store::begin_write(db).await?;
        let campaign = crate::services::registry::campaigns::hold(&txn, campaign_id).await?;
        crate::services::registry::campaigns::require_phase(&campaign, PUSH_PHASES, "pushing results")?;
        for chunk in responses.chunks(500) {
            pollster_response::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        for chunk in answers.chunks(500) {
            pollster_answer::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        rollup.apply(&txn, Source::Pollster).await?;
        let data = serde_json::json!({"source": "pollster", "client_id": client_id, "count": responses.len()});
        outbox::emit(&txn, EventType::ResponsesReceived, campaign_id, data).await?;
        txn.commit().await?;
    }
    Ok(results)
}

/// A per-unit figure when the pollster delivers only figures.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "satisfaction_rate": 0.873, "sample_size": 400,
    "margin_of_error": 0.033, "method": "CATI telephone survey, random digit dialling",
    "field_period": {"starts_on": "2017-08-01", "ends_on": "2017-08-31"}
}))]
pub struct NewFigure {
    pub unit_id: Uuid,
    /// In [0, 1].
    #[validate(range(min = 0.0, max = 1.0))]
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub satisfaction_rate: f64,
    #[validate(range(min = 1, max = 10000000))]
    #[schema(minimum = 1, maximum = 10000000)]
    pub sample_size: i32,
    /// Half-width of the 95% interval, in [0, 1]; or give `interval`.
    #[validate(range(min = 0.0, max = 1.0))]
    #[serde(default)]
    pub margin_of_error: Option<f64>,
    #[serde(default)]
    pub interval: Option<crate::domain::satisfaction::Interval>,
    #[validate(length(min = 1, max = 500), custom(function = "text::free_text"))]
    #[schema(min_length = 1, max_length = 500)]
    pub method: String,
    pub field_period: crate::domain::campaign::DateRange,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FigureDto {
    pub id: Uuid,
    pub client_id: Uuid,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub satisfaction_rate: f64,
    pub sample_size: i32,
    pub margin_of_error: Option<f64>,
    pub interval: Option<crate::domain::satisfaction::Interval>,
    pub method: String,
    pub field_period: crate::domain::campaign::DateRange,
    pub received_at: chrono::DateTime<chrono::FixedOffset>,
    /// Set when a newer figure for the same unit from the same client replaced this one.
    pub superseded_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl From<pollster_figure::Model> for FigureDto {
    fn from(m: pollster_figure::Model) -> Self {
        let interval = match (m.interval_low, m.interval_high) {
            (Some(low), Some(high)) => Some(crate::domain::satisfaction::Interval { low, high }),
            _ => None,
        };
        Self {
            id: m.id,
            client_id: m.client_id,
            campaign_id: m.campaign_id,
            unit_id: m.unit_id,
            satisfaction_rate: m.satisfaction_rate,
            sample_size: m.sample_size,
            margin_of_error: m.margin_of_error,
            interval,
            method: m.method,
            field_period: crate::domain::campaign::DateRange { starts_on: m.field_starts_on, ends_on: m.field_ends_on },
            received_at: m.received_at,
            superseded_at: m.superseded_at,
        }
    }
}

fn check_figure(input: &NewFigure) -> ApiResult<()> {
    let mut errors = Vec::new();
    if let Some(i) = input.interval
        && !(0.0 <= i.low && i.low <= input.satisfaction_rate && input.satisfaction_rate <= i.high && i.high <= 1.0)
    {
        errors.push(FieldError::new("interval", "must satisfy 0 ≤ low ≤ satisfaction_rate ≤ high ≤ 1"));
    }
    if input.field_period.ends_on < input.field_period.starts_on {
        errors.push(FieldError::new("field_period.ends_on", "is before starts_on"));
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// Stores a figure as the current one for (campaign, unit, client); the previous stays, superseded.
pub async fn push_figure(
    db: &DatabaseConnection,
    who: &Principal,
    campaign_id: Uuid,
    input: NewFigure,
) -> ApiResult<pollster_figure::Model> {
    who.require(Permission::PushResults)?;
    let client_id = who.require_client("pushes")?;
    who.require_campaign(campaign_id)?;
    who.require_pushing_for(input.unit_id)?;
    check_figure(&input)?;
    store_figure(db, client_id, campaign_id, &input).await
}

async fn store_figure(
    db: &DatabaseConnection,
    client_id: Uuid,
    campaign_id: Uuid,
    input: &NewFigure,
) -> ApiResult<pollster_figure::Model> {
    let now = crate::store::now();
    let txn = crate::store::begin_write(db).await?;
    let campaign = crate::services::registry::campaigns::hold(&txn, campaign_id).await?;
    crate::services::registry::campaigns::require_phase(&campaign, PUSH_PHASES, "pushing results")?;
    // Figures for one unit are stored one at a time, each superseding the one before; a
    // unique index over current figures backs this.
    crate::services::registry::campaign_units::lock_member(&txn, campaign_id, input.unit_id, "unit_id").await?;
    pollster_figure::Entity::update_many()
        .col_expr(pollster_figure::Column::SupersededAt, sea_orm::sea_query::Expr::value(now))
        .filter(pollster_figure::Column::CampaignId.eq(campaign_id))
        .filter(pollster_figure::Column::UnitId.eq(input.unit_id))
        .filter(pollster_figure::Column::ClientId.eq(client_id))
        .filter(pollster_figure::Column::SupersededAt.is_null())
        .exec(&txn)
        .await?;
    let model = pollster_figure::ActiveModel {
        id: Set(Uuid::new_v4()),
        client_id: Set(client_id),
        campaign_id: Set(campaign_id),
        unit_id: Set(input.unit_id),
        satisfaction_rate: Set(input.satisfaction_rate),
        sample_size: Set(input.sample_size),
        margin_of_error: Set(input.margin_of_error),
        interval_low: Set(input.interval.map(|i| i.low)),
        interval_high: Set(input.interval.map(|i| i.high)),
        method: Set(input.method.trim().to_owned()),
        field_starts_on: Set(input.field_period.starts_on),
        field_ends_on: Set(input.field_period.ends_on),
        received_at: Set(now),
        superseded_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Figures of a campaign: current ones, or all with `history`. Pollsters see their own only.
pub async fn figures(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
    unit_id: Option<Uuid>,
    history: bool,
) -> ApiResult<Vec<pollster_figure::Model>> {
    who.require(Permission::ReadPollsterFigures)?;
    who.require_campaign(campaign_id)?;
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    let mut query = pollster_figure::Entity::find()
        .filter(pollster_figure::Column::CampaignId.eq(campaign_id))
        .order_by_asc(pollster_figure::Column::UnitId)
        .order_by_asc(pollster_figure::Column::ReceivedAt);
    if let Some(unit) = unit_id {
        query = query.filter(pollster_figure::Column::UnitId.eq(unit));
    }
    if !history {
        query = query.filter(pollster_figure::Column::SupersededAt.is_null());
    }
    if who.role == Role::Pollster
        && let Some(client) = who.client_id()
    {
        query = query.filter(pollster_figure::Column::ClientId.eq(client));
    }
    Ok(query.all(db).await?)
}

/// The fixed columns of a CSV upload; every other column is a question key.
pub const CSV_COLUMNS: [&str; 5] = ["external_id", "unit_id", "questionnaire_id", "channel", "interview_date"];

/// Reads a CSV upload (UTF-8, with or without BOM) into batch items, keeping each record's
/// line; a record that cannot be read becomes an error for its line.
pub fn csv_items(body: &[u8]) -> ApiResult<Vec<(usize, Result<serde_json::Value, String>)>> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::invalid("header", format!("line 1 cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let missing: Vec<&str> = CSV_COLUMNS.iter().copied().filter(|c| !header.iter().any(|h| h == c)).collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid("header", format!("line 1 lacks the columns {}", missing.join(", "))));
    }
    let mut items = Vec::new();
    for (position, record) in reader.records().enumerate() {
        let line = record.as_ref().ok().and_then(|r| r.position()).map_or(position + 2, |p| p.line() as usize);
        let item = record.map_err(|e| format!("cannot be read: {e}")).map(|record| {
            let mut answers = serde_json::Map::new();
            let mut item = serde_json::Map::new();
            for (name, value) in header.iter().zip(record.iter()) {
                if CSV_COLUMNS.contains(&name.as_str()) {
                    item.insert(name.clone(), serde_json::Value::String(value.trim().to_owned()));
                } else if !value.trim().is_empty() {
                    answers.insert(name.clone(), serde_json::Value::String(value.to_owned()));
                }
            }
            item.insert("answers".to_owned(), serde_json::Value::Object(answers));
            serde_json::Value::Object(item)
        });
        items.push((line, item));
    }
    if items.len() > MAX_BATCH {
        return Err(ApiError::invalid("body", format!("may hold at most {MAX_BATCH} records")));
    }
    Ok(items)
}

/// Pushes a CSV upload: the same rules as a JSON batch, each outcome naming its line.
pub async fn push_csv(
    db: &DatabaseConnection,
    who: &Principal,
    campaign_id: Uuid,
    body: &[u8],
) -> ApiResult<PushReport> {
    who.require(Permission::PushResults)?;
    let records = csv_items(body)?;
    let mut lines = Vec::new();
    let mut values = Vec::new();
    let mut unreadable = Vec::new();
    for (line, record) in records {
        match record {
            Ok(value) => {
                lines.push(line);
                values.push(value);
            }
            Err(message) => unreadable.push((line, message)),
        }
    }
    let mut report = push(db, who, campaign_id, values).await?;
    for outcome in &mut report.items {
        outcome.line = lines.get(outcome.index).copied();
    }
    for (line, message) in unreadable {
        report.invalid += 1;
        report.items.push(ItemOutcome {
            index: report.items.len(),
            line: Some(line),
            external_id: None,
            status: ItemStatus::Invalid,
            response_id: None,
            errors: vec![FieldError::new(format!("line {line}"), message)],
        });
    }
    report.items.sort_by_key(|o| o.line);
    Ok(report)
}

/// How many raw responses one client has pushed, per campaign, unit and interview channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedCount {
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub channel: PollsterChannel,
    pub responses: i64,
}

/// What a client has pushed: its raw responses counted per campaign, unit and channel, and
/// its current (not superseded) figures. For the office that manages clients.
pub async fn pushed_by(
    db: &impl ConnectionTrait,
    who: &Principal,
    client_id: Uuid,
) -> ApiResult<(Vec<PushedCount>, Vec<pollster_figure::Model>)> {
    who.require(Permission::ManageClients)?;
    let counts: Vec<(Uuid, Uuid, PollsterChannel, i64)> = pollster_response::Entity::find()
        .select_only()
        .column(pollster_response::Column::CampaignId)
        .column(pollster_response::Column::UnitId)
        .column(pollster_response::Column::Channel)
        .column_as(pollster_response::Column::Id.count(), "responses")
        .filter(pollster_response::Column::ClientId.eq(client_id))
        .group_by(pollster_response::Column::CampaignId)
        .group_by(pollster_response::Column::UnitId)
        .group_by(pollster_response::Column::Channel)
        .into_tuple()
        .all(db)
        .await?;
    let figures = pollster_figure::Entity::find()
        .filter(pollster_figure::Column::ClientId.eq(client_id))
        .filter(pollster_figure::Column::SupersededAt.is_null())
        .order_by_asc(pollster_figure::Column::ReceivedAt)
        .all(db)
        .await?;
    let counts = counts
        .into_iter()
        .map(|(campaign_id, unit_id, channel, responses)| PushedCount { campaign_id, unit_id, channel, responses })
        .collect();
    Ok((counts, figures))
}
