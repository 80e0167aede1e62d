//! The assessment conference (大会测评): representatives, scoring sessions, single-use ballot
//! codes, ballots, and the tally.
//!
//! A representative holds one live code per session (a unique index, and the session locked
//! while codes are issued). Casting a ballot checks the code against its stored hash, records
//! the code as spent by its tag (see `services::integrity::codes`: the code's row does not
//! change) and adds the ballot to the session's tallies, all in one transaction. A ballot is
//! kept only as those sums; the tally rows are made when the session opens, in the order of
//! their keys, and rewritten in that order when it closes, so that neither their content nor
//! their place tells who scored what.

pub use entity::vocabulary::ScoringMode;

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use entity::vocabulary::QuestionnaireStatus;
use entity::vocabulary::SessionStatus;
use entity::{ballot_code, ballot_spend, conference_session, conference_tally, evaluator, questionnaire, unit};

use crate::auth::{Permission, Principal};
use crate::domain::campaign::check_scale;
use crate::domain::composite::Component;
use crate::domain::questionnaire::{AnswerOption, DONT_KNOW, LocalizedText, OVERALL};
use crate::domain::satisfaction::{Interval, wilson};
use crate::domain::templates::{dimensions, template};
use crate::domain::vocabulary::{Category, Phase};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::services::integrity::codes::{SpendKey, hash_code, new_code};
use crate::services::registry::campaign_units::not_a_member;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"group": "deputies", "count": 20}))]
pub struct NewEvaluators {
    /// The group, e.g. `deputies`, `cppcc_members`, `service_users`, `supervisors`, `leading_group`.
    #[validate(custom(function = "crate::domain::text::key"))]
    pub group: String,
    #[validate(range(min = 1, max = 500))]
    pub count: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluatorDto {
    pub id: Uuid,
    /// An anonymous code such as `E-007`.
    pub code: String,
    pub group: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mode": "overall"}))]
pub struct NewSession {
    pub mode: ScoringMode,
    /// The units the session scores; by default every unit of the campaign in a ranking group.
    #[serde(default)]
    #[validate(length(min = 1, max = 500))]
    pub unit_ids: Option<Vec<Uuid>>,
    /// The rating scale for every unit, 不了解 (`dont_know`) aside, which is always allowed; by
    /// default the campaign's `conference_scale`, or else the overall question of each unit
    /// category's published questionnaire.
    #[serde(default)]
    #[validate(nested)]
    pub scale: Option<Vec<AnswerOption>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub mode: ScoringMode,
    pub status: SessionStatus,
    pub opened_at: chrono::DateTime<chrono::FixedOffset>,
    pub closed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The rating scale of each unit category, fixed when the session opened.
    pub scales: BTreeMap<Category, Vec<AnswerOption>>,
}

impl From<conference_session::Model> for SessionDto {
    fn from(m: conference_session::Model) -> Self {
        Self {
            scales: scales_of(&m),
            id: m.id,
            campaign_id: m.campaign_id,
            mode: m.mode,
            status: m.status,
            opened_at: m.opened_at,
            closed_at: m.closed_at,
        }
    }
}

/// The session's scales, as kept when it opened (sessions opened before scales were kept have
/// none; their choices are in their tallies).
fn scales_of(session: &conference_session::Model) -> BTreeMap<Category, Vec<AnswerOption>> {
    session.scales.clone().and_then(|value| serde_json::from_value(value).ok()).unwrap_or_default()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedCode {
    pub evaluator_code: String,
    /// Single-use; shown this once.
    pub ballot_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Score {
    pub unit_id: Uuid,
    /// `overall`, or one of the unit category's six dimensions.
    pub dimension: String,
    /// A rating level: `very_satisfied` … `very_dissatisfied`, or `dont_know`.
    pub option: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "K7QX-2MZP-4RHW-D9TB", "scores": [{"unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "dimension": "overall", "option": "satisfied"}]}))]
pub struct Ballot {
    #[validate(length(min = 1, max = 64))]
    pub code: String,
    #[validate(length(min = 1, max = 2000))]
    pub scores: Vec<Score>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitTally {
    pub unit_id: Uuid,
    pub unit_name: String,
    /// Ballots that scored the unit; once closed, the answers other than 不了解 (for the
    /// dimensions, the fewest any dimension had).
    pub ballots: i64,
    /// 0–100, shown once the session is closed.
    pub score: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tally {
    pub session_id: Uuid,
    pub status: SessionStatus,
    pub ballots: i64,
    pub units: Vec<UnitTally>,
}

/// What a representative is told of a ballot that was counted.
#[derive(Debug, Serialize, ToSchema)]
pub struct BallotReceipt {
    pub counted: bool,
}

pub async fn add_evaluators<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    campaign_id: Uuid,
    input: NewEvaluators,
) -> ApiResult<Vec<EvaluatorDto>> {
    who.require(Permission::ManageCampaigns)?;
    let txn = crate::store::begin_write(db).await?;
    // Locked: representatives' codes are numbered on from those the campaign has.
    let campaign = crate::services::registry::campaigns::lock(&txn, campaign_id).await?;
    crate::services::registry::campaigns::require_phase(
        &campaign,
        crate::services::registry::campaigns::OPEN_PHASES,
        "recruiting evaluators",
    )?;
    let existing = sea_orm::PaginatorTrait::count(
        evaluator::Entity::find().filter(evaluator::Column::CampaignId.eq(campaign_id)),
        &txn,
    )
    .await?;
    let mut made = Vec::new();
    for n in 0..u64::from(input.count) {
        let model = evaluator::ActiveModel {
            id: Set(Uuid::new_v4()),
            campaign_id: Set(campaign_id),
            code: Set(format!("E-{:03}", existing + n + 1)),
            group_name: Set(input.group.clone()),
            created_at: Set(crate::store::now()),
        }
        .insert(&txn)
        .await?;
        made.push(EvaluatorDto { id: model.id, code: model.code, group: model.group_name });
    }
    txn.commit().await?;
    Ok(made)
}

/// The campaign's representatives, by code, for those who read them.
pub async fn evaluators(db: &impl ConnectionTrait, who: &Principal, campaign_id: Uuid) -> ApiResult<Vec<EvaluatorDto>> {
    who.require(Permission::ReadEvaluators)?;
    evaluators_of(db, campaign_id).await
}

async fn evaluators_of(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<Vec<EvaluatorDto>> {
    Ok(evaluator::Entity::find()
        .filter(evaluator::Column::CampaignId.eq(campaign_id))
        .order_by_asc(evaluator::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|e| EvaluatorDto { id: e.id, code: e.code, group: e.group_name })
        .collect())
}

pub async fn open_session<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    campaign_id: Uuid,
    input: NewSession,
) -> ApiResult<conference_session::Model> {
    who.require(Permission::RunConference)?;
    if let Some(scale) = &input.scale {
        let errors: Vec<FieldError> = check_scale(scale).into_iter().map(|e| e.under("scale")).collect();
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
    }
    let txn = crate::store::begin_write(db).await?;
    let campaign = crate::services::registry::campaigns::hold(&txn, campaign_id).await?;
    crate::services::registry::campaigns::require_phase(&campaign, &[Phase::Assessment], "the conference")?;
    let scope = scope(&txn, campaign_id, input.unit_ids.as_deref()).await?;
    if scope.is_empty() {
        return Err(ApiError::Conflict(
            "the session has no units to score: put units in a ranking group, or name them in unit_ids".to_owned(),
        ));
    }
    let settings = crate::services::registry::campaigns::settings_of(&campaign)?;
    let mut scales = BTreeMap::new();
    for category in Category::ALL {
        let levels = match input.scale.clone().or_else(|| settings.conference_scale.clone()) {
            Some(levels) => levels,
            None => questionnaire_scale(&txn, campaign_id, *category).await?,
        };
        scales.insert(*category, with_dont_know(levels));
    }
    let session = conference_session::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(campaign_id),
        mode: Set(input.mode),
        status: Set(SessionStatus::Open),
        opened_at: Set(crate::store::now()),
        closed_at: Set(None),
        ballots: Set(0),
        scales: Set(Some(serde_json::to_value(&scales).map_err(ApiError::internal)?)),
    }
    .insert(&txn)
    .await?;
    write_tallies(&txn, session.id, empty_tallies(&session, &scope, &scales)).await?;
    txn.commit().await?;
    Ok(session)
}

/// The units a session scores: those named (each a unit of the campaign), or every unit of
/// the campaign in a ranking group.
async fn scope(db: &impl ConnectionTrait, campaign_id: Uuid, named: Option<&[Uuid]>) -> ApiResult<Vec<unit::Model>> {
    let members = crate::services::registry::campaign_units::members(db, campaign_id).await?;
    let chosen: Vec<Uuid> = match named {
        Some(ids) => {
            let errors: Vec<FieldError> = ids
                .iter()
                .enumerate()
                .filter(|(_, id)| !members.iter().any(|m| m.unit_id == **id))
                .map(|(i, id)| FieldError::new(format!("unit_ids[{i}]"), not_a_member(*id)))
                .collect();
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            let mut unique = ids.to_vec();
            unique.sort();
            unique.dedup();
            unique
        }
        None => members.iter().filter(|m| m.ranking_group.is_some()).map(|m| m.unit_id).collect(),
    };
    let mut units = Vec::new();
    for id in chosen {
        units.push(crate::services::registry::units::find(db, id).await?);
    }
    Ok(units)
}

/// The options of the overall question of the campaign's newest published questionnaire of
/// `category`, or of the category's template when there is none.
async fn questionnaire_scale(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    category: Category,
) -> ApiResult<Vec<AnswerOption>> {
    let published = questionnaire::Entity::find()
        .filter(questionnaire::Column::CampaignId.eq(campaign_id))
        .filter(questionnaire::Column::Category.eq(category))
        .filter(questionnaire::Column::Status.eq(QuestionnaireStatus::Published))
        .order_by_desc(questionnaire::Column::Version)
        .one(db)
        .await?;
    let questions = match published {
        Some(model) => crate::services::registry::questionnaires::Parsed::try_from(model)?.questions,
        None => template(category).questions,
    };
    let overall = questions.into_iter().find(|q| q.key == OVERALL && !q.options.is_empty());
    Ok(overall.map_or_else(|| template(category).questions[0].options.clone(), |q| q.options))
}

/// `levels` with 不了解 last, added when missing.
fn with_dont_know(mut levels: Vec<AnswerOption>) -> Vec<AnswerOption> {
    if !levels.iter().any(|l| l.key == DONT_KNOW) {
        levels.push(AnswerOption {
            key: DONT_KNOW.to_owned(),
            weight: None,
            label: LocalizedText::new("不了解", "Don't know"),
        });
    }
    levels
}

/// Every (unit, dimension, option) a ballot of `session` may choose, at zero, in key order.
fn empty_tallies(
    session: &conference_session::Model,
    scope: &[unit::Model],
    scales: &BTreeMap<Category, Vec<AnswerOption>>,
) -> Vec<conference_tally::Model> {
    let mut rows = Vec::new();
    for unit in scope {
        let dimensions: Vec<String> = match session.mode {
            ScoringMode::Dimensions => dimensions(unit.category).iter().map(|(key, ..)| (*key).to_owned()).collect(),
            ScoringMode::Overall => vec![OVERALL.to_owned()],
        };
        for dimension in dimensions {
            for level in scales.get(&unit.category).into_iter().flatten() {
                rows.push(conference_tally::Model {
                    session_id: session.id,
                    unit_id: unit.id,
                    dimension: dimension.clone(),
                    option_key: level.key.clone(),
                    weight: level.weight,
                    ballots: 0,
                });
            }
        }
    }
    rows.sort_by(|a, b| (a.unit_id, &a.dimension, &a.option_key).cmp(&(b.unit_id, &b.dimension, &b.option_key)));
    rows
}

/// Writes `rows` as the session's tallies in the order given.
async fn write_tallies(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    rows: Vec<conference_tally::Model>,
) -> ApiResult<()> {
    conference_tally::Entity::delete_many().filter(conference_tally::Column::SessionId.eq(session_id)).exec(db).await?;
    for chunk in rows.chunks(500) {
        let models = chunk.iter().cloned().map(conference_tally::ActiveModel::from);
        conference_tally::Entity::insert_many(models).exec_without_returning(db).await?;
    }
    Ok(())
}

/// The campaign's scoring sessions, the newest first.
pub async fn sessions(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
) -> ApiResult<Vec<conference_session::Model>> {
    who.require(Permission::ReadEvaluators)?;
    Ok(conference_session::Entity::find()
        .filter(conference_session::Column::CampaignId.eq(campaign_id))
        .order_by_desc(conference_session::Column::OpenedAt)
        .all(db)
        .await?)
}

pub async fn find_session(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<conference_session::Model> {
    conference_session::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no session {id}")))
}

/// The session, locked until the write transaction ends (see `campaigns::lock`).
pub(crate) async fn lock_session(txn: &impl ConnectionTrait, id: Uuid) -> ApiResult<conference_session::Model> {
    conference_session::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no session {id}")))
}

/// One code for every representative of the campaign who has no live code for this session
/// yet; a request repeated, or sent twice at once, issues none twice.
pub async fn issue_codes<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    session_id: Uuid,
) -> ApiResult<Vec<IssuedCode>> {
    who.require(Permission::RunConference)?;
    let txn = crate::store::begin_write(db).await?;
    let session = lock_session(&txn, session_id).await?;
    require_open(&session)?;
    let mut issued = Vec::new();
    for e in evaluators_of(&txn, session.campaign_id).await? {
        let code = new_code();
        let row = ballot_code::ActiveModel {
            id: Set(Uuid::new_v4()),
            session_id: Set(session_id),
            evaluator_id: Set(e.id),
            code_hash: Set(hash_code(&code)),
        };
        let inserted = ballot_code::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([ballot_code::Column::SessionId, ballot_code::Column::EvaluatorId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        if inserted == 1 {
            issued.push(IssuedCode { evaluator_code: e.code, ballot_code: code });
        }
    }
    txn.commit().await?;
    Ok(issued)
}

/// Replaces a representative's code (a lost slip): the old code stops working and a new one
/// is shown once. A ballot already cast with the old code stays counted: nothing tells which
/// ballot it was.
pub async fn reissue<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    session_id: Uuid,
    evaluator_code: &str,
) -> ApiResult<IssuedCode> {
    who.require(Permission::RunConference)?;
    let txn = crate::store::begin_write(db).await?;
    let session = lock_session(&txn, session_id).await?;
    require_open(&session)?;
    let holder = evaluator::Entity::find()
        .filter(evaluator::Column::CampaignId.eq(session.campaign_id))
        .filter(evaluator::Column::Code.eq(evaluator_code))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no representative {evaluator_code} in this campaign")))?;
    let revoked = ballot_code::Entity::delete_many()
        .filter(ballot_code::Column::SessionId.eq(session_id))
        .filter(ballot_code::Column::EvaluatorId.eq(holder.id))
        .exec(&txn)
        .await?;
    let code = new_code();
    ballot_code::ActiveModel {
        id: Set(Uuid::new_v4()),
        session_id: Set(session_id),
        evaluator_id: Set(holder.id),
        code_hash: Set(hash_code(&code)),
    }
    .insert(&txn)
    .await?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "conference.code_reissued",
        "conference_session",
        &session_id.to_string(),
        Some(serde_json::json!({"evaluator": holder.code, "had_code": revoked.rows_affected > 0})),
        Some(serde_json::json!({"evaluator": holder.code})),
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedCode { evaluator_code: holder.code, ballot_code: code })
}

pub(crate) fn require_open(session: &conference_session::Model) -> ApiResult<()> {
    if session.status == SessionStatus::Open {
        Ok(())
    } else {
        Err(ApiError::Conflict("this session is closed".to_owned()))
    }
}

/// Every reason `ballot` cannot be counted in `session`, against the session's tallies (one
/// row per choice it may make).
pub(crate) fn check_ballot(ballot: &Ballot, tallies: &[conference_tally::Model]) -> Vec<FieldError> {
    let choices: HashSet<(Uuid, &str, &str)> =
        tallies.iter().map(|t| (t.unit_id, t.dimension.as_str(), t.option_key.as_str())).collect();
    let needed: HashSet<(Uuid, &str)> = tallies.iter().map(|t| (t.unit_id, t.dimension.as_str())).collect();
    let mut errors = Vec::new();
    let mut given = HashSet::new();
    for (i, score) in ballot.scores.iter().enumerate() {
        let pair = (score.unit_id, score.dimension.as_str());
        if !needed.contains(&pair) {
            errors.push(FieldError::new(format!("scores[{i}]"), "is not a unit and dimension of this session"));
            continue;
        }
        if !given.insert(pair) {
            errors.push(FieldError::new(format!("scores[{i}]"), "scores the same unit and dimension twice"));
        }
        if !choices.contains(&(score.unit_id, score.dimension.as_str(), score.option.as_str())) {
            errors.push(FieldError::new(format!("scores[{i}].option"), format!("unknown option \"{}\"", score.option)));
        }
    }
    if errors.is_empty() && given.len() != needed.len() {
        errors.push(FieldError::new(
            "scores",
            format!("must score every unit: {} of {} given", given.len(), needed.len()),
        ));
    }
    errors
}

pub(crate) fn tallies_of(session_id: Uuid) -> sea_orm::Select<conference_tally::Entity> {
    conference_tally::Entity::find()
        .filter(conference_tally::Column::SessionId.eq(session_id))
        .order_by_asc(conference_tally::Column::UnitId)
        .order_by_asc(conference_tally::Column::Dimension)
        .order_by_asc(conference_tally::Column::OptionKey)
}

/// What a representative is told of a code that cannot vote, whatever the reason: nothing
/// that helps to guess codes.
pub(crate) fn code_refused() -> ApiError {
    ApiError::Forbidden("this ballot code is not valid for this session, or was used already".to_owned())
}

/// Whether `code` is a live code of the session (issued, and not replaced since).
pub(crate) async fn code_issued(txn: &impl ConnectionTrait, session_id: Uuid, code: &str) -> ApiResult<bool> {
    Ok(ballot_code::Entity::find()
        .filter(ballot_code::Column::SessionId.eq(session_id))
        .filter(ballot_code::Column::CodeHash.eq(hash_code(code)))
        .one(txn)
        .await?
        .is_some())
}

/// Whether a ballot was counted with the code of spend tag `tag`.
pub(crate) async fn spent(txn: &impl ConnectionTrait, session_id: Uuid, tag: &str) -> ApiResult<bool> {
    Ok(ballot_spend::Entity::find_by_id((session_id, tag.to_owned())).one(txn).await?.is_some())
}

/// Counts a checked ballot in `txn`, which holds the session open: spends its code by `tag`
/// (refused if it was spent) and adds each choice to the session's tallies.
pub(crate) async fn count(
    txn: &impl ConnectionTrait,
    session_id: Uuid,
    tag: String,
    scores: &[Score],
) -> ApiResult<()> {
    let spend = ballot_spend::ActiveModel { session_id: Set(session_id), tag: Set(tag.clone()) };
    match spend.insert(txn).await.map_err(ApiError::from) {
        Ok(_) => {}
        Err(ApiError::Duplicate(_)) => return Err(code_refused()),
        Err(other) => return Err(other),
    }
    // A paper copy of a ballot counted another way has nothing left to wait for.
    crate::services::evaluation::paper_ballots::forget(txn, session_id, &tag).await?;
    for score in scores {
        let added = conference_tally::Entity::update_many()
            .col_expr(conference_tally::Column::Ballots, Expr::col(conference_tally::Column::Ballots).add(1))
            .filter(conference_tally::Column::SessionId.eq(session_id))
            .filter(conference_tally::Column::UnitId.eq(score.unit_id))
            .filter(conference_tally::Column::Dimension.eq(score.dimension.as_str()))
            .filter(conference_tally::Column::OptionKey.eq(score.option.as_str()))
            .exec(txn)
            .await?;
        if added.rows_affected != 1 {
            return Err(ApiError::Internal("a checked choice has no tally".into()));
        }
    }
    conference_session::Entity::update_many()
        .col_expr(conference_session::Column::Ballots, Expr::col(conference_session::Column::Ballots).add(1))
        .filter(conference_session::Column::Id.eq(session_id))
        .exec(txn)
        .await?;
    Ok(())
}

pub async fn cast(
    db: &DatabaseConnection,
    key: &SpendKey,
    session_id: Uuid,
    ballot: Ballot,
) -> ApiResult<BallotReceipt> {
    let session = find_session(db, session_id).await?;
    if session.status != SessionStatus::Open {
        return Err(ApiError::Gone("this scoring session is closed".to_owned()));
    }
    let errors = check_ballot(&ballot, &tallies_of(session_id).all(db).await?);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let txn = crate::store::begin_write(db).await?;
    // Held against closing: a ballot is counted only while its session is open.
    let held = conference_session::Entity::find_by_id(session_id).lock_shared().one(&txn).await?;
    if held.is_none_or(|s| s.status != SessionStatus::Open) {
        return Err(ApiError::Gone("this scoring session is closed".to_owned()));
    }
    if !code_issued(&txn, session_id, &ballot.code).await? {
        return Err(code_refused());
    }
    count(&txn, session_id, key.tag(session_id, &ballot.code), &ballot.scores).await?;
    txn.commit().await?;
    Ok(BallotReceipt { counted: true })
}

pub async fn close<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    session_id: Uuid,
) -> ApiResult<conference_session::Model> {
    who.require(Permission::RunConference)?;
    let txn = crate::store::begin_write(db).await?;
    let session = lock_session(&txn, session_id).await?;
    if session.status != SessionStatus::Open {
        return Err(ApiError::Conflict("this session is closed already".to_owned()));
    }
    let waiting = crate::services::evaluation::paper_ballots::waiting(&txn, session_id).await?;
    if waiting > 0 {
        return Err(ApiError::Conflict(format!(
            "{waiting} paper ballot(s) await a second entry or a reconciliation: enter or discard them before closing"
        )));
    }
    let closed = conference_session::ActiveModel {
        id: Set(session_id),
        status: Set(SessionStatus::Closed),
        closed_at: Set(Some(crate::store::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    // Written again in key order: on PostgreSQL an update puts the row's new version at the
    // end, so the last ballot's choices would otherwise be the last rows stored.
    let tallies = tallies_of(session_id).all(&txn).await?;
    write_tallies(&txn, session_id, tallies).await?;
    // The codes and their spending have nothing left to guard.
    ballot_code::Entity::delete_many().filter(ballot_code::Column::SessionId.eq(session_id)).exec(&txn).await?;
    ballot_spend::Entity::delete_many().filter(ballot_spend::Column::SessionId.eq(session_id)).exec(&txn).await?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "conference.closed",
        "conference_session",
        &session_id.to_string(),
        Some(serde_json::json!({"status": "open"})),
        Some(serde_json::json!({"status": "closed", "ballots": closed.ballots})),
    )
    .await?;
    txn.commit().await?;
    Ok(closed)
}

/// A unit's figures from tallies: the score (0–1) over the answers that carry a weight, and
/// the sample: those answers (for the dimensions, the fewest any dimension had).
struct UnitFigures {
    sum: f64,
    valid: i64,
    by_dimension: BTreeMap<String, i64>,
}

impl UnitFigures {
    fn rate(&self) -> Option<f64> {
        (self.valid > 0).then(|| self.sum / self.valid as f64)
    }

    fn sample(&self) -> i64 {
        self.by_dimension.values().copied().min().unwrap_or(0)
    }
}

fn per_unit(tallies: &[conference_tally::Model]) -> BTreeMap<Uuid, UnitFigures> {
    let mut units: BTreeMap<Uuid, UnitFigures> = BTreeMap::new();
    for t in tallies {
        let entry =
            units.entry(t.unit_id).or_insert_with(|| UnitFigures { sum: 0.0, valid: 0, by_dimension: BTreeMap::new() });
        let valid = entry.by_dimension.entry(t.dimension.clone()).or_default();
        if let Some(weight) = t.weight {
            entry.sum += weight * f64::from(t.ballots);
            entry.valid += i64::from(t.ballots);
            *valid += i64::from(t.ballots);
        }
    }
    units
}

/// While the session is open, how many ballots were cast (the same for every unit, so that
/// watching the tally tells nothing of what a ballot chose); once it is closed, each unit's
/// answers and score.
pub async fn tally(db: &impl ConnectionTrait, session_id: Uuid) -> ApiResult<Tally> {
    let session = find_session(db, session_id).await?;
    let tallies = tallies_of(session_id).all(db).await?;
    let figures = per_unit(&tallies);
    let closed = session.status == SessionStatus::Closed;
    let mut names = crate::services::registry::units::by_ids(db, figures.keys().copied()).await?;
    let mut units = Vec::new();
    for (unit_id, unit) in &figures {
        let unit_name = names.remove(unit_id).ok_or_else(|| ApiError::NotFound(format!("no unit {unit_id}")))?.name;
        units.push(UnitTally {
            unit_id: *unit_id,
            unit_name,
            ballots: if closed { unit.sample() } else { i64::from(session.ballots) },
            score: if closed { unit.rate().map(|r| (r * 10000.0).round() / 100.0) } else { None },
        });
    }
    Ok(Tally { session_id, status: session.status, ballots: i64::from(session.ballots), units })
}

/// Conference components for the composite: the tallies of every closed session of the campaign.
pub async fn unit_scores(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<HashMap<Uuid, Component>> {
    let sessions: Vec<Uuid> = conference_session::Entity::find()
        .filter(conference_session::Column::CampaignId.eq(campaign_id))
        .filter(conference_session::Column::Status.eq(SessionStatus::Closed))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let tallies =
        conference_tally::Entity::find().filter(conference_tally::Column::SessionId.is_in(sessions)).all(db).await?;
    Ok(per_unit(&tallies)
        .into_iter()
        .filter_map(|(unit, figures)| {
            let rate = figures.rate()?;
            let interval = wilson(rate, figures.sample());
            let interval = Interval { low: interval.low * 100.0, high: interval.high * 100.0 };
            Some((unit, Component { score: rate * 100.0, sample: figures.sample(), interval: Some(interval) }))
        })
        .collect())
}
