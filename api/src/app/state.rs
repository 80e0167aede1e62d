//! What every handler of one app may reach. Everything an app keeps between requests lives
//! here or in what it holds, so that two apps in one process (every test binary) share
//! nothing.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use actix_web::web;
use sea_orm::DatabaseConnection;

use crate::auth::login_throttle::LoginThrottle;
use crate::config::Settings;
use crate::intake::Intake;
use crate::services::integrity::burst_watch::BurstWatch;
use crate::services::integrity::codes::SpendKey;
use crate::store::link_changes::LinkChanges;
use crate::totals::reports::Reports;

pub struct AppState {
    /// The shared pool of connections.
    pub db: DatabaseConnection,
    pub settings: Settings,
    /// The citizens' write path: link cache, ballot controls, daily cap, group-commit writer.
    pub intake: Intake,
    /// The totals and reports this app has read and computed, kept while they are current.
    pub reports: Reports,
    /// Changes this app made that its link cache must see at once.
    pub link_changes: Arc<LinkChanges>,
    /// Makes the tags that record single-use codes as spent (see `services::integrity::codes`).
    pub spend_key: SpendKey,
    /// The last burst check of each campaign taking answers (shared with the background job).
    pub bursts: Arc<BurstWatch>,
    /// Failed sign-ins, to slow password guessing down.
    pub login_throttle: LoginThrottle,
    /// Set when the app has been told to stop and is draining: `/readyz` answers 503.
    pub draining: Arc<AtomicBool>,
}

pub type State = web::Data<AppState>;
