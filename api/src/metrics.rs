//! Prometheus metrics, served at `/metrics` in the text format.
//!
//! Labels are route patterns (`/s/{slug}`, never the path itself), methods, status codes and
//! fixed outcome names: nothing that identifies a citizen, a link or a request.
//! The metrics are process-wide; tests that run several apps in one process share them.

use std::sync::LazyLock;
use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use sea_orm::{DatabaseConnection, DatabaseConnectionType};

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    pool_connections: IntGaugeVec,
    pub ingest_queue_depth: IntGauge,
    pub ingest_batch_size: Histogram,
    pub ingest_batch_seconds: Histogram,
    pub ingest_responses: IntCounterVec,
    pub webhook_deliveries: IntCounterVec,
    pub folded_batches: IntCounter,
    pub fold_seconds: Histogram,
    pub fold_failures: IntCounter,
    pub sqlite_write_turn_seconds: HistogramVec,
    pub sqlite_log_sync_seconds: Histogram,
}

fn counter(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), labels).unwrap_or_else(|err| unreachable!("static metric: {err}"))
}

fn plain_counter(name: &str, help: &str) -> IntCounter {
    IntCounter::new(name, help).unwrap_or_else(|err| unreachable!("static metric: {err}"))
}

/// A latency histogram per combination of `labels`.
fn latency_histograms(name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    HistogramVec::new(HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec()), labels)
        .unwrap_or_else(|err| unreachable!("static metric: {err}"))
}

fn histogram(name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
        .unwrap_or_else(|err| unreachable!("static metric: {err}"))
}

const LATENCY_BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

impl Metrics {
    fn new() -> Self {
        let requests = counter(
            "pingyi_http_requests_total",
            "HTTP requests by method, route pattern and status",
            &["method", "route", "status"],
        );
        let request_seconds = latency_histograms(
            "pingyi_http_request_duration_seconds",
            "HTTP request latency by method and route",
            &["method", "route"],
        );
        let pool_connections = IntGaugeVec::new(
            Opts::new("pingyi_db_pool_connections", "Database pool connections by state (idle, in_use, max)"),
            &["state"],
        )
        .unwrap_or_else(|err| unreachable!("static metric: {err}"));
        let ingest_queue_depth = IntGauge::new("pingyi_ingest_queue_depth", "Responses waiting for a group commit")
            .unwrap_or_else(|err| unreachable!("static metric: {err}"));
        let ingest_batch_size = histogram(
            "pingyi_ingest_batch_size",
            "Responses per group commit",
            vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0],
        );
        let ingest_batch_seconds = histogram(
            "pingyi_ingest_batch_duration_seconds",
            "Time to write and commit one batch",
            LATENCY_BUCKETS.to_vec(),
        );
        let ingest_responses = counter(
            "pingyi_ingest_responses_total",
            "Citizens' responses through the writer by outcome (stored, replayed, conflict, failed)",
            &["outcome"],
        );
        let webhook_deliveries = counter(
            "pingyi_webhook_delivery_attempts_total",
            "Webhook delivery attempts by result (delivered, retrying, failed)",
            &["result"],
        );
        let folded_batches = plain_counter(
            "pingyi_fold_batches_total",
            "Pending batches of citizens' responses counted into the running totals",
        );
        let fold_seconds = histogram(
            "pingyi_fold_duration_seconds",
            "Time to count one set of pending batches into the running totals",
            LATENCY_BUCKETS.to_vec(),
        );
        let fold_failures = plain_counter("pingyi_fold_failures_total", "Folds into the running totals that failed");
        let sqlite_write_turn_seconds = latency_histograms(
            "pingyi_sqlite_write_turn_hold_seconds",
            "How long SQLite's single write turn was held, by holder (responses, fold, log_restart)",
            &["holder"],
        );
        let sqlite_log_sync_seconds = histogram(
            "pingyi_sqlite_log_sync_duration_seconds",
            "Time to sync SQLite's write-ahead log after the response writer's commits",
            LATENCY_BUCKETS.to_vec(),
        );
        let registry = Registry::new();
        let collectors: [Box<dyn prometheus::core::Collector>; 13] = [
            Box::new(requests.clone()),
            Box::new(request_seconds.clone()),
            Box::new(pool_connections.clone()),
            Box::new(ingest_queue_depth.clone()),
            Box::new(ingest_batch_size.clone()),
            Box::new(ingest_batch_seconds.clone()),
            Box::new(ingest_responses.clone()),
            Box::new(webhook_deliveries.clone()),
            Box::new(folded_batches.clone()),
            Box::new(fold_seconds.clone()),
            Box::new(fold_failures.clone()),
            Box::new(sqlite_write_turn_seconds.clone()),
            Box::new(sqlite_log_sync_seconds.clone()),
        ];
        for collector in collectors {
            registry.register(collector).unwrap_or_else(|err| unreachable!("distinct metric names: {err}"));
        }
        Self {
            registry,
            requests,
            request_seconds,
            pool_connections,
            ingest_queue_depth,
            ingest_batch_size,
            ingest_batch_seconds,
            ingest_responses,
            webhook_deliveries,
            folded_batches,
            fold_seconds,
            fold_failures,
            sqlite_write_turn_seconds,
            sqlite_log_sync_seconds,
        }
    }

    /// The text exposition, with the pool gauges read now.
    pub fn render(&self, db: &DatabaseConnection) -> String {
        let (size, idle, max) = pool_figures(db);
        self.pool_connections.with_label_values(&["in_use"]).set(size - idle);
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        self.pool_connections.with_label_values(&["max"]).set(max);
        let mut buffer = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::warn!(error = %err, "could not encode the metrics");
        }
        String::from_utf8_lossy(&buffer).into_owned()
    }
}

/// Open, idle and maximum connections of whichever pool the connection holds.
fn pool_figures(db: &DatabaseConnection) -> (i64, i64, i64) {
    let figures = |size: u32, idle: usize, max: u32| (i64::from(size), idle as i64, i64::from(max));
    match &db.inner {
        DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            figures(pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            figures(pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        _ => (0, 0, 0),
    }
}

pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The route pattern a request matched. Read after routing: actix then looks it up by the
/// resource it routed to, where before routing it would match the path against every
/// pattern again, on every request. Unmatched paths share
/// one label so that scanners cannot grow the label set.
pub fn route_of(req: &actix_web::HttpRequest) -> String {
    req.match_pattern().unwrap_or_else(|| "(unmatched)".to_owned())
}

/// Counts every request and its latency under its route pattern.
pub async fn observe_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let response = next.call(req).await?;
    let route = route_of(response.request());
    let status = response.status();
    METRICS.requests.with_label_values(&[method.as_str(), &route, status.as_str()]).inc();
    METRICS.request_seconds.with_label_values(&[method.as_str(), &route]).observe(started.elapsed().as_secs_f64());
    Ok(response)
}
