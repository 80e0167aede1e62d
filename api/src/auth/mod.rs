//! Authentication: accounts' passwords, bearer JWTs and the request extractor.

mod extractor;
mod password;
mod token;

pub use extractor::AuthUser;
pub use password::{hash_password, verify_password};
pub use token::{AUDIENCE, Claims, ISSUER, Scope, TokenKeys};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an account or API client may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The evaluation office: administers everything.
    Admin,
    /// Reads everything (the CPPCC office, the leading group).
    Observer,
    /// A unit's own staff: reads its own unit only.
    Unit,
    /// A third-party pollster (pushes results).
    Pollster,
    /// Another system reading results.
    Reader,
    /// A leading-group member who approves results (two distinct approvals freeze a version).
    Approver,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Observer => "observer",
            Self::Unit => "unit",
            Self::Pollster => "pollster",
            Self::Reader => "reader",
            Self::Approver => "approver",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Admin, Self::Observer, Self::Unit, Self::Pollster, Self::Reader, Self::Approver]
            .into_iter()
            .find(|role| role.as_str() == value)
    }
}
