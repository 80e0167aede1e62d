//! The official notice (通报) of a campaign's result: issued by the office from the published
//! result, with its document number, issuing body and date, to the district's leadership
//! bodies the plan names and to each vertically managed unit's supervising authority. Pingyi
//! records each notice issued and to whom, and renders it (`web::notice_document`) as PDF and
//! DOCX from the result it reports, so the document always says what the result says.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use entity::{campaign, official_notice, unit};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionSession,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Permission, Principal};
use crate::domain::composite::{Grade, SupervisionMode};
use crate::domain::text;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::services::evaluation::results::{self, Report, ReportRow};
use crate::services::registry::{campaign_units, campaigns};
use crate::web::notice_document::{Block, NoticeDocument};

/// The bodies the plan sends the results to (区委, 区人大, 区政府, 区政协, 组织部, 市纠风办).
pub const PLAN_RECIPIENTS: [&str; 6] = ["区委", "区人大", "区政府", "区政协", "区委组织部", "市纠风办"];

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"doc_number": "昭评办〔2018〕1号", "issuing_body": "昭化区民主评议政风行风工作领导小组办公室", "issued_on": "2018-01-15"}))]
pub struct NewOfficialNotice {
    /// 发文字号.
    #[validate(length(min = 1, max = 100), custom(function = "text::single_line"))]
    pub doc_number: String,
    /// 发文机关.
    #[validate(length(min = 1, max = 60), custom(function = "text::single_line"))]
    pub issuing_body: String,
    pub issued_on: NaiveDate,
    /// Left out: 关于{year}年度民主评议政风行风工作结果的通报.
    #[serde(default)]
    #[validate(length(min = 1, max = 200), custom(function = "text::single_line"))]
    pub title: Option<String>,
    /// The bodies it is copied to (抄送); left out, the plan's six and the supervising
    /// authorities of the campaign's vertically managed units.
    #[serde(default)]
    #[validate(length(min = 1, max = 50))]
    pub recipients: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfficialNoticeDto {
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// The published result version it reports.
    pub result_version_id: Uuid,
    pub doc_number: String,
    pub issuing_body: String,
    pub issued_on: NaiveDate,
    pub title: String,
    /// To whom it was issued.
    pub recipients: Vec<String>,
    pub issued_at: chrono::DateTime<chrono::FixedOffset>,
    /// Where the PDF is downloaded.
    pub pdf: String,
    /// Where the DOCX is downloaded.
    pub docx: String,
}

impl From<official_notice::Model> for OfficialNoticeDto {
    fn from(m: official_notice::Model) -> Self {
        Self {
            pdf: format!("/api/v1/official-notices/{}/notice.pdf", m.id),
            docx: format!("/api/v1/official-notices/{}/notice.docx", m.id),
            recipients: serde_json::from_value(m.recipients).unwrap_or_default(),
            id: m.id,
            campaign_id: m.campaign_id,
            result_version_id: m.result_version_id,
            doc_number: m.doc_number,
            issuing_body: m.issuing_body,
            issued_on: m.issued_on,
            title: m.title,
            issued_at: m.created_at,
        }
    }
}

/// The plan's recipients, then the supervising authorities of the campaign's units, each once.
pub async fn default_recipients(db: &impl ConnectionTrait, campaign_id: Uuid) -> ApiResult<Vec<String>> {
    let members = campaign_units::unit_ids(db, campaign_id).await?;
    let mut recipients: Vec<String> = PLAN_RECIPIENTS.iter().map(|r| (*r).to_owned()).collect();
    let mut authorities: Vec<String> = unit::Entity::find()
        .filter(unit::Column::Id.is_in(members))
        .filter(unit::Column::SupervisingAuthority.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|u| u.supervising_authority)
        .collect();
    authorities.sort();
    for authority in authorities {
        if !recipients.contains(&authority) {
            recipients.push(authority);
        }
    }
    Ok(recipients)
}

fn check_recipients(recipients: &[String]) -> ApiResult<()> {
    let errors: Vec<FieldError> = recipients
        .iter()
        .enumerate()
        .filter(|(_, r)| r.trim().is_empty() || r.chars().count() > 100 || text::single_line(r).is_err())
        .map(|(at, _)| FieldError::new(format!("recipients[{at}]"), "must be one line of 1 to 100 characters"))
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// Issues the notice of the campaign's published result and records to whom.
pub async fn issue<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    campaign_id: Uuid,
    input: NewOfficialNotice,
) -> ApiResult<OfficialNoticeDto> {
    who.require(Permission::ManageResults)?;
    let found = campaigns::find(db, campaign_id).await?;
    let published = results::published(db, campaign_id).await.map_err(|err| match err {
        ApiError::NotFound(_) => {
            ApiError::Conflict("the notice reports a published result; publish one first".to_owned())
        }
        other => other,
    })?;
    let recipients = match input.recipients {
        Some(list) => {
            check_recipients(&list)?;
            list.into_iter().map(|r| r.trim().to_owned()).collect()
        }
        None => default_recipients(db, campaign_id).await?,
    };
    let txn = crate::store::begin_write(db).await?;
    let model = official_notice::ActiveModel {
        id: Set(Uuid::new_v4()),
        campaign_id: Set(campaign_id),
        result_version_id: Set(published.id),
        doc_number: Set(input.doc_number.trim().to_owned()),
        issuing_body: Set(input.issuing_body.trim().to_owned()),
        issued_on: Set(input.issued_on),
        title: Set(input.title.unwrap_or_else(|| format!("关于{}年度民主评议政风行风工作结果的通报", found.year))),
        recipients: Set(serde_json::json!(recipients)),
        issued_by: Set(who.subject.clone()),
        created_at: Set(crate::store::now()),
    }
    .insert(&txn)
    .await
    .map_err(|err| match ApiError::from(err) {
        ApiError::Duplicate(duplicate) => duplicate.told("this campaign already has a notice with that number"),
        other => other,
    })?;
    let after = serde_json::json!({
        "doc_number": model.doc_number, "result_version_id": model.result_version_id, "recipients": recipients,
    });
    crate::services::audit::record(
        &txn,
        &who.subject,
        "official_notice.issued",
        "official_notice",
        &model.id.to_string(),
        None,
        Some(after),
    )
    .await?;
    txn.commit().await?;
    Ok(OfficialNoticeDto::from(model))
}

/// The notices issued for a campaign, newest first.
pub async fn list(db: &impl ConnectionTrait, who: &Principal, campaign_id: Uuid) -> ApiResult<Vec<OfficialNoticeDto>> {
    who.require(Permission::ReadResults)?;
    who.require_campaign(campaign_id)?;
    Ok(official_notice::Entity::find()
        .filter(official_notice::Column::CampaignId.eq(campaign_id))
        .order_by_desc(official_notice::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(OfficialNoticeDto::from)
        .collect())
}

/// A notice as a document, composed from the result it reports.
pub async fn document(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> ApiResult<NoticeDocument> {
    who.require(Permission::ReadResults)?;
    let notice = official_notice::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no official notice {id}")))?;
    who.require_campaign(notice.campaign_id)?;
    let found = campaigns::find(db, notice.campaign_id).await?;
    let version = results::find(db, notice.result_version_id).await?;
    let report = results::report(db, &version).await?;
    Ok(compose(&found, &report, &notice))
}

fn grade_name(grade: Grade) -> &'static str {
    match grade {
        Grade::Excellent => "优秀",
        Grade::Qualified => "合格",
        Grade::Unqualified => "不合格",
        Grade::NotScored => "未评分",
    }
}

fn percent(weight: f64) -> String {
    let value = weight * 100.0;
    if (value - value.round()).abs() < 1e-9 { format!("{value:.0}%") } else { format!("{value:.1}%") }
}

fn chinese_date(day: NaiveDate) -> String {
    format!("{}年{}月{}日", day.year(), day.month(), day.day())
}

/// The method in brief: what makes up the composite, the grades' lines and the bottom rule.
fn method(report: &Report) -> String {
    let rules = &report.rules;
    let w = &rules.weights;
    let parts: Vec<String> = [
        ("评议大会测评", w.conference),
        ("第三方测评", w.third_party),
        ("群众评议", w.citizen_links),
        ("督查督办", w.supervision),
    ]
    .iter()
    .filter(|(_, weight)| *weight > 0.0)
    .map(|(name, weight)| format!("{name}占{}", percent(*weight)))
    .collect();
    let supervision = match rules.supervision_mode {
        SupervisionMode::Points => "，督查督办情况按通报加减分",
        SupervisionMode::Component => "",
    };
    format!(
        "本次评议综合得分由{}构成{supervision}，满分100分。综合得分{}分以上为优秀，{}分以上为合格，{}分以下为不合格；发生违规违纪案件的单位评定为不合格。区重点评议单位排名后{}位的为末位单位。",
        parts.join("、"),
        rules.excellent_min,
        rules.qualified_min,
        rules.qualified_min,
        rules.bottom_n,
    )
}

fn score(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

/// What the notice says about the result it reports.
pub fn compose(found: &campaign::Model, report: &Report, notice: &official_notice::Model) -> NoticeDocument {
    let mut blocks = vec![
        Block::Paragraph(format!(
            "按照《{}实施方案》安排，经群众满意度调查、第三方测评、评议大会测评和督查督办综合考评，{}年度民主评议政风行风工作已经结束，评议结果已经审定。现将有关情况通报如下。",
            found.title, found.year
        )),
        Block::Heading("一、评议方法".to_owned()),
        Block::Paragraph(method(report)),
        Block::Heading("二、评议结果".to_owned()),
    ];
    let mut groups: BTreeMap<usize, (String, Vec<&ReportRow>)> = BTreeMap::new();
    let mut order: Vec<Option<String>> = Vec::new();
    for row in &report.rows {
        let key = row.group_name.clone();
        let at = order.iter().position(|g| *g == key).unwrap_or_else(|| {
            order.push(key.clone());
            order.len() - 1
        });
        groups.entry(at).or_insert_with(|| (key.unwrap_or_else(|| "其他参评单位".to_owned()), Vec::new())).1.push(row);
    }
    const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    for (at, (name, rows)) in groups.values().enumerate() {
        blocks.push(Block::Table {
            caption: format!("（{}）{name}", NUMERALS.get(at).copied().unwrap_or("…")),
            header: ["名次", "单位", "综合得分", "等次"].map(str::to_owned).to_vec(),
            rows: rows
                .iter()
                .map(|row| {
                    vec![
                        row.rank.map_or_else(|| "—".to_owned(), |r| r.to_string()),
                        row.unit_name.clone(),
                        score(row.composite),
                        grade_name(row.grade).to_owned(),
                    ]
                })
                .collect(),
        });
    }
    blocks.push(Block::Heading("三、末位单位及违规单位的处理".to_owned()));
    let names = |rows: Vec<&ReportRow>| rows.iter().map(|r| r.unit_name.as_str()).collect::<Vec<_>>().join("、");
    let bottom: Vec<&ReportRow> = report.rows.iter().filter(|r| r.bottom).collect();
    if bottom.is_empty() {
        blocks.push(Block::Paragraph("本年度评议无末位单位。".to_owned()));
    } else {
        blocks.push(Block::Paragraph(format!(
            "{}在本组评议中排名末位。按照评议方案，取消上述单位及其主要负责人{}年度评先评优资格，并将上述单位列为{}年度重点评议单位。",
            names(bottom),
            found.year,
            found.year + 1
        )));
    }
    let violations: Vec<&ReportRow> = report.rows.iter().filter(|r| r.violation && !r.bottom).collect();
    if !violations.is_empty() {
        blocks.push(Block::Paragraph(format!(
            "{}因发生违规违纪问题，评定为不合格等次，取消其{}年度评先评优资格。",
            names(violations),
            found.year
        )));
    }
    blocks.push(Block::Paragraph(
        "各单位要针对评议中群众反映的问题，认真制定整改措施，切实抓好整改落实，不断改进作风、提高服务水平。".to_owned(),
    ));
    NoticeDocument {
        issuing_body: notice.issuing_body.clone(),
        doc_number: notice.doc_number.clone(),
        title: notice.title.clone(),
        addressees: "各乡镇人民政府，区级各部门，各有关单位：".to_owned(),
        blocks,
        date: chinese_date(notice.issued_on),
        copied_to: serde_json::from_value(notice.recipients.clone()).unwrap_or_default(),
    }
}
