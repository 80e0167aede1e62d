//! Single-use codes — invitation codes for closed groups of citizens, and representatives'
//! ballot codes — and the record that one was spent.
//!
//! A code is shown once, when it is issued, and stored only as a SHA-256 of its normal form.
//! Spending it writes nothing to its row: it records a *spend tag*, an HMAC-SHA256 of the
//! scope (the link or the session) and the code under the service's spend key, in a table
//! that holds tags and nothing else. A tag cannot be matched with a stored hash without both
//! the code — 16 characters, about 79 bits, never stored — and the key, which is derived from
//! the service's secret and never stored either. So a reader of the database sees how many
//! codes were spent, not whose; see docs/privacy-and-integrity.md for what that guarantees.

use std::fmt;
use std::sync::Arc;

use entity::vocabulary::SessionStatus;
use entity::{ballot_spend, conference_session, invitation_spend, service_key, survey_link};
use hmac::{Hmac, Mac};
use rand::Rng;
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::Secret;

/// Without look-alike characters, so a code read from paper is typed right.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 31 ^ 16: about 79 bits, too many to try every code against the stored hashes.
pub const CODE_LEN: usize = 16;
const GROUP: usize = 4;

/// A new single-use code, written `XXXX-XXXX-XXXX-XXXX` for reading aloud.
pub fn new_code() -> String {
    let mut rng = rand::rng();
    let raw: Vec<char> = (0..CODE_LEN).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    raw.chunks(GROUP).map(|group| group.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// Case, spaces and dashes do not matter.
fn normal(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// The stored form of a code.
pub fn hash_code(code: &str) -> String {
    hex::encode(Sha256::digest(normal(code).as_bytes()))
}

/// The key spend tags are made with. It never prints itself.
#[derive(Clone)]
pub struct SpendKey(Arc<[u8; 32]>);

impl fmt::Debug for SpendKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpendKey(…)")
    }
}

/// Why the service will not start with this key.
#[derive(Debug, thiserror::Error)]
pub enum SpendKeyError {
    #[error(
        "PINGYI_JWT_SECRET changed while {0} spent codes made with the old one still matter (open conference \
         sessions, invitation links not withdrawn): with the new secret those codes would be accepted again. \
         Start with the old secret, close those sessions and withdraw those links, then change it"
    )]
    ChangedWhileInUse(u64),
    #[error(transparent)]
    Database(#[from] DbErr),
}

const PURPOSE: &str = "spend_tags";

impl SpendKey {
    /// Derived from the service's secret, so that it lives where the secret lives and nowhere else.
    pub fn derive(secret: &Secret) -> Self {
        Self(Arc::new(Self::mac(secret.expose(), &[b"pingyi spend tags"])))
    }

    fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("any key length"));
        for part in parts {
            mac.update(part);
            mac.update(&[0]);
        }
        mac.finalize().into_bytes().into()
    }

    /// The tag that records `code` spent in `scope`.
    pub fn tag(&self, scope: Uuid, code: &str) -> String {
        hex::encode(Self::mac(self.0.as_slice(), &[scope.as_bytes(), normal(code).as_bytes()]))
    }

    fn fingerprint(&self) -> String {
        hex::encode(&Self::mac(self.0.as_slice(), &[b"fingerprint"])[..16])
    }

    /// Remembers this key's fingerprint; refuses a changed key while codes spent under the old
    /// one still guard something, since they would then be taken again.
    pub async fn check(&self, db: &DatabaseConnection) -> Result<(), SpendKeyError> {
        let fingerprint = self.fingerprint();
        let first =
            service_key::ActiveModel { purpose: Set(PURPOSE.to_owned()), fingerprint: Set(fingerprint.clone()) };
        service_key::Entity::insert(first)
            .on_conflict(OnConflict::column(service_key::Column::Purpose).do_nothing().to_owned())
            .exec_without_returning(db)
            .await?;
        let stored = service_key::Entity::find_by_id(PURPOSE).one(db).await?.map(|k| k.fingerprint);
        if stored.as_deref() == Some(fingerprint.as_str()) {
            return Ok(());
        }
        let open_sessions = Query::select()
            .column(conference_session::Column::Id)
            .from(conference_session::Entity)
            .and_where(conference_session::Column::Status.eq(SessionStatus::Open))
            .to_owned();
        let live_links = Query::select()
            .column(survey_link::Column::Id)
            .from(survey_link::Entity)
            .and_where(survey_link::Column::RevokedAt.is_null())
            .to_owned();
        let in_use = ballot_spend::Entity::find()
            .filter(ballot_spend::Column::SessionId.in_subquery(open_sessions))
            .count(db)
            .await?
            + invitation_spend::Entity::find()
                .filter(invitation_spend::Column::LinkId.in_subquery(live_links))
                .count(db)
                .await?;
        if in_use > 0 {
            return Err(SpendKeyError::ChangedWhileInUse(in_use));
        }
        service_key::Entity::update(service_key::ActiveModel {
            purpose: Set(PURPOSE.to_owned()),
            fingerprint: Set(fingerprint),
        })
        .exec(db)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::services::integrity::codes::*;

    fn key(byte: u8) -> SpendKey {
        SpendKey::derive(&Secret::new(vec![byte; 40]).unwrap_or_else(|_| unreachable!()))
    }

    #[test]
    fn codes_are_readable_and_hash_the_same_however_typed() {
        let code = new_code();
        assert_eq!(code.len(), CODE_LEN + CODE_LEN / GROUP - 1);
        assert_eq!(code.matches('-').count(), 3);
        assert_eq!(hash_code(&code), hash_code(&code.to_lowercase().replace('-', " ")));
        assert_ne!(hash_code(&code), hash_code(&new_code()));
    }

    #[test]
    fn a_tag_depends_on_the_key_the_scope_and_the_code_and_is_not_its_hash() {
        let (code, scope) = (new_code(), Uuid::new_v4());
        let tag = key(1).tag(scope, &code);
        assert_eq!(tag, key(1).tag(scope, &code.to_lowercase()));
        assert_ne!(tag, key(2).tag(scope, &code));
        assert_ne!(tag, key(1).tag(Uuid::new_v4(), &code));
        assert_ne!(tag, hash_code(&code));
        assert_eq!(format!("{:?}", key(1)), "SpendKey(…)");
    }
}
