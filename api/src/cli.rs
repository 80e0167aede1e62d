//! The `pingyi` command line: serve (default), demo, create-admin, migrate.

use std::io::BufRead;

use crate::app::Application;
use crate::auth::{Principal, Role};
use crate::config::{self, Settings};
use crate::demo;
use crate::error::ApiError;
use crate::services::registry::accounts::{self, AccountInput};
use crate::store::connect;

pub const USAGE: &str = "\
Usage: pingyi [COMMAND]

Commands:
  serve                  run the service (the default)
  demo, --demo           load the plan's example (2016 evaluated, 2017 open), then serve
  create-admin USERNAME  create an admin account; the password is read from
                         PINGYI_ADMIN_PASSWORD or else from the first line of stdin
  migrate                apply pending database migrations and exit
  help, --help           print this text

Configuration comes from environment variables; see the README.";

pub enum Command {
    Serve { demo: bool },
    CreateAdmin { username: String },
    Migrate,
    Help,
}

pub fn parse(args: &[String]) -> Result<Command, String> {
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] | ["serve"] => Ok(Command::Serve { demo: false }),
        ["demo"] | ["--demo"] | ["serve", "--demo"] => Ok(Command::Serve { demo: true }),
        ["create-admin", username] => Ok(Command::CreateAdmin { username: (*username).to_owned() }),
        ["migrate"] => Ok(Command::Migrate),
        ["help"] | ["--help"] | ["-h"] => Ok(Command::Help),
        _ => Err(format!("unknown arguments: {}\n\n{USAGE}", args.join(" "))),
    }
}

pub type CliResult = Result<(), Box<dyn std::error::Error>>;

pub async fn run(command: Command) -> CliResult {
    match command {
        Command::Help => {
            println!("{USAGE}");
            Ok(())
        }
        Command::Migrate => {
            let (url, _) = config::database_url_from_env();
            connect::migrate(&connect::connect(&url, 1).await?).await?;
            println!("migrations applied to {}", config::redacted_url(&url));
            Ok(())
        }
        Command::CreateAdmin { username } => create_admin(username).await,
        Command::Serve { demo } => serve(demo).await,
    }
}

fn read_password() -> Result<String, Box<dyn std::error::Error>> {
    if let Ok(password) = std::env::var("PINGYI_ADMIN_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn create_admin(username: String) -> CliResult {
    let password = read_password()?;
    let (url, _) = config::database_url_from_env();
    let db = connect::connect(&url, 1).await?;
    connect::migrate(&db).await?;
    let input = AccountInput { username, password, role: Role::Admin, unit_id: None };
    validator::Validate::validate(&input).map_err(|e| described(&ApiError::from(e)))?;
    let account = accounts::create(&db, &Principal::operator("cli"), input).await.map_err(|e| described(&e))?;
    println!("admin account '{}' created ({})", account.username, account.id);
    Ok(())
}

/// An error as a person reads it: what went wrong, then each field's problem on a line.
fn described(err: &ApiError) -> String {
    let problem = err.problem();
    let mut text = format!("could not create the account: {}", problem.detail);
    for field in &problem.errors {
        let name =
            if field.field == "password" { "the password (PINGYI_ADMIN_PASSWORD or stdin)" } else { &field.field };
        text.push_str(&format!("\n  {name}: {}", field.message));
    }
    text
}

async fn serve(demo: bool) -> CliResult {
    let settings = Settings::from_env()?;
    if demo {
        let db = connect::connect(&settings.database_url, 1).await?;
        connect::migrate(&db).await?;
        let spend_key = crate::services::integrity::codes::SpendKey::derive(&settings.jwt_secret);
        let summary = demo::load(&db, &spend_key).await?;
        demo::print(&summary, &settings.public_url);
    }
    let app = Application::build(settings.clone()).await?;
    let base = format!(
        "http://{}",
        settings.bind.rsplit_once(':').map(|(host, _)| format!("{host}:{}", app.port())).unwrap_or_default()
    );
    tracing::info!(database = %config::redacted_url(&settings.database_url), "database ready");
    println!(
        "Pingyi is listening on {base}\n  console:    {base}/console/\n  API:        {base}/api/v1\n  docs:       {base}/docs/\n  OpenAPI:    {base}/openapi.json\n  health:     {base}/healthz  (readiness: {base}/readyz)\n  public URL: {}",
        settings.public_url
    );
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}
