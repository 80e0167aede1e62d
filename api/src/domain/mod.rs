//! The programme's vocabulary and rules as plain types and functions, free of HTTP and SQL.

use serde::Serialize;
use utoipa::ToSchema;

pub mod calendar;
pub mod campaign;
pub mod composite;
pub mod documents;
pub mod questionnaire;
pub mod satisfaction;
pub mod templates;
pub mod text;
pub mod vocabulary;

/// One invalid field of a request, named by its JSON path (`answers.overall`, `questions[2].key`).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    #[schema(example = "answers.overall")]
    pub field: String,
    #[schema(example = "unknown option \"great\"")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }

    /// The same error, its field named within `parent` (`[0].key` under `scale` is `scale[0].key`).
    pub fn under(self, parent: &str) -> Self {
        let field = if self.field.is_empty() || self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        Self { field, message: self.message }
    }
}
