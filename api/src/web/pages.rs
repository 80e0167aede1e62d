//! The answer page, its thank-you page and the friendly error pages.

use std::collections::BTreeMap;
use std::fmt::Write;

use uuid::Uuid;

use crate::domain::questionnaire::{Lang, QuestionKind};
use crate::error::{ApiError, FieldError};
use crate::intake::submit::refusals;
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
const SCRIPT: &str = r#"(function(){var f=document.getElementById('survey');if(!f||!window.fetch||!window.FormData)return;var T=JSON.parse(document.getElementById('t').textContent);var A=document.getElementById('alert');f.addEventListener('submit',function(e){e.preventDefault();var first=null;function mark(k,m){var p=document.getElementById('err-'+k);if(p){p.textContent=m;if(!first)first=p.parentNode.querySelector('input,textarea')||p}else{A.textContent=m}}A.textContent='';Array.prototype.forEach.call(f.querySelectorAll('.err'),function(p){p.textContent=''});var fd=new FormData(f),answers={};fd.forEach(function(v,k){if(k.indexOf('a.')===0&&v!=='')answers[k.slice(2)]=v});Array.prototype.forEach.call(f.querySelectorAll('[data-required]'),function(q){if(!answers[q.getAttribute('data-key')])mark(q.getAttribute('data-key'),T.choose_one)});if(first){A.textContent=T.fix_errors;first.focus();return}var body={submission_id:fd.get('submission_id'),answers:answers};if(fd.get('invitation_code'))body.invitation_code=fd.get('invitation_code');var b=f.querySelector('button');b.disabled=true;b.textContent=T.sending;function reset(){b.disabled=false;b.textContent=T.submit}fetch(f.getAttribute('data-api'),{method:'POST',headers:{'Content-Type':'application/json','Accept-Language':document.documentElement.lang},body:JSON.stringify(body)}).then(function(r){return r.json().catch(function(){return{}}).then(function(j){if(r.ok){var c=f.getAttribute('data-cookie');if(c)document.cookie=c+'=1; Path='+f.getAttribute('action')+'; Max-Age=31536000; SameSite=Lax';var m=document.querySelector('main');m.innerHTML=document.getElementById('done').innerHTML;m.querySelector('h1').focus();if(f.hasAttribute('data-kiosk'))setTimeout(function(){location.href=f.getAttribute('action')},15000);return}if(r.status===422&&j.errors){j.errors.forEach(function(x){var k=x.field.replace(/^answers\./,'');mark(k,x.message==='is required'?T.choose_one:x.message)});A.textContent=T.fix_errors;if(first)first.focus()}else{f.submit();return}reset()})}).catch(function(){A.textContent=T.network_error;reset()})})})();"#;

pub fn cookie_name(slug: &str) -> String {
    format!("pingyi_done_{slug}")
}

fn error_for<'a>(errors: &'a [FieldError], key: &str) -> Option<&'a FieldError> {
    let field = format!("answers.{key}");
    errors.iter().find(|e| e.field == field)
}

fn localized_message(t: &Texts, lang: Lang, error: &FieldError) -> String {
    match lang {
        _ if error.message == "is required" => t.choose_one.to_owned(),
        Lang::ZhCn => crate::http::problem_language::translate(&error.message).unwrap_or_else(|| error.message.clone()),
        Lang::En => error.message.clone(),
    }
}

