//! The reference questionnaires shipped with the service, one per category:
//! the category's six dimensions, an overall question and free-text suggestions.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::questionnaire::{AnswerOption, LocalizedText, OVERALL, Question, QuestionKind};
use crate::domain::vocabulary::Category;

/// A dimension: its code, Chinese name and English name.
type Dimension = (&'static str, &'static str, &'static str);

const GOVERNMENT: [Dimension; 6] = [
    ("lawful_duty", "依法履职", "Lawful performance of duties"),
    ("fair_enforcement", "公正执法", "Fair law enforcement"),
    ("government_openness", "政务公开", "Openness of government affairs"),
    ("efficiency", "办事效率", "Efficiency"),
    ("work_style", "作风建设", "Work style"),
    ("integrity", "清正廉洁", "Integrity"),
];

const PUBLIC_SERVICE: [Dimension; 6] = [
    ("lawful_operation", "依法经营", "Lawful operation"),
    ("honest_operation", "诚信经营", "Honest operation"),
    ("service_openness", "办事公开", "Openness of service affairs"),
    ("efficiency", "办事效率", "Efficiency"),
    ("service_attitude", "服务态度", "Service attitude"),
    ("integrity", "清正廉洁", "Integrity"),
];

/// The rating levels and their default weights: the office may change weights per questionnaire.
const LEVELS: [(&str, Option<f64>, &str, &str); 6] = [
    ("very_satisfied", Some(1.0), "非常满意", "Very satisfied"),
    ("satisfied", Some(0.8), "满意", "Satisfied"),
    ("basically_satisfied", Some(0.6), "基本满意", "Basically satisfied"),
    ("dissatisfied", Some(0.0), "不满意", "Dissatisfied"),
    ("very_dissatisfied", Some(0.0), "非常不满意", "Very dissatisfied"),
    ("dont_know", None, "不了解", "Don't know"),
];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Template {
    pub category: Category,
    pub title: LocalizedText,
    pub questions: Vec<Question>,
}

pub fn dimensions(category: Category) -> &'static [Dimension] {
    match category {
        Category::Government => &GOVERNMENT,
        Category::PublicService => &PUBLIC_SERVICE,
    }
}

fn rating_options() -> Vec<AnswerOption> {
    LEVELS
        .iter()
        .map(|(key, weight, zh, en)| AnswerOption {
            key: (*key).to_owned(),
            weight: *weight,
            label: LocalizedText::new(zh, en),
        })
        .collect()
}

fn rating(key: &str, zh: &str, en: &str) -> Question {
    Question {
        key: key.to_owned(),
        kind: QuestionKind::Rating,
        dimension: Some(key.to_owned()),
        required: true,
        text: LocalizedText::new(zh, en),
        options: rating_options(),
        max_length: None,
    }
}

pub fn template(category: Category) -> Template {
    let mut questions: Vec<Question> = dimensions(category)
        .iter()
        .map(|(key, zh, en)| {
            rating(
                key,
                &format!("您对该单位“{zh}”方面的评价"),
                &format!("How satisfied are you with its {}?", en.to_lowercase()),
            )
        })
        .collect();
    questions.push(rating(OVERALL, "您对该单位的总体评价", "Overall, how satisfied are you with this unit?"));
    questions.push(Question {
        key: "suggestions".to_owned(),
        kind: QuestionKind::Text,
        dimension: None,
        required: false,
        text: LocalizedText::new("意见和建议", "Opinions and suggestions"),
        options: Vec::new(),
        max_length: Some(1000),
    });
    let title = match category {
        Category::Government => LocalizedText::new(
            "政风行风民主评议问卷（政府部门类）",
            "Conduct evaluation questionnaire (government departments)",
        ),
        Category::PublicService => LocalizedText::new(
            "政风行风民主评议问卷（公共服务行业类）",
            "Conduct evaluation questionnaire (public-service industries)",
        ),
    };
    Template { category, title, questions }
}
