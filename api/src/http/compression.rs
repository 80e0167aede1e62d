//! Compresses responses for clients that ask (`Accept-Encoding`): brotli, else gzip.
//!
//! Only bodies already whole in memory, of a text type, and large enough for compression to
//! pay are compressed: a citizen's acknowledgement (a few dozen bytes) goes as it is, and
//! streamed bodies (exports, the projector's live tally) are never held back to be
//! compressed whole.

use std::io::Write;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;

/// Smaller bodies gain too little to be worth the work.
const MIN_SIZE: usize = 1024;
/// Brotli's quality for bodies made per request: fast, and still well ahead of gzip.
const BROTLI_QUALITY: u32 = 5;
/// Brotli's quality for bodies compressed once and kept.
const KEPT_BROTLI_QUALITY: u32 = 9;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Brotli,
    Gzip,
}

impl Coding {
    pub fn name(self) -> &'static str {
        match self {
            Self::Brotli => "br",
            Self::Gzip => "gzip",
        }
    }
}

/// Whether the request's `Accept-Encoding` takes `coding` (`q=0` refuses one).
pub fn accepts(headers: &HeaderMap, coding: Coding) -> bool {
    let Some(value) = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else { return false };
    value.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused = parts.any(|p| p.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().unwrap_or(1.0) <= 0.0));
        (name.eq_ignore_ascii_case(coding.name()) || name == "*") && !refused
    })
}

/// The best coding the client accepts.
pub fn accepted(headers: &HeaderMap) -> Option<Coding> {
    [Coding::Brotli, Coding::Gzip].into_iter().find(|&coding| accepts(headers, coding))
}

/// Whether a body of this content type and length is worth compressing.
pub fn worth_compressing(content_type: &str, len: usize) -> bool {
    len >= MIN_SIZE && compressible_type(content_type)
}

fn compressible(content_type: Option<&HeaderValue>) -> bool {
    content_type.and_then(|v| v.to_str().ok()).is_some_and(compressible_type)
}

fn compressible_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.starts_with("text/") && essence != "text/event-stream"
        || matches!(
            essence,
            "application/json" | "application/problem+json" | "image/svg+xml" | "application/javascript"
        )
}

/// `bytes` compressed as fast as suits a body made per request.
fn compress(coding: Coding, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    compress_at(coding, bytes, Effort::PerRequest)
}

/// How hard to compress: a body made for one response is compressed fast; one kept and
/// served many times is worth compressing well.
#[derive(Debug, Clone, Copy)]
pub enum Effort {
    PerRequest,
    Kept,
}

pub fn compress_at(coding: Coding, bytes: &[u8], effort: Effort) -> std::io::Result<Vec<u8>> {
    match coding {
        Coding::Brotli => {
            let mut out = Vec::with_capacity(bytes.len() / 3);
            let quality = match effort {
                Effort::PerRequest => BROTLI_QUALITY,
                Effort::Kept => KEPT_BROTLI_QUALITY,
            };
            let params = brotli::enc::BrotliEncoderParams { quality: quality as i32, ..Default::default() };
            brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
            Ok(out)
        }
        Coding::Gzip => {
            let level = match effort {
                Effort::PerRequest => flate2::Compression::fast(),
                Effort::Kept => flate2::Compression::best(),
            };
            let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 3), level);
            encoder.write_all(bytes)?;
            encoder.finish()
        }
    }
}

pub async fn compress_responses(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let coding = accepted(req.headers());
    let response = next.call(req).await?.map_into_boxed_body();
    let head_ok = response.headers().get(header::CONTENT_ENCODING).is_none()
        && compressible(response.headers().get(header::CONTENT_TYPE));
    if !head_ok {
        return Ok(response);
    }
    let mut response = response;
    // Whatever the choice for this client, caches must know the body depends on the header.
    response.headers_mut().append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let Some(coding) = coding else { return Ok(response) };
    let (req, res) = response.into_parts();
    let (res, body) = res.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) if bytes.len() >= MIN_SIZE => bytes,
        Ok(bytes) => return Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(bytes)))),
        Err(body) => return Ok(ServiceResponse::new(req, res.set_body(body))),
    };
    let mut res = match compress(coding, &bytes) {
        Ok(compressed) => res.set_body(BoxBody::new(compressed)),
        Err(_) => return Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(bytes)))),
    };
    res.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
    Ok(ServiceResponse::new(req, res))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use crate::http::compression::*;

    fn with(value: &str) -> Option<Coding> {
        accepted(TestRequest::default().insert_header((header::ACCEPT_ENCODING, value)).to_srv_request().headers())
    }

    #[test]
    fn brotli_is_preferred_and_a_zero_quality_refuses() {
        assert_eq!(with("gzip, deflate, br"), Some(Coding::Brotli));
        assert_eq!(with("gzip, br;q=0"), Some(Coding::Gzip));
        assert_eq!(with("identity"), None);
        assert_eq!(with("*"), Some(Coding::Brotli));
    }

    #[test]
    fn text_is_compressible_and_live_streams_are_not() {
        let of = |v: &'static str| compressible(Some(&HeaderValue::from_static(v)));
        assert!(of("text/html; charset=utf-8") && of("application/problem+json") && of("image/svg+xml"));
        assert!(!of("text/event-stream") && !of("image/png") && !of("application/zip"));
    }

    #[test]
    fn both_codings_round_trip() {
        let text = "评议".repeat(1000);
        let brotli = compress(Coding::Brotli, text.as_bytes()).unwrap_or_default();
        let mut back = Vec::new();
        assert!(brotli::BrotliDecompress(&mut &brotli[..], &mut back).is_ok());
        assert_eq!(back, text.as_bytes());
        let gzip = compress(Coding::Gzip, text.as_bytes()).unwrap_or_default();
        let mut back = Vec::new();
        assert!(std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzip[..]), &mut back).is_ok());
        assert_eq!(back, text.as_bytes());
    }
}
