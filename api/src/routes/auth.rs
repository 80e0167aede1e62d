//! Exchanging credentials for an access token: an account's password (throttled: see
//! `auth::login_throttle`), or an API client's id and secret (OAuth 2.0 client-credentials
//! style), as JSON or form-encoded bodies; and changing one's own password.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::app::State;
use crate::auth::Principal;
use crate::auth::{Role, TokenKeys};
use crate::error::{ApiError, ApiResult};
use crate::http::BODY_LIMIT;
use crate::http::json::ValidJson;
use crate::http::json::{parse_valid_json, read_body};
use crate::http::responses::WriteErrors;
use crate::services::registry::accounts::PasswordChange;
use crate::services::registry::{accounts, clients};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(issue_token).service(change_password);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case", deny_unknown_fields)]
#[schema(example = json!({"grant_type": "password", "username": "admin", "password": "a long passphrase"}))]
pub enum TokenRequest {
    /// An account of the office, an observer or a unit.
    Password { username: String, password: String },
    /// An API client (pollster or reader).
    ClientCredentials { client_id: Uuid, client_secret: String },
}

impl Validate for TokenRequest {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        let mut errors = validator::ValidationErrors::new();
        let mut check = |field: &'static str, value: &str, max: usize| {
            if value.is_empty() || value.chars().count() > max {
                errors.add(
                    field,
                    validator::ValidationError::new("length")
                        .with_message(format!("must be 1 to {max} characters").into()),
                );
            }
        };
        match self {
            Self::Password { username, password } => {
                check("username", username, 64);
                check("password", password, 200);
            }
            Self::ClientCredentials { client_secret, .. } => check("client_secret", client_secret, 200),
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
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

fn read(req: &HttpRequest, body: &[u8]) -> ApiResult<TokenRequest> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if form {
        crate::http::clean_text::check_form(body)?;
        let request: TokenRequest =
            serde_urlencoded::from_bytes(body).map_err(|e| ApiError::invalid("body", e.to_string()))?;
        request.validate()?;
        Ok(request)
    } else {
        parse_valid_json(body)
    }
}

/// Exchange credentials for a short-lived bearer token (HS256 JWT). Client tokens carry
/// the client's scope (campaigns, and units for pollsters).
#[utoipa::path(
    tag = "auth",
    request_body(content(
        (TokenRequest = "application/json"),
        (TokenRequest = "application/x-www-form-urlencoded")
    )),
    responses(
        (status = 200, body = TokenResponse),
        (status = 429, description = "Too many failed sign-ins from this address or for this account; see Retry-After", content_type = "application/problem+json"),
        WriteErrors
    )
)]
#[post("/auth/token")]
pub async fn issue_token(
    state: State,
    keys: web::Data<TokenKeys>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = read_body(payload, BODY_LIMIT).await?;
    let (token, role) = match read(&req, &body)? {
        TokenRequest::Password { username, password } => {
            let account = crate::http::sign_in::sign_in(&state, &req, &username, &password).await?;
            let role = account.role;
            (keys.issue(account.id, role, account.unit_id, account.token_generation), role)
        }
        TokenRequest::ClientCredentials { client_id, client_secret } => {
            let client = clients::authenticate(&state.db, client_id, &client_secret).await?;
            let role = Role::from(client.role);
            (keys.issue_scoped(client.id, role, client.scope()), role)
        }
    };
    let token = token.map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: keys.ttl_seconds,
        role,
    }))
}

/// Change the signed-in account's own password, giving the current one (after an admin's
/// reset: the one-time password). The account's tokens, this one included, fail from now
/// on: sign in again with the new password. Audited.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordChange,
    security(("bearer" = [])),
    responses((status = 204, description = "Changed; sign in again"), WriteErrors)
)]
#[post("/auth/password")]
pub async fn change_password(state: State, who: Principal, body: ValidJson<PasswordChange>) -> ApiResult<HttpResponse> {
    accounts::change_own_password(&state.db, &who, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
