//! Questionnaires: drafts that change, published versions that never do.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use entity::questionnaire;

use crate::auth::{Permission, Principal};
use crate::domain::questionnaire::{LocalizedText, Question, check_questions};
use crate::domain::templates::{Template, template};
use crate::domain::vocabulary::{Category, QuestionnaireStatus};
use crate::error::{ApiError, ApiResult};
use crate::store::link_changes::LinkChanges;

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"category": "government"}))]
pub struct NewQuestionnaire {
    pub category: Category,
    /// Defaults to the category template's title.
    #[serde(default)]
    #[validate(nested)]
    pub title: Option<LocalizedText>,
    /// Leave out to start from the category's template (six dimensions, overall, suggestions).
    #[serde(default)]
    #[validate(nested)]
    pub questions: Option<Vec<Question>>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": {"zh": "窗口服务满意度调查", "en": "Service window satisfaction"},
    "questions": [
        {"key": "overall", "kind": "rating", "dimension": "overall", "text": {"zh": "您对该窗口的总体评价", "en": "Overall satisfaction"},
         "options": [
            {"key": "satisfied", "weight": 1.0, "label": {"zh": "满意", "en": "Satisfied"}},
            {"key": "basically_satisfied", "weight": 0.6, "label": {"zh": "基本满意", "en": "Basically satisfied"}},
            {"key": "dissatisfied", "weight": 0.0, "label": {"zh": "不满意", "en": "Dissatisfied"}},
            {"key": "dont_know", "weight": null, "label": {"zh": "不了解", "en": "Don't know"}}
         ]},
        {"key": "suggestions", "kind": "text", "required": false, "text": {"zh": "意见和建议", "en": "Opinions and suggestions"}, "max_length": 1000}
    ]
}))]
pub struct DraftUpdate {
    #[validate(nested)]
    pub title: LocalizedText,
    #[validate(nested)]
    pub questions: Vec<Question>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionnaireDto {
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// Shared by all versions of this questionnaire.
    pub lineage_id: Uuid,
    pub version: i32,
    pub category: Category,
    pub title: LocalizedText,
    pub status: QuestionnaireStatus,
    pub questions: Vec<Question>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub published_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// A stored questionnaire with its JSON parts parsed.
pub struct Parsed {
    pub model: questionnaire::Model,
    pub status: QuestionnaireStatus,
    pub category: Category,
    pub title: LocalizedText,
    pub questions: Vec<Question>,
}

impl TryFrom<questionnaire::Model> for Parsed {
    type Error = ApiError;

    fn try_from(model: questionnaire::Model) -> ApiResult<Self> {
        let corrupt =
            |what: &str| ApiError::Internal(format!("questionnaire {} has an invalid {what}", model.id).into());
        Ok(Self {
            status: model.status,
            category: model.category,
            title: serde_json::from_value(model.title.clone()).map_err(|_| corrupt("title"))?,
            questions: serde_json::from_value(model.questions.clone()).map_err(|_| corrupt("question list"))?,
            model,
        })
    }
}

impl From<Parsed> for QuestionnaireDto {
    fn from(p: Parsed) -> Self {
        Self {
            id: p.model.id,
            campaign_id: p.model.campaign_id,
            lineage_id: p.model.lineage_id,
            version: p.model.version,
            category: p.category,
            title: p.title,
            status: p.status,
            questions: p.questions,
            created_at: p.model.created_at,
            published_at: p.model.published_at,
        }
    }
}

fn json<T: Serialize>(value: &T) -> ApiResult<serde_json::Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

fn check(questions: &[Question]) -> ApiResult<()> {
    let errors = check_questions(questions);
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// The shipped reference questionnaires, one per category.
pub fn templates(who: &Principal) -> ApiResult<Vec<Template>> {
    who.require(Permission::ReadRegister)?;
    Ok(Category::ALL.iter().map(|c| template(*c)).collect())
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<Parsed> {
    questionnaire::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no questionnaire {id}")))?
        .try_into()
}

/// One questionnaire version, for anyone who reads the register.
pub async fn get(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<Parsed> {
    who.require(Permission::ReadRegister)?;
    find(db, id).await
}

pub async fn create(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
    input: NewQuestionnaire,
) -> ApiResult<Parsed> {
    who.require(Permission::ManageCampaigns)?;
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    let base = template(input.category);
    let questions = input.questions.unwrap_or(base.questions);
    check(&questions)?;
    let id = Uuid::new_v4();
    let model = questionnaire::ActiveModel {
        id: Set(id),
        campaign_id: Set(campaign_id),
        lineage_id: Set(id),
        version: Set(1),
        category: Set(input.category),
        title: Set(json(&input.title.unwrap_or(base.title))?),
        status: Set(QuestionnaireStatus::Draft),
        questions: Set(json(&questions)?),
        created_at: Set(crate::store::now()),
        published_at: Set(None),
    };
    model.insert(db).await?.try_into()
}

fn require_draft(parsed: &Parsed) -> ApiResult<()> {
    if parsed.status == QuestionnaireStatus::Draft {
        Ok(())
    } else {
        Err(ApiError::Conflict(format!(
            "version {} is {}; published questionnaires never change: create a new version instead",
            parsed.model.version,
            parsed.status.as_str()
        )))
    }
}

pub async fn update_draft(
    db: &impl ConnectionTrait,
    who: &Principal,
    id: Uuid,
    input: DraftUpdate,
) -> ApiResult<Parsed> {
    who.require(Permission::ManageCampaigns)?;
    let current = find(db, id).await?;
    require_draft(&current)?;
    check(&input.questions)?;
    // Only while it is still a draft: an edit racing a publication must not change what
    // was published.
    let changed = questionnaire::Entity::update_many()
        .col_expr(questionnaire::Column::Title, Expr::value(json(&input.title)?))
        .col_expr(questionnaire::Column::Questions, Expr::value(json(&input.questions)?))
        .filter(questionnaire::Column::Id.eq(id))
        .filter(questionnaire::Column::Status.eq(QuestionnaireStatus::Draft))
        .exec(db)
        .await?;
    let updated = find(db, id).await?;
    if changed.rows_affected == 0 {
        require_draft(&updated)?;
    }
    Ok(updated)
}

async fn set_status(
    db: &impl ConnectionTrait,
    changes: &LinkChanges,
    id: Uuid,
    from: QuestionnaireStatus,
    to: QuestionnaireStatus,
) -> ApiResult<Parsed> {
    find(db, id).await?;
    // Compare and set: of two requests making the same change, one makes it.
    let mut change = questionnaire::Entity::update_many()
        .col_expr(questionnaire::Column::Status, Expr::value(to))
        .filter(questionnaire::Column::Id.eq(id))
        .filter(questionnaire::Column::Status.eq(from));
    if to == QuestionnaireStatus::Published {
        change = change.col_expr(questionnaire::Column::PublishedAt, Expr::value(crate::store::now()));
    }
    if change.exec(db).await?.rows_affected == 0 {
        return Err(ApiError::Conflict(format!("only a {} questionnaire can become {}", from.as_str(), to.as_str())));
    }
    changes.changed_here();
    find(db, id).await
}

pub async fn publish(db: &impl ConnectionTrait, changes: &LinkChanges, who: &Principal, id: Uuid) -> ApiResult<Parsed> {
    who.require(Permission::ManageCampaigns)?;
    set_status(db, changes, id, QuestionnaireStatus::Draft, QuestionnaireStatus::Published).await
}

pub async fn close(db: &impl ConnectionTrait, changes: &LinkChanges, who: &Principal, id: Uuid) -> ApiResult<Parsed> {
    who.require(Permission::ManageCampaigns)?;
    set_status(db, changes, id, QuestionnaireStatus::Published, QuestionnaireStatus::Closed).await
}

/// A new draft version copied from `id`; the old version and its responses stay as they are.
pub async fn new_version(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<Parsed> {
    who.require(Permission::ManageCampaigns)?;
    let source = find(db, id).await?;
    let latest: Option<i32> = questionnaire::Entity::find()
        .select_only()
        .column_as(questionnaire::Column::Version.max(), "latest")
        .filter(questionnaire::Column::LineageId.eq(source.model.lineage_id))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten();
    let model = questionnaire::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(source.model.campaign_id),
        lineage_id: Set(source.model.lineage_id),
        version: Set(latest.unwrap_or(source.model.version) + 1),
        category: Set(source.model.category),
        title: Set(source.model.title),
        status: Set(QuestionnaireStatus::Draft),
        questions: Set(source.model.questions),
        created_at: Set(crate::store::now()),
        published_at: Set(None),
    };
    model.insert(db).await?.try_into()
}

pub async fn list(
    db: &impl ConnectionTrait,
    who: &Principal,
    campaign_id: Uuid,
    limit: u64,
    offset: u64,
) -> ApiResult<(Vec<Parsed>, u64)> {
    who.require(Permission::ReadRegister)?;
    crate::services::registry::campaigns::find(db, campaign_id).await?;
    let query = questionnaire::Entity::find()
        .filter(questionnaire::Column::CampaignId.eq(campaign_id))
        .order_by_asc(questionnaire::Column::CreatedAt)
        .order_by_asc(questionnaire::Column::Version);
    let (models, total) = crate::store::fetch_page(db, query, limit, offset).await?;
    let parsed = models.into_iter().map(Parsed::try_from).collect::<ApiResult<Vec<_>>>()?;
    Ok((parsed, total))
}
