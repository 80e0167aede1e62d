//! The console's township report (乡镇汇总): a township's stations and windows per dimension,
//! and all of them rolled up, for the office (any township) and the township's own account.
//! Through `services::query::figures::township`, as the JSON API's
//! `GET /campaigns/{id}/satisfaction/townships/{township}`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::console::session::SignedIn;
use crate::console::views::Chrome;
use crate::console::words::{self, TownshipWords};
use crate::console::{begin, failure, page_id, render};
use crate::domain::questionnaire::{Lang, OVERALL};
use crate::domain::vocabulary::{Category, UnitKind};
use crate::error::ApiResult;
use crate::services::query::figures;
use crate::totals::reports::Cell;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console/campaigns/{id}/townships").route(web::get().to(page)));
}

#[derive(Template)]
#[template(path = "console/townships.html")]
pub struct TownshipPage {
    pub chrome: Chrome,
    pub tw: &'static TownshipWords,
    pub campaign_id: Uuid,
    pub title: String,
    pub townships: Vec<(String, String)>,
    pub chosen: String,
    /// The columns: the township's roll-up, then each of its units.
    pub columns: Vec<String>,
    /// Per dimension: its name and a figure per column.
    pub rows: Vec<(String, Vec<String>)>,
}

#[derive(Deserialize, Default)]
struct Query {
    #[serde(default)]
    unit: String,
}

fn figure(tw: &TownshipWords, cell: Option<&Cell>) -> String {
    match cell {
        None => "—".to_owned(),
        Some(cell) if cell.suppressed => format!("{}（n={}）", tw.withheld, cell.responses),
        Some(cell) => match (cell.satisfaction_rate, cell.interval) {
            (Some(rate), Some(i)) => {
                format!("{:.1}%（{:.1}–{:.1}，n={}）", rate * 100.0, i.low * 100.0, i.high * 100.0, cell.responses)
            }
            (Some(rate), None) => format!("{:.1}%（n={}）", rate * 100.0, cell.responses),
            (None, _) => format!("—（n={}）", cell.responses),
        },
    }
}

async fn load(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    campaign_id: Uuid,
    chosen: Option<Uuid>,
) -> ApiResult<TownshipPage> {
    let who = user.principal();
    let tw = words::township_words(chrome.lang);
    let campaign = crate::services::registry::campaigns::get(&state.db, &who, campaign_id).await?;
    let scope = who.unit_scope()?;
    let townships: Vec<(String, String)> = entity::unit::Entity::find()
        .filter(entity::unit::Column::Kind.eq(UnitKind::Township))
        .order_by_asc(entity::unit::Column::Code)
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|u| scope.as_ref().is_none_or(|units| units.contains(&u.id)))
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    let chosen = chosen.or_else(|| townships.first().and_then(|t| t.0.parse().ok()));
    let mut page = TownshipPage {
        tw,
        campaign_id,
        title: campaign.title,
        townships,
        chosen: chosen.map(|c| c.to_string()).unwrap_or_default(),
        columns: Vec::new(),
        rows: Vec::new(),
        chrome,
    };
    let Some(township) = chosen else { return Ok(page) };
    let report =
        figures::township(&state.db, &state.reports, &who, campaign_id, township, state.settings.min_cell_size).await?;
    let mut units: Vec<(Uuid, String)> = report
        .cells
        .iter()
        .filter_map(|c| c.unit_id.zip(c.unit_name.clone()))
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .collect();
    units.sort_by(|a, b| a.1.cmp(&b.1));
    page.columns = std::iter::once(tw.total.to_owned()).chain(units.iter().map(|(_, name)| name.clone())).collect();
    let category = crate::services::registry::units::find(&state.db, township).await?.category;
    let dimensions = std::iter::once((OVERALL, tw.overall, "Overall"))
        .chain(crate::domain::templates::dimensions(category).iter().copied())
        .chain(crate::domain::templates::dimensions(other(category)).iter().copied());
    for (key, zh, en) in dimensions {
        let cell = |cells: &[Cell], unit: Uuid| {
            cells.iter().find(|c| c.dimension.as_deref() == Some(key) && c.unit_id == Some(unit)).cloned()
        };
        let total = cell(&report.total, township);
        if total.is_none() {
            continue;
        }
        let mut figures = vec![figure(tw, total.as_ref())];
        figures.extend(units.iter().map(|(unit, _)| figure(tw, cell(&report.cells, *unit).as_ref())));
        page.rows.push(((if page.chrome.lang == Lang::En { en } else { zh }).to_owned(), figures));
    }
    Ok(page)
}

/// A township's units may be of either category; their dimensions are listed after the
/// township's own category's.
fn other(category: Category) -> Category {
    match category {
        Category::Government => Category::PublicService,
        Category::PublicService => Category::Government,
    }
}

async fn page(state: State, req: HttpRequest, id: web::Path<String>, query: web::Query<Query>) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let shown = async {
        let chosen = if query.unit.is_empty() { None } else { Some(page_id(&query.unit)?) };
        load(&state, &user, chrome.clone(), page_id(&id)?, chosen).await
    };
    match shown.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}
