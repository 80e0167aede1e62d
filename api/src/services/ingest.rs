//! Group commit of citizens' responses.
//!
//! Handlers hand checked responses to a queue and wait. A few writer tasks each take
//! whatever is queued (up to `MAX_BATCH`), write it in one transaction — responses, answers,
//! webhook events, running totals — and answer every waiting handler only after the commit.
//! Under load one commit (one fsync) carries many responses; when idle a batch is one
//! response and nothing waits for a timer. Acknowledged therefore always means committed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryTrait, Set, TransactionTrait,
};
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use entity::{response, response_answer};

use super::rollups::{AnswerPlace, Counters, RollupDelta};
use super::submissions::Receipt;
use crate::domain::questionnaire::CheckedAnswer;
use crate::domain::vocabulary::Source;
use crate::error::{ApiError, ApiResult};
use crate::metrics::METRICS;
use crate::webhooks::EventType;

/// Most responses in one transaction.
const MAX_BATCH: usize = 512;
/// Responses that may wait for a writer before handlers wait to enqueue (back-pressure).
const QUEUE_CAPACITY: usize = 8192;
/// Answer rows per INSERT: under both databases' bind-parameter limits at 11 columns.
const ANSWERS_PER_STATEMENT: usize = 2000;

/// A checked response, ready to store.
pub struct NewResponse {
    /// The receipt the citizen gets if this is stored now.
    pub receipt: Receipt,
    pub body_hash: String,
    pub link_id: Uuid,
    pub questionnaire_id: Uuid,
    pub campaign_id: Uuid,
    pub unit_id: Uuid,
    pub channel: String,
    pub answers: Vec<CheckedAnswer>,
}

struct Job {
    response: NewResponse,
    reply: oneshot::Sender<ApiResult<Receipt>>,
}

/// The handle handlers enqueue through. Writers stop when every handle is dropped.
pub struct BatchWriter {
    queue: mpsc::Sender<Job>,
}

impl BatchWriter {
    /// Starts the writer tasks: one on SQLite (it has a single writer anyway), several on
    /// PostgreSQL so that one batch is written while another commits.
    pub fn start(db: DatabaseConnection) -> Self {
        let writers = match db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => 4,
        };
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..writers {
            tokio::spawn(run_writer(db.clone(), receiver.clone()));
        }
        Self { queue }
    }

    /// Stores `response` with others queued at the same time; returns once committed.
    pub async fn write(&self, response: NewResponse) -> ApiResult<Receipt> {
        let (reply, answer) = oneshot::channel();
        METRICS.ingest_queue_depth.inc();
        if self.queue.send(Job { response, reply }).await.is_err() {
            METRICS.ingest_queue_depth.dec();
            return Err(ApiError::Unavailable(DbErr::Custom("the response writer has stopped".to_owned())));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(ApiError::Unavailable(DbErr::Custom("the response writer has stopped".to_owned()))))
    }
}

async fn run_writer(db: DatabaseConnection, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let Some(jobs) = next_batch(&receiver).await else { return };
        METRICS.ingest_queue_depth.sub(jobs.len() as i64);
        METRICS.ingest_batch_size.observe(jobs.len() as f64);
        let started = Instant::now();
        write_batch(&db, jobs).await;
        METRICS.ingest_batch_seconds.observe(started.elapsed().as_secs_f64());
    }
}

/// Waits for one job, then takes whatever else is already queued.
async fn next_batch(receiver: &Mutex<mpsc::Receiver<Job>>) -> Option<Vec<Job>> {
    let mut receiver = receiver.lock().await;
    let first = receiver.recv().await?;
    let mut jobs = vec![first];
    while jobs.len() < MAX_BATCH {
        match receiver.try_recv() {
            Ok(job) => jobs.push(job),
            Err(_) => break,
        }
    }
    Some(jobs)
}

async fn write_batch(db: &DatabaseConnection, jobs: Vec<Job>) {
    let (firsts, mut repeats) = split_repeats(jobs);
    let responses: Vec<&NewResponse> = firsts.iter().map(|job| &job.response).collect();
    let outcomes = match db.begin().await {
        Ok(txn) => match store(&txn, &responses).await {
            Ok(outcomes) => txn.commit().await.map(|()| outcomes).map_err(ApiError::from),
            Err(err) => Err(err),
        },
        Err(err) => Err(ApiError::from(err)),
    };
    let outcomes: Vec<ApiResult<Receipt>> = match outcomes {
        Ok(outcomes) => outcomes,
        Err(err) => {
            tracing::warn!(error = %err, responses = firsts.len(), "a batch of responses could not be stored");
            firsts.iter().map(|_| Err(copy_of(&err))).collect()
        }
    };
    for (job, outcome) in firsts.into_iter().zip(outcomes) {
        for repeat in repeats.remove(&job.response.receipt.submission_id).into_iter().flatten() {
            let _ = repeat.reply.send(repeat_outcome(&job.response, &repeat.response, &outcome));
        }
        count_outcome(&outcome);
        let _ = job.reply.send(outcome);
    }
}

