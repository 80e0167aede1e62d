//! The migration CLI: `DATABASE_URL=… cargo run -p migration -- up|down|status`.
//! It takes the same lock as the service, which also applies pending migrations at start-up.

use migration::{Direction, Migrator, MigratorTrait};
use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("DATABASE_URL is not set");
        std::process::exit(2);
    };
    let outcome = async {
        let db = sea_orm_migration::sea_orm::Database::connect(url).await?;
        match args.first().map(String::as_str) {
            Some("up") | None => migration::run(&db, Direction::Up).await,
            Some("down") => migration::run(&db, Direction::DownOne).await,
            Some("status") => Migrator::status(&db).await,
            Some(other) => Err(DbErr::Custom(format!("unknown command {other}; use up, down or status"))),
        }
    }
    .await;
    if let Err(err) = outcome {
        eprintln!("migration failed: {err}");
        std::process::exit(1);
    }
}
