//! An app's background jobs, in one place: what each does, how often, and how they start and
//! stop. Each job is also a method that runs one round now, which is what the loops call and
//! what tests call to move a job forward without waiting for its clock.
//!
//! - the fold counts pending responses into the running totals (`totals::fold`);
//! - on SQLite, the log copy keeps the write-ahead log short beside the writer
//!   (`store::checkpoints`);
//! - webhook delivery sends what the outbox holds (`webhooks::delivery`);
//! - the overdue check announces rectification measures past their deadline;
//! - the reminder check announces deliverables due soon and overdue, once per unit
//!   (`services::evaluation::deliverables`);
//! - the burst check looks for suspicious bursts in the campaigns taking answers
//!   (`services::integrity::burst_watch`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::ApiResult;
use crate::mail::smtp::SmtpSettings;
use crate::services::evaluation::{deliverables, rectification, reminder_mail};
use crate::services::integrity::burst_watch::{self, BurstWatch};
use crate::store::checkpoints;
use crate::store::write_turn::WriteTurns;
use crate::totals::fold::{FOLD_INTERVAL, Fold};
use crate::totals::pending_counts::PendingCounts;
use crate::webhooks::WebhookSettings;
use crate::webhooks::delivery::{self, Deliverer};

/// How often measures past their deadline are looked for.
const OVERDUE_CHECK_INTERVAL: Duration = Duration::from_secs(2);
/// How often deliverables owed are looked for: their dates are days, so a minute is prompt.
const REMINDER_CHECK_INTERVAL: Duration = Duration::from_secs(60);

pub struct Jobs {
    db: DatabaseConnection,
    turns: Arc<WriteTurns>,
    fold: Fold,
    /// `None` when no HTTP client could be built: webhooks are then off (logged at start).
    deliverer: Option<Deliverer>,
    bursts: Arc<BurstWatch>,
    reminders: Reminders,
}

/// How deliverable reminders go out.
#[derive(Debug, Clone, Default)]
pub struct Reminders {
    /// How many days before a due date `deliverable.due_soon` goes out.
    pub days: i64,
    /// The relay reminder digests are mailed through, and the console's address they give.
    pub mail: Option<(SmtpSettings, String)>,
}

impl Jobs {
    /// The jobs of an app on the shared pool `db` and the response writer's connection
    /// `writer`, taking the app's write turns and counting its pending batches.
    pub fn new(
        db: &DatabaseConnection,
        writer: &DatabaseConnection,
        turns: &Arc<WriteTurns>,
        pending_counts: &Arc<PendingCounts>,
        webhooks: WebhookSettings,
        bursts: &Arc<BurstWatch>,
        reminders: Reminders,
    ) -> Self {
        let deliverer = Deliverer::new(webhooks)
            .inspect_err(|err| tracing::error!(error = %err, "the webhook client could not be built; webhooks are off"))
            .ok();
        Self {
            db: db.clone(),
            turns: turns.clone(),
            fold: Fold::new(writer.clone(), turns.clone(), pending_counts.clone()),
            deliverer,
            bursts: bursts.clone(),
            reminders,
        }
    }

    /// Folds every response pending now into the running totals; returns how many pending
    /// rows (batches) were folded.
    pub async fn fold(&self) -> usize {
        self.fold.all().await
    }

    /// On SQLite, copies the write-ahead log into the database file, and past a length has
    /// it start again; on PostgreSQL nothing.
    pub async fn copy_log(&self) -> Result<(), DbErr> {
        checkpoints::copy_log(&self.db, &self.turns).await
    }

    /// Sends the webhook deliveries due now; returns how many were sent.
    pub async fn deliver_webhooks(&self) -> Result<usize, DbErr> {
        match &self.deliverer {
            Some(deliverer) => deliverer.deliver_due(&self.db).await,
            None => Ok(0),
        }
    }

    /// Announces the measures that passed their deadline unfinished, each once; returns how
    /// many were announced.
    pub async fn check_overdue_measures(&self) -> ApiResult<usize> {
        rectification::notify_overdue(&self.db).await
    }

    /// Sends the deliverable reminders due now, each once, and mails them as digests when a
    /// relay is configured; returns how many reminders went out.
    pub async fn send_reminders(&self) -> ApiResult<usize> {
        let sent = deliverables::send_reminders(&self.db, self.reminders.days).await?;
        self.mail_reminders().await?;
        Ok(sent)
    }

