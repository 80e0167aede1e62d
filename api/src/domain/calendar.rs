//! The plan's calendar: its dates are days in China Standard Time, whatever the server's
//! clock says, and its deliverables fall due on fixed days of the campaign's year.

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};

use entity::vocabulary::{DeliverableKind, Receiver};

/// China Standard Time (UTC+8), in which the plan's days begin and end.
pub fn plan_zone() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// The plan's day at `at`.
pub fn plan_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&plan_zone()).date_naive()
}

/// The plan's day of a stored time, as pages print it (year-month-day).
pub fn plan_date(at: DateTime<FixedOffset>) -> String {
    at.with_timezone(&plan_zone()).format("%Y-%m-%d").to_string()
}

/// Today, in the plan's time.
pub fn plan_today() -> NaiveDate {
    plan_day(Utc::now())
}

/// One of the plan's deliverables as a campaign starts with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDeliverable {
    pub kind: DeliverableKind,
    pub title: &'static str,
    pub due_on: NaiveDate,
    pub receivers: Vec<Receiver>,
}

/// The plan's deliverables for a campaign of `year` whose assessment conference opens on
/// `conference_on`: the unit's evaluation plan by 20 June, the rectification report by 30
/// November (also read by the representatives), the work summary by 20 December, and the
/// head's report at the conference. The CPPCC office, which supervises the evaluation,
/// receives each as observer.
pub fn planned_deliverables(year: i32, conference_on: NaiveDate) -> Vec<PlannedDeliverable> {
    let day = |month, day| NaiveDate::from_ymd_opt(year, month, day).unwrap_or(conference_on);
    vec![
        PlannedDeliverable {
            kind: DeliverableKind::EvaluationPlan,
            title: "单位评议工作方案",
            due_on: day(6, 20),
            receivers: vec![Receiver::Office, Receiver::Cppcc],
        },
        PlannedDeliverable {
            kind: DeliverableKind::RectificationReport,
            title: "整改情况报告",
            due_on: day(11, 30),
            receivers: vec![Receiver::Office, Receiver::Cppcc, Receiver::Representatives],
        },
        PlannedDeliverable {
            kind: DeliverableKind::WorkSummary,
            title: "评议工作总结",
            due_on: day(12, 20),
            receivers: vec![Receiver::Office, Receiver::Cppcc],
        },
        PlannedDeliverable {
            kind: DeliverableKind::ConferenceReport,
            title: "主要负责人述职报告",
            due_on: conference_on,
            receivers: vec![Receiver::Office, Receiver::Cppcc, Receiver::Representatives],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plans_day_turns_at_midnight_in_china() -> Result<(), chrono::ParseError> {
        let late_evening_utc = DateTime::parse_from_rfc3339("2017-06-20T16:30:00Z")?.with_timezone(&Utc);
        assert_eq!(Some(plan_day(late_evening_utc)), NaiveDate::from_ymd_opt(2017, 6, 21));
        let afternoon_utc = DateTime::parse_from_rfc3339("2017-06-20T15:59:59Z")?.with_timezone(&Utc);
        assert_eq!(Some(plan_day(afternoon_utc)), NaiveDate::from_ymd_opt(2017, 6, 20));
        Ok(())
    }

    #[test]
    fn the_plans_deliverables_fall_on_its_days() {
        let conference = NaiveDate::from_ymd_opt(2017, 12, 26).unwrap_or_default();
        let planned = planned_deliverables(2017, conference);
        let due: Vec<_> = planned.iter().map(|p| (p.kind, p.due_on.to_string())).collect();
        assert_eq!(
            due,
            [
                (DeliverableKind::EvaluationPlan, "2017-06-20".to_owned()),
                (DeliverableKind::RectificationReport, "2017-11-30".to_owned()),
                (DeliverableKind::WorkSummary, "2017-12-20".to_owned()),
                (DeliverableKind::ConferenceReport, "2017-12-26".to_owned()),
            ]
        );
        assert!(planned[1].receivers.contains(&Receiver::Representatives));
    }
}
