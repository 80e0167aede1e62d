//! Configuration from environment variables, with defaults that need no set-up at all.
//!
//! | variable | default |
//! |---|---|
//! | `PINGYI_BIND` | `127.0.0.1:8080` |
//! | `DATABASE_URL` | `sqlite://<data dir>/pingyi.db?mode=rwc` |
//! | `PINGYI_DATA_DIR` | `./data` |
//! | `PINGYI_PUBLIC_URL` | `http://<bind>` |
//! | `PINGYI_JWT_SECRET` | generated once into `<data dir>/jwt-secret` on the embedded SQLite default |
//! | `PINGYI_TOKEN_TTL_SECONDS` | `900` |
//! | `PINGYI_MIN_CELL_SIZE` | `5` |
//! | `PINGYI_DB_MAX_CONNECTIONS` | `16` on PostgreSQL, `4` on SQLite |
//! | `PINGYI_BODY_TIMEOUT_SECONDS` | `10` |
//! | `PINGYI_SHUTDOWN_DRAIN_SECONDS` | `0` |
//! | `PINGYI_CONSOLE_IDLE_MINUTES` | `30` |
//! | `PINGYI_CONSOLE_MAX_HOURS` | `12` |
//! | `PINGYI_TRUSTED_PROXIES` | none: forwarded headers are ignored |
//! | `PINGYI_WEBHOOK_RETRY_BASE_MS` | `30000` (then doubling) |
//! | `PINGYI_WEBHOOK_MAX_ATTEMPTS` | `8` |
//! | `PINGYI_WEBHOOK_ALLOW_PRIVATE` | `false` |
//! | `PINGYI_DOCUMENT_DIR` | none: handed-in documents are kept in the database |
//! | `PINGYI_MAX_DOCUMENT_MB` | `20` |
//! | `PINGYI_REMINDER_DAYS` | `7` |
//! | `PINGYI_SMTP_HOST` | none: no reminder mail |
//! | `PINGYI_SMTP_PORT` | `25` |
//! | `PINGYI_SMTP_FROM` | required with `PINGYI_SMTP_HOST` |

use std::fmt;
use std::path::{Path, PathBuf};

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use rand::Rng;

pub const MIN_SECRET_BYTES: usize = 32;

/// SQLite has one writer, and each connection keeps its own page and statement caches:
/// beyond a few connections more only cost memory (docs/benchmarks.md has the figures).
fn default_pool_size(database_url: &str) -> u32 {
    if database_url.starts_with("sqlite:") { 4 } else { 16 }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(
        "PINGYI_JWT_SECRET is required when DATABASE_URL is not the embedded SQLite default (at least {MIN_SECRET_BYTES} bytes)"
    )]
    MissingSecret,
    #[error("could not keep the generated JWT secret in {path}: {source}")]
    SecretFile { path: PathBuf, source: std::io::Error },
}

/// A secret that never prints itself.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Result<Self, ConfigError> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(ConfigError::Invalid {
                name: "PINGYI_JWT_SECRET",
                reason: format!("must be at least {MIN_SECRET_BYTES} bytes, got {}", bytes.len()),
            });
        }
        Ok(Self(bytes))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub database_url: String,
    pub public_url: String,
    pub jwt_secret: Secret,
    pub token_ttl_seconds: i64,
    /// Cells with fewer responses are shown without rates to every role but admin.
    pub min_cell_size: i64,
    pub db_max_connections: u32,
    /// How long a request body may take to arrive (`body_deadline`).
    pub body_timeout: std::time::Duration,
    /// How long a replica told to stop (SIGTERM) keeps serving while `/readyz` tells the load
    /// balancer to send new requests elsewhere (`app::Application::run_until_stopped`).
    pub shutdown_drain: std::time::Duration,
    /// A console session ends after this long without a request…
    pub console_idle: std::time::Duration,
    /// …and this long after its sign-in, however busy.
    pub console_max_age: std::time::Duration,
    /// Peers whose `Forwarded` / `X-Forwarded-For` headers are believed.
    pub trusted_proxies: TrustedProxies,
    pub webhooks: WebhookSettings,
    pub documents: DocumentSettings,
    /// The mail relay reminder digests go through; `None` sends no mail.
    pub smtp: Option<crate::mail::smtp::SmtpSettings>,
}

