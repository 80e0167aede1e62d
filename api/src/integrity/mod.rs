//! Ballot integrity without identity: per-source rate limits and a duplicate guard kept in
//! memory under a daily-rotating key, and the client-address rules they rely on.
//! The per-link daily cap and invitation codes live in the submission service (they are
//! stored state); the burst report in `bursts`.

pub mod bursts;
pub mod limiter;
pub mod source;

pub use limiter::{Guard, SourceKey};
pub use source::TrustedProxies;
