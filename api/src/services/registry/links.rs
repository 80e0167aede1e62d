//! Public survey links: one per (published questionnaire, unit, channel), with a short
//! unguessable slug, optional open and close times, and revocation.

use chrono::{DateTime, FixedOffset};
use entity::{questionnaire, survey_link};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Permission, Principal};
use crate::domain::vocabulary::{Channel, QuestionnaireStatus};
use crate::error::{ApiError, ApiResult};
use crate::store::link_changes::LinkChanges;

/// 12 characters from a 57-letter alphabet without look-alikes: about 70 bits.
const SLUG_LEN: usize = 12;
const SLUG_ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_id": "7b0c5d43-1f7e-4d6a-9a0e-2f9d7c3b8a11", "channel": "window_qr"}))]
pub struct NewLink {
    pub unit_id: Uuid,
    pub channel: Channel,
    /// Responses are refused before this time.
    #[serde(default)]
    pub opens_at: Option<DateTime<FixedOffset>>,
    /// Responses are refused from this time on.
    #[serde(default)]
    pub closes_at: Option<DateTime<FixedOffset>>,
    /// Ballot-integrity controls; each has a default.
    #[serde(default)]
    #[validate(nested)]
    pub controls: Controls,
}

/// Ballot-integrity controls of one link. See the README's threat model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields, default)]
#[schema(example = json!({"rate_limit_per_hour": 300, "daily_cap": 2000, "duplicate_window_seconds": 600, "requires_invitation": false, "kiosk": false}))]
pub struct Controls {
    /// Submissions one client address may make per hour, a sixth of it at once. Sized for
    /// the shared addresses of a service hall's Wi-Fi or a carrier: each device also has
    /// its own, much smaller pace.
    #[validate(range(min = 1, max = 100000))]
    #[schema(minimum = 1, maximum = 100000)]
    pub rate_limit_per_hour: u32,
    /// Most responses the link takes per UTC day; `null` for no cap.
    #[validate(range(min = 1, max = 10000000))]
    #[schema(minimum = 1, maximum = 10000000)]
    pub daily_cap: Option<u32>,
    /// The same answers from the same device (or, without the page's cookie, the same
    /// address) within this many seconds are refused (0: off).
    #[validate(range(min = 0, max = 86400))]
    #[schema(minimum = 0, maximum = 86400)]
    pub duplicate_window_seconds: u32,
    /// Whether answering needs a single-use invitation code.
    pub requires_invitation: bool,
    /// An on-site tablet at a service window: no "already answered" page, a fresh form
    /// after each citizen, no duplicate guard across citizens, and a device pace for a
    /// queue of people rather than one person.
    pub kiosk: bool,
}

impl Default for Controls {
    fn default() -> Self {
        Self {
            rate_limit_per_hour: 300,
            daily_cap: Some(2000),
            duplicate_window_seconds: 600,
            requires_invitation: false,
            kiosk: false,
        }
    }
}

impl Controls {
    pub fn of(link: &survey_link::Model) -> Self {
        let unsigned = |v: i32| u32::try_from(v).unwrap_or(0);
        Self {
            rate_limit_per_hour: unsigned(link.rate_limit_per_hour).max(1),
            daily_cap: link.daily_cap.map(unsigned),
            duplicate_window_seconds: unsigned(link.duplicate_window_seconds),
            requires_invitation: link.requires_invitation,
            kiosk: link.kiosk,
        }
    }

    fn apply(&self, model: &mut survey_link::ActiveModel) {
        let signed = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        model.rate_limit_per_hour = Set(signed(self.rate_limit_per_hour));
        model.daily_cap = Set(self.daily_cap.map(signed));
        model.duplicate_window_seconds = Set(signed(self.duplicate_window_seconds));
        model.requires_invitation = Set(self.requires_invitation);
        model.kiosk = Set(self.kiosk);
    }
}

