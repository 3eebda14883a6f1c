//! `cargo run -p migration -- [up|down|status|fresh|refresh|reset]`: this project's migrations,
//! every verb run through the safe runner (`migration_ops::runner`): one lock across
//! processes, one transaction per migration with its bookkeeping (PostgreSQL, SQLite), a
//! statement journal that lets an interrupted run resume (MySQL/MariaDB), checksums of applied
//! migrations.
//!
//! The database is `-u URL`, or `DATABASE_URL` (also from a `.env` file); without either, a local
//! SQLite file, so a fresh checkout works with no set-up. `fresh`, `refresh` and `reset` drop
//! data: they run only with `MIGRATION_ALLOW_DESTROY=1` in the environment.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use migration_ops::runner::{self, Command, RunnerOptions};

/// The database used when none is given: `app.sqlite3` in the current folder, the same file
/// the app uses by default.
const DEFAULT_DATABASE_URL: &str = "sqlite://app.sqlite3?mode=rwc";

/// Applies and rolls back this project's migrations, safely: one run at a time across
/// processes, each migration whole or not at all (PostgreSQL, SQLite) or resumed where it
/// stopped (MySQL/MariaDB).
#[derive(Parser)]
#[command(
    version,
    after_help = "Exit status: 0 done; 1 a migration failed, or `status` found an edited or \
                  unknown migration; 2 bad usage."
)]
struct Cli {
    /// The database (postgres://, mysql:// or sqlite:). Default: DATABASE_URL, then
    /// `sqlite://app.sqlite3?mode=rwc`.
    #[arg(short = 'u', long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,

    /// How long to wait for another process's run to finish, in seconds.
    #[arg(
        long,
        env = "MIGRATION_LOCK_TIMEOUT",
        default_value_t = 60,
        global = true
    )]
    lock_timeout: u64,

    /// On a MariaDB Galera cluster: how long, in seconds, a run's hold on the cluster-wide
    /// lock lasts without a heartbeat; a run killed while holding it delays the others this
    /// long at most.
    #[arg(
        long,
        env = "MIGRATION_LOCK_LEASE",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    lock_lease: u64,

    /// How long, in milliseconds, one schema change waits for its table's lock before it lets
    /// the application's queued queries through and tries again (up to 20 times, with
    /// backoff); 0 waits as long as the database does.
    #[arg(
        long,
        env = "MIGRATION_TABLE_LOCK_TIMEOUT",
        default_value_t = 500,
        global = true
    )]
    table_lock_timeout: u64,

    #[command(subcommand)]
    command: Option<Verb>,
}

#[derive(Subcommand, Clone, Copy)]
enum Verb {
    /// Apply pending migrations (the default).
    Up {
        /// Apply only the first N pending migrations.
        #[arg(short, long)]
        num: Option<u32>,
    },
    /// Roll back the newest applied migration (or the last N).
    Down {
        /// How many to roll back.
        #[arg(short, long, default_value_t = 1)]
        num: u32,
    },
    /// Show which migrations are applied, pending or edited since.
    Status,
    /// Drop every table, then apply every migration (needs MIGRATION_ALLOW_DESTROY=1).
    Fresh,
    /// Roll back every migration, then apply every migration (needs MIGRATION_ALLOW_DESTROY=1).
    Refresh,
    /// Roll back every migration (needs MIGRATION_ALLOW_DESTROY=1).
    Reset,
}

fn main() -> ExitCode {
    dotenvy::dotenv().ok();
    let cli = Cli::parse();
    let url = cli
        .database_url
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    let (name, command) = match cli.command.unwrap_or(Verb::Up { num: None }) {
        Verb::Up { num } => ("up", Command::Up(num)),
        Verb::Down { num } => ("down", Command::Down(Some(num))),
        Verb::Status => ("status", Command::Status),
        Verb::Fresh => ("fresh", Command::Fresh),
        Verb::Refresh => ("refresh", Command::Refresh),
        Verb::Reset => ("reset", Command::Reset),
    };
    let allow_destroy = std::env::var(runner::ALLOW_DESTROY).ok();
    if let Err(refusal) = runner::guard_destructive(name, allow_destroy.as_deref()) {
        eprintln!("error: {refusal}");
        return ExitCode::from(2);
    }
    let options = RunnerOptions {
        lock_timeout: Duration::from_secs(cli.lock_timeout),
        generated: migration::generated(),
        lease: Duration::from_secs(cli.lock_lease),
        table_lock_timeout: (cli.table_lock_timeout > 0)
            .then(|| Duration::from_millis(cli.table_lock_timeout)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime starts");
    match runtime.block_on(runner::run::<migration::Migrator>(&url, command, &options)) {
        Ok(report) => {
            print_report(&report, command);
            let troubled = report
                .status
                .iter()
                .any(|(_, state)| matches!(state, runner::State::Edited | runner::State::Unknown));
            if troubled {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}

fn print_report(report: &runner::Report, command: Command) {
    if let Some(cluster) = &report.cluster {
        println!("{cluster}");
    }
    if let Some(holder) = &report.took_over {
        println!("Took over the migration lock from {holder}, whose lease had run out");
    }
    if let Some((name, direction)) = &report.resumed {
        println!("Finished {name} ({direction}), which an earlier run left midway");
    }
    for name in &report.rolled_back {
        println!("Rolled back {name}");
    }
    for name in &report.applied {
        println!("Applied {name}");
    }
    match command {
        Command::Status => {
            for (name, state) in &report.status {
                println!("{name}  {state}");
            }
            if let Some(progress) = &report.interrupted {
                println!(
                    "{}  interrupted during `{}` after statement {}{}; the next run resumes it",
                    progress.version,
                    progress.direction,
                    progress.done,
                    progress
                        .error
                        .as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default()
                );
            }
        }
        Command::Up(_) if report.applied.is_empty() => {
            println!("No pending migrations ({} applied)", report.already_applied);
        }
        Command::Down(_) if report.rolled_back.is_empty() => println!("No applied migrations"),
        _ => {}
    }
}
