//! The stored form of a citizen's answers: a JSON array in the response's own row
//! (`responses.answers`), so that storing a response writes one row. Written by the intake,
//! read by the fold, exclusions and row exports.

use sea_orm::DbErr;

use crate::domain::questionnaire::CheckedAnswer;

pub fn pack(answers: &[CheckedAnswer]) -> String {
    serde_json::to_string(answers).unwrap_or_else(|_| unreachable!("answers are plain data"))
}

pub fn unpack(stored: &str) -> Result<Vec<CheckedAnswer>, DbErr> {
    serde_json::from_str(stored).map_err(|err| DbErr::Custom(format!("stored answers cannot be read: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip_and_leave_out_what_is_empty() {
        let answers = vec![
            CheckedAnswer {
                question_key: "overall".to_owned(),
                dimension: Some("overall".to_owned()),
                option_key: Some("satisfied".to_owned()),
                weight: Some(0.8),
                text: None,
            },
            CheckedAnswer {
                question_key: "suggestions".to_owned(),
                dimension: None,
                option_key: None,
                weight: None,
                text: Some("排队太久".to_owned()),
            },
        ];
        let packed = pack(&answers);
        assert!(!packed.contains("null"), "{packed}");
        assert_eq!(unpack(&packed).ok(), Some(answers));
        assert!(unpack("not json").is_err());
    }
}
