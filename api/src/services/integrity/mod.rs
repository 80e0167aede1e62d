//! Ballot integrity the office acts on: single-use codes and how their spending is recorded,
//! invitation codes, the burst report (and the watch that keeps its last check) and
//! exclusions of suspicious batches. The in-memory
//! controls on each submission are the intake's.

pub mod burst_watch;
pub mod bursts;
pub mod codes;
pub mod exclusions;
pub mod invitations;
