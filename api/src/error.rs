//! The one error type of the service's operations, whatever calls them. `http::problem`
//! renders it as an RFC 9457 problem document with its status code.

use sea_orm::{DbErr, SqlErr};
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

pub use crate::domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("invalid fields")]
    Validation(Vec<FieldError>),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A unique value already taken: what kind of record, and by which fields.
    #[error("conflict: {0}")]
    Duplicate(Duplicate),
    /// The path exists but not with this method; holds the methods it takes (`Allow`).
    #[error("method not allowed; allowed: {0}")]
    MethodNotAllowed(String),
    #[error("gone: {0}")]
    Gone(String),
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// The body did not arrive within the body deadline (`body_deadline`).
    #[error("request timeout: {0}")]
    RequestTimeout(String),
    #[error("too many requests: {detail}")]
    TooManyRequests { detail: String, retry_after_seconds: u64 },
    #[error("database unavailable")]
    Unavailable(#[source] DbErr),
    /// The replica is draining before it stops; others take the requests.
    #[error("shutting down")]
    ShuttingDown,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(err))
    }

    /// Seconds a client should wait before retrying, for the `Retry-After` header.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Unavailable(_) | Self::ShuttingDown => Some(5),
            Self::TooManyRequests { retry_after_seconds, .. } => Some((*retry_after_seconds).max(1)),
            _ => None,
        }
    }
}

/// A unique constraint a write ran into: the kind of record and the fields whose values are
/// taken, read from the database's error (never the values themselves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub resource: String,
    pub fields: Vec<String>,
    /// Said instead of the generic sentence, where the operation knows better.
    pub detail: Option<String>,
}

impl Duplicate {
    /// The same duplicate, told in the operation's own words.
    pub fn told(self, detail: impl Into<String>) -> ApiError {
        ApiError::Duplicate(Self { detail: Some(detail.into()), ..self })
    }

    /// What the client is told.
    pub fn describe(&self) -> String {
        match &self.detail {
            Some(detail) => detail.clone(),
            None => format!("a {} with the same {} exists already", self.resource, self.fields.join(" and ")),
        }
    }

    /// The duplicate a database error reports, if it is one: on PostgreSQL from the error's
    /// table and its detail (`Key (a, b)=(…) already exists.`), on SQLite from its message
    /// (`UNIQUE constraint failed: table.a, table.b`).
    fn of(err: &DbErr) -> Option<Self> {
        use sea_orm::sqlx::error::ErrorKind;
        use sea_orm::sqlx::postgres::PgDatabaseError;
        let (DbErr::Exec(runtime) | DbErr::Query(runtime)) = err else { return None };
        let sea_orm::RuntimeErr::SqlxError(cause) = runtime else { return None };
        let sea_orm::sqlx::Error::Database(db) = cause.as_ref() else { return None };
        if db.kind() != ErrorKind::UniqueViolation {
            return None;
        }
        let (table, fields) = match db.try_downcast_ref::<PgDatabaseError>() {
            Some(pg) => {
                let detail = pg.detail().unwrap_or_default();
                let columns = detail.strip_prefix("Key (").and_then(|rest| rest.split_once(")=")).map(|(c, _)| c);
                (pg.table()?.to_owned(), columns?.split(", ").map(str::to_owned).collect())
            }
            None => {
                let columns = db.message().split_once("constraint failed: ")?.1;
                let mut table = String::new();
                let mut fields = Vec::new();
                for qualified in columns.split(", ") {
                    let (t, column) = qualified.split_once('.')?;
                    table = t.to_owned();
                    fields.push(column.to_owned());
                }
                (table, fields)
            }
        };
        Some(Self { resource: resource_of(&table), fields, detail: None })
    }
}

