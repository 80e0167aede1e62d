//! The citizens' write path: from a submission to an acknowledged, durable response.
//!
//! `submit` checks the link (through the link cache), the sender (the in-memory ballot
//! controls), the answers and the daily cap, then hands the response to the group-commit
//! writer, which stores it with the record that it is still to be counted into the running
//! totals. See `docs/architecture.md` for the way a submission travels.

pub mod daily_cap;
pub mod limiter;
pub mod link_cache;
pub mod packing;
pub mod response_ids;
pub mod submit;
pub mod survey;
pub mod writer;
