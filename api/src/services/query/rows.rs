//! The anonymous response rows, for other systems: keyset ("cursor") pagination that stays
//! stable while responses keep arriving.
//!
//! Rows are ordered by (hour, id), where the hour is when the response arrived (rounded, as
//! stored) and the id is random. Listing serves only hours that are over: new responses land
//! in the current hour, after every cursor, so a client paging through never misses or
//! repeats a row. Exports may include the current hour.

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, FixedOffset, NaiveDate, TimeDelta, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{Permission, Principal, Role};
use crate::domain::vocabulary::Source;
use crate::error::{ApiError, ApiResult};

pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RowFilter {
    /// `citizen_link` (default) or `pollster`.
    pub source: Option<Source>,
    pub unit_id: Option<Uuid>,
    /// A link channel (`web`…) or a pollster's (`telephone`…).
    pub channel: Option<String>,
    /// The `next_cursor` of the previous page.
    pub after: Option<String>,
    /// Rows per page: 1 to 1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResponseRow {
    pub id: Uuid,
    pub source: Source,
    pub unit_id: Uuid,
    pub questionnaire_id: Uuid,
    pub channel: String,
    /// The hour the response arrived.
    pub hour: DateTime<FixedOffset>,
    /// Pollster rows: the interview date.
    pub interview_date: Option<NaiveDate>,
    /// Left out of the figures by a batch exclusion.
    pub excluded: bool,
    /// Question key → option key, or the text of text questions.
    pub answers: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RowPage {
    pub items: Vec<ResponseRow>,
    /// Pass as `after` for the next page; `null` when this page is the last so far.
    pub next_cursor: Option<String>,
}

/// A position in the (hour, id) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub hour: DateTime<FixedOffset>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.hour.timestamp(), self.id.simple())
    }

    pub fn decode(text: &str) -> ApiResult<Self> {
        let invalid = || ApiError::invalid("after", "is not a cursor from this API");
        let (seconds, id) = text.split_once('.').ok_or_else(invalid)?;
        let hour =
            DateTime::from_timestamp(seconds.parse().map_err(|_| invalid())?, 0).ok_or_else(invalid)?.fixed_offset();
        Ok(Self { hour, id: id.parse().map_err(|_| invalid())? })
    }
}

#[derive(Debug, FromQueryResult)]
struct HeadRow {
    id: Uuid,
    unit_id: Uuid,
    questionnaire_id: Uuid,
    channel: String,
    hour: DateTime<FixedOffset>,
    interview_date: Option<NaiveDate>,
    excluded: bool,
    /// Citizens' answers as stored in their row; `None` for pollsters' responses.
    packed: Option<String>,
}

#[derive(Debug, FromQueryResult)]
struct AnswerRow {
    response_id: Uuid,
    question_key: String,
    option_key: Option<String>,
    text: Option<String>,
}

/// What a page query reads.
pub struct RowQuery {
    pub campaign_id: Uuid,
    pub source: Source,
    pub unit_id: Option<Uuid>,
    pub channel: Option<String>,
    /// Pollster clients see the rows they pushed only.
    pub client_id: Option<Uuid>,
    pub after: Option<Cursor>,
    pub limit: u64,
    /// Lists leave out the current hour (stable paging); exports include it.
    pub include_current_hour: bool,
}

/// The page's responses without their answers (public so that a test can check its plan).
pub fn head_query(q: &RowQuery) -> sea_orm::sea_query::SelectStatement {
    let col = |name: &'static str| Expr::col(Alias::new(name));
    let (table, hour, date) = match q.source {
        Source::CitizenLink => ("responses", "submitted_hour", None),
        Source::Pollster => ("pollster_responses", "received_hour", Some("interview_date")),
    };
    let mut query = Query::select();
    query
        .from(Alias::new(table))
        .expr_as(col("id"), Alias::new("id"))
        .expr_as(col("unit_id"), Alias::new("unit_id"))
        .expr_as(col("questionnaire_id"), Alias::new("questionnaire_id"))
        .expr_as(col("channel"), Alias::new("channel"))
        .expr_as(col(hour), Alias::new("hour"))
        .expr_as(date.map_or_else(|| Expr::cust("NULL"), col), Alias::new("interview_date"))
        .and_where(col("campaign_id").eq(q.campaign_id))
        .order_by(Alias::new(hour), Order::Asc)
        .order_by(Alias::new("id"), Order::Asc)
        .limit(q.limit);
    match q.source {
        Source::CitizenLink => {
            query.expr_as(col("excluded"), Alias::new("excluded")).expr_as(col("answers"), Alias::new("packed"))
        }
        Source::Pollster => {
            query.expr_as(Expr::val(false), Alias::new("excluded")).expr_as(Expr::cust("NULL"), Alias::new("packed"))
        }
    };
    if !q.include_current_hour {
        let current = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap_or_else(|_| Utc::now()).fixed_offset();
        query.and_where(col(hour).lt(current));
    }
    if let Some(after) = q.after {
        // The first condition alone bounds the index range, so a later page starts at its hour
        // instead of at the campaign's first response.
        query.and_where(col(hour).gte(after.hour));
        query.and_where(col(hour).gt(after.hour).or(col("id").gt(after.id)));
    }
    if let Some(unit) = q.unit_id {
        query.and_where(col("unit_id").eq(unit));
    }
    if let Some(channel) = &q.channel {
        query.and_where(col("channel").eq(channel.clone()));
    }
    if let Some(client) = q.client_id {
        query.and_where(col("client_id").eq(client));
    }
    query
}

