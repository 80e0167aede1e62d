//! Reading what was stored: satisfaction figures and the paged response listing as a
//! principal may read them, and the CSV and XLSX exports.

pub mod exports;
pub mod figures;
pub mod rows;
