//! API clients: pollster organisations and reading systems, with scoped secrets.
//!
//! Secrets are 256 random bits shown once; the service keeps their SHA-256 (a fast hash is
//! enough for a random secret of that length, unlike a password). Disabling a client cuts
//! it off at its next request: every client token is checked against this table.

use rand::Rng;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use entity::api_client;

use crate::auth::{Permission, Principal};
use crate::auth::{Role, Scope};
use crate::domain::text;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientRole {
    /// Pushes third-party survey results.
    Pollster,
    /// Reads results (portal, appraisal system, data warehouse).
    Reader,
}

impl From<ClientRole> for Role {
    fn from(role: ClientRole) -> Self {
        match role {
            ClientRole::Pollster => Role::Pollster,
            ClientRole::Reader => Role::Reader,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "某某调查公司", "role": "pollster", "campaign_ids": ["e9cbd866-7220-4426-9550-b234c7526c4f"]}))]
pub struct NewClient {
    #[validate(length(min = 1, max = 200), custom(function = "text::single_line"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub role: ClientRole,
    /// The campaigns the client may touch (at least one).
    #[validate(length(min = 1, max = 100))]
    pub campaign_ids: Vec<Uuid>,
    /// Pollsters only: the units they may push for; leave out for every unit.
    #[serde(default)]
    #[validate(length(min = 1, max = 10000))]
    pub unit_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientDto {
    pub id: Uuid,
    pub name: String,
    pub role: ClientRole,
    pub campaign_ids: Vec<Uuid>,
    pub unit_ids: Option<Vec<Uuid>>,
    pub disabled_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}

/// A client with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientWithSecret {
    pub client: ClientDto,
    /// Use as `client_secret` with `grant_type=client_credentials`; it is not shown again.
    #[schema(example = "pys_5f0c…")]
    pub client_secret: String,
}

impl TryFrom<api_client::Model> for ClientDto {
    type Error = ApiError;

    fn try_from(m: api_client::Model) -> ApiResult<Self> {
        let role = match m.role.as_str() {
            "pollster" => ClientRole::Pollster,
            _ => ClientRole::Reader,
        };
        Ok(Self {
            id: m.id,
            name: m.name,
            role,
            campaign_ids: serde_json::from_value(m.campaign_ids).map_err(ApiError::internal)?,
            unit_ids: m.unit_ids.map(serde_json::from_value).transpose().map_err(ApiError::internal)?,
            disabled_at: m.disabled_at,
            created_at: m.created_at,
        })
    }
}

impl ClientDto {
    pub fn scope(&self) -> Scope {
        Scope { campaigns: self.campaign_ids.clone(), units: self.unit_ids.clone() }
    }
}

fn new_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("pys_{}", hex::encode(bytes))
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<api_client::Model> {
    api_client::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ApiError::NotFound(format!("no client {id}")))
}

/// One client, for the office.
pub async fn get(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<api_client::Model> {
    who.require(Permission::ManageClients)?;
    find(db, id).await
}

pub async fn create(db: &impl ConnectionTrait, who: &Principal, input: NewClient) -> ApiResult<ClientWithSecret> {
    who.require(Permission::ManageClients)?;
    if input.role == ClientRole::Reader && input.unit_ids.is_some() {
        return Err(ApiError::invalid("unit_ids", "applies to pollsters only"));
    }
    for (index, campaign_id) in input.campaign_ids.iter().enumerate() {
        crate::services::registry::campaigns::find(db, *campaign_id)
            .await
            .map_err(|_| ApiError::invalid(format!("campaign_ids[{index}]"), "no such campaign"))?;
    }
    let secret = new_secret();
    let json = |v: &Vec<Uuid>| serde_json::to_value(v).map_err(ApiError::internal);
    let model = api_client::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(input.name.trim().to_owned()),
        role: Set(Role::from(input.role)),
        campaign_ids: Set(json(&input.campaign_ids)?),
        unit_ids: Set(input.unit_ids.as_ref().map(json).transpose()?),
        secret_hash: Set(hash_secret(&secret)),
        disabled_at: Set(None),
        created_at: Set(crate::store::now()),
    }
    .insert(db)
    .await?;
    Ok(ClientWithSecret { client: model.try_into()?, client_secret: secret })
}

pub async fn list(db: &impl ConnectionTrait, who: &Principal) -> ApiResult<Vec<api_client::Model>> {
    who.require(Permission::ManageClients)?;
    Ok(api_client::Entity::find().order_by_asc(api_client::Column::CreatedAt).all(db).await?)
}

/// A new secret; the old one stops working at once (tokens already issued run out).
pub async fn rotate_secret(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<ClientWithSecret> {
    who.require(Permission::ManageClients)?;
    find(db, id).await?;
    let secret = new_secret();
    let model = api_client::ActiveModel { id: Set(id), secret_hash: Set(hash_secret(&secret)), ..Default::default() }
        .update(db)
        .await?;
    Ok(ClientWithSecret { client: model.try_into()?, client_secret: secret })
}

pub async fn set_disabled(
    db: &impl ConnectionTrait,
    who: &Principal,
    id: Uuid,
    disabled: bool,
) -> ApiResult<api_client::Model> {
    who.require(Permission::ManageClients)?;
    find(db, id).await?;
    let at = disabled.then(crate::store::now);
    Ok(api_client::ActiveModel { id: Set(id), disabled_at: Set(at), ..Default::default() }.update(db).await?)
}

/// The client for these credentials, if it exists, matches and is enabled.
pub async fn authenticate(db: &impl ConnectionTrait, id: Uuid, secret: &str) -> ApiResult<ClientDto> {
    let refused = || ApiError::Unauthorized("unknown client, wrong secret or disabled client".to_owned());
    let client = api_client::Entity::find_by_id(id).one(db).await?.ok_or_else(refused)?;
    if client.disabled_at.is_some() || client.secret_hash != hash_secret(secret) {
        return Err(refused());
    }
    client.try_into()
}

/// Refuses tokens of clients that were disabled (or removed) after the token was issued.
pub async fn ensure_active(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<()> {
    match api_client::Entity::find_by_id(id).one(db).await? {
        Some(client) if client.disabled_at.is_none() => Ok(()),
        _ => Err(ApiError::Unauthorized("this client is disabled".to_owned())),
    }
}