    /// Mails the reminders not yet mailed, a digest per account; returns how many digests.
    pub async fn mail_reminders(&self) -> ApiResult<usize> {
        match &self.reminders.mail {
            Some((smtp, public_url)) => {
                reminder_mail::send_digests(&self.db, smtp, public_url, self.reminders.days).await
            }
            None => Ok(0),
        }
    }

    /// Looks for bursts in every campaign taking answers; returns how many were checked.
    pub async fn check_bursts(&self) -> ApiResult<usize> {
        self.bursts.check_open_campaigns(&self.db).await
    }

    /// The write turns the app's writers take on SQLite (tests hold the turn to make a fold
    /// wait).
    pub fn write_turns(&self) -> Arc<WriteTurns> {
        self.turns.clone()
    }

    /// Starts every job's loop on the current runtime; they run until `stop`.
    pub fn start(self: Arc<Self>) -> RunningJobs {
        let token = CancellationToken::new();
        let every = |interval: Duration, round: fn(Arc<Jobs>) -> JobRound| {
            let (jobs, token) = (self.clone(), token.clone());
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        () = token.cancelled() => return,
                        () = tokio::time::sleep(interval) => {}
                    }
                    round(jobs.clone()).await;
                }
            })
        };
        let handles = vec![
            every(FOLD_INTERVAL, |jobs| {
                Box::pin(async move {
                    jobs.fold().await;
                })
            }),
            every(checkpoints::INTERVAL, |jobs| {
                Box::pin(async move {
                    if let Err(err) = jobs.copy_log().await {
                        tracing::warn!(error = %err, "the write-ahead log could not be copied; retrying shortly");
                    }
                })
            }),
            every(delivery::POLL, |jobs| {
                Box::pin(async move {
                    if let Err(err) = jobs.deliver_webhooks().await {
                        tracing::warn!(error = %err, "a round of webhook deliveries failed; retrying shortly");
                    }
                })
            }),
            every(OVERDUE_CHECK_INTERVAL, |jobs| {
                Box::pin(async move {
                    if let Err(err) = jobs.check_overdue_measures().await {
                        tracing::warn!(error = %err, "the overdue check failed; retrying shortly");
                    }
                })
            }),
            every(REMINDER_CHECK_INTERVAL, |jobs| {
                Box::pin(async move {
                    if let Err(err) = jobs.send_reminders().await {
                        tracing::warn!(error = %err, "the reminder check failed; retrying shortly");
                    }
                })
            }),
            every(burst_watch::CHECK_INTERVAL, |jobs| {
                Box::pin(async move {
                    if let Err(err) = jobs.check_bursts().await {
                        tracing::warn!(error = %err, "the burst check failed; it runs again at its next round");
                    }
                })
            }),
        ];
        RunningJobs { token, handles }
    }
}

/// One round of a job, as a loop runs it.
type JobRound = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// The loops of an app's jobs, while they run.
pub struct RunningJobs {
    token: CancellationToken,
    handles: Vec<JoinHandle<()>>,
}

impl RunningJobs {
    /// Stops every loop between rounds: a round in progress ends first.
    pub async fn stop(self) {
        self.token.cancel();
        for handle in self.handles {
            if let Err(err) = handle.await {
                tracing::warn!(error = %err, "a background job ended abnormally");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Started jobs stop when asked, on both kinds of database connection.
    #[tokio::test]
    async fn started_jobs_stop_when_asked() -> Result<(), DbErr> {
        let dir = std::env::temp_dir().join(format!("pingyi-jobs-{}", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite://{}/pingyi.db?mode=rwc", dir.display());
        let db = crate::store::connect::connect(&url, 2).await?;
        crate::store::connect::migrate(&db).await?;
        let writer = crate::store::connect::connect_writer(&url, &db).await?;
        let turns = WriteTurns::for_backend(db.get_database_backend());
        let counts = Arc::new(PendingCounts::default());
        let bursts = Arc::new(BurstWatch::default());
        let jobs = Arc::new(Jobs::new(
            &db,
            &writer,
            &turns,
            &counts,
            WebhookSettings::default(),
            &bursts,
            Reminders::default(),
        ));
        assert_eq!(jobs.fold().await, 0, "nothing is pending in a new database");
        let running = jobs.start();
        let stopped = tokio::time::timeout(Duration::from_secs(30), running.stop()).await;
        assert!(stopped.is_ok(), "the jobs did not stop");
        std::fs::remove_dir_all(&dir).ok();
        Ok(())
    }
}
