//! Who may do what: accounts' passwords, bearer JWTs, and the roles they carry.

mod password;
mod token;

pub use entity::vocabulary::Role;
pub use password::{hash_password, verify_password};
pub use token::{AUDIENCE, Claims, ISSUER, Scope, TokenKeys};
