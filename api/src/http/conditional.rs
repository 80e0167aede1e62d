//! Conditional and header-only reads: `HEAD` wherever `GET` is, and an `ETag` (with `304 Not
//! Modified` for a client that has the same body) on every whole, cacheable `GET` response.
//!
//! Responses marked `no-store` get no tag: the answer page carries a fresh submission id on
//! every load, so two people on one device must never be handed the same copy. Streamed
//! bodies (exports, live tallies) get none either. The tag is weak because the body may
//! then be compressed on the way out; it still tells a client whether it has the data.

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, EntityTag, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;

pub async fn conditional_reads(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // The connection remembers that the request was HEAD and sends no body; the routes see a GET.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    if req.method() != Method::GET {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    // What a signed-in principal reads is for its own cache only.
    let cache_control =
        if req.headers().contains_key(header::AUTHORIZATION) { "private, no-cache" } else { "no-cache" };
    let response = next.call(req).await?.map_into_boxed_body();
    let no_store = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store"));
    if response.status() != StatusCode::OK || no_store {
        return Ok(response);
    }
    let (req, res) = response.into_parts();
    let (mut res, body) = res.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(body) => return Ok(ServiceResponse::new(req, res.set_body(body))),
    };
    let tag = match res.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()) {
        Some(tag) => tag,
        None => {
            let tag = EntityTag::new_weak(format!("{:016x}", fast_hash(&bytes)));
            if let Ok(value) = HeaderValue::from_str(&tag.to_string()) {
                res.headers_mut().insert(header::ETAG, value);
            }
            tag
        }
    };
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    }
    if if_none_match.is_some_and(|list| matches(&list, &tag)) {
        let mut not_modified = HttpResponse::NotModified();
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY, header::CONTENT_LOCATION] {
            if let Some(value) = res.headers().get(&name) {
                not_modified.insert_header((name.clone(), value.clone()));
            }
        }
        return Ok(ServiceResponse::new(req, not_modified.finish()));
    }
    Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(bytes))))
}

/// A fast 64-bit hash: a validator needs no cryptographic strength.
pub fn fast_hash(bytes: &[u8]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hasher::write(&mut hasher, bytes);
    std::hash::Hasher::finish(&hasher)
}

/// `If-None-Match` compares weakly: `W/"x"` and `"x"` match each other.
fn matches(list: &str, tag: &EntityTag) -> bool {
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.trim_start_matches("W/") == tag.to_string().trim_start_matches("W/")
    })
}

#[cfg(test)]
mod tests {
    use crate::http::conditional::*;

    #[test]
    fn weak_and_strong_forms_of_a_tag_match() {
        let tag = EntityTag::new_weak("abc".to_owned());
        assert!(matches("W/\"abc\"", &tag) && matches("\"abc\"", &tag) && matches("\"x\", W/\"abc\"", &tag));
        assert!(matches("*", &tag));
        assert!(!matches("\"abd\"", &tag));
    }
}
