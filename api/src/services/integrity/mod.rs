//! Ballot integrity the office acts on: invitation codes, the burst report and exclusions of
//! suspicious batches. The in-memory controls on each submission are the intake's.

pub mod bursts;
pub mod exclusions;
pub mod invitations;
