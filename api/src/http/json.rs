//! Request bodies: reading them, parsing JSON with the failing field's path (a type error
//! names its field, not just a line and column), and running `validator`.
//!
//! `ValidJson<T>` is the extractor every JSON write endpoint takes.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::error::ApiError;
use crate::http::{BODY_LIMIT, body_deadline};

/// A JSON body that has been deserialized and validated.
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.starts_with("application/json") || v.contains("+json"))
            .unwrap_or(false);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::BadRequest("the body must be JSON (Content-Type: application/json)".to_owned()));
            }
            let bytes = body.await.map_err(payload_error)?;
            parse_valid_json(&bytes).map(ValidJson)
        })
    }
}

/// Reads a body of up to `limit` bytes (for routes that take more than the default).
pub async fn read_body(payload: web::Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(format!("the body may be at most {limit} bytes")))?
        .map_err(|e| {
            crate::http::body_deadline::classify(&e, || {
                ApiError::BadRequest(format!("the body could not be read: {e}"))
            })
        })
}

/// A JSON body of up to `limit` bytes, deserialized and validated like `ValidJson`.
pub async fn read_valid_json<T: DeserializeOwned + Validate>(
    payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError> {
    parse_valid_json(&read_body(payload, limit).await?)
}

/// Deserializes and validates `bytes`, naming in one 422 every invalid field: those that
/// hold a NUL (see `clean_text`) and those the type's own checks refuse.
pub fn parse_valid_json<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut invalid = crate::http::clean_text::nul_fields(bytes);
    let checked = parse_json::<T>(bytes).and_then(|value| {
        value.validate()?;
        Ok(value)
    });
    match checked {
        Ok(value) if invalid.is_empty() => Ok(value),
        Ok(_) => Err(ApiError::Validation(invalid)),
        Err(ApiError::Validation(fields)) => {
            for field in fields {
                if !invalid.iter().any(|known| known.field == field.field) {
                    invalid.push(field);
                }
            }
            invalid.sort_by(|a, b| a.field.cmp(&b.field));
            Err(ApiError::Validation(invalid))
        }
        Err(other) => Err(other),
    }
}

/// Deserializes `bytes`, telling a syntax error (400) from a wrong field (422 naming it).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = named(serde_path_to_error::deserialize(&mut deserializer)).and_then(|value| {
        deserializer.end().map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
        Ok(value)
    });
    match parsed {
        // JSON counts `2.0` as the integer 2 (and JSON Schema agrees); serde does not. Only
        // when that is the complaint is the body read again with such numbers as integers,
        // so ordinary bodies are parsed once.
        Err(ApiError::Validation(fields)) if fields.iter().any(|f| f.message.contains("floating point")) => {
            let mut value: serde_json::Value =
                serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
            integral_floats_to_integers(&mut value);
            named(serde_path_to_error::deserialize(value))
        }
        other => other,
    }
}

/// A field's type error as a 422 naming the field; a syntax error as a 400.
fn named<T>(result: Result<T, serde_path_to_error::Error<serde_json::Error>>) -> Result<T, ApiError> {
    result.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() {
            let field = if path == "." { "body".to_owned() } else { path };
            ApiError::invalid(field, plain_type_names(&strip_position(&inner.to_string())))
        } else {
            ApiError::BadRequest(format!("malformed JSON: {inner}"))
        }
    })
}

fn integral_floats_to_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                *number = serde_json::Number::from(float as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// Serde names the Rust type it expected ("expected struct NewLink"); a client knows it as
/// an object.
fn plain_type_names(message: &str) -> String {
    match message.find("expected struct ") {
        Some(at) => format!("{}expected a JSON object", &message[..at]),
        None => message.to_owned(),
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Maps body-reading failures (too large, broken stream) to problems.
pub fn payload_error(err: actix_web::Error) -> ApiError {
    match err.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => {
            ApiError::PayloadTooLarge(format!("the body may be at most {BODY_LIMIT} bytes"))
        }
        _ if err.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge(format!("the body may be at most {BODY_LIMIT} bytes"))
        }
        _ => body_deadline::classify(&err, || ApiError::BadRequest(format!("the body could not be read: {err}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Counted {
        count: u32,
        share: f64,
    }

    #[test]
    fn integral_floats_count_as_integers_and_fractions_do_not() {
        let parsed = parse_json::<Counted>(br#"{"count": 47.0, "share": 1.0}"#).ok();
        assert_eq!(parsed.map(|c| (c.count, c.share)), Some((47, 1.0)));
        match parse_json::<Counted>(br#"{"count": 47.5, "share": 1}"#) {
            Err(ApiError::Validation(fields)) => assert_eq!(fields[0].field, "count"),
            other => panic!("{other:?}"),
        }
    }

    /// Serde's derived structs also read an array of their fields in order; the vendored
    /// `serde_path_to_error` refuses that at every depth (see vendor/README.md).
    #[test]
    fn an_object_given_as_an_array_is_refused_at_any_depth() {
        #[derive(Debug, serde::Deserialize)]
        struct Outer {
            #[allow(dead_code)]
            note: Option<String>,
            #[allow(dead_code)]
            inner: Option<Inner>,
            #[allow(dead_code)]
            #[serde(default)]
            items: Vec<Inner>,
        }
        #[derive(Debug, serde::Deserialize)]
        struct Inner {
            #[allow(dead_code)]
            count: u32,
        }
        assert!(parse_json::<Outer>(br#"{"inner": {"count": 1}, "items": [{"count": 2}]}"#).is_ok());
        for (body, field) in
            [(&b" []"[..], "body"), (br#"{"inner": [1]}"#, "inner"), (br#"{"items": [{"count": 2}, [3]]}"#, "items[1]")]
        {
            match parse_json::<Outer>(body) {
                Err(ApiError::Validation(fields)) => {
                    assert_eq!(fields[0].field, field);
                    assert_eq!(fields[0].message, "invalid type: sequence, expected a JSON object");
                }
                other => panic!("an array was taken for an object: {other:?}"),
            }
        }
    }

    #[test]
    fn a_type_error_names_its_field() {
        #[derive(serde::Deserialize, Debug)]
        struct Body {
            #[allow(dead_code)]
            inner: Inner,
        }
        #[derive(serde::Deserialize, Debug)]
        struct Inner {
            #[allow(dead_code)]
            count: u32,
        }
        let Err(ApiError::Validation(errors)) = parse_json::<Body>(br#"{"inner":{"count":-1}}"#) else {
            panic!("expected a validation error");
        };
        assert_eq!(errors[0].field, "inner.count");
        assert!(matches!(parse_json::<Body>(b"{"), Err(ApiError::BadRequest(_))));
    }
}