fn count_outcome(outcome: &ApiResult<Receipt>) {
    let label = match outcome {
        Ok(receipt) if receipt.replayed => "replayed",
        Ok(_) => "stored",
        Err(ApiError::Conflict(_)) => "conflict",
        Err(_) => "failed",
    };
    METRICS.ingest_responses.with_label_values(&[label]).inc();
}

/// Separates the first job of each submission id from later ones in the same batch.
fn split_repeats(jobs: Vec<Job>) -> (Vec<Job>, HashMap<Uuid, Vec<Job>>) {
    let mut seen = HashSet::new();
    let mut firsts = Vec::new();
    let mut repeats: HashMap<Uuid, Vec<Job>> = HashMap::new();
    for job in jobs {
        let id = job.response.receipt.submission_id;
        if seen.insert(id) {
            firsts.push(job);
        } else {
            repeats.entry(id).or_default().push(job);
        }
    }
    (firsts, repeats)
}

/// A second send of a submission in the same batch gets the first's receipt, as a replay.
fn repeat_outcome(first: &NewResponse, repeat: &NewResponse, outcome: &ApiResult<Receipt>) -> ApiResult<Receipt> {
    match outcome {
        Ok(receipt) if repeat.body_hash == first.body_hash => Ok(Receipt { replayed: true, ..receipt.clone() }),
        Ok(_) => Err(different_answers()),
        Err(err) => Err(copy_of(err)),
    }
}

fn different_answers() -> ApiError {
    ApiError::Conflict("this submission id was already used with different answers".to_owned())
}

/// The same failure for every response of a failed batch.
fn copy_of(err: &ApiError) -> ApiError {
    match err {
        ApiError::Unavailable(cause) => ApiError::Unavailable(DbErr::Custom(cause.to_string())),
        ApiError::Conflict(detail) => ApiError::Conflict(detail.clone()),
        other => ApiError::Internal(other.to_string().into()),
    }
}

/// Writes the responses in `txn` (the caller commits). Each outcome is the new receipt, the
/// earlier receipt of a submission id stored before, or a conflict if that one had other answers.
pub async fn store(txn: &DatabaseTransaction, responses: &[&NewResponse]) -> ApiResult<Vec<ApiResult<Receipt>>> {
    let inserted = insert_responses(txn, responses).await?;
    let fresh: Vec<&NewResponse> =
        responses.iter().copied().filter(|r| inserted.contains(&r.receipt.submission_id)).collect();
    let earlier = earlier_receipts(txn, responses, &inserted).await?;
    insert_answers(txn, &fresh).await?;
    announce(txn, &fresh).await?;
    rollup_of(&fresh).apply(txn, Source::CitizenLink).await?;
    Ok(responses
        .iter()
        .map(|r| {
            let id = r.receipt.submission_id;
            if inserted.contains(&id) {
                return Ok(r.receipt.clone());
            }
            match earlier.get(&id) {
                Some(found) if found.body_hash == r.body_hash => Ok(Receipt {
                    response_id: found.id,
                    submission_id: id,
                    submitted_hour: found.submitted_hour,
                    replayed: true,
                }),
                Some(_) => Err(different_answers()),
                None => Err(ApiError::Conflict("this submission id is already in use".to_owned())),
            }
        })
        .collect())
}

/// Inserts the responses whose submission id is new; returns those ids.
async fn insert_responses(txn: &DatabaseTransaction, responses: &[&NewResponse]) -> Result<HashSet<Uuid>, DbErr> {
    let rows = responses.iter().map(|r| response::ActiveModel {
        id: Set(r.receipt.response_id),
        submission_id: Set(r.receipt.submission_id),
        body_hash: Set(r.body_hash.clone()),
        link_id: Set(r.link_id),
        questionnaire_id: Set(r.questionnaire_id),
        campaign_id: Set(r.campaign_id),
        unit_id: Set(r.unit_id),
        channel: Set(r.channel.clone()),
        submitted_hour: Set(r.receipt.submitted_hour),
        excluded: Set(false),
    });
    let mut insert = response::Entity::insert_many(rows)
        .on_conflict(OnConflict::column(response::Column::SubmissionId).do_nothing().to_owned())
        .into_query();
    insert.returning_col(response::Column::SubmissionId);
    let mut inserted = HashSet::new();
    for row in txn.query_all(&insert).await? {
        inserted.insert(row.try_get::<Uuid>("", "submission_id")?);
    }
    Ok(inserted)
}

