//! How many responses a link took today (UTC), for the daily cap.
//!
//! On PostgreSQL the count is read from `responses` through the (link, hour) index on every
//! submission to a capped link: several replicas may write, and only the database knows.
//! On SQLite that index would add a place per link to every group commit of the single
//! writer, so it is not there; one process writes a SQLite database, so the counts are kept
//! here instead. The first capped submission of a campaign
//! in a day reads the day's count of each of its links through the (campaign, hour) index;
//! from then on the response writer adds what each commit stored. Both happen while holding
//! SQLite's write turn, so no commit lands between the read and the first addition, and
//! every response counts exactly once. After a batch whose outcome is unknown the counts are
//! forgotten and read again.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use entity::response;

use crate::store::write_turn::{Holder, WriteTurns};

/// Today's counts per campaign and link, for the campaigns read so far today (SQLite only).
#[derive(Default)]
pub struct DailyCounts {
    today: Mutex<Today>,
}

#[derive(Default)]
struct Today {
    day: Option<NaiveDate>,
    campaigns: HashMap<Uuid, HashMap<Uuid, u64>>,
}

impl Today {
    /// Starts a new day's counts when `day` is not the one these count.
    fn roll_to(&mut self, day: NaiveDate) {
        if self.day != Some(day) {
            self.day = Some(day);
            self.campaigns.clear();
        }
    }

    fn known(&self, campaign_id: Uuid, link_id: Uuid) -> Option<u64> {
        self.campaigns.get(&campaign_id).map(|links| links.get(&link_id).copied().unwrap_or(0))
    }
}

impl DailyCounts {
    /// The responses `link_id` (of campaign `campaign_id`) took on the UTC day that starts at
    /// `midnight`.
    pub async fn taken(
        &self,
        db: &DatabaseConnection,
        turns: &WriteTurns,
        campaign_id: Uuid,
        link_id: Uuid,
        midnight: DateTime<Utc>,
    ) -> Result<u64, DbErr> {
        if db.get_database_backend() != DbBackend::Sqlite {
            return count_of_link(db, link_id, midnight).await;
        }
        let day = midnight.date_naive();
        if let Some(taken) = self.known_on(day, campaign_id, link_id) {
            return Ok(taken);
        }
        let _turn = turns.take(Holder::DailyCounts).await;
        // Another submission may have read them while this one waited for the turn.
        if let Some(taken) = self.known_on(day, campaign_id, link_id) {
            return Ok(taken);
        }
        let links = counts_of_campaign(db, campaign_id, midnight).await?;
        let taken = links.get(&link_id).copied().unwrap_or(0);
        let mut today = self.lock();
        today.roll_to(day);
        today.campaigns.insert(campaign_id, links);
        Ok(taken)
    }

    /// Counts responses that were just stored. Call after their commit and before giving up
    /// the write turn.
    pub fn add<'a>(&self, stored: impl IntoIterator<Item = &'a response::Model>) {
        let mut today = self.lock();
        let Some(day) = today.day else { return };
        for row in stored {
            if row.submitted_hour.with_timezone(&Utc).date_naive() != day {
                continue;
            }
            if let Some(links) = today.campaigns.get_mut(&row.campaign_id) {
                *links.entry(row.link_id).or_default() += 1;
            }
        }
    }

    /// Forgets every count, to be read again: a commit's outcome was not learnt.
    pub fn forget(&self) {
        self.lock().campaigns.clear();
    }

    fn known_on(&self, day: NaiveDate, campaign_id: Uuid, link_id: Uuid) -> Option<u64> {
        let mut today = self.lock();
        today.roll_to(day);
        today.known(campaign_id, link_id)
    }

    /// The counts; a panic while they were held cannot leave them half-changed (each change
    /// is one insert or one addition), so a poisoned lock is taken anyway.
    fn lock(&self) -> MutexGuard<'_, Today> {
        self.today.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One link's responses since `midnight`, through the (link, hour) index (PostgreSQL).
async fn count_of_link(db: &impl ConnectionTrait, link_id: Uuid, midnight: DateTime<Utc>) -> Result<u64, DbErr> {
    response::Entity::find()
        .filter(response::Column::LinkId.eq(link_id))
        .filter(response::Column::SubmittedHour.gte(midnight.fixed_offset()))
        .count(db)
        .await
}

/// Each link's responses in a campaign since `midnight`, through the (campaign, hour) index.
async fn counts_of_campaign(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    midnight: DateTime<Utc>,
) -> Result<HashMap<Uuid, u64>, DbErr> {
    let rows: Vec<(Uuid, i64)> = response::Entity::find()
        .select_only()
        .column(response::Column::LinkId)
        .column_as(Expr::cust("COUNT(*)"), "responses")
        .filter(response::Column::CampaignId.eq(campaign_id))
        .filter(response::Column::SubmittedHour.gte(midnight.fixed_offset()))
        .group_by(response::Column::LinkId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(link_id, count)| (link_id, u64::try_from(count).unwrap_or(0))).collect())
}

#[cfg(test)]
mod tests {
    use crate::intake::daily_cap::*;

    fn row(campaign_id: Uuid, link_id: Uuid, hour: &str) -> response::Model {
        response::Model {
            id: Uuid::new_v4(),
            submission_id: Uuid::new_v4(),
            body_hash: String::new(),
            link_id,
            questionnaire_id: Uuid::nil(),
            campaign_id,
            unit_id: Uuid::nil(),
            channel: entity::vocabulary::Channel::Web,
            submitted_hour: DateTime::parse_from_rfc3339(hour).unwrap_or_default(),
            excluded: false,
            answers: "[]".to_owned(),
        }
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap_or_default()
    }

    fn counts_of(campaign_id: Uuid, links: &[(Uuid, u64)]) -> DailyCounts {
        let counts = DailyCounts::default();
        let mut today = counts.lock();
        today.roll_to(day("2026-12-03"));
        today.campaigns.insert(campaign_id, links.iter().copied().collect());
        drop(today);
        counts
    }

    #[test]
    fn stored_responses_count_on_their_day_for_campaigns_read_today() {
        let (campaign, other_campaign, link) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let counts = counts_of(campaign, &[(link, 2)]);
        counts.add(&[
            row(campaign, link, "2026-12-03T10:00:00Z"),
            row(campaign, link, "2026-12-02T23:00:00Z"),
            row(other_campaign, link, "2026-12-03T10:00:00Z"),
        ]);
        assert_eq!(counts.known_on(day("2026-12-03"), campaign, link), Some(3));
        assert_eq!(counts.known_on(day("2026-12-03"), other_campaign, link), None);
        assert_eq!(counts.known_on(day("2026-12-03"), campaign, Uuid::new_v4()), Some(0));
    }

    #[test]
    fn a_new_day_or_an_unknown_outcome_starts_the_counts_again() {
        let (campaign, link) = (Uuid::new_v4(), Uuid::new_v4());
        let counts = counts_of(campaign, &[(link, 5)]);
        assert_eq!(counts.known_on(day("2026-12-04"), campaign, link), None);
        let counts = counts_of(campaign, &[(link, 5)]);
        counts.forget();
        assert_eq!(counts.known_on(day("2026-12-03"), campaign, link), None);
    }
}
