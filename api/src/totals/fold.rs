//! The fold: counting pending responses (`pending`) into the running totals.
//!
//! A fold deletes the pending rows it takes and writes the totals they add in one
//! transaction, so each pending row is folded once, whichever replica folds it, and a crash
//! in between loses nothing. It upserts each total its responses touch once, however many
//! responses that is; on SQLite it takes the write turn for that, and every citizen in
//! flight waits meanwhile. So it adds up the totals of the batches this app recorded before
//! it takes its turn, and inside only writes them, unless another writer changed the totals
//! in between (then it adds up again).
//!
//! The fold also queues the `responses.received` webhook events, one per campaign and unit
//! with the number of responses it counted, in the same transaction: an event is thus sent
//! once per response, within a fold interval of its acknowledgement, and the write path
//! need not read the subscriptions for every batch.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use uuid::Uuid;

use crate::domain::vocabulary::Source;
use crate::error::ApiResult;
use crate::metrics::METRICS;
use crate::store::write_turn::{Holder, WriteTurns};
use crate::totals::delta::TotalsDelta;
use crate::totals::packed;
use crate::totals::pending::{TABLE, count, decode, merge_received};
use crate::totals::pending_counts::{PendingCounts, Recorded};
use crate::totals::summed::SummedTotals;
use crate::webhooks::{EventType, outbox};

/// How often pending responses are folded into the totals: at most what a report counts itself.
pub const FOLD_INTERVAL: Duration = Duration::from_millis(200);
/// Most pending rows (batches) one fold takes, to keep its transaction short after a backlog.
/// A fold writes every total its responses touch once, however many responses that is, and
/// an interval's batches touch mostly the same totals: the more batches one fold takes, the
/// fewer totals it writes per response.
const ROWS_PER_FOLD: usize = 512;

/// One app's fold: the connection it writes through (on SQLite the response writer's), the
/// write turns it takes there, and what the app's own pending batches add.
pub struct Fold {
    db: DatabaseConnection,
    turns: Arc<WriteTurns>,
    counts: Arc<PendingCounts>,
}

impl Fold {
    pub fn new(db: DatabaseConnection, turns: Arc<WriteTurns>, counts: Arc<PendingCounts>) -> Self {
        Self { db, turns, counts }
    }

    /// Counts pending rows into the totals and announces their responses: those this app
    /// recorded and up to `ROWS_PER_FOLD` others; returns how many rows it folded. If it
    /// fails, the rows stay pending and what this app knew of them is forgotten: the next
    /// fold reads their responses back.
    pub async fn once(&self) -> ApiResult<usize> {
        let db = &self.db;
        let mut known = KnownBatches::default();
        known.take_recorded(&self.counts);
        let prepared = Prepared::sum(db, &known).await?;
        let turn = self.turns.take(Holder::Fold).await;
        known.take_recorded(&self.counts); // the batches written since the fold began
        let txn = crate::store::begin_write(db).await?;
        let taken = take_rows(&txn, &prepared.ids, &known).await?;
        let unknown = count(&txn, &taken.unknown_responses).await?;
        let mut received = known.received(&taken.known);
        merge_received(&mut received, &unknown.received);
        let totals = totals_to_write(&txn, prepared, &known, &taken, unknown.totals).await?;
        totals.write(&txn, Source::CitizenLink).await?;
        announce(&txn, &received).await?;
        txn.commit().await?;
        // Let the writer go first: freeing the batches' maps is no work it need wait for.
        drop(turn);
        known.put_back_all_but(&taken.known, &self.counts);
        Ok(taken.count)
    }

    /// Folds until a fold finds less than a full load (a backlog takes several), or one fails
    /// (the rows stay pending and are tried again at the next interval). Returns how many
    /// rows were folded.
    pub async fn all(&self) -> usize {
        let mut total = 0;
        loop {
            let started = Instant::now();
            match self.once().await {
                Ok(0) => return total,
                Ok(folded) => {
                    total += folded;
                    METRICS.folded_batches.inc_by(folded as u64);
                    METRICS.fold_seconds.observe(started.elapsed().as_secs_f64());
                    if folded < ROWS_PER_FOLD {
                        return total;
                    }
                }
                Err(err) => {
                    METRICS.fold_failures.inc();
                    tracing::warn!(error = %err, "pending responses could not be folded into the totals; retrying shortly");
                    return total;
                }
            }
        }
    }
}

/// The batches this app recorded as pending (see `pending_counts`).
#[derive(Default)]
struct KnownBatches {
    each: HashMap<Uuid, Recorded>,
}

impl KnownBatches {
    /// Takes what was recorded since the last call.
    fn take_recorded(&mut self, counts: &PendingCounts) {
        self.each.extend(counts.take_all());
    }

    fn knows(&self, pending_id: Uuid) -> bool {
        self.each.contains_key(&pending_id)
    }

    /// What the batches `ids` add to the totals, merged.
    fn totals<'a>(&self, ids: impl IntoIterator<Item = &'a Uuid>) -> TotalsDelta {
        let mut totals = TotalsDelta::default();
        for entry in ids.into_iter().filter_map(|pending_id| self.each.get(pending_id)) {
            totals.merge(&entry.counted.totals);
        }
        totals
    }

    /// How many responses per campaign and unit the batches `ids` hold.
    fn received(&self, ids: &HashSet<Uuid>) -> BTreeMap<(Uuid, Uuid), u64> {
        let mut received = BTreeMap::new();
        for entry in ids.iter().filter_map(|pending_id| self.each.get(pending_id)) {
            merge_received(&mut received, &entry.counted.received);
        }
        received
    }

    /// Puts back, for a later fold, the entries of rows this fold did not take (a batch not
    /// committed yet, or folded by another replica) while they are young (see
    /// `pending_counts::put_back`).
    fn put_back_all_but(self, taken: &HashSet<Uuid>, counts: &PendingCounts) {
        for (pending_id, entry) in self.each {
            if !taken.contains(&pending_id) {
                counts.put_back(pending_id, entry);
            }
        }
    }
}

