//! HS256 access tokens. Verification requires exp, iss, aud and sub, checks nbf, and
//! accepts no other algorithm (jsonwebtoken's defaults check less: see STACK.md).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Role;
use crate::config::Secret;

pub const ISSUER: &str = "pingyi";
pub const AUDIENCE: &str = "pingyi-api";
const LEEWAY_SECONDS: u64 = 5;

/// What an API client may touch: campaigns, and for pollsters perhaps only some units.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Scope {
    pub campaigns: Vec<Uuid>,
    /// `None`: every unit of those campaigns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<Vec<Uuid>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// The account id, or the API client id for client tokens.
    pub sub: String,
    pub role: Role,
    /// For the `unit` role: the only unit it may read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<Uuid>,
    /// Present on API client tokens only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Account tokens: the account's token generation when issued (see `accounts::check_token`).
    #[serde(rename = "gen", default, skip_serializing_if = "is_zero")]
    pub generation: i32,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

fn is_zero(value: &i32) -> bool {
    *value == 0
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl_seconds: i64,
}

impl TokenKeys {
    pub fn new(secret: &Secret, ttl_seconds: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        Self {
            encoding: EncodingKey::from_secret(secret.expose()),
            decoding: DecodingKey::from_secret(secret.expose()),
            validation,
            ttl_seconds,
        }
    }

    /// An account's token, under the account's current token generation.
    pub fn issue(
        &self,
        subject: Uuid,
        role: Role,
        unit_id: Option<Uuid>,
        generation: i32,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.sign(subject, role, unit_id, None, generation)
    }

    /// An API client's token, with its scope.
    pub fn issue_scoped(&self, subject: Uuid, role: Role, scope: Scope) -> Result<String, jsonwebtoken::errors::Error> {
        self.sign(subject, role, None, Some(scope), 0)
    }

    fn sign(
        &self,
        subject: Uuid,
        role: Role,
        unit_id: Option<Uuid>,
        scope: Option<Scope>,
        generation: i32,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: subject.to_string(),
            role,
            unit_id,
            scope,
            generation,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_seconds,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use crate::auth::token::*;

    fn keys(fill: u8) -> TokenKeys {
        let secret = Secret::new(vec![fill; 32]).unwrap_or_else(|_| unreachable!());
        TokenKeys::new(&secret, 60)
    }

    #[test]
    fn an_issued_token_verifies_with_the_same_key_only() {
        let id = Uuid::new_v4();
        let token = keys(1).issue(id, Role::Observer, None, 0).unwrap_or_default();
        let claims = keys(1).verify(&token).ok();
        assert_eq!(claims.map(|c| (c.sub, c.role)), Some((id.to_string(), Role::Observer)));
        assert!(keys(2).verify(&token).is_err());
    }

    #[test]
    fn a_token_without_audience_is_refused() {
        #[derive(Serialize)]
        struct NoAudience {
            sub: String,
            role: Role,
            iss: String,
            iat: i64,
            nbf: i64,
            exp: i64,
        }
        let now = chrono::Utc::now().timestamp();
        let claims =
            NoAudience { sub: "x".into(), role: Role::Admin, iss: ISSUER.into(), iat: now, nbf: now, exp: now + 60 };
        let secret = Secret::new(vec![1; 32]).unwrap_or_else(|_| unreachable!());
        let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.expose()))
            .unwrap_or_default();
        assert!(keys(1).verify(&token).is_err());
    }
}
