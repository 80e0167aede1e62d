//! The HTTP server of one app: its routes, the app data handlers reach, error handlers for
//! what actix rejects before a handler runs, the OpenAPI document and Swagger UI, and the
//! middleware, innermost first: conditional reads and HEAD, clean text in the address, the
//! body deadline, problems in the client's language, compression, the request log, metrics.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::error::QueryPayloadError;
use actix_web::http::header::ContentType;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpServer, guard, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::app::AppState;
use crate::auth::TokenKeys;
use crate::error::ApiError;
use crate::http::known_routes::KnownRoutes;
use crate::http::openapi::ApiDoc;
use crate::http::{BODY_LIMIT, body_deadline, clean_text, compression, conditional, problem_language};
use crate::{console, metrics, routes, telemetry};

/// The OpenAPI document, generated from the registered routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(routes::configure).split_for_parts().1
}

/// Starts serving `state` on `listener`; the server runs until it is stopped or awaited.
pub fn serve(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
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
            .service(web::resource("/docs").guard(guard::Get()).to(to_docs))
            .service(SwaggerUi::new("/docs/{_:.*}").config(Config::from(OPENAPI_PATH)))
            .configure(console::configure)
            .default_service(web::to(unknown_route))
            .wrap(from_fn(conditional::conditional_reads))
            .wrap(from_fn(clean_text::check_address))
            .wrap(from_fn(move |req, next| body_deadline::limit(body_timeout, req, next)))
            .wrap(from_fn(problem_language::localise_problems))
            .wrap(from_fn(compression::compress_responses))
            .wrap(from_fn(telemetry::log_request))
            .wrap(from_fn(metrics::observe_request))
    })
    .shutdown_timeout(10)
    // `Application::run_until_stopped` handles the signals: SIGTERM drains first.
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}

const OPENAPI_PATH: &str = "/openapi.json";

/// The OpenAPI document, serialised once and shared by every worker: Swagger UI's `url`
/// would keep a copy of the whole document per worker.
struct OpenApiJson(web::Bytes);

impl OpenApiJson {
    fn of(spec: &utoipa::openapi::OpenApi) -> Self {
        Self(serde_json::to_vec(spec).unwrap_or_else(|_| unreachable!("the document is plain data")).into())
    }
}

async fn serve_openapi(spec: web::Data<OpenApiJson>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().content_type(ContentType::json()).body(spec.0.clone())
}

/// Swagger UI lives under `/docs/`; the address without the slash is where people type it.
async fn to_docs() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect().insert_header((actix_web::http::header::LOCATION, "/docs/")).finish()
}

async fn unknown_route(req: HttpRequest, known: web::Data<KnownRoutes>) -> Result<actix_web::HttpResponse, ApiError> {
    match known.allowed(req.path()) {
        // The path has the shape of a documented one whose parameter this value cannot be
        // (a unit id that is no id): no such resource.
        Some(allowed) if allowed.split(", ").any(|method| method == req.method().as_str()) => {
            Err(ApiError::NotFound(format!("no such resource: {}", req.path())))
        }
        Some(allowed) => Err(ApiError::MethodNotAllowed(allowed.to_owned())),
        None => Err(ApiError::NotFound(format!("no route for {} {}", req.method(), req.path()))),
    }
}

fn query_error(err: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid query string: {err}")).into()
}
