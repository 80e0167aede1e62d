//! Accounts of people: the office (admin), observers, approvers and unit staff, and their
//! lifecycle: disabling and enabling, deleting, an admin's password reset (a one-time
//! password its holder must replace) and changing one's own password. Every change is
//! audited; a change that shuts an account (disable, delete, reset, new password) makes its
//! existing tokens fail at their next request.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use entity::account;

use crate::auth::{self, Role};
use crate::auth::{Permission, Principal};
use crate::domain::text;
use crate::error::{ApiError, ApiResult};
use crate::services::audit;

pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "jtysj-staff", "password": "a long passphrase", "role": "unit", "unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11"}))]
pub struct AccountInput {
    #[validate(custom(function = "text::key"))]
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub username: String,
    #[validate(length(min = 12, max = 200))]
    #[schema(min_length = 12, max_length = 200)]
    pub password: String,
    /// `admin`, `observer`, `approver` or `unit` (pollsters and readers are API clients, not accounts).
    pub role: Role,
    /// Required for the `unit` role, refused for the others.
    #[serde(default)]
    pub unit_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDto {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    /// When the account was disabled; `null` while it may sign in.
    pub disabled_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// After an admin's reset: the account must choose a new password before anything else.
    pub must_change_password: bool,
    /// Where reminder digests are mailed, if anywhere.
    pub email: Option<String>,
}

impl From<account::Model> for AccountDto {
    fn from(m: account::Model) -> Self {
        Self {
            id: m.id,
            role: m.role,
            username: m.username,
            unit_id: m.unit_id,
            created_at: m.created_at,
            disabled_at: m.disabled_at,
            must_change_password: m.must_change_password,
            email: m.email,
        }
    }
}

/// An admin's password reset: the one-time password, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct OneTimePassword {
    pub account: AccountDto,
    /// Give it to the account's holder; it lets them sign in once to choose their own.
    pub one_time_password: String,
}

/// Changing one's own password.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "the one-time password", "new_password": "a new long passphrase"}))]
pub struct PasswordChange {
    #[validate(length(min = 1, max = 200))]
    #[schema(max_length = 200)]
    pub current_password: String,
    #[validate(length(min = 12, max = 200))]
    #[schema(min_length = 12, max_length = 200)]
    pub new_password: String,
}

fn check_role(input: &AccountInput) -> ApiResult<()> {
    match (input.role, input.unit_id) {
        (Role::Unit, None) => Err(ApiError::invalid("unit_id", "is required for the unit role")),
        (Role::Unit, Some(_)) => Ok(()),
        (Role::Admin | Role::Observer | Role::Approver, None) => Ok(()),
        (Role::Admin | Role::Observer | Role::Approver, Some(_)) => {
            Err(ApiError::invalid("unit_id", "is only for the unit role"))
        }
        (Role::Pollster | Role::Reader, _) => {
            Err(ApiError::invalid("role", "pollsters and readers are API clients, not accounts"))
        }
    }
}

pub async fn create(db: &impl ConnectionTrait, who: &Principal, input: AccountInput) -> ApiResult<account::Model> {
    insert(db, who, input, false).await
}

/// A new account with a one-time password, shown this once: its holder must choose their
/// own password at their first sign-in, so that nobody else ever knows it.
pub async fn invite(
    db: &impl ConnectionTrait,
    who: &Principal,
    username: String,
    role: Role,
    unit_id: Option<Uuid>,
) -> ApiResult<OneTimePassword> {
    let one_time_password = one_time_password();
    let input = AccountInput { username, password: one_time_password.clone(), role, unit_id };
    input.validate()?;
    let account = insert(db, who, input, true).await?;
    Ok(OneTimePassword { account: account.into(), one_time_password })
}

async fn insert(
    db: &impl ConnectionTrait,
    who: &Principal,
    input: AccountInput,
    must_change_password: bool,
) -> ApiResult<account::Model> {
    who.require(Permission::ManageAccounts)?;
    check_role(&input)?;
    if let Some(unit_id) = input.unit_id {
        crate::services::registry::units::find(db, unit_id)
            .await
            .map_err(|_| ApiError::invalid("unit_id", "no such unit"))?;
    }
    let hash = hash(input.password).await?;
    let model = account::ActiveModel {
        id: Set(Uuid::new_v4()),
        username: Set(input.username),
        password_hash: Set(hash),
        role: Set(input.role),
        unit_id: Set(input.unit_id),
        created_at: Set(crate::store::now()),
        disabled_at: Set(None),
        must_change_password: Set(must_change_password),
        token_generation: Set(0),
        email: Set(None),
    };
    Ok(model.insert(db).await?)
}

