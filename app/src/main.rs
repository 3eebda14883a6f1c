//! `cargo run -p app`: serves the Posts API on 127.0.0.1:3000 (`--port` or `PORT` to change),
//! on `DATABASE_URL` or, without it, the local SQLite file `app.sqlite3`. At start-up it applies
//! pending migrations through the safe runner, unless `--no-migrate` (or `MIGRATE=false`) says
//! a separate deploy step does that.

use std::process::ExitCode;

use clap::Parser;
use migration_ops::runner::{self, RunnerOptions};

const DEFAULT_DATABASE_URL: &str = "sqlite://app.sqlite3?mode=rwc";

/// The Posts service.
#[derive(Debug, Parser)]
#[command(name = "app", version)]
struct Args {
    /// The port to listen on, on 127.0.0.1.
    #[arg(long, env = "PORT", default_value_t = 3000)]
    port: u16,

    /// The database.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,

    /// Do not apply pending migrations at start-up (for deploys that migrate in a step of
    /// their own).
    #[arg(long, env = "NO_MIGRATE")]
    no_migrate: bool,

    /// How long start-up waits for another instance's migration run, in seconds.
    #[arg(long, env = "MIGRATION_LOCK_TIMEOUT", default_value_t = 60)]
    lock_timeout: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if !args.no_migrate {
        let options = RunnerOptions {
            lock_timeout: std::time::Duration::from_secs(args.lock_timeout),
            generated: migration::generated(),
        };
        match runner::up::<migration::Migrator>(&args.database_url, &options).await {
            Ok(report) => {
                for name in &report.applied {
                    eprintln!("applied migration {name}");
                }
            }
            Err(error) => {
                eprintln!("error: migrating the database: {error}");
                return ExitCode::from(1);
            }
        }
    }
    let mut options = sea_orm::ConnectOptions::new(args.database_url.clone());
    // SeaORM gives SQLite one connection by default; readers can share the file.
    options.max_connections(8).sqlx_logging(false);
    let db = match sea_orm::Database::connect(options).await {
        Ok(db) => db,
        Err(error) => {
            eprintln!("error: connecting to the database: {error}");
            return ExitCode::from(1);
        }
    };
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("error: listening on {address}: {error}");
            return ExitCode::from(1);
        }
    };
    eprintln!("listening on http://{address}");
    let app = app::router(app::repository::PostRepository::new(db));
    if let Err(error) = axum::serve(listener, app).await {
        eprintln!("error: {error}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
