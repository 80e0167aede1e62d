//! The representatives' feedback page (整改情况反馈): opened with the code on their ballot
//! slip, it shows what the session's units report on their rectification, and their
//! documents as downloads (each a small form carrying the code, so the code never goes into
//! an address). Chinese first, no script, phone-sized like the ballot.

use askama::Template;
use uuid::Uuid;

use crate::domain::calendar::plan_date as day;
use crate::domain::questionnaire::Lang;
use crate::services::evaluation::feedback::Feedback;
use crate::web::conference_room::BALLOT_STYLE;

pub struct Words {
    pub lang_attr: &'static str,
    pub other_language: &'static str,
    pub other_language_code: &'static str,
    pub heading: &'static str,
    pub intro: &'static str,
    pub code: &'static str,
    pub code_note: &'static str,
    pub code_refused: &'static str,
    pub open: &'static str,
    pub nothing: &'static str,
    pub reports: &'static str,
    pub documents: &'static str,
    pub download: &'static str,
    pub submitted: &'static str,
    pub colon: &'static str,
    pub to_ballot: &'static str,
}

const ZH: Words = Words {
    lang_attr: "zh-CN",
    other_language: "English",
    other_language_code: "en",
    heading: "整改情况反馈",
    intro: "参评单位向评议代表反馈的整改情况报告。凭纸条上的测评码查看，不记名。",
    code: "测评码",
    code_note: "测评码印在您领到的纸条上；扫描纸条上的二维码时已自动填好。",
    code_refused: "该测评码无效，请核对纸条上的测评码。",
    open: "查看整改情况",
    nothing: "该单位尚未反馈整改情况。",
    reports: "整改情况报告",
    documents: "报送的材料",
    download: "下载",
    submitted: "提交于",
    colon: "：",
    to_ballot: "返回测评票",
};

const EN: Words = Words {
    lang_attr: "en",
    other_language: "中文",
    other_language_code: "zh-CN",
    heading: "Rectification feedback",
    intro: "What the units evaluated report to the representatives on their rectification. Opened with the code on your slip; it names no one.",
    code: "Code",
    code_note: "The code is printed on your slip; scanning the slip's QR code fills it in.",
    code_refused: "This code is not valid; check the code on your slip.",
    open: "Read the feedback",
    nothing: "This unit has reported nothing yet.",
    reports: "Rectification reports",
    documents: "Documents handed in",
    download: "Download",
    submitted: "Handed in",
    colon: ": ",
    to_ballot: "Back to the ballot",
};

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::ZhCn => &ZH,
        Lang::En => &EN,
    }
}

pub struct DocumentView {
    pub action: String,
    pub title: String,
    pub note: String,
    pub file_name: Option<String>,
    pub submitted: String,
}

pub struct ReportView {
    pub body: String,
    pub submitted: String,
}

pub struct UnitView {
    pub name: String,
    pub reports: Vec<ReportView>,
    pub documents: Vec<DocumentView>,
}

#[derive(Template)]
#[template(path = "conference/feedback.html")]
pub struct FeedbackPage {
    pub words: &'static Words,
    pub style: &'static str,
    pub title: String,
    pub action: String,
    pub ballot_href: String,
    pub other_language_href: String,
    pub code: String,
    pub code_error: Option<&'static str>,
    /// `None` until a code opened it.
    pub units: Option<Vec<UnitView>>,
}

impl FeedbackPage {
    /// The code form, with what was typed and why it was refused.
    pub fn form(lang: Lang, session_id: Uuid, title: String, code: String, code_error: Option<&'static str>) -> Self {
        let words = words(lang);
        let action = format!("/conference/{session_id}/feedback");
        Self {
            words,
            style: BALLOT_STYLE,
            title,
            other_language_href: format!("{action}?lang={}", words.other_language_code),
            ballot_href: format!("/conference/{session_id}/ballot?lang={}", lang.code()),
            action,
            code,
            code_error,
            units: None,
        }
    }

    /// The feedback a code opened.
    pub fn opened(lang: Lang, session_id: Uuid, code: String, feedback: Feedback) -> Self {
        let units = feedback
            .units
            .into_iter()
            .map(|unit| UnitView {
                name: unit.name,
                reports: unit
                    .reports
                    .into_iter()
                    .map(|r| ReportView { body: r.body, submitted: day(r.submitted_at) })
                    .collect(),
                documents: unit
                    .documents
                    .into_iter()
                    .map(|d| DocumentView {
                        action: format!("/conference/{session_id}/feedback/{}?lang={}", d.hand_in_id, lang.code()),
                        title: d.title,
                        note: d.note,
                        file_name: d.file_name,
                        submitted: day(d.handed_in_at),
                    })
                    .collect(),
            })
            .collect();
        Self { units: Some(units), ..Self::form(lang, session_id, feedback.campaign_title, code, None) }
    }
}