/// Where an account's reminders are mailed.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "bgs@jtysj.example.gov.cn"}))]
pub struct EmailChange {
    /// `null` stops the mail.
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
}

/// Sets or clears the address an account's reminder digests go to (the office for any
/// account; an account for itself).
pub async fn set_email(
    db: &impl ConnectionTrait,
    who: &Principal,
    id: Uuid,
    change: EmailChange,
) -> ApiResult<account::Model> {
    if who.account_id() != Some(id) {
        who.require(Permission::ManageAccounts)?;
    }
    find(db, id).await?;
    let email = change.email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
    let updated =
        account::ActiveModel { id: Set(id), email: Set(email.clone()), ..Default::default() }.update(db).await?;
    crate::services::audit::record(
        db,
        &who.subject,
        "account.email_set",
        "account",
        &id.to_string(),
        None,
        Some(serde_json::json!({"email": email})),
    )
    .await?;
    Ok(updated)
}

async fn hash(password: String) -> ApiResult<String> {
    auth::hash_password(password)
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::Internal(e.to_string().into()))
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<account::Model> {
    account::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ApiError::NotFound(format!("no account {id}")))
}

pub async fn get(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<account::Model> {
    who.require(Permission::ManageAccounts)?;
    find(db, id).await
}

/// The account, locked for this transaction; with `admins_too`, every enabled admin account
/// is locked as well, so that two transactions shutting two admins cannot both find the
/// other still enabled (PostgreSQL row locks; SQLite runs one write transaction at a time).
async fn lock(txn: &impl ConnectionTrait, id: Uuid, admins_too: bool) -> ApiResult<account::Model> {
    if admins_too {
        account::Entity::find()
            .filter(account::Column::Role.eq(Role::Admin))
            .order_by_asc(account::Column::Id)
            .lock_exclusive()
            .all(txn)
            .await?;
    }
    account::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no account {id}")))
}

/// Refuses to shut the last enabled admin account: nobody could then manage accounts.
async fn keep_one_admin(txn: &impl ConnectionTrait, account: &account::Model) -> ApiResult<()> {
    if account.role != Role::Admin || account.disabled_at.is_some() {
        return Ok(());
    }
    let others = account::Entity::find()
        .filter(account::Column::Role.eq(Role::Admin))
        .filter(account::Column::DisabledAt.is_null())
        .filter(account::Column::Id.ne(account.id))
        .count(txn)
        .await?;
    if others == 0 {
        return Err(ApiError::Conflict(
            "this is the last enabled admin account; enable or create another first".to_owned(),
        ));
    }
    Ok(())
}

fn state_of(account: &account::Model) -> serde_json::Value {
    serde_json::json!({
        "username": account.username,
        "role": account.role,
        "disabled": account.disabled_at.is_some(),
        "must_change_password": account.must_change_password,
    })
}

/// Disables or enables an account. A disabled account cannot sign in, and its tokens fail at
/// their next request.
pub async fn set_disabled<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    id: Uuid,
    disabled: bool,
) -> ApiResult<account::Model> {
    who.require(Permission::ManageAccounts)?;
    let txn = crate::store::begin_write(db).await?;
    let account = lock(&txn, id, disabled).await?;
    if account.disabled_at.is_some() == disabled {
        txn.commit().await?;
        return Ok(account);
    }
    if disabled {
        keep_one_admin(&txn, &account).await?;
    }
    let before = state_of(&account);
    let at = disabled.then(crate::store::now);
    // Disabling also retires the account's tokens, so that enabling it again does not revive them.
    let generation = if disabled { account.token_generation.saturating_add(1) } else { account.token_generation };
    let updated = account::ActiveModel {
        id: Set(id),
        disabled_at: Set(at),
        token_generation: Set(generation),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    if disabled {
        crate::console::session::end_all_of(&txn, id).await?;
    }
    let action = if disabled { "account.disabled" } else { "account.enabled" };
    audit::record(&txn, &who.subject, action, "account", &id.to_string(), Some(before), Some(state_of(&updated)))
        .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes an account; its tokens fail at their next request. What it did stays in the
/// audit log under its id.
pub async fn delete<C: ConnectionTrait + TransactionTrait>(db: &C, who: &Principal, id: Uuid) -> ApiResult<()> {
    who.require(Permission::ManageAccounts)?;
    let txn = crate::store::begin_write(db).await?;
    let account = lock(&txn, id, true).await?;
    keep_one_admin(&txn, &account).await?;
    crate::console::session::end_all_of(&txn, id).await?;
    account::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, &who.subject, "account.deleted", "account", &id.to_string(), Some(state_of(&account)), None)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// An admin's reset: a new one-time password replaces the old one, the account's tokens
/// fail, and until its holder chooses a new password the account may do nothing else.
pub async fn reset_password<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    id: Uuid,
) -> ApiResult<OneTimePassword> {
    who.require(Permission::ManageAccounts)?;
    let one_time_password = one_time_password();
    let hashed = hash(one_time_password.clone()).await?;
    let txn = crate::store::begin_write(db).await?;
    let account = lock(&txn, id, false).await?;
    let updated = replace_password(&txn, who, &account, hashed, true, "account.password_reset").await?;
    txn.commit().await?;
    Ok(OneTimePassword { account: updated.into(), one_time_password })
}

/// 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I), about 110 bits.
fn one_time_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// Changes the signed-in account's own password, given its current one; its other tokens
/// fail from now on, and a reset's obligation ends.
pub async fn change_own_password<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    change: PasswordChange,
) -> ApiResult<()> {
    let id = who.account_id().ok_or_else(|| ApiError::Forbidden("only accounts have passwords".to_owned()))?;
    let account = find(db, id).await?;
    let matches = auth::verify_password(change.current_password.clone(), Some(account.password_hash.clone()))
        .await
        .map_err(ApiError::internal)?;
    if !matches {
        return Err(ApiError::invalid("current_password", "is not the account's current password"));
    }
    if change.new_password == change.current_password {
        return Err(ApiError::invalid("new_password", "must differ from the current password"));
    }
    let hashed = hash(change.new_password).await?;
    let txn = crate::store::begin_write(db).await?;
    let locked = lock(&txn, id, false).await?;
    if locked.password_hash != account.password_hash {
        return Err(ApiError::Conflict("the password was changed meanwhile; sign in again".to_owned()));
    }
    replace_password(&txn, who, &locked, hashed, false, "account.password_changed").await?;
    txn.commit().await?;
    Ok(())
}

