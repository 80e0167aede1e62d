//! Minimal HTML building: escaping, the page shell with its inline style, and the content
//! security policy that allows exactly the page's own inline style and script.

use std::fmt::Write;

use crate::domain::questionnaire::Lang;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Colours meet WCAG 2.1 AA on white: text #1f2328 (15.8:1), accent #0b57a4 (7.0:1),
/// error #a4161a (7.6:1), muted #57606a (6.2:1).
const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:17px/1.5 system-ui,-apple-system,\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;color:#1f2328;background:#f4f6f8}\
main{max-width:40rem;margin:0 auto;padding:1rem;background:#fff;min-height:100vh}\
h1{font-size:1.4rem;margin:.2rem 0 .5rem}\
.campaign,.note{color:#57606a;font-size:.9rem;margin:0}\
fieldset{border:0;border-top:1px solid #d0d7de;margin:1rem 0 0;padding:1rem 0 0}\
legend{font-weight:600;padding:0;margin-bottom:.5rem}\
.opts{display:grid;gap:.5rem}\
.opt{display:flex;align-items:center;gap:.75rem;min-height:48px;padding:.5rem .75rem;border:2px solid #d0d7de;border-radius:10px;cursor:pointer}\
.opt input{width:1.4rem;height:1.4rem;margin:0;accent-color:#0b57a4;flex:none}\
.opt:has(input:checked){border-color:#0b57a4;background:#eef4fb}\
label.field{display:block;font-weight:600;margin:1rem 0 .4rem}\
textarea,input[type=text]{width:100%;font:inherit;padding:.6rem;border:2px solid #8c959f;border-radius:8px}\
textarea{min-height:7rem}\
:focus-visible{outline:3px solid #0b57a4;outline-offset:2px}\
button{width:100%;min-height:52px;margin:1.5rem 0 .5rem;font:inherit;font-weight:600;color:#fff;background:#0b57a4;border:0;border-radius:10px;cursor:pointer}\
button[disabled]{opacity:.6}\
.err{color:#a4161a;font-weight:600;margin:.4rem 0 0}\
.err:empty{display:none}\
.alert{border:2px solid #a4161a;border-radius:8px;padding:.75rem;color:#a4161a;font-weight:600}\
.alert:empty{display:none}\
.req{color:#a4161a}\
.done{text-align:center;padding-top:3rem}\
.done p{font-size:1.1rem}";

/// A complete page around `body`. `script` is inlined when given.
pub fn page(lang: Lang, title: &str, body: &str, script: Option<&str>) -> String {
    let lang_attr = match lang {
        Lang::ZhCn => "zh-CN",
        Lang::En => "en",
    };
    let mut html = String::with_capacity(body.len() + STYLE.len() + 1024);
    let _ = write!(
        html,
        "<!doctype html><html lang=\"{lang_attr}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{}</title><style>{STYLE}</style></head>\
         <body><main>{body}</main>",
        escape(title)
    );
    if let Some(script) = script {
        let _ = write!(html, "<script>{script}</script>");
    }
    html.push_str("</body></html>");
    html
}

/// An HTML response with the page's policy and the headers every page has.
pub fn response(status: actix_web::http::StatusCode, page: String) -> actix_web::HttpResponse {
    let policy = content_security_policy(&page);
    response_with_policy(status, page, &policy)
}

/// The same, with the policy already worked out (for pages rendered once and served often).
pub fn response_with_policy(
    status: actix_web::http::StatusCode,
    page: impl actix_web::body::MessageBody + 'static,
    policy: &str,
) -> actix_web::HttpResponse {
    use actix_web::http::header;
    actix_web::HttpResponse::build(status)
        .content_type(header::ContentType::html())
        .insert_header((header::CONTENT_SECURITY_POLICY, policy))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(page)
}

/// The content security policy of a page: nothing loads from anywhere else, and only the
/// `<style>` and `<script>` blocks the page itself carries run, each allowed by its SHA-256
/// (so that markup injected into a page, were it ever, would not run). Data blocks
/// (`<script type="application/json">`) are not scripts and need no hash.
pub fn content_security_policy(page: &str) -> String {
    let hashes = |open: &str, close: &str| -> String {
        let mut out = String::new();
        let mut rest = page;
        while let Some(start) = rest.find(open) {
            let after = &rest[start + open.len()..];
            let Some(end) = after.find(close) else { break };
            let digest = <sha2::Sha256 as sha2::Digest>::digest(&after.as_bytes()[..end]);
            let _ =
                write!(out, " 'sha256-{}'", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, digest));
            rest = &after[end..];
        }
        if out.is_empty() { " 'none'".to_owned() } else { out }
    };
    format!(
        "default-src 'none'; style-src{}; script-src{}; connect-src 'self'; form-action 'self'; img-src 'self'; \
         base-uri 'none'; frame-ancestors 'none'",
        hashes("<style>", "</style>"),
        hashes("<script>", "</script>")
    )
}

#[cfg(test)]
mod tests {
    use crate::web::html::*;

    #[test]
    fn the_policy_allows_the_pages_own_blocks_by_hash_only() {
        let page =
            page(Lang::ZhCn, "t", "<style>p{}</style><script type=\"application/json\">{}</script>", Some("go()"));
        let policy = content_security_policy(&page);
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        let digest = <sha2::Sha256 as sha2::Digest>::digest(b"go()");
        let hash = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, digest);
        assert!(policy.contains(&format!("script-src 'sha256-{hash}';")), "{policy}");
        assert_eq!(policy.matches("'sha256-").count(), 3, "two styles and one script: {policy}");
        assert!(content_security_policy("<p>no blocks</p>").contains("script-src 'none'"));
    }

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(escape("区交通运输局"), "区交通运输局");
    }
}