fn question_html(out: &mut String, t: &Texts, lang: Lang, number: usize, q: &PublicQuestion, state: &FormState) {
    let key = escape(&q.key);
    let required = if q.required { format!(" <span class=\"req\">{}</span>", t.required) } else { String::new() };
    let error = error_for(state.errors, &q.key).map(|e| escape(&localized_message(t, lang, e))).unwrap_or_default();
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

/// The thank-you: naming the unit when it is known, and at a kiosk a way to the next form.
fn done_html(t: &Texts, unit: Option<&str>, kiosk_slug: Option<&str>) -> String {
    let title = unit.map_or_else(|| t.thanks_title.to_owned(), |unit| t.thanks_named.replace("{unit}", &escape(unit)));
    let next = kiosk_slug
        .map(|slug| format!("<p><a class=\"next\" href=\"/s/{}\">{}</a></p>", escape(slug), t.next_citizen))
        .unwrap_or_default();
    format!("<div class=\"done\"><h1 tabindex=\"-1\">{title}</h1><p>{}</p>{next}</div>", t.thanks_body)
}

/// Who asks, how long it takes, that it is anonymous and until when.
fn intro_html(t: &Texts, view: &SurveyView) -> String {
    let date = match view.lang {
        Lang::ZhCn => view.closes_on.format("%Y年%-m月%-d日").to_string(),
        Lang::En => view.closes_on.format("%-d %B %Y").to_string(),
    };
    let text = match &view.organiser {
        Some(organiser) => t.intro_by.replace("{organiser}", &escape(organiser)),
        None => t.intro.to_owned(),
    };
    format!("<p class=\"intro\">{}</p>", text.replace("{minutes}", &view.minutes.to_string()).replace("{date}", &date))
}

/// The questionnaire as a form.
pub fn survey(view: &SurveyView, state: &FormState) -> String {
    survey_page(view, state, None)
}

/// The questionnaire exactly as a citizen sees it, under `notice`, with a form that sends
/// nothing: for the office to read before publishing.
pub fn preview(view: &SurveyView, notice: &str) -> String {
    let state = FormState {
        submission_id: Uuid::nil(),
        values: &BTreeMap::new(),
        invitation_code: "",
        errors: &[],
        alert: None,
    };
    survey_page(view, &state, Some(notice))
}

fn survey_page(view: &SurveyView, state: &FormState, preview: Option<&str>) -> String {
    let t = texts(view.lang);
    let slug = escape(&view.slug);
    let mut body = String::with_capacity(8 * 1024);
    let form = match preview {
        Some(notice) => format!(
            "<p class=\"alert\" role=\"status\" id=\"preview\">{}</p><form id=\"survey\" aria-describedby=\"preview\">",
            escape(notice)
        ),
        None => format!(
            "<form id=\"survey\" method=\"post\" action=\"/s/{slug}\" data-api=\"/api/v1/public/surveys/{slug}/responses\"{remember} novalidate>",
            // A kiosk serves one citizen after another: nothing marks the tablet as "answered".
            remember = if view.kiosk {
                " data-kiosk".to_owned()
            } else {
                format!(" data-cookie=\"{}\"", cookie_name(&view.slug))
            },
        ),
    };
    let _ = write!(
        body,
        "<p class=\"note\" lang=\"{other}\"><a href=\"?lang={other}\">{switch}</a></p>\
         <p class=\"campaign\">{campaign}</p><h1>{unit}</h1><p class=\"note\">{title}</p>{intro}\
         {form}\
         <p id=\"alert\" class=\"alert\" role=\"alert\" tabindex=\"-1\">{alert}</p>\
         <input type=\"hidden\" name=\"submission_id\" value=\"{id}\"><input type=\"hidden\" name=\"lang\" value=\"{lang}\">",
        other = other_lang(view.lang),
        switch = t.switch_language,
        campaign = escape(&view.campaign_title),
        unit = escape(&view.unit_name),
        title = escape(&view.title),
        intro = intro_html(t, view),
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
        question_html(&mut body, t, view.lang, index + 1, question, state);
    }
    let strings = serde_json::json!({
        "submit": t.submit, "sending": t.sending, "choose_one": t.choose_one,
        "network_error": t.network_error, "fix_errors": t.fix_errors
    });
    let _ = write!(
        body,
        "<button type=\"submit\"{disabled}>{submit}</button><p class=\"note\">{privacy}</p></form>{notice_board}\
         <template id=\"done\">{done}</template>\
         <script type=\"application/json\" id=\"t\">{strings}</script>",
        submit = t.submit,
        disabled = if preview.is_some() { " disabled" } else { "" },
        privacy = t.privacy,
        notice_board = view
            .notice_board
            .as_deref()
            .map(|href| format!("<p class=\"note\"><a href=\"{}\">{}</a></p>", escape(href), t.notice_board))
            .unwrap_or_default(),
        done = done_html(t, Some(&view.unit_name), view.kiosk.then_some(view.slug.as_str())),
        strings = strings.to_string().replace("</", "<\\/"),
    );
    let script = if preview.is_some() { None } else { Some(SCRIPT) };
    page(view.lang, &format!("{} · {}", view.unit_name, view.title), &body, script)
}

/// The thank-you page after a form posted without JavaScript.
pub fn thanks(lang: Lang, unit: Option<&str>, kiosk_slug: Option<&str>) -> String {
    let t = texts(lang);
    page(lang, t.thanks_title, &done_html(t, unit, kiosk_slug), None)
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
    let is = |detail: &str, refusal: &str| detail == refusal;
    let (title, body) = match err {
        ApiError::NotFound(_) => (t.not_found_title, t.not_found_body),
        ApiError::Gone(detail) if is(detail, refusals::WITHDRAWN) => (t.withdrawn_title, t.closed_body),
        ApiError::Gone(_) => (t.closed_title, t.closed_body),
        ApiError::Conflict(detail) if is(detail, refusals::NOT_OPEN) => (t.not_open_title, t.not_open_body),
        ApiError::Conflict(detail) if is(detail, refusals::DUPLICATE) => (t.duplicate_title, t.duplicate_body),
        ApiError::Conflict(_) => (t.other_answers_title, t.other_answers_body),
        ApiError::TooManyRequests { detail, .. } if is(detail, refusals::DAILY_CAP) => {
            (t.daily_cap_title, t.daily_cap_body)
        }
        ApiError::TooManyRequests { .. } => (t.too_many_title, t.too_many_body),
        ApiError::Forbidden(_) => (t.forbidden_title, ""),
        _ => (t.unavailable_title, t.unavailable_body),
    };
    page(lang, title, &format!("<div class=\"done\"><h1>{title}</h1><p>{body}</p></div>"), None)
}