/// Pollsters' answers of these responses (citizens' come packed in their row).
async fn pollster_answers_of(db: &impl ConnectionTrait, ids: &[Uuid]) -> ApiResult<Vec<AnswerRow>> {
    let mut query = Query::select();
    query
        .from(Alias::new("pollster_answers"))
        .columns(["response_id", "question_key", "option_key", "text"].map(Alias::new))
        .and_where(Expr::col(Alias::new("response_id")).is_in(ids.iter().copied()));
    let statement = db.get_database_backend().build(&query);
    Ok(AnswerRow::find_by_statement(statement).all(db).await?)
}

/// Question key → option key or text, for each response of the page.
async fn answers_by_response(db: &impl ConnectionTrait, heads: &[HeadRow]) -> ApiResult<AnswerMap> {
    let mut answers = AnswerMap::new();
    let mut unpacked = Vec::new();
    for head in heads {
        if let Some(packed) = &head.packed {
            let rows = crate::store::answers::unpack(packed)?.into_iter().map(|a| AnswerRow {
                response_id: head.id,
                question_key: a.question_key,
                option_key: a.option_key,
                text: a.text,
            });
            unpacked.extend(rows);
        }
    }
    let pollster_ids: Vec<Uuid> = heads.iter().filter(|h| h.packed.is_none()).map(|h| h.id).collect();
    for chunk in pollster_ids.chunks(500) {
        unpacked.extend(pollster_answers_of(db, chunk).await?);
    }
    for a in unpacked {
        if let Some(value) = a.option_key.or(a.text) {
            answers.entry(a.response_id).or_default().insert(a.question_key, value);
        }
    }
    Ok(answers)
}

type AnswerMap = BTreeMap<Uuid, BTreeMap<String, String>>;

/// One page of rows after `q.after`.
pub async fn page(db: &impl ConnectionTrait, q: &RowQuery) -> ApiResult<RowPage> {
    let statement = db.get_database_backend().build(&head_query(q));
    let heads = HeadRow::find_by_statement(statement).all(db).await?;
    let mut answers = answers_by_response(db, &heads).await?;
    let next_cursor = (heads.len() as u64 == q.limit)
        .then(|| heads.last().map(|h| Cursor { hour: h.hour, id: h.id }.encode()))
        .flatten();
    let items = heads
        .into_iter()
        .map(|h| ResponseRow {
            answers: answers.remove(&h.id).unwrap_or_default(),
            id: h.id,
            source: q.source,
            unit_id: h.unit_id,
            questionnaire_id: h.questionnaire_id,
            channel: h.channel,
            hour: h.hour,
            interview_date: h.interview_date,
            excluded: h.excluded,
        })
        .collect();
    Ok(RowPage { items, next_cursor })
}

/// Who may read which rows: pollsters their own pushes only; units none.
pub async fn query_for(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
    filter: &RowFilter,
) -> ApiResult<RowQuery> {
    who.require(Permission::ReadRows)?;
    who.require_campaign(campaign_id)?;
    let source = filter.source.unwrap_or(Source::CitizenLink);
    let client_id = if who.role == Role::Pollster {
        if source != Source::Pollster {
            return Err(ApiError::Forbidden(
                "a pollster may read the rows it pushed only (source=pollster)".to_owned(),
            ));
        }
        who.client_id()
    } else {
        None
    };
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    let limit = filter.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("must be between 1 and {}", MAX_LIMIT)));
    }
    Ok(RowQuery {
        campaign_id,
        source,
        unit_id: filter.unit_id,
        channel: filter.channel.clone(),
        client_id,
        // An empty `after` is the same as none: the first page.
        after: filter.after.as_deref().filter(|a| !a.is_empty()).map(Cursor::decode).transpose()?,
        limit,
        include_current_hour: false,
    })
}

#[cfg(test)]
mod tests {
    use crate::services::query::rows::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let cursor = Cursor {
            hour: DateTime::from_timestamp(1_500_000_000, 0).unwrap_or_default().fixed_offset(),
            id: Uuid::new_v4(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).ok(), Some(cursor));
        assert!(Cursor::decode("nonsense").is_err());
        assert!(Cursor::decode("12.notauuid").is_err());
    }
}
