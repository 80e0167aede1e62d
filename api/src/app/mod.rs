//! Building the application: one function used by `main`, by the tests and by the spec writer.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::error::QueryPayloadError;
use actix_web::http::header::ContentType;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpServer, guard, web};
use sea_orm::DatabaseConnection;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::auth::TokenKeys;
use crate::config::Settings;
use crate::error::ApiError;
use crate::http::known_routes::KnownRoutes;
use crate::http::openapi::ApiDoc;
use crate::http::{BODY_LIMIT, body_deadline};
use crate::intake::limiter::Guard;
use crate::intake::submit::Intake;
use crate::store::connect;
use crate::{metrics, routes, telemetry};

/// What every handler may reach: the database and the settings.
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Settings,
    /// In-memory ballot controls (rate limits, duplicate guard); per process, never persisted.
    pub guard: Guard,
    /// The link cache and the group-commit writer for citizens' responses.
    pub intake: Intake,
}

pub type State = web::Data<AppState>;

/// The OpenAPI document, generated from the registered routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(routes::configure).split_for_parts().1
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
}

pub struct Application {
    server: Server,
    port: u16,
}

impl Application {
    /// Connects, migrates and binds. `PINGYI_BIND` may use port 0 (tests do).
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = connect::connect(&settings.database_url, settings.db_max_connections).await?;
        connect::migrate(&db).await?;
        crate::webhooks::delivery::spawn(db.clone(), settings.webhooks.clone());
        let writer = connect::connect_writer(&settings.database_url, &db).await?;
        crate::totals::fold::spawn_folder(writer.clone());
        crate::store::checkpoints::spawn(db.clone());
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|source| StartupError::Bind { address: settings.bind.clone(), source })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address: settings.bind.clone(), source })?
            .port();
        let log_sync = crate::store::log_sync::LogSync::for_database(&writer).await?;
        let intake = Intake::start(writer, log_sync);
        let server = serve(listener, AppState { db, settings, guard: Guard::default(), intake })
            .map_err(|source| StartupError::Bind { address: format!("port {port}"), source })?;
        Ok(Self { server, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until SIGINT/SIGTERM, then finishes in-flight requests (graceful shutdown).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn serve(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let keys = web::Data::new(TokenKeys::new(&state.settings.jwt_secret, state.settings.token_ttl_seconds));
    let state = web::Data::new(state);
    let spec = openapi();
    let known = web::Data::new(KnownRoutes::from_openapi(&spec));
    let spec = web::Data::new(OpenApiJson::of(&spec));
    let body_timeout = state.settings.body_timeout;
    let server = HttpServer::new(move || {
        App::new()
            .into_utoipa_app()
            .configure(routes::configure)
            .into_app()
            .app_data(state.clone())
            .app_data(keys.clone())
            .app_data(known.clone())
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|err, _| ApiError::NotFound(format!("no such resource: {err}")).into()),
            )
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(spec.clone())
            // Guarded like Swagger UI's routes: other methods fall through to `unknown_route`.
            .service(web::resource(OPENAPI_PATH).guard(guard::Get()).to(serve_openapi))
            .service(SwaggerUi::new("/docs/{_:.*}").config(Config::from(OPENAPI_PATH)))
            .default_service(web::to(unknown_route))
            .wrap(from_fn(move |req, next| body_deadline::limit(body_timeout, req, next)))
            .wrap(from_fn(telemetry::log_request))
            .wrap(from_fn(metrics::observe_request))
    })
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}

const OPENAPI_PATH: &str = "/openapi.json";

/// The OpenAPI document, serialised once and shared by every worker: a worker's own copy of
/// the document (as Swagger UI's `url` would keep) took 3 MiB each.
struct OpenApiJson(web::Bytes);

impl OpenApiJson {
    fn of(spec: &utoipa::openapi::OpenApi) -> Self {
        Self(serde_json::to_vec(spec).unwrap_or_else(|_| unreachable!("the document is plain data")).into())
    }
}

async fn serve_openapi(spec: web::Data<OpenApiJson>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().content_type(ContentType::json()).body(spec.0.clone())
}

async fn unknown_route(req: HttpRequest, known: web::Data<KnownRoutes>) -> Result<actix_web::HttpResponse, ApiError> {
    match known.allowed(req.path()) {
        Some(allowed) => Err(ApiError::MethodNotAllowed(allowed.to_owned())),
        None => Err(ApiError::NotFound(format!("no route for {} {}", req.method(), req.path()))),
    }
}

fn query_error(err: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid query string: {err}")).into()
}
