//! The assessment conference (大会测评): evaluators, scoring sessions, single-use ballot
//! codes, ballots, and the tally.
//!
//! Ballot codes are stored as hashes with the evaluator they were handed to; ballots are
//! stored with a random ballot id and no reference to the code, so no result tells who
//! scored what. Spending the code and storing the ballot happen in one transaction.

pub use entity::vocabulary::ScoringMode;

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use entity::vocabulary::SessionStatus;
use entity::{ballot_code, conference_score, conference_session, evaluator};

use crate::auth::{Permission, Principal};
use crate::domain::composite::Component;
use crate::domain::questionnaire::OVERALL;
use crate::domain::templates::{dimensions, template};
use crate::domain::vocabulary::{Category, Phase};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::services::integrity::invitations::{hash_code, new_code};

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
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub mode: ScoringMode,
    pub status: SessionStatus,
    pub opened_at: chrono::DateTime<chrono::FixedOffset>,
    pub closed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl From<conference_session::Model> for SessionDto {
    fn from(m: conference_session::Model) -> Self {
        Self {
            id: m.id,
            campaign_id: m.campaign_id,
            mode: m.mode,
            status: m.status,
            opened_at: m.opened_at,
            closed_at: m.closed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedCode {
    pub evaluator_code: String,
    /// Single-use; shown this once.
    pub ballot_code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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
#[schema(example = json!({"code": "K7QX-2MZP4R", "scores": [{"unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "dimension": "overall", "option": "satisfied"}]}))]
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

pub async fn add_evaluators<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    campaign_id: Uuid,
    input: NewEvaluators,
) -> ApiResult<Vec<EvaluatorDto>> {
    who.require(Permission::ManageCampaigns)?;
    let campaign = crate::services::registry::campaigns::find(db, campaign_id).await?;
    crate::services::registry::campaigns::require_phase(
        &campaign,
        crate::services::registry::campaigns::OPEN_PHASES,
        "recruiting evaluators",
    )?;
    let txn = crate::store::begin_write(db).await?;
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

pub async fn open_session(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
    input: NewSession,
) -> ApiResult<conference_session::Model> {
    who.require(Permission::RunConference)?;
    let campaign = crate::services::registry::campaigns::find(db, campaign_id).await?;
    crate::services::registry::campaigns::require_phase(&campaign, &[Phase::Assessment], "the conference")?;
    if crate::services::registry::campaign_units::unit_ids(db, campaign_id).await?.is_empty() {
        return Err(ApiError::Conflict("the campaign has no units to score".to_owned()));
    }
    Ok(conference_session::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(campaign_id),
        mode: Set(input.mode),
        status: Set(SessionStatus::Open),
        opened_at: Set(crate::store::now()),
        closed_at: Set(None),
    }
    .insert(db)
    .await?)
}

pub async fn find_session(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<conference_session::Model> {
    conference_session::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no session {id}")))
}

/// One single-use code per evaluator of the campaign who has none for this session yet.
pub async fn issue_codes<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    session_id: Uuid,
) -> ApiResult<Vec<IssuedCode>> {
    who.require(Permission::RunConference)?;
    let session = find_session(db, session_id).await?;
    let have: HashSet<Uuid> = ballot_code::Entity::find()
        .filter(ballot_code::Column::SessionId.eq(session_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.evaluator_id)
        .collect();
    let txn = crate::store::begin_write(db).await?;
    let mut issued = Vec::new();
    for e in evaluators_of(&txn, session.campaign_id).await?.into_iter().filter(|e| !have.contains(&e.id)) {
        let code = new_code();
        ballot_code::ActiveModel {
            id: Set(Uuid::new_v4()),
            session_id: Set(session_id),
            evaluator_id: Set(e.id),
            code_hash: Set(hash_code(&code)),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        issued.push(IssuedCode { evaluator_code: e.code, ballot_code: code });
    }
    txn.commit().await?;
    Ok(issued)
}

/// The (unit, dimension) pairs a ballot must score, and each unit's category.
async fn required(
    db: &impl ConnectionTrait,
    session: &conference_session::Model,
) -> ApiResult<HashSet<(Uuid, String)>> {
    let mut needed = HashSet::new();
    for unit_id in crate::services::registry::campaign_units::unit_ids(db, session.campaign_id).await? {
        let unit = crate::services::registry::units::find(db, unit_id).await?;
        if session.mode == ScoringMode::Dimensions {
            needed.extend(dimensions(unit.category).iter().map(|(key, ..)| (unit_id, (*key).to_owned())));
        } else {
            needed.insert((unit_id, OVERALL.to_owned()));
        }
    }
    Ok(needed)
}

pub async fn cast(db: &DatabaseConnection, session_id: Uuid, ballot: Ballot) -> ApiResult<Uuid> {
    let session = find_session(db, session_id).await?;
    if session.status != SessionStatus::Open {
        return Err(ApiError::Gone("this scoring session is closed".to_owned()));
    }
    let needed = required(db, &session).await?;
    let options: HashMap<String, Option<f64>> =
        template(Category::Government).questions[0].options.iter().map(|o| (o.key.clone(), o.weight)).collect();
    let mut errors = Vec::new();
    let mut given = HashSet::new();
    for (i, score) in ballot.scores.iter().enumerate() {
        let pair = (score.unit_id, score.dimension.clone());
        if !needed.contains(&pair) {
            errors.push(FieldError::new(format!("scores[{i}]"), "is not a unit and dimension of this session"));
        } else if !given.insert(pair) {
            errors.push(FieldError::new(format!("scores[{i}]"), "scores the same unit and dimension twice"));
        }
        if !options.contains_key(&score.option) {
            errors.push(FieldError::new(format!("scores[{i}].option"), format!("unknown option \"{}\"", score.option)));
        }
    }
    if errors.is_empty() && given.len() != needed.len() {
        errors.push(FieldError::new(
            "scores",
            format!("must score every unit: {} of {} given", given.len(), needed.len()),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let txn = crate::store::begin_write(db).await?;
    let spent = ballot_code::Entity::update_many()
        .col_expr(ballot_code::Column::UsedAt, sea_orm::sea_query::Expr::value(crate::store::now()))
        .filter(ballot_code::Column::SessionId.eq(session_id))
        .filter(ballot_code::Column::CodeHash.eq(hash_code(&ballot.code)))
        .filter(ballot_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(ApiError::Forbidden(
            "this ballot code is not valid for this session, or was used already".to_owned(),
        ));
    }
    let ballot_id = Uuid::new_v4();
    let rows = ballot.scores.into_iter().map(|s| conference_score::ActiveModel {
        id: Set(Uuid::new_v4()),
        session_id: Set(session_id),
        ballot_id: Set(ballot_id),
        unit_id: Set(s.unit_id),
        dimension: Set(s.dimension),
        weight: Set(options.get(&s.option).copied().flatten()),
        option_key: Set(s.option),
    });
    conference_score::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    txn.commit().await?;
    Ok(ballot_id)
}

pub async fn close<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    session_id: Uuid,
) -> ApiResult<conference_session::Model> {
    who.require(Permission::RunConference)?;
    let session = find_session(db, session_id).await?;
    if session.status != SessionStatus::Open {
        return Err(ApiError::Conflict("this session is closed already".to_owned()));
    }
    let txn = crate::store::begin_write(db).await?;
    let closed = conference_session::ActiveModel {
        id: Set(session_id),
        status: Set(SessionStatus::Closed),
        closed_at: Set(Some(crate::store::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    crate::services::audit::record(
        &txn,
        &who.subject,
        "conference.closed",
        "conference_session",
        &session_id.to_string(),
        Some(serde_json::json!({"status": "open"})),
        Some(serde_json::json!({"status": "closed"})),
    )
    .await?;
    txn.commit().await?;
    Ok(closed)
}

/// Per unit over `scores`: (distinct ballots, rate over weighted answers).
fn per_unit(scores: &[conference_score::Model]) -> BTreeMap<Uuid, (i64, Option<f64>)> {
    let mut grouped: BTreeMap<Uuid, (HashSet<Uuid>, f64, i64)> = BTreeMap::new();
    for s in scores {
        let entry = grouped.entry(s.unit_id).or_default();
        entry.0.insert(s.ballot_id);
        if let Some(w) = s.weight {
            entry.1 += w;
            entry.2 += 1;
        }
    }
    grouped
        .into_iter()
        .map(|(unit, (ballots, sum, valid))| (unit, (ballots.len() as i64, (valid > 0).then(|| sum / valid as f64))))
        .collect()
}

/// Counts while the session is open; scores too once it is closed.
pub async fn tally(db: &impl ConnectionTrait, session_id: Uuid) -> ApiResult<Tally> {
    let session = find_session(db, session_id).await?;
    let scores =
        conference_score::Entity::find().filter(conference_score::Column::SessionId.eq(session_id)).all(db).await?;
    let ballots = scores.iter().map(|s| s.ballot_id).collect::<HashSet<_>>().len() as i64;
    let figures = per_unit(&scores);
    let closed = session.status == SessionStatus::Closed;
    let mut units = Vec::new();
    for unit_id in crate::services::registry::campaign_units::unit_ids(db, session.campaign_id).await? {
        let (count, rate) = figures.get(&unit_id).copied().unwrap_or((0, None));
        let unit_name = crate::services::registry::units::find(db, unit_id).await?.name;
        units.push(UnitTally {
            unit_id,
            unit_name,
            ballots: count,
            score: if closed { rate.map(|r| (r * 10000.0).round() / 100.0) } else { None },
        });
    }
    Ok(Tally { session_id, status: session.status, ballots, units })
}

/// Conference components for the composite: every closed session of the campaign.
pub async fn unit_scores(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<HashMap<Uuid, Component>> {
    let sessions: Vec<Uuid> = conference_session::Entity::find()
        .filter(conference_session::Column::CampaignId.eq(campaign_id))
        .filter(conference_session::Column::Status.eq("closed"))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let scores =
        conference_score::Entity::find().filter(conference_score::Column::SessionId.is_in(sessions)).all(db).await?;
    Ok(per_unit(&scores)
        .into_iter()
        .filter_map(|(unit, (ballots, rate))| Some((unit, Component { score: rate? * 100.0, sample: ballots })))
        .collect())
}
