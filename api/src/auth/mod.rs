//! Authentication: accounts' passwords, bearer JWTs and the request extractor.

mod extractor;
mod password;
mod token;

pub use extractor::AuthUser;
pub use password::{hash_password, verify_password};
pub use token::{AUDIENCE, Claims, ISSUER, Scope, TokenKeys};

pub use entity::vocabulary::Role;
