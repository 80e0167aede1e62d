//! What a conference ballot asks: the session's units in the order of their codes, each with
//! its questions (the overall rating, or the six dimensions of its category) and the levels
//! the session opened with. The phone ballot page, the console's paper-ballot entry and the
//! projector read it.

use std::collections::BTreeMap;

use entity::conference_session;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::domain::questionnaire::{AnswerOption, LocalizedText, OVERALL};
use crate::domain::templates::dimensions;
use crate::domain::vocabulary::Category;
use crate::error::{ApiError, ApiResult};
use crate::services::evaluation::conference;

pub struct BallotSheet {
    pub session: conference_session::Model,
    pub campaign_title: String,
    pub units: Vec<SheetUnit>,
}

pub struct SheetUnit {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub questions: Vec<SheetQuestion>,
}

pub struct SheetQuestion {
    /// `overall` or a dimension's key: with the unit's id, the name of the question's field.
    pub dimension: String,
    pub label: LocalizedText,
    pub options: Vec<AnswerOption>,
}

impl BallotSheet {
    /// How many choices a whole ballot makes.
    pub fn questions(&self) -> usize {
        self.units.iter().map(|u| u.questions.len()).sum()
    }
}

pub async fn sheet(db: &impl ConnectionTrait, session_id: Uuid) -> ApiResult<BallotSheet> {
    let session = conference::find_session(db, session_id).await?;
    let campaign_title = crate::services::registry::campaigns::find(db, session.campaign_id).await?.title;
    let scales: BTreeMap<Category, Vec<AnswerOption>> =
        session.scales.clone().and_then(|value| serde_json::from_value(value).ok()).unwrap_or_default();
    // Which (unit, dimension, option) the session's tallies allow: the ballot offers no other.
    let mut allowed: BTreeMap<Uuid, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for tally in conference::tallies_of(session_id).all(db).await? {
        allowed.entry(tally.unit_id).or_default().entry(tally.dimension).or_default().push(tally.option_key);
    }
    let mut units = Vec::new();
    for (unit_id, by_dimension) in allowed {
        let unit = crate::services::registry::units::find(db, unit_id).await?;
        let scale = scales.get(&unit.category).cloned().unwrap_or_default();
        let labelled: Vec<(String, LocalizedText)> =
            std::iter::once((OVERALL.to_owned(), LocalizedText::new("总体评价", "Overall")))
                .chain(
                    dimensions(unit.category)
                        .iter()
                        .map(|(key, zh, en)| ((*key).to_owned(), LocalizedText::new(zh, en))),
                )
                .collect();
        let mut questions = Vec::new();
        for (dimension, label) in labelled {
            let Some(keys) = by_dimension.get(&dimension) else { continue };
            let options: Vec<AnswerOption> = scale.iter().filter(|o| keys.contains(&o.key)).cloned().collect();
            if options.len() != keys.len() {
                return Err(ApiError::Internal("a session's tallies name a level its scales do not have".into()));
            }
            questions.push(SheetQuestion { dimension, label, options });
        }
        units.push(SheetUnit { id: unit.id, code: unit.code, name: unit.name, questions });
    }
    units.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(BallotSheet { session, campaign_title, units })
}