/// Stores a new password hash for the locked `account`, retires its tokens and ends its
/// console sessions, and audits it as
/// `action`; `must_change` obliges its holder to choose another before anything else.
async fn replace_password(
    txn: &impl ConnectionTrait,
    who: &Principal,
    account: &account::Model,
    hashed: String,
    must_change: bool,
    action: &str,
) -> ApiResult<account::Model> {
    let updated = account::ActiveModel {
        id: Set(account.id),
        password_hash: Set(hashed),
        must_change_password: Set(must_change),
        token_generation: Set(account.token_generation.saturating_add(1)),
        ..Default::default()
    }
    .update(txn)
    .await?;
    crate::console::session::end_all_of(txn, account.id).await?;
    let (before, after) = (Some(state_of(account)), Some(state_of(&updated)));
    audit::record(txn, &who.subject, action, "account", &account.id.to_string(), before, after).await?;
    Ok(updated)
}

/// What a token's account is now: a token fails once its account is deleted or disabled or
/// its password changed since the token was issued. The role and unit are the account's
/// current ones.
pub async fn check_token(db: &impl ConnectionTrait, id: Uuid, generation: i32) -> ApiResult<account::Model> {
    let account = account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the token's account no longer exists".to_owned()))?;
    if account.disabled_at.is_some() {
        return Err(ApiError::Unauthorized("the token's account is disabled".to_owned()));
    }
    if account.token_generation != generation {
        return Err(ApiError::Unauthorized("the token was revoked by a password change; sign in again".to_owned()));
    }
    Ok(account)
}

pub async fn list(
    db: &impl ConnectionTrait,
    who: &Principal,
    limit: u64,
    offset: u64,
) -> ApiResult<(Vec<account::Model>, u64)> {
    who.require(Permission::ManageAccounts)?;
    let query = account::Entity::find().order_by_asc(account::Column::Username);
    Ok(crate::store::fetch_page(db, query, limit, offset).await?)
}

/// The account for these credentials; the same error for an unknown name and a wrong password.
pub async fn authenticate(db: &impl ConnectionTrait, username: &str, password: &str) -> ApiResult<account::Model> {
    let found = account::Entity::find().filter(account::Column::Username.eq(username)).one(db).await?;
    let hash = found.as_ref().map(|account| account.password_hash.clone());
    let matches = auth::verify_password(password.to_owned(), hash).await.map_err(ApiError::internal)?;
    match found {
        // Only someone who knows the password learns that the account is disabled.
        Some(account) if matches && account.disabled_at.is_some() => {
            Err(ApiError::Unauthorized("this account is disabled; ask the evaluation office".to_owned()))
        }
        Some(account) if matches => Ok(account),
        _ => Err(ApiError::Unauthorized("unknown username or wrong password".to_owned())),
    }
}