/// The stored responses behind submission ids that were not new.
async fn earlier_receipts(
    txn: &DatabaseTransaction,
    responses: &[&NewResponse],
    inserted: &HashSet<Uuid>,
) -> Result<HashMap<Uuid, response::Model>, DbErr> {
    let taken: Vec<Uuid> =
        responses.iter().map(|r| r.receipt.submission_id).filter(|id| !inserted.contains(id)).collect();
    if taken.is_empty() {
        return Ok(HashMap::new());
    }
    let found = response::Entity::find().filter(response::Column::SubmissionId.is_in(taken)).all(txn).await?;
    Ok(found.into_iter().map(|m| (m.submission_id, m)).collect())
}

async fn insert_answers(txn: &DatabaseTransaction, responses: &[&NewResponse]) -> Result<(), DbErr> {
    let rows: Vec<response_answer::ActiveModel> = responses
        .iter()
        .flat_map(|r| {
            r.answers.iter().map(|a| response_answer::ActiveModel {
                response_id: Set(r.receipt.response_id),
                question_key: Set(a.question_key.clone()),
                campaign_id: Set(r.campaign_id),
                unit_id: Set(r.unit_id),
                channel: Set(r.channel.clone()),
                dimension: Set(a.dimension.clone()),
                option_key: Set(a.option_key.clone()),
                weight: Set(a.weight),
                text: Set(a.text.clone()),
                excluded: Set(false),
                answered_at: Set(Some(r.receipt.submitted_hour)),
            })
        })
        .collect();
    for chunk in rows.chunks(ANSWERS_PER_STATEMENT) {
        response_answer::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// Queues one `responses.received` event per campaign and unit, with the batch's count.
async fn announce(txn: &DatabaseTransaction, responses: &[&NewResponse]) -> ApiResult<()> {
    let mut counts: BTreeMap<(Uuid, Uuid), u64> = BTreeMap::new();
    for r in responses {
        *counts.entry((r.campaign_id, r.unit_id)).or_default() += 1;
    }
    for ((campaign_id, unit_id), count) in counts {
        let data = serde_json::json!({"source": "citizen_link", "unit_id": unit_id, "count": count});
        crate::webhooks::subscriptions::emit(txn, EventType::ResponsesReceived, campaign_id, data).await?;
    }
    Ok(())
}

fn rollup_of(responses: &[&NewResponse]) -> RollupDelta {
    let mut delta = RollupDelta::default();
    for r in responses {
        for a in &r.answers {
            let place = AnswerPlace {
                campaign_id: r.campaign_id,
                unit_id: r.unit_id,
                channel: &r.channel,
                dimension: a.dimension.as_deref(),
                option_key: a.option_key.as_deref(),
                answered_at: Some(r.receipt.submitted_hour),
            };
            delta.count(place, Counters::of_answer(a.weight));
        }
    }
    delta
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(submission_id: Uuid) -> Job {
        let (reply, _) = oneshot::channel();
        let receipt = Receipt {
            response_id: Uuid::new_v4(),
            submission_id,
            submitted_hour: chrono::Utc::now().fixed_offset(),
            replayed: false,
        };
        let response = NewResponse {
            receipt,
            body_hash: "h".to_owned(),
            link_id: Uuid::nil(),
            questionnaire_id: Uuid::nil(),
            campaign_id: Uuid::nil(),
            unit_id: Uuid::nil(),
            channel: "web".to_owned(),
            answers: Vec::new(),
        };
        Job { response, reply }
    }

    #[test]
    fn a_submission_sent_twice_in_one_batch_is_written_once() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let (firsts, repeats) = split_repeats(vec![job(a), job(b), job(a), job(a)]);
        assert_eq!(firsts.iter().map(|j| j.response.receipt.submission_id).collect::<Vec<_>>(), vec![a, b]);
        assert_eq!(repeats.get(&a).map(Vec::len), Some(2));
        assert!(!repeats.contains_key(&b));
    }
}
