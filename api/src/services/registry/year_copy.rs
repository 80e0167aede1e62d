//! A new year set up from the previous one, as the office starts each year: the same
//! scoring settings; the previous year's bottom units carried over as key units (from its
//! newest approved result, as `campaigns::create` does); the questionnaires it published,
//! published again in the new campaign as they were; and a fresh link for every carried-over
//! unit on each channel it had links on (a web link when it had none), with the same
//! ballot controls and no opening or closing time.
//!
//! The campaign and its carried-over units are made in one transaction; the questionnaires
//! and links in a second one. Should the second fail, the campaign stands without them and
//! they can be added by hand.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use entity::questionnaire;
use entity::vocabulary::{Channel, QuestionnaireStatus};

use crate::auth::{Permission, Principal};
use crate::domain::text;
use crate::error::ApiResult;
use crate::services::registry::links::{self, Controls, NewLink};
use crate::services::registry::questionnaires::{self, NewQuestionnaire, Parsed};
use crate::services::registry::{campaign_units, campaigns};
use crate::store::link_changes::LinkChanges;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"year": 2018, "title": "昭化区2018年度民主评议政风行风"}))]
pub struct YearCopy {
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    #[validate(length(min = 1, max = 200), custom(function = "text::single_line"))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YearCopied {
    pub campaign: campaigns::CampaignDto,
    /// Key units carried over from the previous year's bottom N.
    pub carried_units: usize,
    /// Questionnaires published in the new campaign.
    pub questionnaires: usize,
    /// Links made for the carried-over units.
    pub links: usize,
}

/// The newest published questionnaire of each category of a campaign.
async fn published_questionnaires(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<Vec<Parsed>> {
    let models = questionnaire::Entity::find()
        .filter(questionnaire::Column::CampaignId.eq(campaign_id))
        .filter(questionnaire::Column::Status.eq(QuestionnaireStatus::Published))
        .order_by_desc(questionnaire::Column::Version)
        .all(db)
        .await?;
    let mut newest = BTreeMap::new();
    for model in models {
        let parsed = Parsed::try_from(model)?;
        newest.entry(parsed.category.as_str()).or_insert(parsed);
    }
    Ok(newest.into_values().collect())
}

pub async fn copy_year<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    changes: &LinkChanges,
    who: &Principal,
    previous_id: Uuid,
    input: YearCopy,
) -> ApiResult<YearCopied> {
    who.require(Permission::ManageCampaigns)?;
    let previous = campaigns::get(db, who, previous_id).await?;
    let settings = campaigns::settings_of(&previous)?;
    let input = campaigns::CampaignInput {
        year: input.year,
        title: input.title,
        phases: None,
        settings: Some(settings),
        carry_over_from: Some(previous_id),
    };
    let created = campaigns::create(db, who, input).await?;
    let carried = campaign_units::members(db, created.id).await?;

    // What each carried-over unit had last year: its channels and their controls.
    let mut channels: BTreeMap<Uuid, BTreeMap<Channel, Controls>> = BTreeMap::new();
    for link in links::all_of_campaign(db, previous_id).await? {
        if link.revoked_at.is_none() {
            channels.entry(link.unit_id).or_default().entry(link.channel).or_insert_with(|| Controls::of(&link));
        }
    }
    let txn = crate::store::begin_write(db).await?;
    let mut made_questionnaires = Vec::new();
    for old in published_questionnaires(&txn, previous_id).await? {
        let input = NewQuestionnaire {
            category: old.category,
            title: Some(old.title.clone()),
            questions: Some(old.questions.clone()),
        };
        let copy = questionnaires::create(&txn, who, created.id, input).await?;
        made_questionnaires.push(questionnaires::publish(&txn, changes, who, copy.model.id).await?);
    }
    let mut made_links = 0;
    let mut seen = BTreeSet::new();
    for member in &carried {
        if !seen.insert(member.unit_id) {
            continue;
        }
        let unit = crate::services::registry::units::find(&txn, member.unit_id).await?;
        let Some(questionnaire) = made_questionnaires.iter().find(|q| q.category == unit.category) else { continue };
        let had = channels.remove(&unit.id).unwrap_or_default();
        let wanted: Vec<(Channel, Controls)> =
            if had.is_empty() { vec![(Channel::Web, Controls::default())] } else { had.into_iter().collect() };
        for (channel, controls) in wanted {
            let link = NewLink { unit_id: unit.id, channel, opens_at: None, closes_at: None, controls };
            links::create(&txn, who, questionnaire.model.id, link).await?;
            made_links += 1;
        }
    }
    crate::services::audit::record(
        &txn,
        &who.subject,
        "campaign.copied",
        "campaign",
        &created.id.to_string(),
        Some(serde_json::json!({"from": previous_id})),
        Some(serde_json::json!({"carried_units": carried.len(), "questionnaires": made_questionnaires.len(), "links": made_links})),
    )
    .await?;
    txn.commit().await?;
    Ok(YearCopied {
        campaign: campaigns::CampaignDto::try_from(created)?,
        carried_units: carried.len(),
        questionnaires: made_questionnaires.len(),
        links: made_links,
    })
}
