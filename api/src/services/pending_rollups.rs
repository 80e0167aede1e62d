//! Citizens' responses waiting to be counted into the running totals (`rollups`).
//!
//! Upserting the totals in every group commit made each commit update hundreds of rows: on
//! PostgreSQL every writer locked the same rows, which took most of the commit's time; on
//! SQLite it was most of the single writer's work. Instead a batch records the ids of the
//! responses it stored, as one row per campaign in `satisfaction_pending`, with them (so the
//! record is exactly as durable as they are; on SQLite it may also name responses of the
//! batch that were not stored, which count nowhere); a folder task counts pending responses into
//! the totals every `FOLD_INTERVAL` and deletes their record in the same transaction. Each
//! pending row is thus folded once, whichever replica folds it, and a crash in between loses
//! nothing.
//!
//! Reports read the totals and the pending records in one statement (`satisfaction::cube`)
//! and count the pending responses themselves, so a figure read after a response was
//! acknowledged includes it, folded or not. Stored responses never change their answers,
//! and an exclusion takes a response out of the totals whether it was folded yet or not, so
//! a pending response counts in full, excluded or not.
//!
//! A fold upserts each total its responses touch once, however many responses that is (at
//! full load, a few hundred batches' worth); on SQLite it takes the write lock for that.
//!
//! The fold also queues the `responses.received` webhook events, one per campaign and unit
//! with the number of responses it counted, in the same transaction: an event is thus sent
//! once per response, within a fold interval of its acknowledgement, and the write path
//! need not read the subscriptions for every batch (that read was one of a batch's two
//! round trips to PostgreSQL).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, Statement,
};
use uuid::Uuid;

use entity::response;

use super::rollups::RollupDelta;
use super::write_turn::Holder;
use super::{answers, recorded_deltas};
use crate::domain::questionnaire::CheckedAnswer;
use crate::domain::vocabulary::Source;
use crate::error::ApiResult;
use crate::metrics::METRICS;
use crate::webhooks::{EventType, subscriptions};

pub const TABLE: &str = "satisfaction_pending";
/// How often pending responses are folded into the totals: at most what a report counts itself.
const FOLD_INTERVAL: Duration = Duration::from_millis(200);
/// Most pending rows (batches) one fold takes, to keep its transaction short after a backlog.
/// A fold upserts every total its responses touch, however many responses that is: taking 64
/// rows (about 900 responses at full load in the benchmark) it upserted 0.65 totals per
/// response; taking all of an interval's batches at once, about 0.15.
const ROWS_PER_FOLD: usize = 512;
/// Responses read per statement; a short list is padded to this length so that every read
/// is the same prepared statement.
const IDS_PER_READ: usize = 128;

/// What pending responses add: to the running totals, and to the `responses.received`
/// events (how many responses per campaign and unit).
#[derive(Clone, Debug, Default)]
pub struct Counted {
    pub totals: RollupDelta,
    pub received: BTreeMap<(Uuid, Uuid), u64>,
}

impl Counted {
    /// What `responses` add.
    fn of(responses: &[(&response::Model, &[CheckedAnswer])]) -> Self {
        let mut counted = Self::default();
        for (row, checked) in responses {
            counted.add(row, checked);
        }
        counted
    }

    fn add(&mut self, row: &response::Model, checked: &[CheckedAnswer]) {
        answers::count_into(&mut self.totals, row, checked);
        *self.received.entry((row.campaign_id, row.unit_id)).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Counted) {
        self.totals.merge(&other.totals);
        for (&key, &count) in &other.received {
            *self.received.entry(key).or_default() += count;
        }
    }
}

/// On PostgreSQL the statement that stores one campaign's responses (`ingest`) records
/// them as pending itself, with this clause after a CTE `stored` that returns
/// the stored responses' `id`. Its parameters `$12` and `$13` are the pending row's id and
/// the campaign; the row holds the ids as a JSON array, and none is written if nothing was stored.
pub const RECORD_STORED: &str = "recorded AS (INSERT INTO satisfaction_pending (id, campaign_id, response_ids) \
     SELECT $12::uuid, $13::uuid, json_agg(id)::text FROM stored HAVING COUNT(*) > 0)";