impl std::fmt::Display for Duplicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// What a table's records are called in a message.
fn resource_of(table: &str) -> String {
    let known = [
        ("accounts", "account"),
        ("api_clients", "API client"),
        ("campaigns", "campaign"),
        ("campaign_units", "campaign unit"),
        ("evaluators", "representative"),
        ("questionnaires", "questionnaire version"),
        ("survey_links", "survey link"),
        ("invitation_codes", "invitation code"),
        ("ballot_codes", "ballot code"),
        ("pollster_responses", "pollster response"),
        ("result_versions", "result version"),
        ("result_approvals", "approval"),
        ("units", "unit"),
    ];
    match known.iter().find(|(name, _)| *name == table) {
        Some((_, resource)) => (*resource).to_owned(),
        None => table.trim_end_matches('s').replace('_', " "),
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        if let Some(duplicate) = Duplicate::of(&err) {
            return Self::Duplicate(duplicate);
        }
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                return Self::Conflict("a record with the same unique value already exists".to_owned());
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                return Self::invalid("id", "refers to a record that does not exist");
            }
            _ => {}
        }
        if is_unavailable(&err) { Self::Unavailable(err) } else { Self::internal(err) }
    }
}

/// True when the database could not be reached or is restarting, rather than the query being
/// wrong: the client may retry later (503), and the service recovers by itself.
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    let (DbErr::Exec(runtime) | DbErr::Query(runtime) | DbErr::Conn(runtime)) = err else {
        return matches!(err, DbErr::ConnectionAcquire(_));
    };
    let sea_orm::RuntimeErr::SqlxError(cause) = runtime else { return matches!(err, DbErr::Conn(_)) };
    match cause.as_ref() {
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed | Sqlx::Protocol(_) => true,
        Sqlx::Tls(_) => true,
        Sqlx::Database(db) => db.code().is_some_and(|code| {
            // PostgreSQL: connection exceptions (08…), shutdown and start-up (57P01–57P03),
            // too many connections (53300); SQLite: busy and locked (5, 6, and their extended codes).
            code.starts_with("08")
                || ["57P01", "57P02", "57P03", "53300", "5", "6", "261", "262", "517", "773"].contains(&code.as_ref())
        }),
        _ => matches!(err, DbErr::Conn(_)),
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields = Vec::new();
        flatten(&errors, "", &mut fields);
        Self::Validation(fields)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Turns validator's nested error tree into a flat list of JSON paths.
pub fn flatten(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.extend(list.iter().map(|e| FieldError::new(path.clone(), describe(e))));
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
    out.sort_by(|a, b| a.field.cmp(&b.field));
}

fn describe(error: &ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters"),
            (None, Some(max)) => format!("must be at most {max} characters"),
            (Some(min), None) => format!("must be at least {min} characters"),
            _ => "has an invalid length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            _ => "is out of range".to_owned(),
        },
        code => format!("is invalid ({code})"),
    }
}

/// An error and its causes, each once, from the outermost in: what an operator needs to read
/// when something failed inside the service.
pub fn cause_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        // Many errors print their cause in their own message already.
        if !chain.contains(&text) {
            chain.push_str(": ");
            chain.push_str(&text);
        }
        next = cause.source();
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the batch could not be stored")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("the connection broke")]
    struct Middle(#[source] std::io::Error);

    #[test]
    fn the_whole_cause_chain_is_told_once() {
        let err = Outer(Middle(std::io::Error::other("reset by peer")));
        assert_eq!(cause_chain(&err), "the batch could not be stored: the connection broke: reset by peer");
        let internal = ApiError::internal(err);
        let ApiError::Internal(cause) = &internal else { unreachable!() };
        assert!(cause_chain(cause.as_ref()).ends_with("reset by peer"));
    }

    #[test]
    fn a_duplicate_names_its_resource_and_fields() {
        let duplicate = Duplicate {
            resource: resource_of("evaluators"),
            fields: vec!["campaign_id".into(), "code".into()],
            detail: None,
        };
        assert_eq!(duplicate.describe(), "a representative with the same campaign_id and code exists already");
        assert_eq!(resource_of("webhook_subscriptions"), "webhook subscription");
    }
}
