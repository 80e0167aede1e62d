//! The stored form of a citizen's answers: a JSON array in the response's own row
//! (`responses.answers`), so that storing a response writes one row.

use sea_orm::DbErr;

use crate::domain::questionnaire::CheckedAnswer;
use crate::totals::delta::{AnswerPlace, Counters, TotalsDelta};

pub fn pack(answers: &[CheckedAnswer]) -> String {
    serde_json::to_string(answers).unwrap_or_else(|_| unreachable!("answers are plain data"))
}

pub fn unpack(stored: &str) -> Result<Vec<CheckedAnswer>, DbErr> {
    serde_json::from_str(stored).map_err(|err| DbErr::Custom(format!("stored answers cannot be read: {err}")))
}

/// What one response's answers add to the running totals.
pub fn count_into(delta: &mut TotalsDelta, response: &entity::response::Model, answers: &[CheckedAnswer]) {
    for a in answers {
        let place = AnswerPlace {
            campaign_id: response.campaign_id,
            unit_id: response.unit_id,
            channel: response.channel.as_str(),
            dimension: a.dimension.as_deref(),
            option_key: a.option_key.as_deref(),
            answered_at: Some(response.submitted_hour),
        };
        delta.count(place, Counters::of_answer(a.weight));
    }
}

#[cfg(test)]
mod tests {
    use crate::intake::packing::*;

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