/// What the batches this app knew of when a fold began add to the stored totals, added
/// up before the fold's write turn.
struct Prepared {
    ids: HashSet<Uuid>,
    totals: SummedTotals,
}

impl Prepared {
    /// Reads on `db`, the fold's connection (on SQLite the response writer's too: the only one
    /// that writes, so its page cache holds what the last fold wrote; read through a
    /// connection of its own, the rows would also take memory on that connection's thread).
    async fn sum(db: &DatabaseConnection, known: &KnownBatches) -> Result<Self, DbErr> {
        let ids = pending_among(db, known.each.keys().copied()).await?;
        let delta = known.totals(&ids);
        Ok(Self { totals: SummedTotals::read(db, Source::CitizenLink, delta).await?, ids })
    }
}

/// Those of `ids` that are pending rows in this database. A batch this app recorded may not
/// be: not committed yet, or folded by another replica; prepared sums that counted it could
/// not be used.
async fn pending_among(db: &DatabaseConnection, ids: impl Iterator<Item = Uuid>) -> Result<HashSet<Uuid>, DbErr> {
    let ids: Vec<Uuid> = ids.collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let query = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new("id")).is_in(padded(ids)))
        .to_owned();
    db.query_all(&query).await?.iter().map(|row| row.try_get("", "id")).collect()
}

/// `ids` padded with the nil id (never a pending row's) to the next power of two: a fold
/// lists a different number of batches each time, and on SQLite its statements share the
/// response writer's connection, whose cache of prepared statements (`store::connect::STATEMENT_CACHE`)
/// would otherwise take a new one for every count, crowding out the batches' own.
fn padded(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.resize(ids.len().next_power_of_two(), Uuid::nil());
    ids
}

/// The pending rows a fold took: those this app knows, and the responses of the others.
#[derive(Default)]
struct TakenRows {
    known: HashSet<Uuid>,
    unknown_responses: Vec<Uuid>,
    count: usize,
}

/// Deletes and returns the pending rows `prepared` and up to `ROWS_PER_FOLD` others (batches
/// recorded since, by another replica, or before a restart). A concurrent fold that took
/// some of them first leaves nothing for this DELETE to return.
async fn take_rows(
    txn: &impl ConnectionTrait,
    prepared: &HashSet<Uuid>,
    known: &KnownBatches,
) -> Result<TakenRows, DbErr> {
    let id = || Expr::col(Alias::new("id"));
    let others =
        Query::select().column(Alias::new("id")).from(Alias::new(TABLE)).limit(ROWS_PER_FOLD as u64).to_owned();
    let delete = Query::delete()
        .from_table(Alias::new(TABLE))
        .cond_where(
            Cond::any().add(id().is_in(padded(prepared.iter().copied().collect()))).add(id().in_subquery(others)),
        )
        .returning(Query::returning().columns([Alias::new("id"), Alias::new("response_ids")]))
        .to_owned();
    let mut taken = TakenRows::default();
    for row in txn.query_all(&delete).await? {
        let pending_id: Uuid = row.try_get("", "id")?;
        taken.count += 1;
        if known.knows(pending_id) {
            taken.known.insert(pending_id);
        } else {
            taken.unknown_responses.extend(decode(&row.try_get::<String>("", "response_ids")?)?);
        }
    }
    Ok(taken)
}

/// The totals with the rows `taken` added: the prepared sums plus the batches taken besides,
/// if every prepared row was taken and no other writer changed the totals since they were
/// read; else summed again from what is stored now. Takes `packed::lock` for them.
async fn totals_to_write(
    txn: &impl ConnectionTrait,
    prepared: Prepared,
    known: &KnownBatches,
    taken: &TakenRows,
    unknown: TotalsDelta,
) -> Result<SummedTotals, DbErr> {
    let mut besides = known.totals(taken.known.difference(&prepared.ids));
    besides.merge(&unknown);
    let mut campaigns = prepared.totals.campaigns();
    campaigns.extend(besides.campaigns());
    packed::lock(txn, &campaigns).await?;
    let all_taken = prepared.ids.is_subset(&taken.known);
    if all_taken && prepared.totals.is_current(txn).await? {
        let mut totals = prepared.totals;
        totals.add(txn, Source::CitizenLink, besides).await?;
        return Ok(totals);
    }
    besides.merge(&known.totals(taken.known.intersection(&prepared.ids)));
    let mut totals = SummedTotals::default();
    totals.add(txn, Source::CitizenLink, besides).await?;
    Ok(totals)
}

/// Queues one `responses.received` event per campaign and unit for the subscriptions that
/// want it, with how many responses were counted.
async fn announce(db: &impl ConnectionTrait, received: &BTreeMap<(Uuid, Uuid), u64>) -> ApiResult<()> {
    let event = EventType::ResponsesReceived;
    let campaigns: BTreeSet<Uuid> = received.keys().map(|(campaign_id, _)| *campaign_id).collect();
    for campaign_id in campaigns {
        let subscribers = outbox::recipients(db, event, campaign_id).await?;
        if subscribers.is_empty() {
            continue;
        }
        for (&(_, unit_id), &count) in received.range((campaign_id, Uuid::nil())..=(campaign_id, Uuid::max())) {
            let data = serde_json::json!({"source": "citizen_link", "unit_id": unit_id, "count": count});
            outbox::queue(db, &subscribers, event, campaign_id, data).await?;
        }
    }
    Ok(())
}
