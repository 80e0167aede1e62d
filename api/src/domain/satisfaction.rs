//! Satisfaction arithmetic: weighted rate, level shares and the 95% Wilson interval.
//!
//! The weighted satisfaction rate of a cell is the sum of the chosen options' weights over
//! the valid answers (answers whose option has a weight; "don't know" has none and is left
//! out of the denominator). The interval is Wilson's score interval for that proportion
//! with n = valid answers, which stays inside [0, 1] and behaves at small n.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// The count of one option within a cell, as read from the database.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionCount {
    pub option_key: String,
    pub answers: i64,
    /// Answers of this option that carry a weight (0 for "don't know").
    pub valid: i64,
    pub weight_sum: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    #[schema(example = 0.71)]
    pub low: f64,
    #[schema(example = 0.86)]
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LevelShare {
    #[schema(example = "satisfied")]
    pub option: String,
    pub count: i64,
    /// Share of all answers in the cell, "don't know" included.
    #[schema(example = 0.4)]
    pub share: f64,
}

/// The computed figures of one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub answers: i64,
    pub valid_answers: i64,
    pub rate: Option<f64>,
    pub interval: Option<Interval>,
    pub levels: Vec<LevelShare>,
}

pub fn figures(counts: &[OptionCount]) -> Figures {
    let answers: i64 = counts.iter().map(|c| c.answers).sum();
    let valid: i64 = counts.iter().map(|c| c.valid).sum();
    let weight_sum: f64 = counts.iter().map(|c| c.weight_sum).sum();
    let rate = (valid > 0).then(|| (weight_sum / valid as f64).clamp(0.0, 1.0));
    let mut levels: Vec<LevelShare> = counts
        .iter()
        .map(|c| LevelShare {
            option: c.option_key.clone(),
            count: c.answers,
            share: c.answers as f64 / answers.max(1) as f64,
        })
        .collect();
    levels.sort_by(|a, b| a.option.cmp(&b.option));
    Figures { answers, valid_answers: valid, rate, interval: rate.map(|p| wilson(p, valid)), levels }
}

/// A rate or share as the API shows it: four decimals, without binary noise
/// (`0.6799999999999999` is `0.68`) and without a negative zero.
pub fn rounded(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0 + 0.0
}

/// Wilson score interval for proportion `p` observed over `n` trials.
pub fn wilson(p: f64, n: i64) -> Interval {
    if n <= 0 {
        return Interval { low: 0.0, high: 1.0 };
    }
    let n = n as f64;
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z95 * ((p * (1.0 - p) / n) + z2 / (4.0 * n * n)).sqrt() / denominator;
    Interval { low: (centre - half).max(0.0), high: (centre + half).min(1.0) }
}

#[cfg(test)]
mod tests {
    use crate::domain::satisfaction::*;

    #[test]
    fn rates_show_four_decimals_without_noise_or_negative_zero() {
        assert_eq!(rounded(0.6799999999999999).to_string(), "0.68");
        assert_eq!(rounded(0.82222222).to_string(), "0.8222");
        assert!(rounded(-0.0).is_sign_positive() && rounded(-0.00001).is_sign_positive());
        assert_eq!(serde_json::to_string(&rounded(-0.0)).unwrap_or_default(), "0.0");
    }

    fn count(option: &str, answers: i64, weight: Option<f64>) -> OptionCount {
        let valid = if weight.is_some() { answers } else { 0 };
        OptionCount {
            option_key: option.to_owned(),
            answers,
            valid,
            weight_sum: weight.unwrap_or(0.0) * answers as f64,
        }
    }

    #[test]
    fn dont_know_is_out_of_the_denominator_and_weights_apply() {
        // 3 × 1.0 + 1 × 0.6 + 1 × 0 = 3.6 over 5 valid answers; 2 "don't know" left out.
        let f = figures(&[
            count("very_satisfied", 3, Some(1.0)),
            count("basically_satisfied", 1, Some(0.6)),
            count("dissatisfied", 1, Some(0.0)),
            count("dont_know", 2, None),
        ]);
        assert_eq!((f.answers, f.valid_answers), (7, 5));
        assert!((f.rate.unwrap_or_default() - 0.72).abs() < 1e-12);
        assert!(
            (f.levels.iter().find(|l| l.option == "dont_know").map(|l| l.share).unwrap_or_default() - 2.0 / 7.0).abs()
                < 1e-12
        );
    }

    #[test]
    fn wilson_matches_a_hand_computed_case() {
        // p = 0.8, n = 10: centre = (0.8 + 0.19207) / 1.38415 = 0.71673,
        // half = 1.95996 × sqrt(0.016 + 0.0096036) / 1.38415 = 0.22659.
        let interval = wilson(0.8, 10);
        assert!((interval.low - 0.4901).abs() < 1e-3, "{interval:?}");
        assert!((interval.high - 0.9433).abs() < 1e-3, "{interval:?}");
    }

    #[test]
    fn an_all_dont_know_cell_has_no_rate() {
        let f = figures(&[count("dont_know", 4, None)]);
        assert_eq!((f.rate, f.interval), (None, None));
    }
}
