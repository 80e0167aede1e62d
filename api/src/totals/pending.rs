//! Citizens' responses stored but not yet counted into the running totals.
//!
//! Counting them into the totals in every group commit would make each commit update
//! hundreds of rows: on PostgreSQL every writer would lock the same rows and wait for the
//! others; on SQLite it would be most of the single writer's work. Instead a batch records the ids
//! of the responses it stored, as one row per campaign in `satisfaction_pending`, with them
//! (so the record is exactly as durable as they are; on SQLite it may also name responses of
//! the batch that were not stored, which count nowhere), and the fold (`fold`) counts them
//! in shortly after.
//!
//! Reports read the totals and the pending records in one statement (`snapshot`) and count
//! the pending responses themselves, so a figure read after a response was acknowledged
//! includes it, folded or not. Stored responses never change their answers, and an
//! exclusion takes a response out of the totals whether it was folded yet or not, so a
//! pending response counts in full, excluded or not.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Statement};
use uuid::Uuid;

use entity::response;

use crate::domain::questionnaire::CheckedAnswer;
use crate::store::answers;
use crate::totals::delta::TotalsDelta;
use crate::totals::pending_counts::PendingCounts;

pub const TABLE: &str = "satisfaction_pending";
/// Responses read per statement; a short list is padded to this length so that every read
/// is the same prepared statement.
const IDS_PER_READ: usize = 128;

/// What pending responses add: to the running totals, and to the `responses.received`
/// events (how many responses per campaign and unit).
#[derive(Clone, Debug, Default)]
pub struct Counted {
    pub totals: TotalsDelta,
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
        self.totals.count_response(row, checked);
        *self.received.entry((row.campaign_id, row.unit_id)).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Counted) {
        self.totals.merge(&other.totals);
        merge_received(&mut self.received, &other.received);
    }
}

/// On PostgreSQL the statement that stores one campaign's responses (`intake::writer`) records
/// them as pending itself, with this clause after a CTE `stored` that returns
/// the stored responses' `id`. Its parameters `$12` and `$13` are the pending row's id and
/// the campaign; the row holds the ids as a JSON array, and none is written if nothing was stored.
pub const RECORD_STORED: &str = "recorded AS (INSERT INTO satisfaction_pending (id, campaign_id, response_ids) \
     SELECT $12::uuid, $13::uuid, json_agg(id)::text FROM stored HAVING COUNT(*) > 0)";

/// SQLite (on PostgreSQL `RECORD_STORED` does it): the statement, run in the batch's
/// transaction just before its INSERTs, that records as the pending row `pending_id` those of
/// the batch's responses (`response_ids`) not stored yet, if any. Run in the same call as the
/// INSERTs (`intake::writer`), it cannot read what they return; but the transaction holds SQLite's
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

/// Remembers in `counts` what the pending row `pending_id`, just written with `responses`,
/// adds, so that this app's fold need not read them back.
pub fn remember(counts: &PendingCounts, pending_id: Uuid, responses: &[(&response::Model, &[CheckedAnswer])]) {
    if !responses.is_empty() {
        counts.remember(pending_id, Counted::of(responses));
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

/// Adds the responses counted per campaign and unit in `from` to `into`.
pub fn merge_received(into: &mut BTreeMap<(Uuid, Uuid), u64>, from: &BTreeMap<(Uuid, Uuid), u64>) {
    for (&key, &count) in from {
        *into.entry(key).or_default() += count;
    }
}
