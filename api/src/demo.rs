//! The plan's example as demo data, loaded through the same services as an operator:
//!
//! - **2016, a year already evaluated**: the plan's six key units ranked as the district's
//!   group, a township (元坝镇) ranking its two key units in its own group, a self-organised
//!   department graded without a rank; the third party's figures; a conference of six
//!   representatives with its own minimum of five answers; a tie at the district's bottom-3
//!   line that the leading group decides with a reason; approved by two and published.
//! - **2017, the year in progress**: created with 2016's bottom units carried over in their
//!   role and group, both questionnaires published and one web link per key unit, in its
//!   survey phase; its settings count citizens' answers through the links with a weight of
//!   0.2, which the plan's defaults leave at 0.
//!
//! And an admin account. Loading twice changes nothing.

use entity::{account, campaign, campaign_unit, survey_link, unit};
use rand::Rng;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::auth::{Principal, Role, Scope};
use crate::domain::campaign::{DateRange, ScoringSettings, SourceMinimums, SourceWeights};
use crate::domain::vocabulary::{Category, Channel, Phase, UnitKind};
use crate::error::ApiResult;
use crate::services::evaluation::{conference, results};
use crate::services::integrity::codes::SpendKey;
use crate::services::pollster;
use crate::services::registry::campaign_units::{self, UnitRole};
use crate::services::registry::{accounts, campaigns, clients, links, questionnaires, units};
use crate::store::link_changes::LinkChanges;
use crate::totals::reports::Reports;

pub const DEMO_YEAR: i32 = 2017;
pub const DEMO_ADMIN: &str = "admin";
const EVALUATED_YEAR: i32 = 2016;

/// A demo unit: code, name, category, kind, its role, and for a township's unit the township.
struct DemoUnit {
    code: &'static str,
    name: &'static str,
    category: Category,
    kind: UnitKind,
    role: UnitRole,
    township: Option<&'static str>,
}

const fn district(code: &'static str, name: &'static str, category: Category, kind: UnitKind) -> DemoUnit {
    DemoUnit { code, name, category, kind, role: UnitRole::DistrictKey, township: None }
}

/// The vertically managed demo units and the authority above each, to which the official
/// notice also goes.
const SUPERVISING_AUTHORITIES: [(&str, &str); 1] = [("gwzhgdgs", "国网四川省电力公司广元供电公司")];

/// The key units the plan names for 2017, then 元坝镇's two, then a self-organised department.
const UNITS: [DemoUnit; 9] = [
    district("jtysj", "区交通运输局", Category::Government, UnitKind::Department),
    district("jyj", "区教育局", Category::Government, UnitKind::Department),
    district("sygsj", "区食药工商局", Category::Government, UnitKind::Department),
    district("zwzx", "区政务中心", Category::Government, UnitKind::Department),
    district("sjb", "区三江办", Category::Government, UnitKind::Department),
    district("gwzhgdgs", "国网昭化供电公司", Category::PublicService, UnitKind::Company),
    DemoUnit {
        code: "ybz-bmfwzx",
        name: "元坝镇便民服务中心",
        category: Category::Government,
        kind: UnitKind::ServiceWindow,
        role: UnitRole::TownshipKey,
        township: Some("ybz"),
    },
    DemoUnit {
        code: "ybz-gts",
        name: "元坝镇国土资源所",
        category: Category::Government,
        kind: UnitKind::Station,
        role: UnitRole::TownshipKey,
        township: Some("ybz"),
    },
    DemoUnit {
        code: "daj",
        name: "区档案局",
        category: Category::Government,
        kind: UnitKind::Department,
        role: UnitRole::SelfOrganised,
        township: None,
    },
];

/// 2016's figures per unit, in `UNITS` order: the six representatives' overall ratings and
/// the third party's rate (sample 400). The composites, at 0.5 / 0.5: 85, 91, 78, 78, 75, 70;
/// 83, 75 in 元坝镇; 88 for the self-organised department (third party only). 区食药工商局
/// and 区政务中心 tie at 78 across the district's bottom-3 line.
const EVALUATED: [([&str; 6], f64); 9] = [
    (["satisfied"; 6], 0.90),
    ([VS, VS, VS, S, S, S], 0.92),
    (["satisfied"; 6], 0.76),
    ([VS, S, S, S, BS, BS], 0.793_333_333_333_333_3),
    ([S, S, S, BS, BS, BS], 0.80),
    (["basically_satisfied"; 6], 0.80),
    (["satisfied"; 6], 0.86),
    ([S, S, S, BS, BS, BS], 0.80),
    (["dont_know"; 6], 0.88),
];
const VS: &str = "very_satisfied";
const S: &str = "satisfied";
const BS: &str = "basically_satisfied";

