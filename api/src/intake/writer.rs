//! Group commit of citizens' responses.
//!
//! Handlers hand checked responses to a queue and wait. A few writer tasks each take
//! whatever is queued (up to `MAX_BATCH`) and write it atomically — responses and a record
//! of the responses to count into the running totals and announce to webhooks shortly (see
//! `totals::pending`) — and answer every waiting handler only after the commit. Under load
//! one commit (one fsync) carries many responses; when idle a batch is one response and
//! nothing waits for a timer. Acknowledged therefore always means committed, and durable: on
//! SQLite the writer's commits are answered once the log is synced after them, which runs
//! while the writer writes the next batch (see `store::log_sync`). A batch of one
//! campaign's responses (nearly every batch) reaches the database in one call: on PostgreSQL
//! one statement, on SQLite one script with its transaction (see `store_batch`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QueryResult,
    QueryTrait, Statement, Value,
};
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use entity::response;

use crate::domain::questionnaire::CheckedAnswer;
use crate::error::{ApiError, ApiResult};
use crate::intake::Receipt;
use crate::intake::daily_cap::DailyCounts;
use crate::metrics::METRICS;
use crate::store::log_sync::LogSync;
use crate::store::write_turn::{Holder, WriteTurns};
use crate::totals::pending;
use crate::totals::pending_counts::PendingCounts;

/// Most responses in one transaction.
const MAX_BATCH: usize = 512;
/// Responses that may wait for a writer before handlers wait to enqueue (back-pressure).
const QUEUE_CAPACITY: usize = 8192;
/// Most responses per INSERT on SQLite; statements hold a power of two of them (see
/// `statement_sizes`).
const ROWS_PER_STATEMENT: usize = 64;

/// A checked response, ready to store: its row (answers packed in) and the answers.
pub struct NewResponse {
    pub row: response::Model,
    pub answers: Vec<CheckedAnswer>,
}

impl NewResponse {
    /// The receipt the citizen gets if this is stored now.
    fn receipt(&self) -> Receipt {
        Receipt {
            response_id: self.row.id,
            submission_id: self.row.submission_id,
            submitted_hour: self.row.submitted_hour,
            replayed: false,
        }
    }
}

struct Job {
    response: NewResponse,
    reply: oneshot::Sender<ApiResult<Receipt>>,
}

/// The handle handlers enqueue through. Writers stop when every handle is dropped.
pub struct BatchWriter {
    queue: mpsc::Sender<Job>,
}

/// What the writer tasks of one app write with: the response writer's connection, the write
/// turns and the log sync of its database, the daily cap's counts they add to, and the
/// counts of the pending batches they record, for the app's fold.
pub struct WriterParts {
    pub db: DatabaseConnection,
    pub turns: Arc<WriteTurns>,
    pub log_sync: Arc<LogSync>,
    pub daily_counts: Arc<DailyCounts>,
    pub pending_counts: Arc<PendingCounts>,
}

