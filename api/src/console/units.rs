//! The console's register pages beyond the tree (`views::Units`): adding and editing a unit,
//! importing the register from an XLSX or CSV file (uploaded as a form, without JavaScript)
//! and exporting it. Writes go through `services::registry::units` and `unit_import`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::State;
use crate::auth::Permission;
use crate::console::session::SignedIn;
use crate::console::views::Chrome;
use crate::console::words::{self, UnitWords};
use crate::console::{begin, begin_form, failure, language, refused_form, render, see_other};
use crate::domain::questionnaire::Lang;
use crate::domain::vocabulary::{Category, UnitKind, category_name, kind_name};
use crate::error::{ApiError, ApiResult};
use crate::services::query::exports;
use crate::services::registry::unit_import::{self, RowProblem};
use crate::services::registry::units::{self, UnitFilter, UnitInput};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/console/units/new").route(web::get().to(new_form)).route(web::post().to(create)))
        .service(web::resource("/console/units/import").route(web::post().to(import)))
        .service(web::resource("/console/units/export.csv").route(web::get().to(export_csv)))
        .service(web::resource("/console/units/export.xlsx").route(web::get().to(export_xlsx)))
        .service(web::resource("/console/units/{id}").route(web::get().to(edit_form)).route(web::post().to(update)));
}

#[derive(Template)]
#[template(path = "console/unit_form.html")]
pub struct UnitForm {
    pub chrome: Chrome,
    pub uw: &'static UnitWords,
    pub heading: &'static str,
    pub action: String,
    pub csrf: String,
    /// (field id, message) for each problem, in the form's order.
    pub errors: Vec<(&'static str, &'static str)>,
    pub code: String,
    pub name: String,
    pub category: String,
    pub kind: String,
    pub parent: String,
    /// The supervising authority of a vertically managed unit, as typed.
    pub authority: String,
    pub categories: Vec<(&'static str, &'static str)>,
    pub kinds: Vec<(&'static str, &'static str)>,
    /// Every other unit of the register, by code: (id, "name (code)").
    pub parents: Vec<(String, String)>,
}

impl UnitForm {
    fn invalid(&self, field: &str) -> bool {
        self.errors.iter().any(|(f, _)| *f == field)
    }
}

#[derive(Deserialize, Default)]
struct UnitFields {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    authority: String,
}

async fn unit_form(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    editing: Option<Uuid>,
    fields: UnitFields,
    errors: Vec<(&'static str, &'static str)>,
) -> ApiResult<UnitForm> {
    let lang = chrome.lang;
    let uw = words::unit_words(lang);
    let filter = UnitFilter { parent_id: None, category: None };
    let (register, _) = units::list(&state.db, &user.principal(), &filter, 100_000, 0).await?;
    Ok(UnitForm {
        uw,
        heading: if editing.is_some() { uw.edit_unit } else { uw.add_unit },
        action: editing.map_or_else(|| "/console/units/new".to_owned(), |id| format!("/console/units/{id}")),
        csrf: user.session.csrf_token.clone(),
        errors,
        code: fields.code,
        name: fields.name,
        category: fields.category,
        kind: fields.kind,
        parent: fields.parent,
        authority: fields.authority,
        categories: Category::ALL.iter().map(|c| (c.as_str(), category_name(lang, *c))).collect(),
        kinds: UnitKind::ALL.iter().map(|k| (k.as_str(), kind_name(lang, *k))).collect(),
        parents: register
            .into_iter()
            .filter(|u| Some(u.id) != editing)
            .map(|u| (u.id.to_string(), format!("{}（{}）", u.name, u.code)))
            .collect(),
        chrome,
    })
}

async fn show_form(
    state: &State,
    user: &SignedIn,
    chrome: Chrome,
    editing: Option<Uuid>,
    fields: UnitFields,
) -> HttpResponse {
    if !user.principal().may(Permission::ManageCampaigns) {
        return failure(chrome, &ApiError::Forbidden("units".to_owned()));
    }
    match unit_form(state, user, chrome.clone(), editing, fields, Vec::new()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => failure(chrome, &err),
    }
}

