//! `multipart/form-data` bodies (RFC 7578), as a browser sends a form with a file: the only
//! way to upload a file without JavaScript. The body is read whole first (its size is
//! bounded by the caller), then cut at its boundary.

use crate::error::ApiError;

/// One field of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    /// Set for a file field (empty when no file was chosen).
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

fn bad(reason: &str) -> ApiError {
    ApiError::BadRequest(format!("invalid multipart form: {reason}"))
}

/// The boundary named by a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .split(';')
        .find_map(|param| {
            let (key, value) = param.split_once('=')?;
            key.trim().eq_ignore_ascii_case("boundary").then(|| value.trim().trim_matches('"').to_owned())
        })
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|at| at + from)
}

/// A `Content-Disposition` parameter's value (`name="…"`).
fn parameter(disposition: &str, key: &str) -> Option<String> {
    disposition.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The parts of `body`, sent with `content_type`.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, ApiError> {
    let boundary = boundary(content_type).ok_or_else(|| bad("not multipart/form-data with a boundary"))?;
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut at = find(body, &delimiter, 0).ok_or_else(|| bad("no boundary in the body"))? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        match body.get(at..at + 2) {
            Some(b"--") => return Ok(parts),
            Some(b"\r\n") => at += 2,
            _ => return Err(bad("a boundary is not followed by a line break")),
        }
        let headers_end = find(body, b"\r\n\r\n", at).ok_or_else(|| bad("a part has no end of headers"))?;
        let headers = std::str::from_utf8(&body[at..headers_end]).map_err(|_| bad("headers are not UTF-8"))?;
        let disposition = headers
            .split("\r\n")
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim().eq_ignore_ascii_case("content-disposition").then_some(value.trim())
            })
            .ok_or_else(|| bad("a part has no Content-Disposition"))?;
        let name = parameter(disposition, "name").ok_or_else(|| bad("a part has no name"))?;
        let data_start = headers_end + 4;
        let data_end = find(body, &next_delimiter, data_start).ok_or_else(|| bad("a part is not closed"))?;
        parts.push(Part {
            name,
            filename: parameter(disposition, "filename"),
            data: body[data_start..data_end].to_vec(),
        });
        at = data_end + next_delimiter.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE: &str = "multipart/form-data; boundary=----x1";

    #[test]
    fn fields_and_files_are_read_with_their_bytes() -> Result<(), ApiError> {
        let body = b"------x1\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n\
            ------x1\r\nContent-Disposition: form-data; name=\"file\"; filename=\"units.csv\"\r\nContent-Type: text/csv\r\n\r\n\
            code,name\r\nx,\xe5\x8c\xba\r\n\r\n------x1--\r\n";
        let parts = parse(TYPE, body)?;
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].data.as_slice()), ("csrf", b"abc".as_slice()));
        assert_eq!(parts[1].filename.as_deref(), Some("units.csv"));
        assert_eq!(parts[1].data, b"code,name\r\nx,\xe5\x8c\xba\r\n");
        Ok(())
    }

    #[test]
    fn a_quoted_boundary_and_an_empty_file_are_read() -> Result<(), ApiError> {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n\r\n--b--";
        let parts = parse("multipart/form-data; boundary=\"b\"", body)?;
        assert_eq!((parts[0].filename.as_deref(), parts[0].data.len()), (Some(""), 0));
        Ok(())
    }

    #[test]
    fn broken_bodies_are_refused_not_misread() {
        assert!(parse("application/x-www-form-urlencoded", b"a=b").is_err());
        assert!(parse(TYPE, b"no boundary here").is_err());
        assert!(parse(TYPE, b"------x1\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunclosed").is_err());
        assert!(parse(TYPE, b"------x1\r\nX-Other: 1\r\n\r\nv\r\n------x1--").is_err());
    }
}
