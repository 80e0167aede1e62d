//! The 2017 example of the plan as demo data: its six key units, the 2017 campaign,
//! both questionnaires published, one web link per unit, and an admin account.
//! Loading twice changes nothing.

use entity::{account, campaign, survey_link, unit};
use rand::Rng;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::auth::{Principal, Role};
use crate::domain::vocabulary::{Category, Channel, Phase, UnitKind};
use crate::error::ApiResult;
use crate::services::registry::{accounts, campaign_units, campaigns, links, questionnaires, units};
use crate::store::link_changes::LinkChanges;

pub const DEMO_YEAR: i32 = 2017;
pub const DEMO_ADMIN: &str = "admin";

/// The key units the plan names for 2017.
const KEY_UNITS: [(&str, &str, Category, UnitKind); 6] = [
    ("jtysj", "区交通运输局", Category::Government, UnitKind::Department),
    ("jyj", "区教育局", Category::Government, UnitKind::Department),
    ("sygsj", "区食药工商局", Category::Government, UnitKind::Department),
    ("zwzx", "区政务中心", Category::Government, UnitKind::Department),
    ("sjb", "区三江办", Category::Government, UnitKind::Department),
    ("gwzhgdgs", "国网昭化供电公司", Category::PublicService, UnitKind::Company),
];

pub struct DemoSummary {
    /// (unit name, link slug) for every demo link.
    pub links: Vec<(String, String)>,
    /// Set when this run created the admin account: (username, password).
    pub new_admin: Option<(String, String)>,
}

pub async fn load(db: &DatabaseConnection) -> ApiResult<DemoSummary> {
    let existing = campaign::Entity::find().filter(campaign::Column::Year.eq(DEMO_YEAR)).one(db).await?;
    if existing.is_none() {
        create_campaign(db).await?;
    }
    let new_admin = ensure_admin(db).await?;
    Ok(DemoSummary { links: demo_links(db).await?, new_admin })
}

async fn create_campaign(db: &DatabaseConnection) -> ApiResult<()> {
    // The demo is loaded before the service starts: no link cache has anything to reload.
    let changes = LinkChanges::default();
    let demo = Principal::operator("demo");
    let campaign = campaigns::create(
        db,
        &demo,
        campaigns::CampaignInput {
            year: DEMO_YEAR,
            title: "昭化区2017年度民主评议政风行风".to_owned(),
            phases: None,
            settings: None,
            carry_over_from: None,
        },
    )
    .await?;
    campaigns::advance(db, &changes, &demo, campaign.id, Phase::Survey).await?;
    for category in Category::ALL {
        let draft = questionnaires::create(
            db,
            &demo,
            campaign.id,
            questionnaires::NewQuestionnaire { category: *category, title: None, questions: None },
        )
        .await?;
        let published = questionnaires::publish(db, &changes, &demo, draft.model.id).await?;
        for (code, name, unit_category, kind) in KEY_UNITS.iter().filter(|u| u.2 == *category) {
            let unit = match unit::Entity::find().filter(unit::Column::Code.eq(*code)).one(db).await? {
                Some(unit) => unit,
                None => {
                    let input = units::UnitInput {
                        code: (*code).to_owned(),
                        name: (*name).to_owned(),
                        category: *unit_category,
                        kind: *kind,
                        parent_id: None,
                    };
                    units::create(db, &demo, input).await?
                }
            };
            let key_unit =
                campaign_units::NewCampaignUnit { unit_id: unit.id, role: campaign_units::UnitRole::DistrictKey };
            campaign_units::add(db, &demo, campaign.id, key_unit).await?;
            let link = links::NewLink {
                unit_id: unit.id,
                channel: Channel::Web,
                opens_at: None,
                closes_at: None,
                controls: Default::default(),
            };
            links::create(db, &demo, published.model.id, link).await?;
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
    accounts::create(db, &Principal::operator("demo"), input).await?;
    Ok(Some((DEMO_ADMIN.to_owned(), password)))
}

async fn demo_links(db: &DatabaseConnection) -> ApiResult<Vec<(String, String)>> {
    let mut found = Vec::new();
    for (code, ..) in KEY_UNITS {
        let Some(unit) = unit::Entity::find().filter(unit::Column::Code.eq(code)).one(db).await? else { continue };
        let link = survey_link::Entity::find().filter(survey_link::Column::UnitId.eq(unit.id)).one(db).await?;
        if let Some(link) = link {
            found.push((unit.name, link.slug));
        }
    }
    Ok(found)
}

pub fn print(summary: &DemoSummary, public_url: &str) {
    println!("Demo: the 2017 campaign with its six key units is loaded.");
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
