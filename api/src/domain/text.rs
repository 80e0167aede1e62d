//! Checks on text fields, for `#[validate(custom(function = ...))]`: single lines, free text
//! and machine keys. Plain functions over strings; what they refuse is named in the message.

use std::borrow::Cow;

use validator::ValidationError;

fn error(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// Single-line text: no control characters at all (NUL included).
pub fn single_line(value: &str) -> Result<(), ValidationError> {
    if value.chars().any(char::is_control) {
        return Err(error("control_characters", "must not contain control characters"));
    }
    // Empty strings are left to the length rule, so that one mistake gives one message.
    if !value.is_empty() && value.trim().is_empty() {
        return Err(error("blank", "must not be blank"));
    }
    Ok(())
}

/// Free text: line breaks and tabs allowed, every other control character refused.
pub fn free_text(value: &str) -> Result<(), ValidationError> {
    if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(error("control_characters", "must not contain NUL or other control characters"));
    }
    Ok(())
}

/// Machine keys (question keys, option keys, unit codes): ASCII letters, digits, `_` and `-`.
pub fn key(value: &str) -> Result<(), ValidationError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok { Ok(()) } else { Err(error("key", "must be 1 to 64 ASCII letters, digits, '_' or '-'")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_allows_line_breaks_but_not_nul() {
        assert!(free_text("好\n很好\t!").is_ok());
        assert!(free_text("bad\0").is_err());
        assert!(free_text("bell\u{7}").is_err());
    }

    #[test]
    fn keys_are_ascii_identifiers() {
        assert!(key("lawful_duty-1").is_ok());
        assert!(key("").is_err());
        assert!(key("满意").is_err());
        assert!(key(&"k".repeat(65)).is_err());
    }
}
