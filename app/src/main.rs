//! `cargo run -p app`: serves the Posts API on 127.0.0.1:3000 (`--port` or `PORT` to change),
//! on `DATABASE_URL` or, without it, the local SQLite file `app.sqlite3`. At start-up it applies
//! pending migrations through the safe runner, unless `--no-migrate` (or `NO_MIGRATE=true`) says
//! a separate deploy step does that.

use std::process::ExitCode;

use clap::Parser;
use migration_ops::runner::{self, RunnerOptions};

/// mimalloc rather than glibc's malloc, whose malloc and free took about a seventh of the app's
/// CPU on reads (`perf`). Measured on reads from SQLite, 7 runs alternated with glibc's
/// (tests/benchmark-results.md): 1.1 to 1.5 times the requests a second, for about 15 MB more
/// memory at rest.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

    /// On a MariaDB Galera cluster: how long, in seconds, an instance's hold on the
    /// cluster-wide migration lock lasts without a heartbeat.
    #[arg(long, env = "MIGRATION_LOCK_LEASE", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    lock_lease: u64,

    /// How long, in milliseconds, one schema change of a start-up migration waits for its
    /// table's lock before it lets other instances' queries through and tries again; 0 waits as
    /// long as the database does.
    #[arg(long, env = "MIGRATION_TABLE_LOCK_TIMEOUT", default_value_t = 500)]
    table_lock_timeout: u64,

    /// Database connections: on a SQLite file, those that read (one more writes); on
    /// PostgreSQL and MySQL, the pool. Default: twice the cores on SQLite, four times on
    /// PostgreSQL and MySQL.
    #[arg(long, env = "DB_CONNECTIONS")]
    db_connections: Option<u32>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if !args.no_migrate {
        let options = RunnerOptions {
            lock_timeout: std::time::Duration::from_secs(args.lock_timeout),
            generated: migration::generated(),
            lease: std::time::Duration::from_secs(args.lock_lease),
            table_lock_timeout: (args.table_lock_timeout > 0)
                .then(|| std::time::Duration::from_millis(args.table_lock_timeout)),
        };
        match runner::up::<migration::Migrator>(&args.database_url, &options).await {
            Ok(report) => {
                if let Some(holder) = &report.took_over {
                    eprintln!(
                        "took over the migration lock from {holder}, whose lease had run out"
                    );
                }
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
    let settings = app::repository::ConnectionSettings {
        connections: args.db_connections,
        ..Default::default()
    };
    let repository =
        match app::repository::PostRepository::connect(&args.database_url, &settings).await {
            Ok(repository) => repository,
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
    let app = app::router(repository);
    if let Err(error) = axum::serve(listener, app).await {
        eprintln!("error: {error}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
