//! The answer page, its thank-you page and the friendly error pages.

use std::collections::BTreeMap;
use std::fmt::Write;

use uuid::Uuid;

use crate::domain::questionnaire::{Lang, QuestionKind};
use crate::error::{ApiError, FieldError};
use crate::intake::survey::{PublicQuestion, SurveyView};
use crate::web::html::{escape, page};
use crate::web::texts::{Texts, texts};

/// What the form shows besides the questions: earlier values and errors after a failed send.
pub struct FormState<'a> {
    pub submission_id: Uuid,
    pub values: &'a BTreeMap<String, String>,
    pub invitation_code: &'a str,
    pub errors: &'a [FieldError],
    pub alert: Option<&'a str>,
}

/// Progressive enhancement: without JavaScript the form posts to the page itself.
const SCRIPT: &str = r#"(function(){var f=document.getElementById('survey');if(!f||!window.fetch||!window.FormData)return;var T=JSON.parse(document.getElementById('t').textContent);var A=document.getElementById('alert');f.addEventListener('submit',function(e){e.preventDefault();var first=null;function mark(k,m){var p=document.getElementById('err-'+k);if(p){p.textContent=m;if(!first)first=p.parentNode.querySelector('input,textarea')||p}else{A.textContent=m}}A.textContent='';Array.prototype.forEach.call(f.querySelectorAll('.err'),function(p){p.textContent=''});var fd=new FormData(f),answers={};fd.forEach(function(v,k){if(k.indexOf('a.')===0&&v!=='')answers[k.slice(2)]=v});Array.prototype.forEach.call(f.querySelectorAll('[data-required]'),function(q){if(!answers[q.getAttribute('data-key')])mark(q.getAttribute('data-key'),T.choose_one)});if(first){A.textContent=T.fix_errors;first.focus();return}var body={submission_id:fd.get('submission_id'),answers:answers};if(fd.get('invitation_code'))body.invitation_code=fd.get('invitation_code');var b=f.querySelector('button');b.disabled=true;b.textContent=T.sending;function reset(){b.disabled=false;b.textContent=T.submit}fetch(f.getAttribute('data-api'),{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(body)}).then(function(r){return r.json().catch(function(){return{}}).then(function(j){if(r.ok){document.cookie=f.getAttribute('data-cookie')+'=1; Path='+f.getAttribute('action')+'; Max-Age=31536000; SameSite=Lax';var m=document.querySelector('main');m.innerHTML=document.getElementById('done').innerHTML;m.querySelector('h1').focus();return}if(r.status===422&&j.errors){j.errors.forEach(function(x){var k=x.field.replace(/^answers\./,'');mark(k,x.message==='is required'?T.choose_one:x.message)});A.textContent=T.fix_errors;if(first)first.focus()}else{A.textContent=j.detail||T.network_error;A.focus()}reset()})}).catch(function(){A.textContent=T.network_error;reset()})})})();"#;

pub fn cookie_name(slug: &str) -> String {
    format!("pingyi_done_{slug}")
}

fn error_for<'a>(errors: &'a [FieldError], key: &str) -> Option<&'a FieldError> {
    let field = format!("answers.{key}");
    errors.iter().find(|e| e.field == field)
}

fn localized_message<'a>(t: &'a Texts, error: &'a FieldError) -> &'a str {
    if error.message == "is required" { t.choose_one } else { &error.message }
}

fn question_html(out: &mut String, t: &Texts, number: usize, q: &PublicQuestion, state: &FormState) {
    let key = escape(&q.key);
    let required = if q.required { format!(" <span class=\"req\">{}</span>", t.required) } else { String::new() };
    let error = error_for(state.errors, &q.key).map(|e| escape(localized_message(t, e))).unwrap_or_default();
    let value = state.values.get(&q.key).map(String::as_str).unwrap_or_default();
    let described = format!("aria-describedby=\"err-{key}\"");
    match q.kind {
        QuestionKind::Rating => {
            let required_attr = if q.required { " data-required" } else { "" };
            let _ = write!(
                out,
                "<fieldset id=\"q-{key}\" data-key=\"{key}\"{required_attr} {described}><legend>{number}. {}{required}</legend><div class=\"opts\">",
                escape(&q.text)
            );
            for option in &q.options {
                let checked = if option.key == value { " checked" } else { "" };
                let _ = write!(
                    out,
                    "<label class=\"opt\"><input type=\"radio\" name=\"a.{key}\" value=\"{}\"{checked}><span>{}</span></label>",
                    escape(&option.key),
                    escape(&option.label)
                );
            }
            let _ = write!(out, "</div><p class=\"err\" id=\"err-{key}\" role=\"alert\">{error}</p></fieldset>");
        }
        QuestionKind::Text => {
            let max = q.max_length.unwrap_or(1000);
            let required_attr = if q.required { " data-required" } else { "" };
            let _ = write!(
                out,
                "<div{required_attr} data-key=\"{key}\"><label class=\"field\" for=\"t-{key}\">{number}. {}{required}</label>\
                 <textarea id=\"t-{key}\" name=\"a.{key}\" maxlength=\"{max}\" {described}>{}</textarea>\
                 <p class=\"err\" id=\"err-{key}\" role=\"alert\">{error}</p></div>",
                escape(&q.text),
                escape(value)
            );
        }
    }
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "zh-CN",
        Lang::En => "en",
    }
}