impl BatchWriter {
    /// Starts the writer tasks: one on SQLite (it has a single writer anyway), two on
    /// PostgreSQL so that one batch is written while the other commits (more made smaller
    /// batches but no more responses per second).
    pub fn start(parts: WriterParts) -> Self {
        let writers = match parts.db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => 2,
        };
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(Mutex::new(receiver));
        let parts = Arc::new(parts);
        for _ in 0..writers {
            tokio::spawn(run_writer(parts.clone(), receiver.clone()));
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

async fn run_writer(parts: Arc<WriterParts>, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let Some(jobs) = next_batch(&receiver).await else { return };
        METRICS.ingest_queue_depth.sub(jobs.len() as i64);
        METRICS.ingest_batch_size.observe(jobs.len() as f64);
        let started = Instant::now();
        write_batch(&parts, jobs).await;
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

/// Writes a batch and answers its jobs: at once when its commit is durable as it returns, or
/// else from a task that waits for the log's sync while the writer goes on to the next batch.
async fn write_batch(parts: &WriterParts, jobs: Vec<Job>) {
    let (db, daily_counts, log_sync) = (&parts.db, &parts.daily_counts, &parts.log_sync);
    let (firsts, repeats) = split_repeats(jobs);
    let responses: Vec<&NewResponse> = firsts.iter().map(|job| &job.response).collect();
    let turn = parts.turns.take(Holder::Responses).await;
    let stored = store_batch(db, &parts.pending_counts, &responses).await;
    count_today(daily_counts, &responses, &stored);
    drop(turn);
    let outcomes = match stored {
        Ok(outcomes) => outcomes,
        Err(err) => {
            tracing::warn!(error = %err, responses = firsts.len(), "a batch of responses could not be stored");
            firsts.iter().map(|_| Err(copy_of(&err))).collect()
        }
    };
    if !log_sync.syncs() {
        return answer(firsts, repeats, outcomes);
    }
    let commit = log_sync.committed();
    let log_sync = log_sync.clone();
    tokio::spawn(async move {
        let outcomes = match log_sync.durable(commit).await {
            Ok(()) => outcomes,
            Err(err) => {
                tracing::error!(error = %err, responses = firsts.len(), "a batch of responses could not be made durable");
                outcomes.iter().map(|_| Err(ApiError::Unavailable(DbErr::Custom(err.to_string())))).collect()
            }
        };
        answer(firsts, repeats, outcomes);
    });
}

/// Answers each job, and each later send of the same submission in its batch, with its outcome.
fn answer(firsts: Vec<Job>, mut repeats: HashMap<Uuid, Vec<Job>>, outcomes: Vec<ApiResult<Receipt>>) {
    for (job, outcome) in firsts.into_iter().zip(outcomes) {
        for repeat in repeats.remove(&job.response.row.submission_id).into_iter().flatten() {
            let _ = repeat.reply.send(repeat_outcome(&job.response, &repeat.response, &outcome));
        }
        count_outcome(&outcome);
        let _ = job.reply.send(outcome);
    }
}

/// Stores and commits a batch (durable on SQLite once `LogSync` has synced the log). When
/// the batch is one campaign's (nearly always), it reaches the database in one call: on
/// PostgreSQL one statement, and so its own transaction, where a transaction around it takes
/// three round trips; on SQLite one script (see `store_in_one_call`). The
/// `responses.received` events are queued by the fold that counts the responses into the
/// totals (see `totals::pending`).
async fn store_batch(
    db: &DatabaseConnection,
    counts: &PendingCounts,
    responses: &[&NewResponse],
) -> ApiResult<Vec<ApiResult<Receipt>>> {
    let one_campaign = responses.iter().all(|r| r.row.campaign_id == responses[0].row.campaign_id);
    match db.get_database_backend() {
        DbBackend::Postgres if one_campaign => store(db, counts, responses).await,
        DbBackend::Sqlite if one_campaign => store_in_one_call(db, counts, responses).await,
        _ => {
            let txn = crate::store::begin_write(db).await?;
            let outcomes = store(&txn, counts, responses).await?;
            txn.commit().await?;
            Ok(outcomes)
        }
    }
}

/// SQLite, one campaign's batch: the transaction, its INSERTs and the pending record as one
/// script, handed to SQLite's thread in one call. Each call is a wait for that thread to be
/// scheduled and then for the writer to be woken with the answer; with the machine busy,
/// the several calls of a batch written statement by statement are much of its time.
async fn store_in_one_call(
    db: &DatabaseConnection,
    counts: &PendingCounts,
    responses: &[&NewResponse],
) -> ApiResult<Vec<ApiResult<Receipt>>> {
    let pending_id = Uuid::new_v4();
    let script = sqlite_script(pending_id, responses);
    let stored = match db.query_all_raw(script).await.and_then(submission_ids) {
        Ok(stored) => stored,
        Err(err) => {
            // The script stopped at the failing statement, perhaps inside its transaction.
            if let Err(rollback) = db.execute_unprepared("ROLLBACK").await {
                tracing::debug!(error = %rollback, "no transaction was left open");
            }
            return Err(err.into());
        }
    };
    remember_stored(counts, pending_id, responses, &stored);
    Ok(outcomes(db, responses, &stored).await?)
}

/// `BEGIN IMMEDIATE`, the statements of `sqlite_statements` and `COMMIT`, with the
/// statements' values in order (SQLite binds them statement by statement).
fn sqlite_script(pending_id: Uuid, responses: &[&NewResponse]) -> Statement {
    let mut sql = String::from("BEGIN IMMEDIATE;\n");
    let mut values = Vec::new();
    for statement in sqlite_statements(pending_id, responses[0].row.campaign_id, responses) {
        sql.push_str(&statement.sql);
        sql.push_str(";\n");
        values.extend(statement.values.map(|v| v.0).unwrap_or_default());
    }
    sql.push_str("COMMIT");
    Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
}

/// One campaign's responses on SQLite: the pending record of those not stored yet, then the
/// INSERTs of `insert_sqlite`.
fn sqlite_statements(pending_id: Uuid, campaign_id: Uuid, responses: &[&NewResponse]) -> Vec<Statement> {
    let ids: Vec<Uuid> = responses.iter().map(|r| r.row.id).collect();
    let mut statements = vec![pending::record_new(pending_id, campaign_id, &ids)];
    statements.extend(insert_sqlite(responses));
    statements
}

/// Adds the responses a batch stored to the daily cap's counts, or has them read again when
/// the batch's outcome is unknown.
fn count_today(daily_counts: &DailyCounts, responses: &[&NewResponse], stored: &ApiResult<Vec<ApiResult<Receipt>>>) {
    let Ok(outcomes) = stored else { return daily_counts.forget() };
    let new = responses.iter().zip(outcomes).filter(|(_, outcome)| matches!(outcome, Ok(r) if !r.replayed));
    daily_counts.add(new.map(|(response, _)| &response.row));
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
        let id = job.response.row.submission_id;
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
        Ok(receipt) if repeat.row.body_hash == first.row.body_hash => Ok(Receipt { replayed: true, ..receipt.clone() }),
        Ok(_) => Err(different_answers()),
        Err(err) => Err(copy_of(err)),
    }
}

/// What a resend of `submission_id`, its answers hashing to `body_hash`, gets when `found`
/// was stored for it: the original receipt as a replay, or a conflict if the answers differ.
pub fn replay(found: &response::Model, submission_id: Uuid, body_hash: &str) -> ApiResult<Receipt> {
    if found.body_hash != body_hash {
        return Err(different_answers());
    }
    Ok(Receipt { response_id: found.id, submission_id, submitted_hour: found.submitted_hour, replayed: true })
}

fn different_answers() -> ApiError {
    ApiError::Conflict(crate::intake::submit::refusals::OTHER_ANSWERS.to_owned())
}

/// The same failure for every response of a failed batch.
fn copy_of(err: &ApiError) -> ApiError {
    match err {
        ApiError::Unavailable(cause) => ApiError::Unavailable(DbErr::Custom(cause.to_string())),
        ApiError::Conflict(detail) => ApiError::Conflict(detail.clone()),
        ApiError::Duplicate(duplicate) => ApiError::Duplicate(duplicate.clone()),
        other => ApiError::Internal(other.to_string().into()),
    }
}

/// Writes the responses in `db`: a transaction the caller commits, or on PostgreSQL, for one
/// campaign's responses, the connection itself (every write is then one statement). Each
/// outcome is the new receipt, the earlier receipt of a submission id stored before, or a
/// conflict if that one had other answers.
pub async fn store(
    db: &impl ConnectionTrait,
    counts: &PendingCounts,
    responses: &[&NewResponse],
) -> ApiResult<Vec<ApiResult<Receipt>>> {
    let inserted = insert_responses(db, counts, responses).await?;
    Ok(outcomes(db, responses, &inserted).await?)
}

/// Each response's outcome, given the submission ids that were new (`inserted`).
async fn outcomes(
    db: &impl ConnectionTrait,
    responses: &[&NewResponse],
    inserted: &HashSet<Uuid>,
) -> Result<Vec<ApiResult<Receipt>>, DbErr> {
    let earlier = earlier_receipts(db, responses, inserted).await?;
    Ok(responses
        .iter()
        .map(|r| {
            let id = r.row.submission_id;
            if inserted.contains(&id) {
                return Ok(r.receipt());
            }
            match earlier.get(&id) {
                Some(found) => replay(found, id, &r.row.body_hash),
                None => Err(ApiError::Conflict("this submission id is already in use".to_owned())),
            }
        })
        .collect())
}

/// How many rows each INSERT of a batch of `rows` holds on SQLite: powers of two, largest
/// first. Written statement by statement, every batch size then uses the same seven
/// statements, which stay prepared on each connection. (The one-call script of
/// `store_in_one_call` is cached whole, per batch size, and is still faster: fewer calls.)
fn statement_sizes(mut rows: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    while rows > 0 {
        let size = if rows >= ROWS_PER_STATEMENT { ROWS_PER_STATEMENT } else { 1 << rows.ilog2() };
        sizes.push(size);
        rows -= size;
    }
    sizes
}

/// Inserts the responses whose submission id is new and records them as pending for the
/// running totals, one pending row per campaign (a batch rarely spans two); returns the new
/// submission ids. What the stored responses add to the totals is remembered for this
/// process's fold.
async fn insert_responses(
    db: &impl ConnectionTrait,
    counts: &PendingCounts,
    responses: &[&NewResponse],
) -> Result<HashSet<Uuid>, DbErr> {
    let mut per_campaign: BTreeMap<Uuid, Vec<&NewResponse>> = BTreeMap::new();
    for r in responses {
        per_campaign.entry(r.row.campaign_id).or_default().push(r);
    }
    let mut inserted = HashSet::new();
    for (campaign_id, responses) in per_campaign {
        let pending_id = Uuid::new_v4();
        let stored = insert_and_record(db, pending_id, campaign_id, &responses).await?;
        remember_stored(counts, pending_id, &responses, &stored);
        inserted.extend(stored);
    }
    Ok(inserted)
}

/// Remembers what the responses stored (`stored`: their submission ids) under the pending
/// record `pending_id` add, for this app's fold.
fn remember_stored(counts: &PendingCounts, pending_id: Uuid, responses: &[&NewResponse], stored: &HashSet<Uuid>) {
    let counted: Vec<_> = responses
        .iter()
        .filter(|r| stored.contains(&r.row.submission_id))
        .map(|r| (&r.row, r.answers.as_slice()))
        .collect();
    pending::remember(counts, pending_id, &counted);
}

/// One campaign's responses: on PostgreSQL one statement stores and records them; SQLite has
/// no INSERT inside WITH, so there the record is a statement of its own (it returns no rows).
async fn insert_and_record(
    db: &impl ConnectionTrait,
    pending_id: Uuid,
    campaign_id: Uuid,
    responses: &[&NewResponse],
) -> Result<HashSet<Uuid>, DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        return submission_ids(db.query_all_raw(insert_postgres(pending_id, campaign_id, responses)).await?);
    }
    let mut stored = HashSet::new();
    for statement in sqlite_statements(pending_id, campaign_id, responses) {
        stored.extend(submission_ids(db.query_all_raw(statement).await?)?);
    }
    Ok(stored)
}