pub struct DemoSummary {
    /// (unit name, link slug) for every demo link.
    pub links: Vec<(String, String)>,
    /// The evaluated year's campaign, whose result is published.
    pub evaluated_campaign: Option<Uuid>,
    /// Set when this run created the admin account: (username, password).
    pub new_admin: Option<(String, String)>,
}

pub async fn load(db: &DatabaseConnection, spend_key: &SpendKey) -> ApiResult<DemoSummary> {
    let year = |y: i32| campaign::Entity::find().filter(campaign::Column::Year.eq(y)).one(db);
    let evaluated = match year(EVALUATED_YEAR).await? {
        Some(found) => found.id,
        None => evaluate_a_year(db, spend_key).await?,
    };
    if year(DEMO_YEAR).await?.is_none() {
        open_the_year(db, evaluated).await?;
    }
    let new_admin = ensure_admin(db).await?;
    Ok(DemoSummary { links: demo_links(db).await?, evaluated_campaign: Some(evaluated), new_admin })
}

fn demo() -> Principal {
    Principal::operator("demo")
}

/// The demo's units, made once: (unit, its part).
async fn ensure_units(db: &DatabaseConnection) -> ApiResult<Vec<(unit::Model, &'static DemoUnit)>> {
    let township = ensure_unit(db, "ybz", "元坝镇", Category::Government, UnitKind::Township, None).await?;
    let mut made = Vec::new();
    for spec in &UNITS {
        let parent = spec.township.map(|_| township.id);
        made.push((ensure_unit(db, spec.code, spec.name, spec.category, spec.kind, parent).await?, spec));
    }
    Ok(made)
}

async fn ensure_unit(
    db: &DatabaseConnection,
    code: &str,
    name: &str,
    category: Category,
    kind: UnitKind,
    parent_id: Option<Uuid>,
) -> ApiResult<unit::Model> {
    if let Some(found) = unit::Entity::find().filter(unit::Column::Code.eq(code)).one(db).await? {
        return Ok(found);
    }
    let input = units::UnitInput {
        code: code.to_owned(),
        name: name.to_owned(),
        category,
        kind,
        parent_id,
        supervising_authority: SUPERVISING_AUTHORITIES
            .iter()
            .find(|(unit, _)| *unit == code)
            .map(|(_, authority)| (*authority).to_owned()),
    };
    units::create(db, &demo(), input).await
}

