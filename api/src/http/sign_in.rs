//! Signing in with a password, as the token endpoint and the console both do: held back by
//! the throttle (`auth::login_throttle`) before the password is checked, and counted after.

use actix_web::HttpRequest;
use entity::account;

use crate::app::AppState;
use crate::auth::login_throttle::Source;
use crate::error::{ApiError, ApiResult};
use crate::http::client_address::client_ip;
use crate::services::registry::accounts;

/// The account `username` names if `password` is its password, else why not: 401, or 429
/// with the wait while the throttle holds this account or address.
pub async fn sign_in(state: &AppState, req: &HttpRequest, username: &str, password: &str) -> ApiResult<account::Model> {
    let source = client_ip(req, &state.settings.trusted_proxies).map(Source::from);
    if let Some(source) = source
        && let Err(wait) = state.login_throttle.attempt(username, source)
    {
        return Err(ApiError::TooManyRequests {
            detail: "too many failed sign-ins; wait before trying again".to_owned(),
            retry_after_seconds: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        });
    }
    let signed_in = accounts::authenticate(&state.db, username, password).await;
    if let Some(source) = source {
        match &signed_in {
            Ok(_) => state.login_throttle.succeeded(username, source),
            Err(ApiError::Unauthorized(_)) => {} // counted already
            Err(_) => state.login_throttle.not_a_guess(username, source),
        }
    }
    signed_in
}
