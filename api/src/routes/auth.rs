//! Exchanging credentials for an access token.

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::WriteErrors;
use crate::auth::{Role, TokenKeys};
use crate::error::{ApiError, ApiResult};
use crate::services::accounts;
use crate::startup::State;
use crate::validation::ValidJson;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(issue_token);
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// An account's username and password.
    Password,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grant_type": "password", "username": "admin", "password": "a long passphrase"}))]
pub struct TokenRequest {
    pub grant_type: GrantType,
    #[validate(length(min = 1, max = 64))]
    pub username: String,
    #[validate(length(min = 1, max = 200))]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiJ9…", "token_type": "Bearer", "expires_in": 900, "role": "admin"}))]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
    pub role: Role,
}

/// Exchange credentials for a short-lived bearer token (HS256 JWT).
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses((status = 200, body = TokenResponse), WriteErrors)
)]
#[post("/auth/token")]
pub async fn issue_token(
    state: State,
    keys: web::Data<TokenKeys>,
    body: ValidJson<TokenRequest>,
) -> ApiResult<HttpResponse> {
    let request = body.0;
    let account = match request.grant_type {
        GrantType::Password => accounts::authenticate(&state.db, &request.username, &request.password).await?,
    };
    let role = Role::parse(&account.role).ok_or_else(|| ApiError::Internal("account with an unknown role".into()))?;
    let token = keys.issue(account.id, role, account.unit_id).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: keys.ttl_seconds,
        role,
    }))
}
