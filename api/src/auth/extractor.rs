//! `AuthUser`: the verified bearer token of a request, with role checks.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, http::header, web};
use uuid::Uuid;

use super::{Role, TokenKeys};
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub subject: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
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

    /// Roles that read evaluation data; `unit` is further limited to its own unit.
    pub fn require_reader(&self) -> Result<(), ApiError> {
        self.require(&[Role::Admin, Role::Observer, Role::Reader, Role::Unit])
    }

    /// For the `unit` role, the one unit it may see; `None` means all units.
    pub fn unit_scope(&self) -> Result<Option<Uuid>, ApiError> {
        match (self.role, self.unit_id) {
            (Role::Unit, Some(unit)) => Ok(Some(unit)),
            (Role::Unit, None) => Err(ApiError::Forbidden("this unit account is not linked to a unit".to_owned())),
            _ => Ok(None),
        }
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let keys = req
        .app_data::<web::Data<TokenKeys>>()
        .ok_or_else(|| ApiError::Internal("token keys are not configured".into()))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("send an Authorization: Bearer <token> header".to_owned()))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .ok_or_else(|| ApiError::Unauthorized("the Authorization header must be 'Bearer <token>'".to_owned()))?;
    let claims =
        keys.verify(token.trim()).map_err(|e| ApiError::Unauthorized(format!("the token is not valid: {e}")))?;
    Ok(AuthUser { subject: claims.sub, role: claims.role, unit_id: claims.unit_id })
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}