async fn new_form(state: State, req: HttpRequest) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let fields = UnitFields {
        category: Category::Government.as_str().to_owned(),
        kind: UnitKind::Department.as_str().to_owned(),
        ..UnitFields::default()
    };
    show_form(&state, &user, chrome, None, fields).await
}

async fn edit_form(state: State, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let Ok(id) = id.parse::<Uuid>() else { return failure(chrome, &ApiError::NotFound("no such unit".to_owned())) };
    let unit = match units::get(&state.db, &user.principal(), id).await {
        Ok(unit) => unit,
        Err(err) => return failure(chrome, &err),
    };
    let fields = UnitFields {
        code: unit.code,
        name: unit.name,
        category: unit.category.as_str().to_owned(),
        kind: unit.kind.as_str().to_owned(),
        parent: unit.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        authority: unit.supervising_authority.clone().unwrap_or_default(),
    };
    show_form(&state, &user, chrome, Some(id), fields).await
}

async fn create(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    save(state, req, body, None).await
}

async fn update(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    match id.parse::<Uuid>() {
        Ok(id) => save(state, req, body, Some(id)).await,
        Err(_) => {
            let chrome = Chrome::new(language(&req), &req, None, None);
            failure(chrome, &ApiError::NotFound("no such unit".to_owned()))
        }
    }
}

/// Adds a unit, or changes `editing`; a problem brings the form back with what was typed.
async fn save(state: State, req: HttpRequest, body: web::Bytes, editing: Option<Uuid>) -> HttpResponse {
    let (lang, user, chrome, fields) = match begin_form::<UnitFields>(&state, &req, &body).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let uw = words::unit_words(lang);
    let mut errors = Vec::new();
    let code = fields.code.trim().to_owned();
    if crate::domain::text::key(&code).is_err() {
        errors.push(("code", uw.code_bad));
    }
    let name = fields.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 || crate::domain::text::single_line(&name).is_err() {
        errors.push(("name", uw.name_bad));
    }
    let parent_id = if fields.parent.is_empty() { None } else { fields.parent.parse::<Uuid>().ok() };
    if (!fields.parent.is_empty() && parent_id.is_none()) || (parent_id.is_some() && parent_id == editing) {
        errors.push(("parent", uw.parent_bad));
    }
    let authority = fields.authority.trim().to_owned();
    if authority.chars().count() > 200 || crate::domain::text::single_line(&authority).is_err() {
        errors.push(("authority", uw.authority_bad));
    }
    let supervising_authority = Some(authority).filter(|a| !a.is_empty());
    let (Some(category), Some(kind)) = (Category::parse(&fields.category), UnitKind::parse(&fields.kind)) else {
        return failure(chrome, &ApiError::BadRequest("unknown category or kind".to_owned()));
    };
    if errors.is_empty() {
        let input = UnitInput { code, name, category, kind, parent_id, supervising_authority };
        let who = user.principal();
        let saved = match editing {
            Some(id) => units::update(&state.db, &who, id, input).await,
            None => units::create(&state.db, &who, input).await,
        };
        match saved {
            Ok(_) => return see_other("/console/units?notice=saved"),
            Err(ApiError::Duplicate(_)) => errors.push(("code", uw.code_taken)),
            Err(ApiError::Validation(problems)) if problems.iter().any(|p| p.field == "parent_id") => {
                errors.push(("parent", uw.parent_bad));
            }
            Err(err) => return failure(chrome, &err),
        }
    }
    match unit_form(&state, &user, chrome.clone(), editing, fields, errors).await {
        Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(err) => failure(chrome, &err),
    }
}

pub struct ProblemRow {
    pub line: String,
    pub column: &'static str,
    pub text: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "console/unit_import.html")]
