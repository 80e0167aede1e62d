//! Reading stored rows: the paged response listing and the CSV and XLSX exports.

pub mod exports;
pub mod rows;
