//! One Pingyi app: its state, its HTTP server and its background jobs, built by one function
//! that `main`, the tests and the OpenAPI writer all use.

mod jobs;
mod server;
mod state;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::dev::Server;

pub use jobs::{Jobs, RunningJobs};
pub use server::openapi;
pub use state::{AppState, State};

use crate::auth::login_throttle::LoginThrottle;
use crate::config::Settings;
use crate::intake::link_cache::CHECK_INTERVAL;
use crate::intake::{Intake, IntakeParts};
use crate::services::integrity::burst_watch::BurstWatch;
use crate::services::integrity::codes::{SpendKey, SpendKeyError};
use crate::store::connect;
use crate::store::link_changes::LinkChanges;
use crate::store::log_sync::LogSync;
use crate::store::write_turn::WriteTurns;
use crate::totals::pending_counts::PendingCounts;
use crate::totals::reports::Reports;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    SpendKey(#[from] SpendKeyError),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
}

pub struct Application {
    server: Server,
    port: u16,
    jobs: Arc<Jobs>,
    running: RunningJobs,
    draining: Arc<AtomicBool>,
    drain: Duration,
}

/// What the app was told to do by the signal it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// SIGINT (a person at a terminal): stop now.
    Now,
    /// SIGTERM (a process manager, a rolling restart): drain, then stop.
    AfterDraining,
}

/// The next SIGINT or SIGTERM. Where a signal cannot be watched, never.
async fn stop_signal() -> Stop {
    let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(terminate) => terminate,
        Err(err) => {
            tracing::warn!(error = %err, "SIGTERM cannot be watched; stop with SIGINT");
            return match tokio::signal::ctrl_c().await {
                Ok(()) => Stop::Now,
                Err(_) => std::future::pending().await,
            };
        }
    };
    tokio::select! {
        Ok(()) = tokio::signal::ctrl_c() => Stop::Now,
        Some(()) = terminate.recv() => Stop::AfterDraining,
        else => std::future::pending().await,
    }
}

impl Application {
    /// Connects, migrates, starts the background jobs and binds. `PINGYI_BIND` may use port
    /// 0 (tests do).
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = connect::connect(&settings.database_url, settings.db_max_connections).await?;
        connect::migrate(&db).await?;
        let spend_key = SpendKey::derive(&settings.jwt_secret);
        spend_key.check(&db).await?;
        let writer = connect::connect_writer(&settings.database_url, &db).await?;
        let turns = WriteTurns::for_backend(db.get_database_backend());
        let pending_counts = Arc::new(PendingCounts::default());
        let link_changes = Arc::new(LinkChanges::default());
        let bursts = Arc::new(BurstWatch::default());
        let jobs = Arc::new(Jobs::new(
            &db,
            &writer,
            &turns,
            &pending_counts,
            settings.webhooks.clone(),
            &bursts,
            jobs::Reminders {
                days: settings.documents.reminder_days,
                mail: settings.smtp.clone().map(|smtp| (smtp, settings.public_url.clone())),
            },
        ));
        let intake = Intake::start(IntakeParts {
            log_sync: LogSync::for_database(&writer).await?,
            writer,
            turns,
            pending_counts,
            link_changes: link_changes.clone(),
            link_check_interval: CHECK_INTERVAL,
            spend_key: spend_key.clone(),
        });
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|source| StartupError::Bind { address: settings.bind.clone(), source })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address: settings.bind.clone(), source })?
            .port();
        let state = AppState {
            db,
            settings,
            intake,
            reports: Reports::default(),
            link_changes,
            spend_key,
            bursts,
            login_throttle: LoginThrottle::default(),
            draining: Arc::new(AtomicBool::new(false)),
        };
        let (draining, drain) = (state.draining.clone(), state.settings.shutdown_drain);
        let server = server::serve(listener, state)
            .map_err(|source| StartupError::Bind { address: format!("port {port}"), source })?;
        let running = jobs.clone().start();
        Ok(Self { server, port, jobs, running, draining, drain })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The app's background jobs, to run one round of any of them now (tests do).
    pub fn jobs(&self) -> Arc<Jobs> {
        self.jobs.clone()
    }

    /// Runs until SIGINT or SIGTERM. On SIGTERM the app first drains for
    /// `PINGYI_SHUTDOWN_DRAIN_SECONDS`: `/readyz` answers 503, so that a load balancer sends
    /// new requests elsewhere, while whatever still arrives is served. Then (at once on SIGINT)
    /// it stops the background jobs, letting a round in progress end, stops taking
    /// connections, and finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let mut serving = tokio::spawn(self.server);
        let stop = tokio::select! {
            served = &mut serving => {
                self.running.stop().await;
                return served.map_err(std::io::Error::other)?;
            }
            stop = stop_signal() => stop,
        };
        if stop == Stop::AfterDraining && !self.drain.is_zero() {
            self.draining.store(true, Ordering::SeqCst);
            tracing::info!(seconds = self.drain.as_secs(), "draining before stopping");
            tokio::time::sleep(self.drain).await;
        }
        // The jobs stop first: the database connections the request threads opened end with
        // those threads, and a job round using one then would fail half done. What they
        // leave is kept in the database for the next start or another replica.
        self.running.stop().await;
        handle.stop(true).await;
        serving.await.map_err(std::io::Error::other)?
    }
}
