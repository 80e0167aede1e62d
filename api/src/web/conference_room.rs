//! The conference room's pages: the phone ballot a representative opens from the QR code on
//! their slip, and the projector page for the hall. Both are askama templates
//! (`api/templates/conference/`), work without JavaScript and are Chinese first.

use askama::Template;
use uuid::Uuid;

use crate::domain::questionnaire::Lang;
use crate::services::evaluation::ballot_sheet::BallotSheet;
use crate::services::evaluation::conference::{Score, ScoringMode, Tally, UnitTally};

pub struct Words {
    pub lang_attr: &'static str,
    pub other_language: &'static str,
    pub other_language_code: &'static str,
    pub ballot: &'static str,
    pub ballot_heading: &'static str,
    pub intro: &'static str,
    pub fix_these: &'static str,
    pub code: &'static str,
    pub code_note: &'static str,
    pub code_missing: &'static str,
    pub code_refused: &'static str,
    pub unit_missing: &'static str,
    pub choose_for: &'static str,
    pub submit: &'static str,
    pub once: &'static str,
    pub counted: &'static str,
    pub counted_message: &'static str,
    pub closed: &'static str,
    pub closed_message: &'static str,
    pub error: &'static str,
    pub error_message: &'static str,
    pub conference: &'static str,
    pub overall_mode: &'static str,
    pub dimensions_mode: &'static str,
    pub ballots_received: &'static str,
    pub voting: &'static str,
    pub units_scored: &'static str,
    pub results: &'static str,
    pub ballots_total: &'static str,
    pub rank: &'static str,
    pub unit: &'static str,
    pub valid: &'static str,
    pub score: &'static str,
    pub feedback: &'static str,
}

const ZH: Words = Words {
    lang_attr: "zh-CN",
    other_language: "English",
    other_language_code: "en",
    ballot: "测评票",
    ballot_heading: "大会测评 · 测评票",
    intro: "请对下列每个单位作出评价；不了解的，请选“不了解”。测评不记名。",
    fix_these: "请先处理以下问题：",
    code: "测评码",
    code_note: "测评码印在您领到的纸条上；扫描纸条上的二维码时已自动填好。",
    code_missing: "请填写测评码。",
    code_refused: "该测评码无效或已经使用过，请核对纸条上的测评码。",
    unit_missing: "请为该单位作出选择。",
    choose_for: "请评价：",
    submit: "提交测评票",
    once: "每个测评码只能提交一次，提交后不能修改。",
    counted: "测评票已计入",
    counted_message: "您的测评票已经计入，谢谢！现在可以关闭本页面。",
    closed: "本场测评已结束",
    closed_message: "本场测评已经结束，不再接收测评票。",
    error: "出错了",
    error_message: "暂时无法处理，请稍后再试，或联系会场工作人员。",
    conference: "大会测评",
    overall_mode: "总体评价",
    dimensions_mode: "分项评价",
    ballots_received: "张测评票已收到",
    voting: "测评进行中",
    units_scored: "被测评单位",
    results: "测评结果",
    ballots_total: "测评票",
    rank: "名次",
    unit: "单位",
    valid: "有效票",
    score: "得分",
    feedback: "查看参评单位的整改情况反馈",
};

const EN: Words = Words {
    lang_attr: "en",
    other_language: "中文",
    other_language_code: "zh-CN",
    ballot: "Ballot",
    ballot_heading: "Assessment conference · Ballot",
    intro: "Rate each unit below; choose \"Don't know\" where you cannot judge. The ballot is anonymous.",
    fix_these: "Please fix the following first:",
    code: "Ballot code",
    code_note: "The code is printed on your slip; scanning the slip's QR code fills it in.",
    code_missing: "Enter your ballot code.",
    code_refused: "This ballot code is not valid or was used already; check the code on your slip.",
    unit_missing: "Choose a rating for this unit.",
    choose_for: "Rate: ",
    submit: "Submit the ballot",
    once: "Each code can submit once; a submitted ballot cannot be changed.",
    counted: "Ballot counted",
    counted_message: "Your ballot was counted. Thank you! You can close this page now.",
    closed: "This session has ended",
    closed_message: "This scoring session has ended and takes no more ballots.",
    error: "Something went wrong",
    error_message: "The ballot could not be handled just now; try again shortly, or ask the staff in the hall.",
    conference: "Assessment conference",
    overall_mode: "Overall rating",
    dimensions_mode: "Rating by dimension",
    ballots_received: "ballots received",
    voting: "Voting in progress",
    units_scored: "Units scored:",
    results: "Results",
    ballots_total: "ballots:",
    rank: "Rank",
    unit: "Unit",
    valid: "Valid",
    score: "Score",
    feedback: "Read the units' rectification feedback",
};

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::ZhCn => &ZH,
        Lang::En => &EN,
    }
}

