//! The signed-in principal of a JSON API request: its bearer token, verified, and for an API
//! client, checked against the client table (a disabled client loses access at once).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::app::AppState;
use crate::auth::{Principal, TokenKeys};
use crate::error::ApiError;

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
        Box::pin(async move {
            let keys = keys.ok_or_else(|| ApiError::Internal("token keys are not configured".into()))?;
            let claims =
                keys.verify(&token?).map_err(|e| ApiError::Unauthorized(format!("the token is not valid: {e}")))?;
            let principal =
                Principal { subject: claims.sub, role: claims.role, unit_id: claims.unit_id, scope: claims.scope };
            // A disabled client loses access at once, not when its token expires.
            if let (Some(client_id), Some(state)) = (principal.client_id(), state) {
                crate::services::registry::clients::ensure_active(&state.db, client_id).await?;
            }
            Ok(principal)
        })
    }
}