/// SQLite (on PostgreSQL `RECORD_STORED` does it): the statement, run in the batch's
/// transaction just before its INSERTs, that records as the pending row `pending_id` those of
/// the batch's responses (`response_ids`) not stored yet, if any. Run in the same call as the
/// INSERTs (`ingest`), it cannot read what they return; but the transaction holds SQLite's
/// single writer, and a batch holds each submission once, so the ids absent now are exactly
/// those the INSERTs store. A retry's id is its stored response's (see `response_ids`), so
/// naming it would count that response twice.
pub fn record_new(pending_id: Uuid, campaign_id: Uuid, response_ids: &[Uuid]) -> Statement {
    let rows = vec!["(?, ?)"; response_ids.len()].join(", ");
    let sql = format!(
        "WITH batch (id, text) AS (VALUES {rows}) \
         INSERT INTO {TABLE} (id, campaign_id, response_ids) SELECT ?, ?, ids FROM \
         (SELECT json_group_array(text) AS ids, COUNT(*) AS new FROM batch \
          WHERE NOT EXISTS (SELECT 1 FROM responses WHERE responses.id = batch.id)) WHERE new > 0"
    );
    let batch = response_ids.iter().flat_map(|&id| [id.into(), id.to_string().into()]);
    let values: Vec<sea_orm::Value> = batch.chain([pending_id.into(), campaign_id.into()]).collect();
    Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
}

/// Remembers what the pending row `pending_id`, just written with `responses`, adds, so that
/// this process's fold need not read them back (see `recorded_deltas`).
pub fn remember(pending_id: Uuid, responses: &[(&response::Model, &[CheckedAnswer])]) {
    if !responses.is_empty() {
        recorded_deltas::remember(pending_id, Counted::of(responses));
    }
}

/// The response ids of one pending row.
pub fn decode(response_ids: &str) -> Result<Vec<Uuid>, DbErr> {
    serde_json::from_str(response_ids).map_err(|err| DbErr::Custom(format!("a pending record cannot be read: {err}")))
}