fn submission_ids(rows: Vec<QueryResult>) -> Result<HashSet<Uuid>, DbErr> {
    rows.iter().map(|row| row.try_get_by_index::<Uuid>(0)).collect()
}

/// The columns as arrays, unnested into rows: one prepared statement for every batch size,
/// and PostgreSQL decodes eleven arrays instead of eleven parameters per response.
fn insert_postgres(pending_id: Uuid, campaign_id: Uuid, responses: &[&NewResponse]) -> Statement {
    let column = |value: fn(&response::Model) -> Value| -> Value {
        let values: Vec<Value> = responses.iter().map(|r| value(&r.row)).collect();
        Value::Array(values[0].array_type(), Some(Box::new(values)))
    };
    let values = vec![
        column(|r| r.id.into()),
        column(|r| r.submission_id.into()),
        column(|r| r.body_hash.clone().into()),
        column(|r| r.link_id.into()),
        column(|r| r.questionnaire_id.into()),
        column(|r| r.campaign_id.into()),
        column(|r| r.unit_id.into()),
        column(|r| r.channel.into()),
        column(|r| r.submitted_hour.into()),
        column(|r| r.excluded.into()),
        column(|r| r.answers.clone().into()),
        pending_id.into(),
        campaign_id.into(),
    ];
    let sql = format!(
        "WITH stored AS (INSERT INTO responses (id, submission_id, body_hash, link_id, questionnaire_id, \
         campaign_id, unit_id, channel, submitted_hour, excluded, answers) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::uuid[], \
         $7::uuid[], $8::text[], $9::timestamptz[], $10::boolean[], $11::text[]) \
         ON CONFLICT (id) DO NOTHING RETURNING id, submission_id), {} \
         SELECT submission_id FROM stored",
        pending::RECORD_STORED
    );
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// Multi-row INSERTs of a few fixed sizes (see `statement_sizes`).
fn insert_sqlite(responses: &[&NewResponse]) -> Vec<Statement> {
    let mut statements = Vec::new();
    let mut rest = responses;
    for size in statement_sizes(responses.len()) {
        let (chunk, later) = rest.split_at(size);
        rest = later;
        let rows = chunk.iter().map(|r| response::ActiveModel::from(r.row.clone()));
        let mut insert = response::Entity::insert_many(rows)
            .on_conflict(OnConflict::column(response::Column::Id).do_nothing().to_owned())
            .into_query();
        insert.returning_col(response::Column::SubmissionId);
        statements.push(DbBackend::Sqlite.build(&insert));
    }
    statements
}

/// The stored responses behind submission ids that were not new.
async fn earlier_receipts(
    db: &impl ConnectionTrait,
    responses: &[&NewResponse],
    inserted: &HashSet<Uuid>,
) -> Result<HashMap<Uuid, response::Model>, DbErr> {
    let taken: Vec<Uuid> = responses.iter().map(|r| r.row.submission_id).filter(|id| !inserted.contains(id)).collect();
    if taken.is_empty() {
        return Ok(HashMap::new());
    }
    // A response's id is derived from its submission id (`response_ids`): the ids that were
    // taken are the derived ones.
    let ids = taken.into_iter().map(crate::intake::response_ids::for_submission);
    let found = response::Entity::find().filter(response::Column::Id.is_in(ids)).all(db).await?;
    Ok(found.into_iter().map(|m| (m.submission_id, m)).collect())
}

#[cfg(test)]
mod tests {
    use crate::intake::writer::*;

    fn job(submission_id: Uuid) -> Job {
        let (reply, _) = oneshot::channel();
        let row = response::Model {
            id: Uuid::new_v4(),
            submission_id,
            body_hash: "h".to_owned(),
            link_id: Uuid::nil(),
            questionnaire_id: Uuid::nil(),
            campaign_id: Uuid::nil(),
            unit_id: Uuid::nil(),
            channel: entity::vocabulary::Channel::Web,
            submitted_hour: chrono::Utc::now().fixed_offset(),
            excluded: false,
            answers: "[]".to_owned(),
        };
        let response = NewResponse { row, answers: Vec::new() };
        Job { response, reply }
    }

    #[test]
    fn batches_are_inserted_in_statements_of_a_few_fixed_sizes() {
        assert_eq!(statement_sizes(0), Vec::<usize>::new());
        assert_eq!(statement_sizes(1), vec![1]);
        assert_eq!(statement_sizes(27), vec![16, 8, 2, 1]);
        assert_eq!(statement_sizes(150), vec![64, 64, 16, 4, 2]);
        for rows in 0..=MAX_BATCH {
            let sizes = statement_sizes(rows);
            assert_eq!(sizes.iter().sum::<usize>(), rows);
            assert!(sizes.iter().all(|s| s.is_power_of_two() && *s <= ROWS_PER_STATEMENT));
        }
    }

    #[test]
    fn a_submission_sent_twice_in_one_batch_is_written_once() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let (firsts, repeats) = split_repeats(vec![job(a), job(b), job(a), job(a)]);
        assert_eq!(firsts.iter().map(|j| j.response.row.submission_id).collect::<Vec<_>>(), vec![a, b]);
        assert_eq!(repeats.get(&a).map(Vec::len), Some(2));
        assert!(!repeats.contains_key(&b));
    }
}
