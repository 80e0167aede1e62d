//! Who may do what: the principal acting, the table of permissions, accounts' passwords and
//! bearer JWTs, and the throttle on password guessing.

pub mod login_throttle;
mod password;
pub mod policy;
mod principal;
mod token;

pub use entity::vocabulary::Role;
pub use password::{hash_password, verify_password};
pub use policy::Permission;
pub use principal::Principal;
pub use token::{AUDIENCE, Claims, ISSUER, Scope, TokenKeys};
