//! Standalone migration CLI: `DATABASE_URL=… cargo run -p migration -- up`.
//! The service also applies pending migrations itself at start-up.

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
            Some("up") | None => migration::Migrator::up(&db, None).await,
            Some("down") => migration::Migrator::down(&db, Some(1)).await,
            Some("status") => migration::Migrator::status(&db).await,
            Some(other) => Err(DbErr::Custom(format!("unknown command {other}; use up, down or status"))),
        }
    }
    .await;
    if let Err(err) = outcome {
        eprintln!("migration failed: {err}");
        std::process::exit(1);
    }
}
