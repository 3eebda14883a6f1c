//! The Posts service. For now it only applies pending migrations to the database named by
//! `DATABASE_URL` (default: `app.sqlite3` in the current folder) and reports the schema state;
//! the HTTP API comes next.

use migration::{Migrator, MigratorTrait};

const DEFAULT_DATABASE_URL: &str = "sqlite://app.sqlite3?mode=rwc";

#[tokio::main]
async fn main() -> Result<(), sea_orm::DbErr> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    let db = sea_orm::Database::connect(&url).await?;
    Migrator::up(&db, None).await?;
    let applied = Migrator::get_applied_migrations(&db).await?;
    println!(
        "schema at {} migration(s); the HTTP API is not built yet",
        applied.len()
    );
    Ok(())
}