/// What the responses `ids` add, read back from the stored responses.
pub async fn count(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Counted, DbErr> {
    let mut counted = Counted::default();
    for chunk in ids.chunks(IDS_PER_READ) {
        let mut padded = chunk.to_vec();
        padded.resize(IDS_PER_READ, Uuid::nil());
        for found in response::Entity::find().filter(response::Column::Id.is_in(padded)).all(db).await? {
            counted.add(&found, &answers::unpack(&found.answers)?);
        }
    }
    Ok(counted)
}

/// The batches this process recorded as pending (see `recorded_deltas`), each and merged.
#[derive(Default)]
struct KnownBatches {
    each: HashMap<Uuid, recorded_deltas::Recorded>,
    merged: Counted,
}

impl KnownBatches {
    /// Takes and merges what was recorded since the last call.
    fn take_recorded(&mut self) {
        for (pending_id, recorded) in recorded_deltas::take_all() {
            self.merged.merge(&recorded.counted);
            self.each.insert(pending_id, recorded);
        }
    }

    fn knows(&self, pending_id: Uuid) -> bool {
        self.each.contains_key(&pending_id)
    }

    /// What the pending rows `taken` add. The entries of rows the fold did not take (a batch
    /// not committed yet, past the fold's limit, or folded by another replica) are put back
    /// for a later fold while they are young (see `recorded_deltas::put_back`). When every
    /// entry was taken (nearly always), they stay here, to be freed once the fold has let the
    /// writer go: freeing a few dozen batches' maps took a tenth of the fold's hold on it.
    fn counted_for(&mut self, taken: &HashSet<Uuid>) -> Counted {
        if self.each.keys().all(|pending_id| taken.contains(pending_id)) {
            return std::mem::take(&mut self.merged);
        }
        let mut counted = Counted::default();
        for (pending_id, entry) in self.each.drain() {
            if taken.contains(&pending_id) {
                counted.merge(&entry.counted);
            } else {
                recorded_deltas::put_back(pending_id, entry);
            }
        }
        counted
    }
}

/// Counts up to `ROWS_PER_FOLD` pending rows into the totals and announces their responses;
/// returns how many rows it folded. If it fails, the rows stay pending and what this process
/// knew of them is forgotten: the next fold reads their responses back.
pub async fn fold(db: &DatabaseConnection) -> ApiResult<usize> {
    // Merged before the write turn, which on SQLite stops the response writer: merging an
    // interval's few dozen batches took a third of a fold's time.
    let mut known = KnownBatches::default();
    known.take_recorded();
    let turn = super::write_turn::take(db, Holder::Fold).await;
    known.take_recorded(); // the few batches written while the fold waited for its turn
    let txn = super::begin_write(db).await?;
    // A concurrent fold that took the same rows first leaves nothing for this DELETE to return.
    let taken = Statement::from_string(
        db.get_database_backend(),
        format!(
            "DELETE FROM {TABLE} WHERE id IN (SELECT id FROM {TABLE} LIMIT {ROWS_PER_FOLD}) RETURNING id, response_ids"
        ),
    );
    let rows = txn.query_all_raw(taken).await?;
    let mut taken_known = HashSet::new();
    let mut unknown = Vec::new();
    for row in &rows {
        let pending_id: Uuid = row.try_get("", "id")?;
        if known.knows(pending_id) {
            taken_known.insert(pending_id);
        } else {
            unknown.extend(decode(&row.try_get::<String>("", "response_ids")?)?);
        }
    }
    let mut counted = known.counted_for(&taken_known);
    counted.merge(&count(&txn, &unknown).await?);
    std::mem::take(&mut counted.totals).apply(&txn, Source::CitizenLink).await?;
    announce(&txn, &counted.received).await?;
    txn.commit().await?;
    // Let the writer go first; the batches' own counts are freed after (see `counted_for`).
    drop(turn);
    Ok(rows.len())
}

/// Queues one `responses.received` event per campaign and unit for the subscriptions that
/// want it, with how many responses were counted.
async fn announce(db: &impl ConnectionTrait, received: &BTreeMap<(Uuid, Uuid), u64>) -> ApiResult<()> {
    let event = EventType::ResponsesReceived;
    let campaigns: BTreeSet<Uuid> = received.keys().map(|(campaign_id, _)| *campaign_id).collect();
    for campaign_id in campaigns {
        let subscribers = subscriptions::recipients(db, event, campaign_id).await?;
        if subscribers.is_empty() {
            continue;
        }
        for (&(_, unit_id), &count) in received.range((campaign_id, Uuid::nil())..=(campaign_id, Uuid::max())) {
            let data = serde_json::json!({"source": "citizen_link", "unit_id": unit_id, "count": count});
            subscriptions::queue(db, &subscribers, event, campaign_id, data).await?;
        }
    }
    Ok(())
}

/// Starts the folder on the current runtime; it runs until the process ends. Every replica
/// runs one.
pub fn spawn_folder(db: DatabaseConnection) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(FOLD_INTERVAL).await;
            fold_backlog(&db).await;
        }
    });
}

/// Folds until a fold finds less than a full load, or fails (the rows stay pending and are
/// tried again at the next interval).
async fn fold_backlog(db: &DatabaseConnection) {
    loop {
        let started = Instant::now();
        match fold(db).await {
            Ok(0) => return,
            Ok(folded) => {
                METRICS.rollup_folded_rows.inc_by(folded as u64);
                METRICS.rollup_fold_seconds.observe(started.elapsed().as_secs_f64());
                if folded < ROWS_PER_FOLD {
                    return;
                }
            }
            Err(err) => {
                METRICS.rollup_fold_failures.inc();
                tracing::warn!(error = %err, "pending responses could not be folded into the totals; retrying shortly");
                return;
            }
        }
    }
}