/// Where handed-in documents are kept, how large they may be, and when reminders go out.
#[derive(Debug, Clone)]
pub struct DocumentSettings {
    /// A directory to keep documents in; `None` keeps them in the database.
    pub dir: Option<PathBuf>,
    /// The largest document accepted, in bytes.
    pub max_bytes: usize,
    /// How many days before a deliverable's due date `deliverable.due_soon` goes out.
    pub reminder_days: i64,
}

impl Default for DocumentSettings {
    fn default() -> Self {
        Self { dir: None, max_bytes: 20 * 1024 * 1024, reminder_days: 7 }
    }
}

/// Peers whose forwarded headers are believed (`PINGYI_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = String;

    /// A comma-separated list of addresses or CIDR ranges; empty means none.
    fn from_str(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("'{item}' is not an address or CIDR range"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// How deliveries are retried and where they may go.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Delay before the second attempt; each later one doubles it.
    pub retry_base: std::time::Duration,
    /// Attempts in all before a delivery is marked failed.
    pub max_attempts: u32,
    /// Whether targets on loopback or private addresses are allowed (tests, intranets).
    pub allow_private_targets: bool,
    /// How long one attempt may take.
    pub timeout: std::time::Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            retry_base: std::time::Duration::from_secs(30),
            max_attempts: 8,
            allow_private_targets: false,
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// Reads an environment variable, treating an empty value as unset.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|e: T::Err| ConfigError::Invalid { name, reason: e.to_string() }),
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let bind = var("PINGYI_BIND").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let (database_url, embedded) = database_url_from_env();
        let data_dir = data_dir();
        let db_max_connections = parse("PINGYI_DB_MAX_CONNECTIONS", default_pool_size(&database_url))?.max(1);
        let jwt_secret = match var("PINGYI_JWT_SECRET") {
            Some(secret) => Secret::new(secret.into_bytes())?,
            None if embedded => load_or_create_secret(&data_dir)?,
            None => return Err(ConfigError::MissingSecret),
        };
        let token_ttl_seconds = parse("PINGYI_TOKEN_TTL_SECONDS", 900_i64)?;
        if !(30..=86_400).contains(&token_ttl_seconds) {
            return Err(ConfigError::Invalid {
                name: "PINGYI_TOKEN_TTL_SECONDS",
                reason: "must be between 30 and 86400".to_owned(),
            });
        }
        Ok(Self {
            public_url: var("PINGYI_PUBLIC_URL")
                .unwrap_or_else(|| format!("http://{bind}"))
                .trim_end_matches('/')
                .to_owned(),
            bind,
            database_url,
            jwt_secret,
            token_ttl_seconds,
            min_cell_size: parse("PINGYI_MIN_CELL_SIZE", 5_i64)?.max(1),
            db_max_connections,
            body_timeout: std::time::Duration::from_secs(parse("PINGYI_BODY_TIMEOUT_SECONDS", 10_u64)?.clamp(1, 3600)),
            shutdown_drain: std::time::Duration::from_secs(parse("PINGYI_SHUTDOWN_DRAIN_SECONDS", 0_u64)?.min(300)),
            console_idle: std::time::Duration::from_secs(
                60 * parse("PINGYI_CONSOLE_IDLE_MINUTES", 30_u64)?.clamp(1, 24 * 60),
            ),
            console_max_age: std::time::Duration::from_secs(
                3600 * parse("PINGYI_CONSOLE_MAX_HOURS", 12_u64)?.clamp(1, 7 * 24),
            ),
            trusted_proxies: var("PINGYI_TRUSTED_PROXIES")
                .unwrap_or_default()
                .parse()
                .map_err(|reason| ConfigError::Invalid { name: "PINGYI_TRUSTED_PROXIES", reason })?,
            webhooks: WebhookSettings {
                retry_base: std::time::Duration::from_millis(parse("PINGYI_WEBHOOK_RETRY_BASE_MS", 30_000_u64)?.max(1)),
                max_attempts: parse("PINGYI_WEBHOOK_MAX_ATTEMPTS", 8_u32)?.clamp(1, 20),
                allow_private_targets: parse("PINGYI_WEBHOOK_ALLOW_PRIVATE", false)?,
                ..WebhookSettings::default()
            },
            documents: DocumentSettings {
                dir: var("PINGYI_DOCUMENT_DIR").map(PathBuf::from),
                max_bytes: 1024 * 1024 * parse("PINGYI_MAX_DOCUMENT_MB", 20_usize)?.clamp(1, 200),
                reminder_days: parse("PINGYI_REMINDER_DAYS", 7_i64)?.clamp(1, 60),
            },
            smtp: match var("PINGYI_SMTP_HOST") {
                None => None,
                Some(host) => Some(crate::mail::smtp::SmtpSettings {
                    host,
                    port: parse("PINGYI_SMTP_PORT", 25_u16)?,
                    from: var("PINGYI_SMTP_FROM").ok_or(ConfigError::Invalid {
                        name: "PINGYI_SMTP_FROM",
                        reason: "is required with PINGYI_SMTP_HOST".to_owned(),
                    })?,
                }),
            },
        })
    }
}

