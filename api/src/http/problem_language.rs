//! Problem documents in the client's language: with `Accept-Language` preferring Chinese,
//! a problem's title, detail and field messages are given in Chinese (`Content-Language:
//! zh-CN`); otherwise in English. The service writes its messages in English once, and the
//! catalogue `problem_zh.tsv` gives each its Chinese; what varies in a message (a name, a
//! number) is carried over. A message the catalogue lacks keeps its English after a
//! Chinese title, rather than being lost.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use serde_json::Value;

use crate::http::problem::PROBLEM_JSON;

const CATALOGUE: &str = include_str!("problem_zh.tsv");

/// Whether the client's most preferred language is Chinese.
pub fn prefers_chinese(accept_language: Option<&str>) -> bool {
    let Some(value) = accept_language else { return false };
    let mut best: Option<(f32, bool)> = None;
    for item in value.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let tag = parts.next().unwrap_or_default().to_ascii_lowercase();
        let quality = parts.find_map(|p| p.strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, tag == "zh" || tag.starts_with("zh-")));
        }
    }
    best.is_some_and(|(_, chinese)| chinese)
}

fn title_zh(kind: &str) -> Option<&'static str> {
    Some(match kind.trim_start_matches("/problems/") {
        "bad-request" => "请求无法读取",
        "validation-error" => "请求中有字段不符合要求",
        "unauthorized" => "需要登录",
        "forbidden" => "该账号无权进行此操作",
        "not-found" => "找不到",
        "conflict" => "与当前状态冲突",
        "gone" => "已不再提供",
        "payload-too-large" => "请求体过大",
        "request-timeout" => "请求体送达过慢",
        "method-not-allowed" => "此地址不接受该方法",
        "too-many-requests" => "请求过于频繁",
        "unavailable" => "服务暂时不可用",
        "internal-error" => "内部错误",
        _ => return None,
    })
}

/// The Chinese of `english`, if the catalogue has its pattern.
pub fn translate(english: &str) -> Option<String> {
    CATALOGUE.lines().filter(|line| !line.starts_with('#')).find_map(|line| {
        let (pattern, chinese) = line.split_once('\t')?;
        let captured = captures(pattern, english)?;
        let mut out = chinese.to_owned();
        for (index, value) in captured.iter().enumerate() {
            out = out.replace(&format!("{{{index}}}"), value);
        }
        Some(out)
    })
}

/// What the `{}` of `pattern` stand for in `text`, if `text` has the pattern's shape.
fn captures<'a>(pattern: &str, text: &'a str) -> Option<Vec<&'a str>> {
    let pieces: Vec<&str> = pattern.split("{}").collect();
    let (first, rest) = pieces.split_first()?;
    let mut remaining = text.strip_prefix(first)?;
    let mut captured = Vec::new();
    for (index, piece) in rest.iter().enumerate() {
        let at = if index + 1 == rest.len() {
            remaining
                .len()
                .checked_sub(piece.len())
                .filter(|at| remaining.is_char_boundary(*at) && remaining[*at..] == **piece)?
        } else if piece.is_empty() {
            remaining.len()
        } else {
            remaining.find(piece)?
        };
        captured.push(&remaining[..at]);
        remaining = &remaining[at + piece.len()..];
    }
    remaining.is_empty().then_some(captured)
}

/// The problem document in Chinese.
fn in_chinese(mut problem: Value) -> Value {
    let english_detail = problem["detail"].as_str().map(str::to_owned);
    if let Some(title) = problem["type"].as_str().and_then(title_zh) {
        problem["title"] = Value::from(title);
    }
    if let Some(detail) = english_detail {
        problem["detail"] = Value::from(translate(&detail).unwrap_or(detail));
    }
    if let Some(errors) = problem["errors"].as_array_mut() {
        for error in errors {
            if let Some(message) = error["message"].as_str().and_then(translate) {
                error["message"] = Value::from(message);
            }
        }
    }
    problem
}

pub async fn localise_problems(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let chinese = prefers_chinese(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let mut response = next.call(req).await?.map_into_boxed_body();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if !is_problem {
        return Ok(response);
    }
    response.headers_mut().append(header::VARY, HeaderValue::from_static("accept-language"));
    let language = if chinese { "zh-CN" } else { "en" };
    response.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(language));
    if !chinese {
        return Ok(response);
    }
    let (req, res) = response.into_parts();
    let (res, body) = res.into_parts();
    let Ok(bytes) = body.try_into_bytes() else {
        return Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(()))));
    };
    let translated = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|problem| serde_json::to_vec(&in_chinese(problem)).ok())
        .unwrap_or_else(|| bytes.to_vec());
    Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(translated))))
}

#[cfg(test)]
mod tests {
    use crate::http::problem_language::*;

    #[test]
    fn the_most_preferred_language_decides() {
        assert!(prefers_chinese(Some("zh-CN,zh;q=0.9,en;q=0.8")));
        assert!(prefers_chinese(Some("en;q=0.5, zh-Hans")));
        assert!(!prefers_chinese(Some("en-US,en;q=0.9,zh-CN;q=0.8")));
        assert!(!prefers_chinese(None) && !prefers_chinese(Some("zh;q=0")));
    }

    #[test]
    fn messages_keep_what_varies() {
        assert_eq!(translate("no campaign 42").as_deref(), Some("找不到评议活动 42"));
        assert_eq!(translate("must be between 1 and 200").as_deref(), Some("须在 1 至 200 之间"));
        assert_eq!(
            translate("must place between 1 and 2 of the 3 tied units").as_deref(),
            Some("须在 3 个并列单位中指定 1 至 2 个")
        );
        assert_eq!(translate("unknown option \"great\"").as_deref(), Some("没有“great”这个选项"));
        assert_eq!(translate("is required").as_deref(), Some("必填"));
        assert_eq!(translate("is required for the unit role").as_deref(), Some("单位角色必须填写"));
        assert_eq!(translate("something nobody wrote down"), None);
    }

    #[test]
    fn every_catalogue_line_is_a_pattern_and_its_chinese() {
        for line in CATALOGUE.lines().filter(|line| !line.starts_with('#')) {
            let (pattern, chinese) = line.split_once('\t').unwrap_or_default();
            assert!(!pattern.is_empty() && !chinese.is_empty(), "{line}");
            let holes = pattern.matches("{}").count();
            for index in 0..holes {
                assert!(chinese.contains(&format!("{{{index}}}")), "{line}: the Chinese drops {{{index}}}");
            }
        }
    }
}
