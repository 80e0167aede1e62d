//! Test harness: each test gets the real app on its own port with a fresh, migrated
//! database — a temporary SQLite file, or a uniquely named PostgreSQL database when
//! `TEST_DATABASE_URL` is set (dropped when the test ends).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use pingyi::app::{Application, Jobs};
use pingyi::auth::{Principal, Role};
use pingyi::config::{Secret, Settings};
use pingyi::services::registry::accounts::{self, AccountInput};
use reqwest::{Client, Method, Response};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use uuid::Uuid;

pub const TEST_SECRET: &[u8] = b"test-secret-that-is-at-least-32-bytes-long";
pub const PUBLIC_URL: &str = "https://pingyi.test";
pub const PASSWORD: &str = "correct horse battery staple";

/// A test's own database; removed when dropped.
pub enum Storage {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

pub struct TestApp {
    pub address: String,
    pub client: Client,
    /// The app's background jobs: a test runs a round of one now instead of waiting for it.
    pub jobs: Arc<Jobs>,
    /// A connection of the test's own to the same database, to look at stored rows.
    pub db: DatabaseConnection,
    database_url: String,
    /// Dropped with the app and its replicas: removes the test's database.
    _storage: Arc<Storage>,
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A fresh, empty database (SQLite file, or PostgreSQL with `TEST_DATABASE_URL`) and its URL.
pub async fn prepare_storage() -> (String, Storage) {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
        Some(admin_url) => {
            let name = format!("pingyi_test_{}", Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create the test database");
            admin.close().await.ok();
            (with_database(&admin_url, &name), Storage::Postgres { admin_url, name })
        }
        None => {
            let dir = std::env::temp_dir().join(format!("pingyi-test-{}", Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).unwrap();
            (format!("sqlite://{}/pingyi.db?mode=rwc", dir.display()), Storage::Sqlite(dir))
        }
    }
}

pub fn test_settings(database_url: String) -> Settings {
    Settings {
        bind: "127.0.0.1:0".to_owned(),
        database_url,
        public_url: PUBLIC_URL.to_owned(),
        jwt_secret: Secret::new(TEST_SECRET.to_vec()).unwrap(),
        token_ttl_seconds: 900,
        min_cell_size: 5,
        db_max_connections: 8,
        body_timeout: std::time::Duration::from_secs(10),
        shutdown_drain: std::time::Duration::ZERO,
        console_idle: std::time::Duration::from_secs(30 * 60),
        console_max_age: std::time::Duration::from_secs(12 * 3600),
        trusted_proxies: Default::default(),
        webhooks: pingyi::webhooks::WebhookSettings {
            retry_base: std::time::Duration::from_millis(100),
            max_attempts: 3,
            allow_private_targets: true,
            timeout: std::time::Duration::from_secs(5),
        },
        documents: pingyi::config::DocumentSettings::default(),
        smtp: None,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Everything the app logs during this test binary's run, for asserting what is not logged.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || LogWriter(writer.clone()))
            .try_init();
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    log_buffer();
    let (database_url, storage) = prepare_storage().await;
    let mut settings = test_settings(database_url.clone());
    adjust(&mut settings);
    start(settings, Arc::new(storage)).await
}

async fn start(settings: Settings, storage: Arc<Storage>) -> TestApp {
    let database_url = settings.database_url.clone();
    let app = Application::build(settings).await.expect("build the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let jobs = app.jobs();
    tokio::spawn(app.run_until_stopped());
    let db = Database::connect(&database_url).await.expect("connect the test's own connection");
    TestApp { address, client: Client::new(), jobs, db, database_url, _storage: storage }
}

impl Drop for Storage {
    fn drop(&mut self) {
        match self {
            Storage::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Storage::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime: use a thread with a runtime of its own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    runtime.block_on(async {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ =
                                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

impl TestApp {
    /// Another instance of the app on the same database, started now (as a second replica,
    /// or the service started again after an upgrade), with the test settings.
    pub async fn replica(&self) -> TestApp {
        start(test_settings(self.database_url.clone()), self._storage.clone()).await
    }

    /// The directory of the test's SQLite database; `None` on PostgreSQL.
    pub fn sqlite_dir(&self) -> Option<&std::path::Path> {
        match &*self._storage {
            Storage::Sqlite(dir) => Some(dir),
            Storage::Postgres { .. } => None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("send the request")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body)).await
    }

    /// Creates an account straight through the service layer (as `pingyi create-admin` does).
    pub async fn create_account(&self, username: &str, role: Role, unit_id: Option<Uuid>) {
        let input = AccountInput { username: username.to_owned(), password: PASSWORD.to_owned(), role, unit_id };
        accounts::create(&self.db, &Principal::operator("tests"), input).await.expect("create the account");
    }

    pub async fn login(&self, username: &str) -> String {
        let body = json!({"grant_type": "password", "username": username, "password": PASSWORD});
        let response = self.request(Method::POST, "/api/v1/auth/token", None, Some(&body)).await;
        assert_eq!(response.status(), 200, "login as {username}");
        response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
    }

    /// A token for a fresh account with `role` (and, for `unit`, its unit).
    pub async fn token(&self, role: Role, unit_id: Option<Uuid>) -> String {
        let username = format!("{}-{}", role.as_str(), &Uuid::new_v4().simple().to_string()[..8]);
        self.create_account(&username, role, unit_id).await;
        self.login(&username).await
    }

    /// Registers an API client (`body` as for `POST /clients`) and returns (client id, token).
    pub async fn client_token(&self, admin: &str, body: &Value) -> (Uuid, String) {
        let made = self.created("/api/v1/clients", admin, body).await;
        let id: Uuid = made["client"]["id"].as_str().unwrap().parse().unwrap();
        let grant =
            json!({"grant_type": "client_credentials", "client_id": id, "client_secret": made["client_secret"]});
        let response = self.request(Method::POST, "/api/v1/auth/token", None, Some(&grant)).await;
        assert_eq!(response.status(), 200, "client token");
        let token: Value = response.json().await.unwrap();
        (id, token["access_token"].as_str().unwrap().to_owned())
    }

    pub async fn admin(&self) -> String {
        self.token(Role::Admin, None).await
    }

    /// POSTs and returns the JSON body, asserting the status.
    pub async fn created(&self, path: &str, token: &str, body: &Value) -> Value {
        let response = self.post(path, token, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "POST {path} answered {status}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// A government unit of `kind` (`township`, `station`…) under `parent`, named 单位 {code}.
    pub async fn unit_of_kind(&self, admin: &str, code: &str, kind: &str, parent: Option<Uuid>) -> Uuid {
        let body = json!({"code": code, "name": format!("单位 {code}"), "category": "government", "kind": kind, "parent_id": parent});
        id_of(&self.created("/api/v1/units", admin, &body).await)
    }

    /// Hands a deliverable in as a browser form does (`document` holds the file).
    pub async fn hand_in(
        &self,
        token: &str,
        deliverable: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Response {
        let (content_type, body) = multipart(fields, file);
        self.client
            .post(self.url(&format!("/api/v1/deliverables/{deliverable}/hand-ins")))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("send the request")
    }

    pub async fn unit(&self, admin: &str, code: &str, category: &str) -> Uuid {
        let body = json!({"code": code, "name": format!("单位 {code}"), "category": category, "kind": "department"});
        id_of(&self.created("/api/v1/units", admin, &body).await)
    }

    /// A campaign moved on to its survey phase, so that its links take responses.
    pub async fn campaign(&self, admin: &str, year: i32) -> Uuid {
        let body = json!({"year": year, "title": format!("{year}年度民主评议")});
        let id = id_of(&self.created("/api/v1/campaigns", admin, &body).await);
        self.phase(admin, id, "survey").await;
        id
    }

    pub async fn phase(&self, admin: &str, campaign: Uuid, phase: &str) {
        self.created(&format!("/api/v1/campaigns/{campaign}/phase"), admin, &json!({"phase": phase})).await;
    }

    /// A published questionnaire of the category's template in `campaign`.
    pub async fn published_questionnaire(&self, admin: &str, campaign: Uuid, category: &str) -> Uuid {
        let draft = id_of(
            &self
                .created(&format!("/api/v1/campaigns/{campaign}/questionnaires"), admin, &json!({"category": category}))
                .await,
        );
        self.created(&format!("/api/v1/questionnaires/{draft}/publish"), admin, &json!({})).await;
        draft
    }

    /// Creates a link with the ballot controls relaxed (so tests may send alike answers
    /// quickly) and returns its slug.
    pub async fn link(&self, admin: &str, questionnaire: Uuid, unit: Uuid, channel: &str) -> String {
        let link = self.link_with(admin, questionnaire, unit, channel, relaxed_controls()).await;
        link["slug"].as_str().unwrap().to_owned()
    }

    /// Creates a link with the given controls and returns it.
    pub async fn link_with(
        &self,
        admin: &str,
        questionnaire: Uuid,
        unit: Uuid,
        channel: &str,
        controls: Value,
    ) -> Value {
        let body = json!({"unit_id": unit, "channel": channel, "controls": controls});
        self.created(&format!("/api/v1/questionnaires/{questionnaire}/links"), admin, &body).await
    }

    /// Submits a response to a government-template link: `overall` as given, every other
    /// rating question `satisfied`.
    pub async fn submit(&self, slug: &str, overall: &str) -> Response {
        self.submit_answers(slug, Uuid::new_v4(), government_answers(overall)).await
    }

    pub async fn submit_answers(&self, slug: &str, submission_id: Uuid, answers: Value) -> Response {
        let body = json!({"submission_id": submission_id, "answers": answers});
        self.request(Method::POST, &format!("/api/v1/public/surveys/{slug}/responses"), None, Some(&body)).await
    }

    pub async fn count(&self, table: &str) -> i64 {
        count_rows(&self.db, table).await
    }

    /// Sends the same request `n` times at once; the statuses, sorted.
    pub async fn at_once(
        &self,
        n: usize,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Vec<u16> {
        let sends = (0..n).map(|_| self.request(method.clone(), path, token, body));
        let mut statuses: Vec<u16> =
            futures_util::future::join_all(sends).await.iter().map(|r| r.status().as_u16()).collect();
        statuses.sort_unstable();
        statuses
    }

    /// The audit log's records of `action` on `entity_id`.
    pub async fn audited(&self, action: &str, entity_id: &str) -> u64 {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        entity::audit_record::Entity::find()
            .filter(entity::audit_record::Column::Action.eq(action))
            .filter(entity::audit_record::Column::EntityId.eq(entity_id))
            .count(&self.db)
            .await
            .unwrap()
    }
}

/// A `multipart/form-data` body as a browser builds it: text fields, then the file (if any) in
/// the field `document`; with its content type.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----pingyi-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// How many of `statuses` are `status`.
pub fn how_many(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// The rows in `table`, as `db` (a connection or a transaction) sees them.
pub async fn count_rows(db: &impl ConnectionTrait, table: &str) -> i64 {
    let statement =
        sea_orm::Statement::from_string(db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {table}"));
    let row = db.query_one_raw(statement).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

pub fn relaxed_controls() -> Value {
    json!({"rate_limit_per_hour": 100000, "daily_cap": null, "duplicate_window_seconds": 0, "requires_invitation": false})
}

pub fn government_answers(overall: &str) -> Value {
    json!({
        "lawful_duty": "satisfied", "fair_enforcement": "satisfied", "government_openness": "satisfied",
        "efficiency": "satisfied", "work_style": "satisfied", "integrity": "satisfied", "overall": overall
    })
}

/// The account (or client) id a token names.
pub fn subject_of(token: &str) -> String {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sub"].as_str().unwrap().to_owned()
}

pub fn id_of(value: &Value) -> Uuid {
    value["id"].as_str().and_then(|s| s.parse().ok()).expect("an id")
}

/// Asserts an RFC 9457 problem response with `status`, returning its body.
pub async fn problem(response: Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().is_some() && body["title"].as_str().is_some());
    body
}

/// The fields named by a validation problem.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}