/// Large tap targets for a phone held in one hand (WeChat's browser is about 360–414 px wide).
pub(crate) const BALLOT_STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:17px/1.5 system-ui,-apple-system,\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;color:#1f2328;background:#f4f6f8}\
main{max-width:40rem;margin:0 auto;padding:1rem;background:#fff;min-height:100vh}\
h1{font-size:1.4rem;margin:.2rem 0 .5rem}\
.campaign,.note{color:#57606a;font-size:.9rem;margin:.25rem 0}\
fieldset{border:0;border-top:1px solid #d0d7de;margin:1rem 0 0;padding:1rem 0 0;min-width:0}\
fieldset.dimension{border:0;margin:.5rem 0 0;padding:0}\
fieldset.missing{border-left:4px solid #a4161a;padding-left:.5rem}\
legend{font-weight:600;padding:0;margin-bottom:.5rem}\
.dimension legend{font-weight:400}\
.opts{display:grid;grid-template-columns:repeat(auto-fill,minmax(6.4rem,1fr));gap:.4rem}\
.opt{display:flex;align-items:center;gap:.35rem;min-height:48px;padding:.35rem .45rem;border:2px solid #d0d7de;border-radius:10px;font-size:.95rem;cursor:pointer}\
.opt input{width:1.1rem;height:1.1rem;margin:0;accent-color:#0b57a4;flex:none}\
.opt:has(input:checked){border-color:#0b57a4;background:#eef4fb}\
label.field{display:block;font-weight:600;margin:1rem 0 .4rem}\
input[type=text]{width:100%;font:inherit;font-size:1.2rem;letter-spacing:.08em;padding:.6rem;border:2px solid #8c959f;border-radius:8px}\
:focus-visible{outline:3px solid #0b57a4;outline-offset:2px}\
button{width:100%;min-height:52px;margin:1.5rem 0 .5rem;font:inherit;font-weight:600;color:#fff;background:#0b57a4;border:0;border-radius:10px;cursor:pointer}\
a{color:#0b57a4}\
.err{color:#a4161a;font-weight:600;margin:.4rem 0 0}\
.alert{border:2px solid #a4161a;border-radius:8px;padding:.75rem;color:#a4161a;font-weight:600}\
.alert a{color:#a4161a}\
.done{text-align:center;padding-top:3rem}\
.done p{font-size:1.1rem}\
h2{font-size:1.15rem;margin:1.4rem 0 .3rem;border-bottom:1px solid #d0d7de}\
h3{font-size:1rem;margin:.8rem 0 .2rem}\
.report{white-space:pre-wrap}\
button.link{width:auto;min-height:44px;margin:.3rem 0;padding:0 1rem}";

/// For a hall: 1920 × 1080, dark text on white, sized to be read from the back of the room.
const PROJECTOR_STYLE: &str = "\
*{box-sizing:border-box}\
html,body{margin:0;height:100%}\
body{font:28px/1.35 system-ui,\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;color:#111;background:#fff}\
header{background:#0b57a4;color:#fff;padding:1.2rem 3rem}\
h1{margin:0;font-size:2.6rem}\
.sub{margin:.2rem 0 0;font-size:1.4rem}\
main{padding:1.5rem 3rem}\
.count{margin:6rem 0 1rem;text-align:center;font-size:3rem;font-weight:700}\
.figure{font-size:9rem;font-variant-numeric:tabular-nums;color:#0b57a4}\
.state{text-align:center;font-size:1.8rem;color:#333}\
h2{margin:0 0 .6rem;font-size:2.2rem}\
.total{font-weight:400;font-size:1.6rem}\
.columns{display:flex;gap:3rem;align-items:flex-start}\
table{flex:1;border-collapse:collapse}\
th,td{padding:.3rem .6rem;border-bottom:2px solid #ccc;text-align:left}\
thead th{background:#e8eef6;font-size:1.4rem}\
tbody th{font-weight:400}\
.num{text-align:right;font-variant-numeric:tabular-nums}\
.score{font-weight:700}";

pub struct ProblemLink {
    pub anchor: String,
    pub text: String,
}

pub struct OptionView {
    pub id: String,
    pub key: String,
    pub label: String,
    pub checked: bool,
}

pub struct QuestionView {
    pub field: String,
    /// The dimension's name; none for the single overall rating of a unit.
    pub legend: Option<String>,
    pub options: Vec<OptionView>,
}

pub struct UnitView {
    pub anchor: String,
    pub name: String,
    pub missing: bool,
    pub questions: Vec<QuestionView>,
}

#[derive(Template)]
#[template(path = "conference/ballot.html")]
pub struct BallotPage {
    pub words: &'static Words,
    pub style: &'static str,
    pub title: String,
    pub action: String,
    pub other_language_href: String,
    /// The representatives' feedback page, with the code when the slip's QR code gave one.
    pub feedback_href: String,
    pub code: String,
    pub code_error: Option<&'static str>,
    pub problems: Vec<ProblemLink>,
    pub units: Vec<UnitView>,
}

/// The name of the form field that carries a unit's choice on `dimension`.
pub fn field_name(unit_id: Uuid, dimension: &str) -> String {
    format!("s.{unit_id}.{dimension}")
}

/// What the representative sent: their code and each choice, by field name.
#[derive(Default)]
pub struct BallotForm {
    pub code: String,
    pub choices: std::collections::HashMap<String, String>,
}

impl BallotForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (name, value) in pairs {
            if name == "code" {
                form.code = value.trim().to_owned();
            } else if name.starts_with("s.") {
                form.choices.insert(name, value);
            }
        }
        form
    }

    /// The ballot's scores when every question of `sheet` has a choice, else the units
    /// with a question left open.
    pub fn scores(&self, sheet: &BallotSheet) -> Result<Vec<Score>, Vec<Uuid>> {
        let mut scores = Vec::new();
        let mut missing = Vec::new();
        for unit in &sheet.units {
            for question in &unit.questions {
                match self.choices.get(&field_name(unit.id, &question.dimension)) {
                    Some(option) => scores.push(Score {
                        unit_id: unit.id,
                        dimension: question.dimension.clone(),
                        option: option.clone(),
                    }),
                    None => {
                        if !missing.contains(&unit.id) {
                            missing.push(unit.id);
                        }
                    }
                }
            }
        }
        if missing.is_empty() { Ok(scores) } else { Err(missing) }
    }
}

/// Where a page in `lang` sends its form, and its link to the other language.
fn with_lang(path: &str, lang: Lang) -> String {
    match lang {
        Lang::ZhCn => path.to_owned(),
        Lang::En => format!("{path}?lang=en"),
    }
}

impl BallotPage {
    /// The ballot of `sheet` with what `form` chose, and the problems found with it.
    pub fn new(
        sheet: &BallotSheet,
        lang: Lang,
        form: &BallotForm,
        missing: &[Uuid],
        code_error: Option<&'static str>,
    ) -> Self {
        let words = words(lang);
        let path = format!("/conference/{}/ballot", sheet.session.id);
        let mut problems = Vec::new();
        if let Some(error) = code_error {
            problems.push(ProblemLink { anchor: "code".to_owned(), text: error.to_owned() });
        }
        let units: Vec<UnitView> = sheet
            .units
            .iter()
            .map(|unit| {
                let anchor = format!("u-{}", unit.id);
                let missing = missing.contains(&unit.id);
                if missing {
                    problems.push(ProblemLink {
                        anchor: anchor.clone(),
                        text: format!("{}{}", words.choose_for, unit.name),
                    });
                }
                let single = unit.questions.len() == 1;
                let questions = unit
                    .questions
                    .iter()
                    .map(|question| {
                        let field = field_name(unit.id, &question.dimension);
                        let chosen = form.choices.get(&field);
                        QuestionView {
                            legend: (!single).then(|| question.label.get(lang).to_owned()),
                            options: question
                                .options
                                .iter()
                                .map(|option| OptionView {
                                    id: format!("o-{}-{}-{}", unit.id, question.dimension, option.key),
                                    key: option.key.clone(),
                                    label: option.label.get(lang).to_owned(),
                                    checked: chosen == Some(&option.key),
                                })
                                .collect(),
                            field,
                        }
                    })
                    .collect();
                UnitView { anchor, name: unit.name.clone(), missing, questions }
            })
            .collect();
        Self {
            words,
            style: BALLOT_STYLE,
            title: sheet.campaign_title.clone(),
            action: with_lang(&path, lang),
            other_language_href: with_lang(&path, if lang == Lang::En { Lang::ZhCn } else { Lang::En }),
            feedback_href: {
                let code = percent_encoding::utf8_percent_encode(&form.code, percent_encoding::NON_ALPHANUMERIC);
                format!("/conference/{}/feedback?lang={}&code={code}", sheet.session.id, lang.code())
            },
            code: form.code.clone(),
            code_error,
            problems,
            units,
        }
    }
}

#[derive(Template)]
#[template(path = "conference/message.html")]
pub struct MessagePage {
    pub words: &'static Words,
    pub style: &'static str,
    pub title: String,
    pub heading: &'static str,
    pub message: &'static str,
}

impl MessagePage {
    pub fn new(lang: Lang, title: String, heading: &'static str, message: &'static str) -> Self {
        Self { words: words(lang), style: BALLOT_STYLE, title, heading, message }
    }
}

pub struct ResultRow {
    pub rank: String,
    pub name: String,
    pub valid: i64,
    pub score: String,
}

/// While the session is open: the count follows the tally's Server-Sent Events, and the page
/// reloads itself when the session closes, to show the results. Without JavaScript the page
/// reloads itself every few seconds instead.
const PROJECTOR_SCRIPT: &str = "(function(){var f=document.getElementById('count');if(!f||!window.EventSource)return;\
var s=new EventSource(f.getAttribute('data-live'));s.addEventListener('tally',function(e){var t=JSON.parse(e.data);\
f.textContent=t.ballots;if(t.status==='closed'){s.close();location.reload();}});})();";

#[derive(Template)]
#[template(path = "conference/projector.html")]
pub struct ProjectorPage {
    pub words: &'static Words,
    pub style: &'static str,
    pub script: &'static str,
    pub session_id: Uuid,
    pub title: String,
    pub mode: &'static str,
    pub open: bool,
    pub refresh_seconds: u32,
    pub ballots: i64,
    pub unit_count: usize,
    /// The results in rank order, split in two columns when they would not fit in one.
    pub columns: Vec<Vec<ResultRow>>,
}

/// The units of a closed session from the highest score down; equal scores share a rank.
pub fn ranked(mut units: Vec<UnitTally>) -> Vec<ResultRow> {
    units.sort_by(|a, b| {
        b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.unit_name.cmp(&b.unit_name))
    });
    let mut rows: Vec<ResultRow> = Vec::new();
    for (index, unit) in units.iter().enumerate() {
        let tied = index > 0 && units[index - 1].score == unit.score;
        let rank = match rows.last() {
            Some(previous) if tied => previous.rank.clone(),
            _ => (index + 1).to_string(),
        };
        rows.push(ResultRow {
            rank,
            name: unit.unit_name.clone(),
            valid: unit.ballots,
            score: unit.score.map_or_else(|| "—".to_owned(), |s| format!("{s:.2}")),
        });
    }
    rows
}

/// Rows that fit one column of the projector at 1080 px.
const ROWS_PER_COLUMN: usize = 16;

impl ProjectorPage {
    pub fn new(lang: Lang, title: String, mode: ScoringMode, tally: Tally) -> Self {
        let words = words(lang);
        let open = tally.status == entity::vocabulary::SessionStatus::Open;
        let unit_count = tally.units.len();
        let rows = ranked(tally.units);
        let per_column = if rows.len() > ROWS_PER_COLUMN { rows.len().div_ceil(2) } else { ROWS_PER_COLUMN };
        let mut columns = Vec::new();
        let mut rest = rows.into_iter().peekable();
        while rest.peek().is_some() {
            columns.push(rest.by_ref().take(per_column).collect());
        }
        Self {
            words,
            style: PROJECTOR_STYLE,
            script: PROJECTOR_SCRIPT,
            session_id: tally.session_id,
            title,
            mode: match mode {
                ScoringMode::Overall => words.overall_mode,
                ScoringMode::Dimensions => words.dimensions_mode,
            },
            open,
            refresh_seconds: 2,
            ballots: tally.ballots,
            unit_count,
            columns,
        }
    }
}
