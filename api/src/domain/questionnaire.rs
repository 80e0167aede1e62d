//! Questions, options and the checking of one submission's answers against a version.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::{FieldError, text};

/// The dimension code of the overall-satisfaction question; per-unit figures use it.
pub const OVERALL: &str = "overall";
/// The option key of 不了解 ("don't know"): an answer, left out of the rate.
pub const DONT_KNOW: &str = "dont_know";
pub const DEFAULT_TEXT_LIMIT: u32 = 1000;
pub const MAX_TEXT_LIMIT: u32 = 5000;

/// A text in Chinese (required) and English (optional, falls back to Chinese).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct LocalizedText {
    #[validate(length(min = 1, max = 500), custom(function = "text::single_line"))]
    #[schema(example = "您对该单位的总体评价", min_length = 1, max_length = 500)]
    pub zh: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 500), custom(function = "text::single_line"))]
    #[schema(example = "Overall, how satisfied are you with this unit?", max_length = 500)]
    pub en: Option<String>,
}

impl LocalizedText {
    pub fn new(zh: &str, en: &str) -> Self {
        Self { zh: zh.to_owned(), en: Some(en.to_owned()) }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match (lang, &self.en) {
            (Lang::En, Some(en)) => en,
            _ => &self.zh,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// The language's tag, as pages and the API name it.
    pub fn code(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Choose one option.
    Rating,
    /// Free text (opinions and suggestions).
    Text,
}

/// One answer option of a rating question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    #[validate(custom(function = "text::key"))]
    #[schema(example = "satisfied", pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub key: String,
    /// Contribution to the satisfaction rate, in [0, 1]. `null` marks "don't know":
    /// the answer is counted but left out of the rate's denominator.
    #[validate(range(min = 0.0, max = 1.0))]
    #[schema(example = 0.8, minimum = 0.0, maximum = 1.0)]
    pub weight: Option<f64>,
    #[validate(nested)]
    pub label: LocalizedText,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct Question {
    #[validate(custom(function = "text::key"))]
    #[schema(example = "overall", pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub key: String,
    pub kind: QuestionKind,
    /// The evaluated dimension (`overall` for the overall question); aggregates group by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "text::key"))]
    #[schema(example = "overall")]
    pub dimension: Option<String>,
    #[serde(default = "default_required")]
    pub required: bool,
    #[validate(nested)]
    pub text: LocalizedText,
    /// Rating questions: at least two options. Text questions: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[validate(nested)]
    pub options: Vec<AnswerOption>,
    /// Text questions: the longest accepted answer in characters (default 1000, at most 5000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(range(min = 1, max = 5000))]
    #[schema(minimum = 1, maximum = 5000)]
    pub max_length: Option<u32>,
}

fn default_required() -> bool {
    true
}

impl Question {
    pub fn text_limit(&self) -> usize {
        self.max_length.unwrap_or(DEFAULT_TEXT_LIMIT) as usize
    }
}

/// Rules across questions that field attributes cannot express.
pub fn check_questions(questions: &[Question]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if questions.is_empty() {
        errors.push(FieldError::new("questions", "needs at least one question"));
    }
    if questions.len() > 100 {
        errors.push(FieldError::new("questions", "may have at most 100 questions"));
    }
    let mut keys = HashSet::new();
    for (index, question) in questions.iter().enumerate() {
        let path = format!("questions[{index}]");
        if !keys.insert(question.key.as_str()) {
            errors.push(FieldError::new(format!("{path}.key"), "is used by an earlier question"));
        }
        match question.kind {
            QuestionKind::Rating => {
                if question.options.len() < 2 || question.options.len() > 20 {
                    errors.push(FieldError::new(format!("{path}.options"), "a rating question needs 2 to 20 options"));
                }
                if question.max_length.is_some() {
                    errors.push(FieldError::new(format!("{path}.max_length"), "applies to text questions only"));
                }
                let mut option_keys = HashSet::new();
                for (o, option) in question.options.iter().enumerate() {
                    if !option_keys.insert(option.key.as_str()) {
                        errors
                            .push(FieldError::new(format!("{path}.options[{o}].key"), "is used by an earlier option"));
                    }
                }
            }
            QuestionKind::Text => {
                if !question.options.is_empty() {
                    errors.push(FieldError::new(format!("{path}.options"), "a text question has no options"));
                }
            }
        }
    }
    errors
}

/// One accepted answer, ready to be stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckedAnswer {
    pub question_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Checks a submission (question key → option key, or text) against one questionnaire version.
/// Every problem is reported, each naming its field.
pub fn check_answers(
    questions: &[Question],
    answers: &BTreeMap<String, String>,
) -> Result<Vec<CheckedAnswer>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    for key in answers.keys() {
        if !questions.iter().any(|q| &q.key == key) {
            errors.push(FieldError::new(format!("answers.{key}"), "is not a question of this questionnaire"));
        }
    }
    for question in questions {
        let field = format!("answers.{}", question.key);
        let Some(value) = answers.get(&question.key).filter(|v| !v.trim().is_empty()) else {
            if question.required {
                errors.push(FieldError::new(field, "is required"));
            }
            continue;
        };
        match check_answer(question, value) {
            Ok(answer) => checked.push(answer),
            Err(message) => errors.push(FieldError::new(field, message)),
        }
    }
    if errors.is_empty() { Ok(checked) } else { Err(errors) }
}

fn check_answer(question: &Question, value: &str) -> Result<CheckedAnswer, String> {
    let mut answer = CheckedAnswer {
        question_key: question.key.clone(),
        dimension: question.dimension.clone(),
        option_key: None,
        weight: None,
        text: None,
    };
    match question.kind {
        QuestionKind::Rating => {
            let option = question
                .options
                .iter()
                .find(|o| o.key == value)
                .ok_or_else(|| format!("unknown option \"{}\"", truncate(value, 64)))?;
            answer.option_key = Some(option.key.clone());
            answer.weight = option.weight;
        }
        QuestionKind::Text => {
            if value.chars().count() > question.text_limit() {
                return Err(format!("must be at most {} characters", question.text_limit()));
            }
            text::free_text(value).map_err(|_| "must not contain NUL or other control characters".to_owned())?;
            answer.text = Some(value.to_owned());
        }
    }
    Ok(answer)
}

fn truncate(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use crate::domain::questionnaire::*;
    use crate::domain::templates::template;
    use crate::domain::vocabulary::Category;

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_templates_pass_their_own_checks() {
        for category in Category::ALL {
            let questions = template(*category).questions;
            assert!(check_questions(&questions).is_empty());
            assert!(questions.iter().all(|q| q.validate().is_ok()));
        }
    }

    #[test]
    fn every_bad_answer_is_named() {
        let questions = template(Category::Government).questions;
        let Err(errors) = check_answers(&questions, &answers(&[("overall", "great"), ("bogus", "x")])) else {
            panic!("expected errors");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"answers.bogus"));
        assert!(fields.contains(&"answers.overall"));
        assert!(fields.contains(&"answers.lawful_duty"), "missing required answers are named too");
        assert!(!fields.contains(&"answers.suggestions"), "the free text is optional");
    }

    #[test]
    fn dont_know_has_no_weight() {
        let questions = template(Category::Government).questions;
        let all: Vec<(&str, &str)> = questions
            .iter()
            .filter(|q| q.kind == QuestionKind::Rating)
            .map(|q| (q.key.as_str(), "dont_know"))
            .collect();
        let checked = check_answers(&questions, &answers(&all)).unwrap_or_default();
        assert_eq!(checked.len(), 7);
        assert!(checked.iter().all(|a| a.weight.is_none() && a.option_key.as_deref() == Some("dont_know")));
    }

    #[test]
    fn duplicate_keys_and_option_less_ratings_are_refused() {
        let mut questions = template(Category::PublicService).questions;
        questions[1].key = questions[0].key.clone();
        questions[2].options.truncate(1);
        let fields: Vec<String> = check_questions(&questions).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["questions[1].key".to_owned(), "questions[2].options".to_owned()]);
    }
}