/// Whether a link takes responses now, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    Open,
    NotYetOpen,
    Closed,
    Revoked,
    /// The questionnaire is not published (a draft) or has been closed.
    QuestionnaireNotOpen,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkDto {
    pub id: Uuid,
    #[schema(example = "Xk3mP9qRt2Zw")]
    pub slug: String,
    /// The public address to print, send or encode in a QR code.
    #[schema(example = "https://pingyi.example.gov.cn/s/Xk3mP9qRt2Zw")]
    pub url: String,
    pub questionnaire_id: Uuid,
    pub unit_id: Uuid,
    pub channel: Channel,
    pub opens_at: Option<DateTime<FixedOffset>>,
    pub closes_at: Option<DateTime<FixedOffset>>,
    /// The second survey window after rectification, if the unit has one.
    pub resurvey_opens_at: Option<DateTime<FixedOffset>>,
    pub resurvey_closes_at: Option<DateTime<FixedOffset>>,
    pub revoked_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    pub controls: Controls,
    /// The QR code of `url`, as SVG (PNG: `qr.png`); public, since the URL is.
    pub qr_svg_url: String,
    /// A printable A4 poster for a service window (SVG; PNG: `poster.png`).
    pub poster_url: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkFilter {
    pub unit_id: Option<Uuid>,
    pub channel: Option<Channel>,
}

impl LinkDto {
    pub fn new(m: survey_link::Model, public_url: &str) -> Self {
        let url = format!("{public_url}/s/{}", m.slug);
        Self {
            qr_svg_url: format!("{url}/qr.svg"),
            poster_url: format!("{url}/poster.svg"),
            controls: Controls::of(&m),
            url,
            id: m.id,
            slug: m.slug,
            questionnaire_id: m.questionnaire_id,
            unit_id: m.unit_id,
            channel: m.channel,
            opens_at: m.opens_at,
            closes_at: m.closes_at,
            resurvey_opens_at: m.resurvey_opens_at,
            resurvey_closes_at: m.resurvey_closes_at,
            revoked_at: m.revoked_at,
            created_at: m.created_at,
        }
    }
}

pub fn new_slug() -> String {
    let mut rng = rand::rng();
    (0..SLUG_LEN).map(|_| SLUG_ALPHABET[rng.random_range(0..SLUG_ALPHABET.len())] as char).collect()
}

/// Whether `now` is within the link's second survey window (and the link is not revoked).
pub fn in_resurvey(link: &survey_link::Model, now: DateTime<FixedOffset>) -> bool {
    link.revoked_at.is_none()
        && match (link.resurvey_opens_at, link.resurvey_closes_at) {
            (Some(opens), Some(closes)) => opens <= now && now < closes,
            _ => false,
        }
}

/// The state of a link at `now`, given its questionnaire's status.
pub fn state(link: &survey_link::Model, status: QuestionnaireStatus, now: DateTime<FixedOffset>) -> LinkState {
    if link.revoked_at.is_some() {
        LinkState::Revoked
    } else if status != QuestionnaireStatus::Published {
        LinkState::QuestionnaireNotOpen
    } else if link.opens_at.is_some_and(|t| now < t) {
        LinkState::NotYetOpen
    } else if link.closes_at.is_some_and(|t| now >= t) {
        LinkState::Closed
    } else {
        LinkState::Open
    }
}

pub async fn create(
    db: &impl ConnectionTrait,
    who: &Principal,
    questionnaire_id: Uuid,
    input: NewLink,
) -> ApiResult<survey_link::Model> {
    who.require(Permission::ManageCampaigns)?;
    let questionnaire = crate::services::registry::questionnaires::find(db, questionnaire_id).await?;
    if questionnaire.status != QuestionnaireStatus::Published {
        return Err(ApiError::Conflict("links can be made for published questionnaires only".to_owned()));
    }
    let unit = crate::services::registry::units::find(db, input.unit_id)
        .await
        .map_err(|_| ApiError::invalid("unit_id", "no such unit"))?;
    if unit.category != questionnaire.category {
        return Err(ApiError::invalid(
            "unit_id",
            format!(
                "the unit is in category {}, the questionnaire in {}",
                unit.category,
                questionnaire.category.as_str()
            ),
        ));
    }
    if let (Some(opens), Some(closes)) = (input.opens_at, input.closes_at)
        && closes <= opens
    {
        return Err(ApiError::invalid("closes_at", "must be after opens_at"));
    }
    let mut model = survey_link::ActiveModel {
        id: Set(Uuid::new_v4()),
        slug: Set(new_slug()),
        questionnaire_id: Set(questionnaire_id),
        unit_id: Set(input.unit_id),
        channel: Set(input.channel),
        opens_at: Set(input.opens_at),
        closes_at: Set(input.closes_at),
        revoked_at: Set(None),
        created_at: Set(crate::store::now()),
        ..Default::default()
    };
    input.controls.apply(&mut model);
    model.insert(db).await.map_err(|e| match ApiError::from(e) {
        ApiError::Duplicate(duplicate) => {
            duplicate.told("this questionnaire already has a link for that unit and channel")
        }
        other => other,
    })
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<survey_link::Model> {
    survey_link::Entity::find_by_id(id).one(db).await?.ok_or_else(|| ApiError::NotFound(format!("no link {id}")))
}

/// One link, for those who read links.
pub async fn get(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<survey_link::Model> {
    who.require(Permission::ReadLinks)?;
    find(db, id).await
}

pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> ApiResult<survey_link::Model> {
    survey_link::Entity::find()
        .filter(survey_link::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound("no survey at this address".to_owned()))
}

pub async fn revoke(
    db: &impl ConnectionTrait,
    changes: &LinkChanges,
    who: &Principal,
    id: Uuid,
) -> ApiResult<survey_link::Model> {
    who.require(Permission::ManageCampaigns)?;
    find(db, id).await?;
    // Revoking twice keeps the first time.
    let revoked = survey_link::Entity::update_many()
        .col_expr(survey_link::Column::RevokedAt, Expr::value(crate::store::now()))
        .filter(survey_link::Column::Id.eq(id))
        .filter(survey_link::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if revoked.rows_affected > 0 {
        changes.changed_here();
    }
    find(db, id).await
}

pub async fn set_controls(
    db: &impl ConnectionTrait,
    changes: &LinkChanges,
    who: &Principal,
    id: Uuid,
    controls: &Controls,
) -> ApiResult<survey_link::Model> {
    who.require(Permission::ManageIntegrity)?;
    find(db, id).await?;
    let mut model = survey_link::ActiveModel { id: Set(id), ..Default::default() };
    controls.apply(&mut model);
    let updated = model.update(db).await?;
    changes.changed_here();
    Ok(updated)
}

/// When a link takes responses: from `opens_at` (or at once) until `closes_at` (or the end of
/// the survey phase).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"opens_at": "2017-06-21T08:00:00+08:00", "closes_at": "2017-07-20T18:00:00+08:00"}))]
pub struct LinkWindow {
    /// Responses are refused before this time; `null` for no start.
    #[serde(default)]
    pub opens_at: Option<DateTime<FixedOffset>>,
    /// Responses are refused from this time on; `null` for no end.
    #[serde(default)]
    pub closes_at: Option<DateTime<FixedOffset>>,
}

/// Sets when a link takes responses; the answer page and the API follow at once.
pub async fn set_window(
    db: &impl ConnectionTrait,
    changes: &LinkChanges,
    who: &Principal,
    id: Uuid,
    window: &LinkWindow,
) -> ApiResult<survey_link::Model> {
    who.require(Permission::ManageCampaigns)?;
    find(db, id).await?;
    if let (Some(opens), Some(closes)) = (window.opens_at, window.closes_at)
        && closes <= opens
    {
        return Err(ApiError::invalid("closes_at", "must be after opens_at"));
    }
    let updated = survey_link::ActiveModel {
        id: Set(id),
        opens_at: Set(window.opens_at),
        closes_at: Set(window.closes_at),
        ..Default::default()
    }
    .update(db)
    .await?;
    changes.changed_here();
    Ok(updated)
}

async fn questionnaire_ids(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<Vec<Uuid>> {
    Ok(questionnaire::Entity::find()
        .select_only()
        .column(questionnaire::Column::Id)
        .filter(questionnaire::Column::CampaignId.eq(campaign_id))
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// Every live (not revoked) link of a campaign, for its posters in bulk.
pub async fn live_of_campaign(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
) -> ApiResult<Vec<survey_link::Model>> {
    who.require(Permission::ReadLinks)?;
    who.require_campaign(campaign_id)?;
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    Ok(all_of_campaign(db, campaign_id).await?.into_iter().filter(|l| l.revoked_at.is_none()).collect())
}

/// Every link of a campaign, unpaginated (for exports and reports).
pub async fn all_of_campaign(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<Vec<survey_link::Model>> {
    let questionnaire_ids = questionnaire_ids(db, campaign_id).await?;
    Ok(survey_link::Entity::find()
        .filter(survey_link::Column::QuestionnaireId.is_in(questionnaire_ids))
        .order_by_asc(survey_link::Column::CreatedAt)
        .order_by_asc(survey_link::Column::Id)
        .all(db)
        .await?)
}

pub async fn list(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
    filter: &LinkFilter,
    limit: u64,
    offset: u64,
) -> ApiResult<(Vec<survey_link::Model>, u64)> {
    who.require(Permission::ReadLinks)?;
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    let questionnaire_ids = questionnaire_ids(db, campaign_id).await?;
    let mut query = survey_link::Entity::find()
        .filter(survey_link::Column::QuestionnaireId.is_in(questionnaire_ids))
        .order_by_asc(survey_link::Column::CreatedAt)
        .order_by_asc(survey_link::Column::Id);
    if let Some(unit) = filter.unit_id {
        query = query.filter(survey_link::Column::UnitId.eq(unit));
    }
    if let Some(channel) = filter.channel {
        query = query.filter(survey_link::Column::Channel.eq(channel.as_str()));
    }
    Ok(crate::store::fetch_page(db, query, limit, offset).await?)
}

#[cfg(test)]
mod tests {
    use crate::services::registry::links::*;

    #[test]
    fn slugs_are_short_distinct_and_unambiguous() {
        let a = new_slug();
        assert_eq!(a.len(), SLUG_LEN);
        assert_ne!(a, new_slug());
        assert!(!a.contains(['0', 'O', 'l', 'I', '1']));
    }
}
