//! The public notice board page (公示) of a campaign or of one unit: the problems made public
//! with their measures and progress, and the rectification reports made public. Printable
//! for a notice board (A4, no colours needed); Chinese first; no script.

use askama::Template;

use crate::domain::questionnaire::Lang;
use crate::services::evaluation::notice_board::{NoticeBoard, UnitNotice};
use crate::services::evaluation::rectification::MeasureStatus;

pub struct Words {
    pub lang_attr: &'static str,
    pub other_language: &'static str,
    pub other_language_code: &'static str,
    pub heading: &'static str,
    pub intro: &'static str,
    pub nothing: &'static str,
    pub nothing_here: &'static str,
    pub problems: &'static str,
    pub found_on: &'static str,
    pub measure: &'static str,
    pub deadline: &'static str,
    pub progress: &'static str,
    pub no_measures: &'static str,
    pub overdue: &'static str,
    pub reports: &'static str,
    pub documents: &'static str,
    pub download: &'static str,
    pub submitted: &'static str,
    pub all_units: &'static str,
    pub planned: &'static str,
    pub in_progress: &'static str,
    pub done: &'static str,
    pub verified: &'static str,
    pub colon: &'static str,
}

const ZH: Words = Words {
    lang_attr: "zh-CN",
    other_language: "English",
    other_language_code: "en",
    heading: "整改公示",
    intro: "民主评议中发现的问题、整改措施和进展，以及整改报告，按评议方案向社会公开，接受群众监督。",
    nothing: "目前还没有公开的问题。",
    nothing_here: "该单位目前还没有公开的问题或整改报告。",
    problems: "发现的问题",
    found_on: "发现日期",
    measure: "整改措施",
    deadline: "完成时限",
    progress: "进展",
    no_measures: "整改措施正在制定中。",
    overdue: "已逾期",
    reports: "整改报告",
    documents: "公开材料",
    download: "下载",
    submitted: "提交于",
    all_units: "全部单位的整改公示",
    planned: "已制定",
    in_progress: "整改中",
    done: "已完成",
    verified: "已验收",
    colon: "：",
};

const EN: Words = Words {
    lang_attr: "en",
    other_language: "中文",
    other_language_code: "zh-CN",
    heading: "Rectification notice board",
    intro: "The problems found in the evaluation, the measures taken and their progress, and the rectification reports, made public as the plan requires.",
    nothing: "No problem has been made public yet.",
    nothing_here: "This unit has made no problem or rectification report public yet.",
    problems: "Problems found",
    found_on: "Found on",
    measure: "Measure",
    deadline: "Deadline",
    progress: "Progress",
    no_measures: "Measures are being drawn up.",
    overdue: "overdue",
    reports: "Rectification reports",
    documents: "Documents made public",
    download: "Download",
    submitted: "Handed in",
    all_units: "Every unit's notice board",
    planned: "Planned",
    in_progress: "Under way",
    done: "Done",
    verified: "Checked",
    colon: ": ",
};

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::ZhCn => &ZH,
        Lang::En => &EN,
    }
}

/// Plain and printable: dark on white, tables that break across A4 pages by row.
const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:17px/1.6 system-ui,-apple-system,\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;color:#1f2328;background:#f4f6f8}\
main{max-width:52rem;margin:0 auto;padding:1rem 1.25rem 2rem;background:#fff;min-height:100vh}\
h1{font-size:1.5rem;margin:.2rem 0 .5rem}\
h2{font-size:1.25rem;margin:1.8rem 0 .4rem;border-bottom:2px solid #1f2328}\
h3{font-size:1.05rem;margin:1rem 0 .3rem}\
.campaign,.note{color:#57606a;font-size:.9rem;margin:.25rem 0}\
table{width:100%;border-collapse:collapse;margin:.4rem 0 1rem}\
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #d0d7de}\
thead th{background:#eef1f4}\
.tag{font-weight:600;color:#a4161a}\
.report{white-space:pre-wrap}\
a{color:#0b57a4}\
:focus-visible{outline:3px solid #0b57a4;outline-offset:2px}\
@media print{body{background:#fff}main{max-width:none;padding:0}nav{display:none}tr{break-inside:avoid}}";

pub struct MeasureView {
    pub description: String,
    pub deadline: String,
    pub progress: &'static str,
    pub overdue: bool,
}

pub struct ProblemView {
    pub description: String,
    pub found_on: String,
    pub measures: Vec<MeasureView>,
}

pub struct ReportView {
    pub body: String,
    pub submitted: String,
}

pub struct DocumentView {
    pub title: String,
    pub note: String,
    pub file_name: String,
    /// The document's download link, if it has a document.
    pub url: Option<String>,
    pub submitted: String,
}

pub struct UnitView {
    pub name: String,
    pub href: String,
    pub problems: Vec<ProblemView>,
    pub reports: Vec<ReportView>,
    pub documents: Vec<DocumentView>,
}

#[derive(Template)]
#[template(path = "public/notice_board.html")]
pub struct NoticeBoardPage {
    pub words: &'static Words,
    pub style: &'static str,
    pub title: String,
    /// The unit's name on a unit's page; `None` on the campaign's.
    pub unit: Option<String>,
    pub campaign_href: String,
    pub other_language_href: String,
    pub units: Vec<UnitView>,
}

fn progress(words: &Words, status: MeasureStatus) -> &'static str {
    match status {
        MeasureStatus::Planned => words.planned,
        MeasureStatus::InProgress => words.in_progress,
        MeasureStatus::Done => words.done,
        MeasureStatus::Verified => words.verified,
    }
}

fn unit_view(words: &Words, campaign_href: &str, unit: UnitNotice) -> UnitView {
    let day = crate::domain::calendar::plan_date;
    UnitView {
        href: format!("{campaign_href}/{}", unit.unit_id),
        name: unit.unit_name,
        problems: unit
            .problems
            .into_iter()
            .map(|p| ProblemView {
                description: p.description,
                found_on: p.found_on.to_string(),
                measures: p
                    .measures
                    .into_iter()
                    .map(|m| MeasureView {
                        description: m.description,
                        deadline: m.deadline.to_string(),
                        progress: progress(words, m.status),
                        overdue: m.overdue,
                    })
                    .collect(),
            })
            .collect(),
        reports: unit
            .reports
            .into_iter()
            .map(|r| ReportView { body: r.body, submitted: day(r.submitted_at) })
            .collect(),
        documents: unit
            .documents
            .into_iter()
            .map(|d| DocumentView {
                title: d.title,
                note: d.note,
                file_name: d.file_name.unwrap_or_default(),
                url: d.url,
                submitted: day(d.handed_in_at),
            })
            .collect(),
    }
}

impl NoticeBoardPage {
    /// The page of `board`: the campaign's when `one_unit` is false, else its single unit's.
    pub fn new(lang: Lang, board: NoticeBoard, one_unit: bool, path: &str) -> Self {
        let words = words(lang);
        let campaign_href = format!("/notice/{}", board.campaign_id);
        let units: Vec<UnitView> = board.units.into_iter().map(|u| unit_view(words, &campaign_href, u)).collect();
        Self {
            words,
            style: STYLE,
            title: board.title,
            unit: if one_unit { units.first().map(|u| u.name.clone()) } else { None },
            other_language_href: format!("{path}?lang={}", words.other_language_code),
            campaign_href,
            units,
        }
    }
}
