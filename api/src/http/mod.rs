//! What only the HTTP side needs: problem documents, extractors for JSON bodies and the
//! signed-in principal, pagination, ETags, the body deadline, the client's address and the
//! OpenAPI document.

pub mod body_deadline;
pub mod clean_text;
pub mod client_address;
pub mod compression;
pub mod conditional;
pub mod cookies;
pub mod etag;
pub mod json;
pub mod kept_body;
pub mod known_routes;
pub mod multipart;
pub mod openapi;
pub mod pagination;
pub mod principal;
pub mod problem;
pub mod problem_language;
pub mod responses;
pub mod sign_in;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 256 * 1024;
