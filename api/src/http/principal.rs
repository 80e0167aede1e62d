//! `AuthUser`: the verified bearer token of a request, with role and scope checks.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Role, Scope, TokenKeys};
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub subject: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    /// API clients only: the campaigns (and units) they may touch.
    pub scope: Option<Scope>,
}

impl AuthUser {
    /// Refuses with 403 unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("the {} role may not do this", self.role.as_str())))
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require(&[Role::Admin])
    }

    /// Roles that read evaluation data; `unit` is further limited to its own unit and
    /// API clients to their campaigns.
    pub fn require_reader(&self) -> Result<(), ApiError> {
        self.require(&[Role::Admin, Role::Observer, Role::Reader, Role::Unit, Role::Approver])
    }

    /// For the `unit` role, the one unit it may see; `None` means all units.
    pub fn unit_scope(&self) -> Result<Option<Uuid>, ApiError> {
        match (self.role, self.unit_id) {
            (Role::Unit, Some(unit)) => Ok(Some(unit)),
            (Role::Unit, None) => Err(ApiError::Forbidden("this unit account is not linked to a unit".to_owned())),
            _ => Ok(None),
        }
    }

    /// API clients may touch only the campaigns of their scope.
    pub fn require_campaign(&self, campaign_id: Uuid) -> Result<(), ApiError> {
        match &self.scope {
            Some(scope) if !scope.campaigns.contains(&campaign_id) => {
                Err(ApiError::Forbidden("this client may not touch that campaign".to_owned()))
            }
            _ => Ok(()),
        }
    }

    /// Pollsters limited to some units may push for those only.
    pub fn require_unit(&self, unit_id: Uuid) -> Result<(), ApiError> {
        match self.scope.as_ref().and_then(|s| s.units.as_ref()) {
            Some(units) if !units.contains(&unit_id) => {
                Err(ApiError::Forbidden(format!("this client may not push for unit {unit_id}")))
            }
            _ => Ok(()),
        }
    }

    /// The API client id, for client tokens.
    pub fn client_id(&self) -> Option<Uuid> {
        self.scope.as_ref().and_then(|_| self.subject.parse().ok())
    }
}

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

impl FromRequest for AuthUser {
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
            let user =
                AuthUser { subject: claims.sub, role: claims.role, unit_id: claims.unit_id, scope: claims.scope };
            // A disabled client loses access at once, not when its token expires.
            if let (Some(client_id), Some(state)) = (user.client_id(), state) {
                crate::services::registry::clients::ensure_active(&state.db, client_id).await?;
            }
            Ok(user)
        })
    }
}
