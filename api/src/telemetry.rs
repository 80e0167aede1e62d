//! Structured logs through `tracing`, and the request log line.
//!
//! The request log names the route pattern, status and latency only: no client address,
//! user agent or other identifier of a citizen (tracing-actix-web's default span records both).

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `RUST_LOG` overrides the default `info` level.
/// `PINGYI_LOG_FORMAT=json` is not offered: the compact format is greppable and enough here.
/// Colours only on a terminal (and not with `NO_COLOR` set): a log file or journal gets
/// plain text.
pub fn init() {
    use std::io::IsTerminal;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(colour).try_init();
}

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let response = next.call(req).await?;
    tracing::info!(
        method,
        route = crate::metrics::route_of(response.request()),
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    Ok(response)
}