fn data_dir() -> PathBuf {
    PathBuf::from(var("PINGYI_DATA_DIR").unwrap_or_else(|| "./data".to_owned()))
}

/// `DATABASE_URL`, or the embedded SQLite file (then the flag is true).
pub fn database_url_from_env() -> (String, bool) {
    match var("DATABASE_URL") {
        Some(url) => (url, false),
        None => (default_database_url(&data_dir()), true),
    }
}

/// The URL with any password replaced, fit for logs and the console.
pub fn redacted_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

pub fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}/pingyi.db?mode=rwc", data_dir.display())
}

/// On the zero-setup default a secret is generated once and kept beside the database,
/// so tokens survive a restart without anyone having to choose a secret.
fn load_or_create_secret(data_dir: &Path) -> Result<Secret, ConfigError> {
    let path = data_dir.join("jwt-secret");
    let io_err = |source| ConfigError::SecretFile { path: path.clone(), source };
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Secret::new(existing.trim().as_bytes().to_vec());
    }
    std::fs::create_dir_all(data_dir).map_err(io_err)?;
    let bytes: [u8; 32] = rand::rng().random();
    let encoded = hex::encode(bytes);
    write_private(&path, &encoded).map_err(io_err)?;
    Secret::new(encoded.into_bytes())
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use crate::config::*;

    #[test]
    fn the_pool_is_small_on_sqlite_and_larger_on_postgresql() {
        assert_eq!(default_pool_size("sqlite:///var/lib/pingyi/pingyi.db?mode=rwc"), 4);
        assert_eq!(default_pool_size("postgres://pingyi@db/pingyi"), 16);
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(Secret::new(vec![b'x'; 31]).is_err());
        assert!(Secret::new(vec![b'x'; 32]).is_ok());
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(redacted_url("postgres://app:hunter2@db:5432/pingyi"), "postgres://app:***@db:5432/pingyi");
        assert_eq!(redacted_url("sqlite://./data/pingyi.db?mode=rwc"), "sqlite://./data/pingyi.db?mode=rwc");
    }

    #[test]
    fn secrets_do_not_print() {
        let secret = Secret::new(vec![b'z'; 40]).map(|s| format!("{s:?}"));
        assert_eq!(secret.ok().as_deref(), Some("Secret(…)"));
    }

    #[test]
    fn the_generated_secret_is_kept_and_reused() {
        let dir = std::env::temp_dir().join(format!("pingyi-secret-{}", uuid::Uuid::new_v4()));
        let first = load_or_create_secret(&dir).map(|s| s.expose().to_vec());
        let second = load_or_create_secret(&dir).map(|s| s.expose().to_vec());
        let _ = std::fs::remove_dir_all(&dir);
        assert!(first.is_ok());
        assert_eq!(first.ok(), second.ok());
    }
}
