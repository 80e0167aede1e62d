//! Text the databases would refuse never reaches them: PostgreSQL cannot store a NUL
//! character in text (and SQLite would store it, cutting the text short for C readers), so a
//! NUL, or bytes that are not UTF-8, in the path or the query string (400), a JSON string or
//! a form field (422) is refused here, naming where it was.
//!
//! Headers need no check: the HTTP parser refuses control characters in them, and the values
//! the service reads (a language, a content type) are matched against fixed words.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use percent_encoding::percent_decode_str;

use crate::error::{ApiError, FieldError};

const NOT_TEXT: &str = "contains a NUL character or bytes that are not UTF-8 text";

/// Refuses a request whose path or query string decodes to something that is not clean text.
pub async fn check_address(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Refusals are responses, not errors, so that the middleware around (the problem's
    // language, the request log) sees them like any other.
    if !is_clean(req.uri().path()) {
        return Ok(req.error_response(ApiError::BadRequest(format!("the path {NOT_TEXT}"))));
    }
    if let Some(query) = req.uri().query() {
        let bad: Vec<String> = query
            .split('&')
            .filter_map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (!is_clean(name) || !is_clean(value))
                    .then(|| percent_decode_str(name).decode_utf8_lossy().replace('\0', ""))
            })
            .collect();
        // A 400 like any query string that cannot be read, naming the parameters: it is
        // documented on every path, which a 422 is not.
        if !bad.is_empty() {
            let names = bad.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ");
            return Ok(req.error_response(ApiError::BadRequest(format!("the query parameter {names} {NOT_TEXT}"))));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Whether percent-encoded `text` decodes to UTF-8 without a NUL.
fn is_clean(text: &str) -> bool {
    match percent_decode_str(text).decode_utf8() {
        Ok(decoded) => !decoded.contains('\0'),
        Err(_) => false,
    }
}

/// Checks a form body (`application/x-www-form-urlencoded`) before it is read: every field
/// that holds a NUL or is not UTF-8 is named in a 422.
pub fn check_form(body: &[u8]) -> Result<(), ApiError> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Err(ApiError::invalid("body", NOT_TEXT));
    };
    let fields: Vec<FieldError> = text
        .split('&')
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let plus = |part: &str| part.replace('+', " ");
            (!is_clean(&plus(name)) || !is_clean(&plus(value))).then(|| {
                let name = percent_decode_str(&plus(name)).decode_utf8_lossy().replace('\0', "");
                FieldError::new(name, NOT_TEXT)
            })
        })
        .collect();
    if fields.is_empty() { Ok(()) } else { Err(ApiError::Validation(fields)) }
}

/// Checks a JSON body for `\u0000` escapes (the only way JSON carries a NUL; serde already
/// refuses bytes that are not UTF-8 and lone surrogates). Bodies without the escape, nearly
/// all of them, are only scanned; the others are parsed to name each field that holds one.
pub fn nul_fields(body: &[u8]) -> Vec<FieldError> {
    const ESCAPE: &[u8] = b"\\u0000";
    let mut fields = Vec::new();
    if !body.windows(ESCAPE.len()).any(|window| window == ESCAPE) {
        return fields;
    }
    // A body that does not parse has no fields to name; the parser reports its syntax error.
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        find_nul(&value, &mut String::new(), &mut fields);
    }
    fields
}

/// Names, as `a.b[0].c`, every string or key under `value` that holds a NUL.
fn find_nul(value: &serde_json::Value, path: &mut String, found: &mut Vec<FieldError>) {
    let here = |path: &str| if path.is_empty() { "body".to_owned() } else { path.to_owned() };
    match value {
        serde_json::Value::String(text) if text.contains('\0') => {
            found.push(FieldError::new(here(path), "contains a NUL character"));
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let length = path.len();
                path.push_str(&format!("[{index}]"));
                find_nul(item, path, found);
                path.truncate(length);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key.replace('\0', ""));
                if key.contains('\0') {
                    found.push(FieldError::new(here(path), "has a name with a NUL character"));
                } else {
                    find_nul(item, path, found);
                }
                path.truncate(length);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::http::clean_text::*;

    #[test]
    fn nul_and_broken_utf8_are_not_clean_text() {
        assert!(is_clean("a%20b") && is_clean("%E8%AF%84"));
        assert!(!is_clean("a%00b") && !is_clean("%FF") && !is_clean("%E8%AF"));
    }

    #[test]
    fn json_with_a_nul_names_each_field_that_holds_one() {
        let body = br#"{"a": "x\u0000", "b": [{"c": "\u0000"}], "d": "\\u0000", "e\u0000": 1}"#;
        let fields = nul_fields(body);
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["a", "b[0].c", "e"]);
        assert!(nul_fields(br#"{"d": "\\u0000"}"#).is_empty(), "an escaped backslash is not a NUL");
    }

    #[test]
    fn forms_name_their_bad_fields() {
        let Err(ApiError::Validation(fields)) = check_form(b"a=1&b=x%00y&c%FF=2") else { panic!("refused") };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["b", "c\u{fffd}"]);
        assert!(check_form("a=%E8%AF%84+x".as_bytes()).is_ok());
    }
}
