//! The console's API clients: the pollsters that push third-party results and the systems
//! that read them. Adding one (its secret shown once), a new secret (the old one stops at
//! once), disabling and enabling, and what a pollster has pushed per campaign, unit and
//! channel with its current figures. Through `services::registry::clients` and
//! `services::pollster`, as `/clients` in the JSON API; for admins.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use crate::app::State;
use crate::console::session::SignedIn;
use crate::console::views::{Chrome, local_time};
use crate::console::words::{self, ClientWords};
use crate::console::{CsrfForm, begin, begin_form, failure, page_id, render, see_other};
use crate::domain::questionnaire::Lang;
use crate::domain::vocabulary::PollsterChannel;
use crate::error::{ApiError, ApiResult};
use crate::services::pollster;
use crate::services::registry::campaigns;
use crate::services::registry::clients::{self, ClientDto, ClientRole, ClientWithSecret, NewClient};
use crate::services::registry::units::{self, UnitFilter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console/clients").route(web::get().to(clients_page)).route(web::post().to(create)))
        .service(web::resource("/console/clients/{id}").route(web::get().to(client_page)))
        .service(web::resource("/console/clients/{id}/{action}").route(web::post().to(act)));
}

pub struct ClientRow {
    pub id: Uuid,
    pub name: String,
    pub role: &'static str,
    pub campaigns: String,
    pub units: String,
    pub disabled: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "console/clients.html")]
pub struct ClientsPage {
    pub chrome: Chrome,
    pub cw: &'static ClientWords,
    pub csrf: String,
    pub errors: Vec<(&'static str, &'static str)>,
    pub clients: Vec<ClientRow>,
    /// Every campaign: (id, title).
    pub campaigns: Vec<(String, String)>,
    /// Every unit of the register: (id, "name（code）").
    pub units: Vec<(String, String)>,
    pub typed_name: String,
}

pub struct PushRow {
    pub campaign: String,
    pub unit: String,
    pub channel: &'static str,
    pub responses: i64,
}

pub struct FigureRow {
    pub campaign: String,
    pub unit: String,
    pub rate: String,
    pub sample: i32,
    pub method: String,
    pub received: String,
}

#[derive(Template)]
#[template(path = "console/client.html")]
pub struct ClientPage {
    pub chrome: Chrome,
    pub cw: &'static ClientWords,
    pub csrf: String,
    pub client: ClientRow,
    pub pushes: Vec<PushRow>,
    pub total: i64,
    pub figures: Vec<FigureRow>,
}

#[derive(Template)]
#[template(path = "console/client_secret.html")]
pub struct SecretPage {
    pub chrome: Chrome,
    pub cw: &'static ClientWords,
    pub id: Uuid,
    pub name: String,
    pub secret: String,
}

fn role_name(cw: &ClientWords, role: ClientRole) -> &'static str {
    match role {
        ClientRole::Pollster => cw.pollster,
        ClientRole::Reader => cw.reader,
    }
}

fn channel_name(lang: Lang, channel: PollsterChannel) -> &'static str {
    match (lang, channel) {
        (Lang::ZhCn, PollsterChannel::Telephone) => "电话访问",
        (Lang::ZhCn, PollsterChannel::StreetIntercept) => "街头拦访",
        (Lang::ZhCn, PollsterChannel::OnlinePanel) => "网络样本库",
        (Lang::ZhCn, PollsterChannel::FaceToFace) => "入户面访",
        (Lang::ZhCn, PollsterChannel::Other) => "其他",
        (Lang::En, PollsterChannel::Telephone) => "telephone",
        (Lang::En, PollsterChannel::StreetIntercept) => "street intercept",
        (Lang::En, PollsterChannel::OnlinePanel) => "online panel",
        (Lang::En, PollsterChannel::FaceToFace) => "face to face",
        (Lang::En, PollsterChannel::Other) => "other",
    }
}

/// Names of campaigns and units by id, read once per page.
struct Names {
    campaigns: HashMap<Uuid, String>,
    units: HashMap<Uuid, String>,
}

impl Names {
    async fn load(state: &State, user: &SignedIn) -> ApiResult<Self> {
        let who = user.principal();
        let (found, _) = campaigns::list(&state.db, &who, 10_000, 0).await?;
        let filter = UnitFilter { parent_id: None, category: None };
        let (register, _) = units::list(&state.db, &who, &filter, 100_000, 0).await?;
        Ok(Self {
            campaigns: found.into_iter().map(|c| (c.id, c.title)).collect(),
            units: register.into_iter().map(|u| (u.id, format!("{}（{}）", u.name, u.code))).collect(),
        })
    }

    fn campaign(&self, id: &Uuid) -> String {
        self.campaigns.get(id).cloned().unwrap_or_else(|| id.to_string())
    }

    fn unit(&self, id: &Uuid) -> String {
        self.units.get(id).cloned().unwrap_or_else(|| id.to_string())
    }
}

fn row(cw: &ClientWords, names: &Names, client: ClientDto) -> ClientRow {
    ClientRow {
        id: client.id,
        name: client.name,
        role: role_name(cw, client.role),
        campaigns: client.campaign_ids.iter().map(|c| names.campaign(c)).collect::<Vec<_>>().join("、"),
        units: match &client.unit_ids {
            None => cw.all_units.to_owned(),
            Some(ids) => ids.iter().map(|u| names.unit(u)).collect::<Vec<_>>().join("、"),
        },
        disabled: client.disabled_at.is_some(),
        created: local_time(client.created_at),
    }
}