/// 2016, from the units to a published result.
async fn evaluate_a_year(db: &DatabaseConnection, spend_key: &SpendKey) -> ApiResult<Uuid> {
    let changes = LinkChanges::default();
    let settings = ScoringSettings {
        min_samples: SourceMinimums { conference: 5, ..SourceMinimums::default() },
        group_bottom_n: 1,
        ..ScoringSettings::default()
    };
    let input = campaigns::CampaignInput {
        year: EVALUATED_YEAR,
        title: "昭化区2016年度民主评议政风行风".to_owned(),
        phases: None,
        settings: Some(settings),
        carry_over_from: None,
    };
    let campaign = campaigns::create(db, &demo(), input).await?.id;
    let units = ensure_units(db).await?;
    for (unit, spec) in &units {
        let member = campaign_units::NewCampaignUnit { unit_id: unit.id, role: spec.role, ranking_group: None };
        campaign_units::add(db, &demo(), campaign, member).await?;
    }
    campaigns::advance(db, &changes, &demo(), campaign, Phase::Survey).await?;

    let client = clients::NewClient {
        name: "第三方测评机构（演示）".to_owned(),
        role: clients::ClientRole::Pollster,
        campaign_ids: vec![campaign],
        unit_ids: None,
    };
    let client = clients::create(db, &demo(), client).await?.client;
    let pollster = Principal {
        subject: client.id.to_string(),
        role: Role::Pollster,
        unit_id: None,
        stations: Vec::new(),
        scope: Some(Scope { campaigns: vec![campaign], units: None }),
    };
    for ((unit, _), (_, rate)) in units.iter().zip(EVALUATED.iter()) {
        let figure = pollster::NewFigure {
            unit_id: unit.id,
            satisfaction_rate: *rate,
            sample_size: 400,
            margin_of_error: Some(0.04),
            interval: None,
            method: "电话调查（CATI）".to_owned(),
            field_period: DateRange {
                starts_on: chrono::NaiveDate::from_ymd_opt(EVALUATED_YEAR, 8, 1).unwrap_or_default(),
                ends_on: chrono::NaiveDate::from_ymd_opt(EVALUATED_YEAR, 8, 31).unwrap_or_default(),
            },
        };
        pollster::push_figure(db, &pollster, campaign, figure).await?;
    }
    campaigns::advance(db, &changes, &demo(), campaign, Phase::Rectification).await?;
    campaigns::advance(db, &changes, &demo(), campaign, Phase::Assessment).await?;

    // The conference: four deputies and two members of the leading group score every ranked
    // unit once (the self-organised department is not in the session's scope).
    for (group, count) in [("deputies", 4), ("leading_group", 2)] {
        let input = conference::NewEvaluators { group: group.to_owned(), count };
        conference::add_evaluators(db, &demo(), campaign, input).await?;
    }
    let new_session = conference::NewSession { mode: conference::ScoringMode::Overall, unit_ids: None, scale: None };
    let session = conference::open_session(db, &demo(), campaign, new_session).await?.id;
    let codes = conference::issue_codes(db, &demo(), session).await?;
    for (representative, code) in codes.iter().enumerate() {
        let scores = units
            .iter()
            .zip(EVALUATED.iter())
            .filter(|((_, spec), _)| spec.role != UnitRole::SelfOrganised)
            .map(|((unit, _), (options, _))| conference::Score {
                unit_id: unit.id,
                dimension: crate::domain::questionnaire::OVERALL.to_owned(),
                option: options[representative].to_owned(),
            })
            .collect();
        conference::cast(db, spend_key, session, conference::Ballot { code: code.ballot_code.clone(), scores }).await?;
    }
    conference::close(db, &demo(), session).await?;

    // The result, the leading group's decision on the tie, two approvals, publication.
    let draft = results::compute(db, &Reports::default(), &demo(), campaign).await?.id;
    let leading_group = |name: &str| Principal {
        subject: format!("operator:{name}"),
        role: Role::Approver,
        unit_id: None,
        stations: Vec::new(),
        scope: None,
    };
    let lower_conference = units.iter().find(|(u, _)| u.code == "zwzx").map(|(u, _)| u.id).unwrap_or_default();
    let choice = results::TieChoice {
        group: campaign_units::DISTRICT.to_owned(),
        bottom: vec![lower_conference],
        reason: "两单位综合得分并列，领导小组研究决定：大会测评得分较低的区政务中心列入末位".to_owned(),
    };
    results::decide_tie(db, &leading_group("领导小组成员甲"), draft, choice).await?;
    results::approve(db, &leading_group("领导小组成员甲"), draft).await?;
    results::approve(db, &leading_group("领导小组成员乙"), draft).await?;
    results::publish(db, &demo(), draft).await?;
    campaigns::advance(db, &changes, &demo(), campaign, Phase::Closed).await?;
    Ok(campaign)
}

/// 2017: 2016's bottom units carried over, the other key units added, questionnaires and one
/// web link per key unit (and a kiosk link at the first one's window), in its survey phase.
async fn open_the_year(db: &DatabaseConnection, evaluated: Uuid) -> ApiResult<()> {
    // The demo is loaded before the service starts: no link cache has anything to reload.
    let changes = LinkChanges::default();
    let settings = ScoringSettings {
        weights: SourceWeights { conference: 0.4, third_party: 0.4, citizen_links: 0.2, supervision: 0.0 },
        min_samples: SourceMinimums { conference: 5, ..SourceMinimums::default() },
        organiser: Some("昭化区民主评议政风行风工作领导小组办公室".to_owned()),
        contact: Some("评议办：区政府大楼三楼".to_owned()),
        ..ScoringSettings::default()
    };
    let input = campaigns::CampaignInput {
        year: DEMO_YEAR,
        title: "昭化区2017年度民主评议政风行风".to_owned(),
        phases: None,
        settings: Some(settings),
        carry_over_from: Some(evaluated),
    };
    let campaign = campaigns::create(db, &demo(), input).await?;
    let carried: Vec<Uuid> = campaign_units::members(db, campaign.id).await?.into_iter().map(|m| m.unit_id).collect();
    let units = ensure_units(db).await?;
    for (unit, spec) in units.iter().filter(|(u, _)| !carried.contains(&u.id)) {
        let member = campaign_units::NewCampaignUnit { unit_id: unit.id, role: spec.role, ranking_group: None };
        campaign_units::add(db, &demo(), campaign.id, member).await?;
    }
    campaigns::advance(db, &changes, &demo(), campaign.id, Phase::Survey).await?;
    for category in Category::ALL {
        let draft = questionnaires::create(
            db,
            &demo(),
            campaign.id,
            questionnaires::NewQuestionnaire { category: *category, title: None, questions: None },
        )
        .await?;
        let published = questionnaires::publish(db, &changes, &demo(), draft.model.id).await?;
        let keyed = units.iter().filter(|(u, spec)| u.category == *category && spec.role != UnitRole::SelfOrganised);
        for (index, (unit, _)) in keyed.enumerate() {
            let link = links::NewLink {
                unit_id: unit.id,
                channel: Channel::Web,
                opens_at: None,
                closes_at: None,
                controls: Default::default(),
            };
            links::create(db, &demo(), published.model.id, link).await?;
            // The first government unit also has a tablet at its service window.
            if index == 0 && *category == Category::Government {
                let kiosk = links::NewLink {
                    unit_id: unit.id,
                    channel: Channel::WindowQr,
                    opens_at: None,
                    closes_at: None,
                    controls: links::Controls { kiosk: true, ..Default::default() },
                };
                links::create(db, &demo(), published.model.id, kiosk).await?;
            }
        }
    }
    Ok(())
}