fn other_lang(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "en",
        Lang::En => "zh-CN",
    }
}

fn done_html(t: &Texts) -> String {
    format!("<div class=\"done\"><h1 tabindex=\"-1\">{}</h1><p>{}</p></div>", t.thanks_title, t.thanks_body)
}

/// The questionnaire as a form.
pub fn survey(view: &SurveyView, state: &FormState) -> String {
    let t = texts(view.lang);
    let slug = escape(&view.slug);
    let mut body = String::with_capacity(8 * 1024);
    let _ = write!(
        body,
        "<p class=\"note\" lang=\"{other}\"><a href=\"?lang={other}\">{switch}</a></p>\
         <p class=\"campaign\">{campaign}</p><h1>{unit}</h1><p class=\"note\">{title}</p>\
         <form id=\"survey\" method=\"post\" action=\"/s/{slug}\" data-api=\"/api/v1/public/surveys/{slug}/responses\" data-cookie=\"{cookie}\" novalidate>\
         <p id=\"alert\" class=\"alert\" role=\"alert\" tabindex=\"-1\">{alert}</p>\
         <input type=\"hidden\" name=\"submission_id\" value=\"{id}\"><input type=\"hidden\" name=\"lang\" value=\"{lang}\">",
        other = other_lang(view.lang),
        switch = t.switch_language,
        campaign = escape(&view.campaign_title),
        unit = escape(&view.unit_name),
        title = escape(&view.title),
        cookie = cookie_name(&view.slug),
        alert = state.alert.map(escape).unwrap_or_default(),
        id = state.submission_id,
        lang = lang_code(view.lang),
    );
    if view.requires_invitation {
        let _ = write!(
            body,
            "<label class=\"field\" for=\"invitation_code\">{} <span class=\"req\">{}</span></label>\
             <input type=\"text\" id=\"invitation_code\" name=\"invitation_code\" autocomplete=\"off\" autocapitalize=\"characters\" value=\"{}\">",
            t.invitation,
            t.required,
            escape(state.invitation_code)
        );
    }
    for (index, question) in view.questions.iter().enumerate() {
        question_html(&mut body, t, index + 1, question, state);
    }
    let strings = serde_json::json!({
        "submit": t.submit, "sending": t.sending, "choose_one": t.choose_one,
        "network_error": t.network_error, "fix_errors": t.fix_errors
    });
    let _ = write!(
        body,
        "<button type=\"submit\">{submit}</button><p class=\"note\">{privacy}</p></form>\
         <template id=\"done\">{done}</template>\
         <script type=\"application/json\" id=\"t\">{strings}</script>",
        submit = t.submit,
        privacy = t.privacy,
        done = done_html(t),
        strings = strings.to_string().replace("</", "<\\/"),
    );
    page(view.lang, &format!("{} · {}", view.unit_name, view.title), &body, Some(SCRIPT))
}

pub fn thanks(lang: Lang) -> String {
    let t = texts(lang);
    page(lang, t.thanks_title, &done_html(t), None)
}

pub fn already_answered(lang: Lang) -> String {
    let t = texts(lang);
    page(
        lang,
        t.already_title,
        &format!("<div class=\"done\"><h1>{}</h1><p>{}</p></div>", t.already_title, t.already_body),
        None,
    )
}

/// A friendly page for an error: what happened, in the citizen's language.
pub fn error(lang: Lang, err: &ApiError) -> String {
    let t = texts(lang);
    let (title, body) = match err {
        ApiError::NotFound(_) => (t.not_found_title, t.not_found_body),
        ApiError::Gone(_) => (t.closed_title, t.closed_body),
        ApiError::Conflict(detail) if detail.contains("not open yet") => (t.not_open_title, t.not_open_body),
        ApiError::Conflict(_) => (t.already_title, t.already_body),
        ApiError::TooManyRequests { .. } => (t.too_many_title, t.too_many_body),
        ApiError::Forbidden(_) => (t.forbidden_title, ""),
        _ => (t.unavailable_title, t.unavailable_body),
    };
    page(lang, title, &format!("<div class=\"done\"><h1>{title}</h1><p>{body}</p></div>"), None)
}
