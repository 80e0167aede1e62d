//! Strong `ETag`s on JSON reads, so that pollers can skip data that did not change.

use actix_web::http::header::{self, EntityTag};
use actix_web::{HttpRequest, HttpResponse};

use crate::error::{ApiError, ApiResult};

/// Serves `value` as JSON with a strong ETag of its bytes, or 304 when the client has it.
pub fn json_with_etag<T: serde::Serialize>(req: &HttpRequest, value: &T) -> ApiResult<HttpResponse> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    // A fast 64-bit hash: a validator needs no cryptographic strength, and a cryptographic
    // hash of every report served is work for nothing (a new release may change the tags:
    // one cache miss).
    let tag = EntityTag::new_strong(format!("{:016x}", crate::http::conditional::fast_hash(&body)));
    let matches =
        req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            v.split(',').any(|candidate| candidate.trim() == tag.to_string() || candidate.trim() == "*")
        });
    let mut response = if matches { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response.insert_header(header::ETag(tag)).insert_header((header::CACHE_CONTROL, "private, no-cache"));
    if matches { Ok(response.finish()) } else { Ok(response.content_type("application/json").body(body)) }
}