async fn list_page(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    errors: Vec<(&'static str, &'static str)>,
    typed_name: String,
) -> ApiResult<ClientsPage> {
    let cw = words::client_words(chrome.lang);
    let names = Names::load(state, user).await?;
    let mut rows = Vec::new();
    for model in clients::list(&state.db, &user.principal()).await? {
        rows.push(row(cw, &names, ClientDto::try_from(model)?));
    }
    let mut campaigns: Vec<(String, String)> =
        names.campaigns.iter().map(|(id, title)| (id.to_string(), title.clone())).collect();
    campaigns.sort_by(|a, b| b.1.cmp(&a.1));
    let mut units: Vec<(String, String)> = names.units.iter().map(|(id, n)| (id.to_string(), n.clone())).collect();
    units.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(ClientsPage {
        cw,
        csrf: user.session.csrf_token.clone(),
        errors,
        clients: rows,
        campaigns,
        units,
        typed_name,
        chrome,
    })
}

async fn clients_page(state: State, req: HttpRequest) -> HttpResponse {
    let (lang, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    if req.query_string() == "notice=saved" {
        chrome.notice = Some(words::words(lang).saved.to_owned());
    }
    match list_page(&state, &user, chrome.clone(), Vec::new(), String::new()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

async fn client_page(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (lang, user, mut chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    if req.query_string() == "notice=saved" {
        chrome.notice = Some(words::words(lang).saved.to_owned());
    }
    let cw = words::client_words(lang);
    let page = async {
        let who = user.principal();
        let id = page_id(&id)?;
        let client = ClientDto::try_from(clients::get(&state.db, &who, id).await?)?;
        let names = Names::load(&state, &user).await?;
        let (counts, current) = pollster::pushed_by(&state.db, &who, id).await?;
        let mut grouped: BTreeMap<(String, String, &'static str), i64> = BTreeMap::new();
        for count in &counts {
            let key =
                (names.campaign(&count.campaign_id), names.unit(&count.unit_id), channel_name(lang, count.channel));
            *grouped.entry(key).or_default() += count.responses;
        }
        let total = counts.iter().map(|c| c.responses).sum();
        let pushes = grouped
            .into_iter()
            .map(|((campaign, unit, channel), responses)| PushRow { campaign, unit, channel, responses })
            .collect();
        let figures = current
            .into_iter()
            .map(|f| FigureRow {
                campaign: names.campaign(&f.campaign_id),
                unit: names.unit(&f.unit_id),
                rate: format!("{:.1}%", f.satisfaction_rate * 100.0),
                sample: f.sample_size,
                method: f.method,
                received: local_time(f.received_at),
            })
            .collect();
        Ok::<_, ApiError>(ClientPage {
            chrome: chrome.clone(),
            cw,
            csrf: user.session.csrf_token.clone(),
            client: row(cw, &names, client),
            pushes,
            total,
            figures,
        })
    };
    match page.await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

fn secret_page(chrome: Chrome, made: ClientWithSecret) -> HttpResponse {
    let cw = words::client_words(chrome.lang);
    let page = SecretPage { cw, id: made.client.id, name: made.client.name, secret: made.client_secret, chrome };
    render(StatusCode::OK, &page)
}

async fn create(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    // Campaigns and units come as repeated fields, which a map of single values cannot hold.
    let (lang, user, chrome, pairs) = match begin_form::<Vec<(String, String)>>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let value = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let ids = |key: &str| -> Vec<Uuid> {
        pairs.iter().filter(|(k, _)| k == key).filter_map(|(_, v)| v.parse().ok()).collect()
    };
    let cw = words::client_words(lang);
    let role = if value("role") == "reader" { ClientRole::Reader } else { ClientRole::Pollster };
    let units = ids("units");
    let input = NewClient {
        name: value("name").trim().to_owned(),
        role,
        campaign_ids: ids("campaigns"),
        unit_ids: (role == ClientRole::Pollster && !units.is_empty()).then_some(units),
    };
    let mut errors = Vec::new();
    if let Err(problems) = validator::Validate::validate(&input) {
        let bad = ApiError::from(problems);
        if let ApiError::Validation(fields) = &bad {
            if fields.iter().any(|f| f.field == "name") {
                errors.push(("name", cw.name_bad));
            }
            if fields.iter().any(|f| f.field == "campaign_ids") {
                errors.push(("campaigns", cw.campaigns_bad));
            }
            if fields.iter().any(|f| f.field == "unit_ids") {
                errors.push(("units", cw.units_bad));
            }
        }
    }
    if errors.is_empty() {
        match clients::create(&state.db, &user.principal(), input).await {
            Ok(made) => return secret_page(chrome, made),
            Err(ApiError::Validation(_)) => errors.push(("campaigns", cw.campaigns_bad)),
            Err(err) => return failure(chrome, &err),
        }
    }
    match list_page(&state, &user, chrome.clone(), errors, value("name")).await {
        Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(err) => failure(chrome, &err),
    }
}

/// A new secret, or disabling or enabling a client.
async fn act(state: State, req: HttpRequest, path: web::Path<(String, String)>, body: web::Bytes) -> HttpResponse {
    let (_, user, chrome, _) = match begin_form::<CsrfForm>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(id) = page_id(&path.0) else { return failure(chrome, &ApiError::NotFound("no such client".into())) };
    let who = user.principal();
    let done = match path.1.as_str() {
        "secret" => {
            return match clients::rotate_secret(&state.db, &who, id).await {
                Ok(made) => secret_page(chrome, made),
                Err(err) => failure(chrome, &err),
            };
        }
        "disable" => clients::set_disabled(&state.db, &who, id, true).await,
        "enable" => clients::set_disabled(&state.db, &who, id, false).await,
        _ => return failure(chrome, &ApiError::NotFound("no such page".into())),
    };
    match done {
        Ok(_) => see_other(&format!("/console/clients/{id}?notice=saved")),
        Err(err) => failure(chrome, &err),
    }
}
