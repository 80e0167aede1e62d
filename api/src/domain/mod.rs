//! The programme's vocabulary and rules as plain types and functions, free of HTTP and SQL.

pub mod composite;
pub mod questionnaire;
pub mod satisfaction;
pub mod templates;
pub mod vocabulary;