pub struct ImportPage {
    pub chrome: Chrome,
    pub uw: &'static UnitWords,
    pub summary: String,
    pub problems: Vec<ProblemRow>,
}

fn problem_rows(lang: Lang, uw: &UnitWords, problems: &[RowProblem]) -> Vec<ProblemRow> {
    problems
        .iter()
        .map(|p| ProblemRow {
            line: if p.line == 0 { uw.whole_file.to_owned() } else { p.line.to_string() },
            column: p.column.map_or("", |c| if lang == Lang::ZhCn { c.chinese() } else { c.key() }),
            text: p.text.clone(),
            message: p.message(lang),
        })
        .collect()
}

/// The largest form the import takes: the file and the form's few fields.
const UPLOAD_LIMIT: usize = unit_import::MAX_FILE_BYTES + 64 * 1024;

async fn import(state: State, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let (lang, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let uw = words::unit_words(lang);
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let parts = async {
        let body = crate::http::json::read_body(payload, UPLOAD_LIMIT).await?;
        crate::http::multipart::parse(&content_type, &body)
    };
    let parts = match parts.await {
        Ok(parts) => parts,
        Err(err) => return failure(chrome, &err),
    };
    let field = |name: &str| parts.iter().find(|p| p.name == name);
    let csrf = field("csrf").map(|p| String::from_utf8_lossy(&p.data).into_owned()).unwrap_or_default();
    if !crate::console::session::csrf_matches(&user.session.csrf_token, Some(&csrf)) {
        return refused_form(lang, &req, &user);
    }
    let dry_run = field("dry_run").is_some();
    let Some(file) = field("file").filter(|f| !f.data.is_empty()) else {
        let problems = vec![ProblemRow {
            line: uw.whole_file.to_owned(),
            column: "",
            text: String::new(),
            message: uw.no_file.to_owned(),
        }];
        return render(StatusCode::UNPROCESSABLE_ENTITY, &ImportPage { chrome, uw, summary: String::new(), problems });
    };
    match unit_import::import(&state.db, &user.principal(), &file.data, dry_run).await {
        Ok(Ok(outcome)) => {
            let summary = if outcome.dry_run { uw.checked } else { uw.imported }
                .replace("{created}", &outcome.created.to_string())
                .replace("{updated}", &outcome.updated.to_string())
                .replace("{unchanged}", &outcome.unchanged.to_string());
            render(StatusCode::OK, &ImportPage { chrome, uw, summary, problems: Vec::new() })
        }
        Ok(Err(problems)) => {
            let problems = problem_rows(lang, uw, &problems);
            render(StatusCode::UNPROCESSABLE_ENTITY, &ImportPage { chrome, uw, summary: String::new(), problems })
        }
        Err(err) => failure(chrome, &err),
    }
}

fn download(content_type: &str, filename: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{filename}\"")))
        .insert_header(("Cache-Control", "no-store"));
    response
}

async fn export_csv(state: State, req: HttpRequest) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let bytes = async {
        exports::csv_file(&unit_import::EXPORT_COLUMNS, unit_import::export_lines(&state.db, &user.principal()).await?)
    };
    match bytes.await {
        Ok(bytes) => download("text/csv; charset=utf-8", "units.csv").body(bytes),
        Err(err) => failure(chrome, &err),
    }
}

async fn export_xlsx(state: State, req: HttpRequest) -> HttpResponse {
    let (_, user, chrome) = match begin(&state, &req).await {
        Ok(begun) => begun,
        Err(elsewhere) => return elsewhere,
    };
    let file = async {
        let lines = unit_import::export_lines(&state.db, &user.principal()).await?;
        web::block(move || exports::workbook_file("units", &unit_import::EXPORT_COLUMNS, lines.into_iter()))
            .await
            .map_err(ApiError::internal)?
    };
    match file.await {
        Ok(file) => {
            let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
            download("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "units.xlsx")
                .streaming(stream)
        }
        Err(err) => failure(chrome, &err),
    }
}
