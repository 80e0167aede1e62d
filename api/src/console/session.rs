//! Who is signed in to the console: a session per browser, kept in the database (so that any
//! replica knows it and a restart keeps it), named by a random token in an HttpOnly,
//! SameSite=Strict cookie scoped to `/console`. Only the token's SHA-256 is stored.
//!
//! A session ends when its holder signs out, after `PINGYI_CONSOLE_IDLE_MINUTES` without a
//! request, `PINGYI_CONSOLE_MAX_HOURS` after sign-in, and when its account is disabled,
//! deleted, or has its password changed or reset (`services::registry::accounts`).
//!
//! Forms are protected against cross-site requests twice: the cookie is never sent with a
//! request from another site (SameSite=Strict), and every form carries the session's own
//! token, which a request must send back (`csrf_matches`). The sign-in form, before any
//! session, carries a token that must equal one set in a cookie with the form.

use actix_web::HttpRequest;
use chrono::TimeDelta;
use entity::{account, console_session};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set};
use sha2::Digest;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::http::cookies::cookie;

/// The session's cookie.
pub const SESSION_COOKIE: &str = "pingyi_console";
/// The sign-in form's token, before there is a session.
pub const SIGN_IN_COOKIE: &str = "pingyi_console_sign_in";
/// A request within this of the last one does not write the session's time again.
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(30);

/// A signed-in account, as the console's pages act for it.
pub struct SignedIn {
    pub account: account::Model,
    pub session: console_session::Model,
    /// A township's account: the units under its township.
    pub stations: Vec<Uuid>,
}

impl SignedIn {
    /// The principal the service functions check, as a bearer token of the account would be.
    pub fn principal(&self) -> Principal {
        Principal {
            subject: self.account.id.to_string(),
            role: self.account.role,
            unit_id: self.account.unit_id,
            stations: self.stations.clone(),
            scope: None,
        }
    }
}

/// 256 random bits, as 64 hex digits.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

fn hash_of(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// How long a session lasts: while idle, and at most.
fn lifetimes(state: &AppState) -> (TimeDelta, TimeDelta) {
    let of = |d| TimeDelta::from_std(d).unwrap_or(TimeDelta::days(7));
    (of(state.settings.console_idle), of(state.settings.console_max_age))
}

/// Starts a session for `account`; returns the token for its cookie. Sessions that ended
/// unseen (idle or too old, never presented again) are deleted on the way.
pub async fn start(state: &AppState, account: &account::Model) -> ApiResult<String> {
    let db = &state.db;
    let token = random_token();
    let now = crate::store::now();
    let (idle, max_age) = lifetimes(state);
    console_session::Entity::delete_many()
        .filter(
            console_session::Column::LastSeenAt.lt(now - idle).or(console_session::Column::CreatedAt.lt(now - max_age)),
        )
        .exec(db)
        .await?;
    console_session::ActiveModel {
        id: Set(Uuid::new_v4()),
        token_hash: Set(hash_of(&token)),
        account_id: Set(account.id),
        csrf_token: Set(random_token()),
        created_at: Set(now),
        last_seen_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The session the request's cookie names, if it is still open, with its account.
pub async fn current(state: &AppState, req: &HttpRequest) -> ApiResult<Option<SignedIn>> {
    let Some(token) = cookie(req, SESSION_COOKIE) else { return Ok(None) };
    let db = &state.db;
    let Some(session) =
        console_session::Entity::find().filter(console_session::Column::TokenHash.eq(hash_of(&token))).one(db).await?
    else {
        return Ok(None);
    };
    let now = crate::store::now();
    let (idle, max_age) = lifetimes(state);
    let account = account::Entity::find_by_id(session.account_id).one(db).await?;
    let open = now - session.last_seen_at < idle && now - session.created_at < max_age;
    let account = match account {
        Some(account) if open && account.disabled_at.is_none() => account,
        _ => {
            end(db, session.id).await?;
            return Ok(None);
        }
    };
    let session = if now - session.last_seen_at >= TOUCH_EVERY {
        console_session::ActiveModel { id: Set(session.id), last_seen_at: Set(now), ..Default::default() }
            .update(db)
            .await?
    } else {
        session
    };
    let stations = crate::services::registry::units::stations_of(db, &account).await?;
    Ok(Some(SignedIn { account, session, stations }))
}

/// Ends a session (signing out).
pub async fn end(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<()> {
    console_session::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Ends every session of an account (disabled, deleted, password changed or reset).
pub async fn end_all_of(db: &impl ConnectionTrait, account_id: Uuid) -> ApiResult<()> {
    console_session::Entity::delete_many().filter(console_session::Column::AccountId.eq(account_id)).exec(db).await?;
    Ok(())
}

/// Whether a form's token is the one expected, compared in constant time.
pub fn csrf_matches(expected: &str, sent: Option<&str>) -> bool {
    let Some(sent) = sent else { return false };
    expected.len() == sent.len()
        && !expected.is_empty()
        && expected.bytes().zip(sent.bytes()).fold(0_u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

/// A cookie for the console's pages only; `Secure` when the service is reached over HTTPS.
pub fn cookie_header(name: &str, value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict{secure}")
}

/// The same cookie, cleared.
pub fn cleared_cookie_header(name: &str, secure: bool) -> String {
    format!("{}; Max-Age=0", cookie_header(name, "", secure))
}

#[cfg(test)]
mod tests {
    use crate::console::session::*;

    #[test]
    fn only_the_same_token_matches() {
        let token = random_token();
        assert_eq!(token.len(), 64);
        assert!(csrf_matches(&token, Some(&token)));
        assert!(!csrf_matches(&token, Some(&random_token())));
        assert!(!csrf_matches(&token, Some(&token[..63])));
        assert!(!csrf_matches(&token, None));
        assert!(!csrf_matches("", Some("")));
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_over_https() {
        let plain = cookie_header(SESSION_COOKIE, "abc", false);
        assert_eq!(plain, "pingyi_console=abc; Path=/console; HttpOnly; SameSite=Strict");
        assert!(cookie_header(SESSION_COOKIE, "abc", true).ends_with("; Secure"));
        assert!(cleared_cookie_header(SESSION_COOKIE, false).contains("Max-Age=0"));
    }
}
