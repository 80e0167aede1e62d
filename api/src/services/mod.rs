//! The evaluation office's operations, grouped by subject. Each takes a connection or a
//! transaction and the acting principal, and decides itself what that principal may do, so
//! that the JSON API and the console call the same functions with the same checks.

pub mod audit;
pub mod evaluation;
pub mod integrity;
pub mod pollster;
pub mod query;
pub mod registry;
