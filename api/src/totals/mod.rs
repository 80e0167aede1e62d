//! The running totals and the reports read from them.
//!
//! One vocabulary throughout:
//! - **totals**: per campaign and source, counters of answers per (unit, channel, dimension,
//!   option) and per (unit, answer hour, option) of the overall question (`packed`);
//! - a **delta**: changes to the totals, merged per row before they are written (`delta`);
//! - **pending**: citizens' responses stored but not yet counted into the totals (`pending`),
//!   and what this app's own pending batches add, kept in memory (`pending_counts`);
//! - the **fold**: counting pending responses into the totals (`fold`);
//! - the **totals version**: a campaign's counter raised by every change to its totals, so
//!   that what was read from them can be kept while it is unchanged (`summed`, `cache`);
//! - a **snapshot**: the totals, the version and the pending responses read in one
//!   statement (`snapshot`), from which `reports` computes the figures.

pub mod cache;
pub mod delta;
pub mod fold;
pub mod packed;
pub mod pending;
pub mod pending_counts;
pub mod reports;
pub mod snapshot;
pub mod summed;
