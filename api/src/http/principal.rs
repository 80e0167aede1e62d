//! The signed-in principal of a JSON API request: its bearer token, verified, and checked
//! against the account or client it names (a deleted or disabled account or client, or an
//! account whose password changed since, loses access at once). An account whose password
//! an admin reset may only choose a new one.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::app::AppState;
use crate::auth::{Principal, TokenKeys};
use crate::error::ApiError;
use crate::services::registry::accounts;

/// The one request an account whose password was reset may make.
pub const CHANGE_PASSWORD: &str = "/api/v1/auth/password";

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("send an Authorization: Bearer <token> header".to_owned()))?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned())
        .ok_or_else(|| ApiError::Unauthorized("the Authorization header must be 'Bearer <token>'".to_owned()))
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let keys = req.app_data::<web::Data<TokenKeys>>().cloned();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        let path = req.path().to_owned();
        Box::pin(async move {
            let keys = keys.ok_or_else(|| ApiError::Internal("token keys are not configured".into()))?;
            let claims =
                keys.verify(&token?).map_err(|e| ApiError::Unauthorized(format!("the token is not valid: {e}")))?;
            let generation = claims.generation;
            let mut principal = Principal {
                subject: claims.sub,
                role: claims.role,
                unit_id: claims.unit_id,
                stations: Vec::new(),
                scope: claims.scope,
            };
            let state = state.ok_or_else(|| ApiError::Internal("the app state is not configured".into()))?;
            if let Some(client_id) = principal.client_id() {
                crate::services::registry::clients::ensure_active(&state.db, client_id).await?;
            } else if let Some(account_id) = principal.account_id() {
                let account = accounts::check_token(&state.db, account_id, generation).await?;
                if account.must_change_password && path != CHANGE_PASSWORD {
                    return Err(ApiError::Forbidden(format!(
                        "this account's password was reset: choose a new one first (POST {CHANGE_PASSWORD})"
                    )));
                }
                (principal.role, principal.unit_id) = (account.role, account.unit_id);
                principal.stations = crate::services::registry::units::stations_of(&state.db, &account).await?;
            } else {
                return Err(ApiError::Unauthorized("the token names no account or client".to_owned()));
            }
            Ok(principal)
        })
    }
}
