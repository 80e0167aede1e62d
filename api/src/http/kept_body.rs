//! A response body made once and served many times (a link's public questionnaire, its QR
//! codes and posters). Its tag and its compressed forms are made with it, so serving it only
//! picks one: no hashing or compressing per request.

use actix_web::http::header::{self, EntityTag, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use crate::http::compression::{self, Coding, Effort};

pub struct KeptBody {
    content_type: &'static str,
    plain: Bytes,
    /// Present when the body is text large enough for compression to pay.
    compressed: Option<Compressed>,
    /// A weak tag of the plain body: a client holding any coding of it has the data.
    tag: HeaderValue,
}

struct Compressed {
    brotli: Bytes,
    gzip: Bytes,
}

impl KeptBody {
    /// Compressing well takes milliseconds: make kept bodies off the request threads
    /// (`web::block`) when they are large.
    pub fn new(content_type: &'static str, bytes: Vec<u8>) -> std::io::Result<Self> {
        let compressed = if compression::worth_compressing(content_type, bytes.len()) {
            Some(Compressed {
                brotli: compression::compress_at(Coding::Brotli, &bytes, Effort::Kept)?.into(),
                gzip: compression::compress_at(Coding::Gzip, &bytes, Effort::Kept)?.into(),
            })
        } else {
            None
        };
        let tag = EntityTag::new_weak(format!("{:016x}", crate::http::conditional::fast_hash(&bytes)));
        let tag = HeaderValue::from_str(&tag.to_string()).map_err(std::io::Error::other)?;
        Ok(Self { content_type, plain: bytes.into(), compressed, tag })
    }

    /// The body in the best coding the client takes, tagged; `conditional_reads` answers
    /// 304 to a client that has it.
    pub fn respond(&self, req: &HttpRequest, cache_control: &'static str) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        response
            .content_type(self.content_type)
            .insert_header((header::ETAG, self.tag.clone()))
            .insert_header((header::CACHE_CONTROL, cache_control));
        // A client that takes neither coding gets the plain body, which the compression
        // middleware then leaves as it is (and marks `Vary`) for the same reason.
        let coded = self.compressed.as_ref().and_then(|compressed| match compression::accepted(req.headers())? {
            Coding::Brotli => Some((Coding::Brotli, &compressed.brotli)),
            Coding::Gzip => Some((Coding::Gzip, &compressed.gzip)),
        });
        match coded {
            Some((coding, bytes)) => response
                .insert_header((header::CONTENT_ENCODING, coding.name()))
                .insert_header((header::VARY, "accept-encoding"))
                .body(bytes.clone()),
            None => response.body(self.plain.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use crate::http::kept_body::*;

    #[actix_web::test]
    async fn each_client_gets_a_coding_it_takes_and_the_same_tag() -> std::io::Result<()> {
        let text = "评议".repeat(1000).into_bytes();
        let kept = KeptBody::new("application/json", text.clone())?;
        let respond = |accept: &str| {
            kept.respond(
                &TestRequest::default().insert_header((header::ACCEPT_ENCODING, accept)).to_http_request(),
                "no-cache",
            )
        };
        let (brotli, gzip, plain) = (respond("gzip, br"), respond("gzip"), respond("identity"));
        assert_eq!(brotli.headers().get(header::CONTENT_ENCODING).map(|v| v.as_bytes()), Some(&b"br"[..]));
        assert_eq!(gzip.headers().get(header::CONTENT_ENCODING).map(|v| v.as_bytes()), Some(&b"gzip"[..]));
        assert_eq!(plain.headers().get(header::ETAG), brotli.headers().get(header::ETAG));
        let body = actix_web::body::to_bytes(gzip.into_body()).await.unwrap_or_default();
        let mut back = Vec::new();
        assert!(std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut back).is_ok());
        assert_eq!(back, text);
        assert_eq!(actix_web::body::to_bytes(plain.into_body()).await.unwrap_or_default(), text);
        Ok(())
    }

    #[actix_web::test]
    async fn images_are_kept_as_they_are() -> std::io::Result<()> {
        let kept = KeptBody::new("image/png", vec![0x89; 4000])?;
        let response = kept.respond(
            &TestRequest::default().insert_header((header::ACCEPT_ENCODING, "br")).to_http_request(),
            "public",
        );
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(actix_web::body::to_bytes(response.into_body()).await.unwrap_or_default().len(), 4000);
        Ok(())
    }
}