async fn ensure_admin(db: &DatabaseConnection) -> ApiResult<Option<(String, String)>> {
    if account::Entity::find().filter(account::Column::Username.eq(DEMO_ADMIN)).one(db).await?.is_some() {
        return Ok(None);
    }
    let password = std::env::var("PINGYI_ADMIN_PASSWORD").unwrap_or_else(|_| {
        let bytes: [u8; 12] = rand::rng().random();
        hex::encode(bytes)
    });
    let input = accounts::AccountInput {
        username: DEMO_ADMIN.to_owned(),
        password: password.clone(),
        role: Role::Admin,
        unit_id: None,
    };
    accounts::create(db, &demo(), input).await?;
    Ok(Some((DEMO_ADMIN.to_owned(), password)))
}

/// The 2017 campaign's links, by unit.
async fn demo_links(db: &DatabaseConnection) -> ApiResult<Vec<(String, String)>> {
    let Some(campaign) = campaign::Entity::find().filter(campaign::Column::Year.eq(DEMO_YEAR)).one(db).await? else {
        return Ok(Vec::new());
    };
    let members =
        campaign_unit::Entity::find().filter(campaign_unit::Column::CampaignId.eq(campaign.id)).all(db).await?;
    let mut found = Vec::new();
    for spec in &UNITS {
        let Some(unit) = unit::Entity::find().filter(unit::Column::Code.eq(spec.code)).one(db).await? else { continue };
        if !members.iter().any(|m| m.unit_id == unit.id) {
            continue;
        }
        let unit_links = survey_link::Entity::find()
            .filter(survey_link::Column::UnitId.eq(unit.id))
            .order_by_asc(survey_link::Column::Kiosk)
            .all(db)
            .await?;
        for link in unit_links {
            let name = if link.kiosk { format!("{}（窗口平板）", unit.name) } else { unit.name.clone() };
            found.push((name, link.slug));
        }
    }
    Ok(found)
}

pub fn print(summary: &DemoSummary, public_url: &str) {
    println!("Demo: the plan's example, loaded.");
    if let Some(campaign) = summary.evaluated_campaign {
        println!(
            "  2016, evaluated: ranked by group, a tie at the district's bottom-3 line decided by the leading group,"
        );
        println!("  published: {public_url}/api/v1/public/campaigns/{campaign}/results");
    }
    println!("  2017, in its survey phase; 2016's bottom units are key units again. Citizens' answers through these");
    println!("  links weigh 0.2 in the composite, set by the demo (the plan's default leaves them out):");
    for (name, slug) in &summary.links {
        println!("  {name}: {public_url}/s/{slug}");
    }
    match &summary.new_admin {
        Some((username, password)) => {
            println!("  admin account: {username} / {password}  (shown once; keep it)");
            println!(
                "  get a token:   curl -s -X POST {public_url}/api/v1/auth/token -H 'Content-Type: application/json' \\\n                   -d '{{\"grant_type\":\"password\",\"username\":\"{username}\",\"password\":\"{password}\"}}'"
            );
        }
        None => println!("  admin account '{DEMO_ADMIN}' exists already; its password was shown when it was created."),
    }
}
