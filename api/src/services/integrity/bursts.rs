//! Flagging suspicious bursts: hours in which a link took far more responses than it
//! normally does.
//!
//! A link's normal rate is the median of its hourly counts over the hours in which it took
//! any response. An hour is flagged when its count is at least `factor` times that median
//! and at least `minimum` (so that a quiet link going from 1 to 4 is not flagged).

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurstRule {
    pub factor: f64,
    pub minimum: i64,
}

impl Default for BurstRule {
    fn default() -> Self {
        Self { factor: 5.0, minimum: 20 }
    }
}

pub fn median(counts: &[i64]) -> f64 {
    if counts.is_empty() {
        return 0.0;
    }
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) { (sorted[mid - 1] + sorted[mid]) as f64 / 2.0 } else { sorted[mid] as f64 }
}

impl BurstRule {
    pub fn is_burst(&self, count: i64, median: f64) -> bool {
        count >= self.minimum && count as f64 >= self.factor * median
    }
}

#[cfg(test)]
mod tests {
    use crate::services::integrity::bursts::*;

    #[test]
    fn an_hour_far_above_the_median_is_flagged() {
        let counts = [3, 4, 2, 5, 60];
        let m = median(&counts);
        assert_eq!(m, 4.0);
        let rule = BurstRule::default();
        assert!(rule.is_burst(60, m));
        assert!(!rule.is_burst(5, m));
        assert!(!rule.is_burst(19, 1.0), "below the minimum");
        assert_eq!(median(&[1, 3]), 2.0);
    }
}
