//! `cargo run -p migration -- [up|down|status|fresh|refresh|reset]`: sea-orm-migration's CLI
//! over this project's migrations, with `up` (also the default) going through the safe runner:
//! one lock across processes, checksums of applied migrations, failures recorded on MySQL.
//!
//! The database is `DATABASE_URL` (or `-u URL`, or a `.env` file); without any of them, a local
//! SQLite file, so a fresh checkout works with no set-up. `fresh`, `refresh` and `reset` drop
//! data: they run only with `MIGRATION_ALLOW_DESTROY=1` in the environment.

use std::process::ExitCode;
use std::time::Duration;

use migration_ops::runner::{self, RunnerOptions};
use sea_orm_migration::prelude::*;

/// The database used when none is given: `app.sqlite3` in the current folder, the same file
/// the app uses by default.
const DEFAULT_DATABASE_URL: &str = "sqlite://app.sqlite3?mode=rwc";

fn main() -> ExitCode {
    dotenvy::dotenv().ok();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url_flag = flag_value(&args, &["-u", "--database-url"]);
    if std::env::var_os("DATABASE_URL").is_none() && url_flag.is_none() {
        // SAFETY: nothing else runs yet; the async runtime, and with it every other thread,
        // starts below.
        unsafe { std::env::set_var("DATABASE_URL", DEFAULT_DATABASE_URL) };
    }
    let url = url_flag.unwrap_or_else(|| std::env::var("DATABASE_URL").unwrap_or_default());
    let command = subcommand(&args);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime starts");

    let allow_destroy = std::env::var(runner::ALLOW_DESTROY).ok();
    if let Err(refusal) =
        runner::guard_destructive(command.unwrap_or("up"), allow_destroy.as_deref())
    {
        eprintln!("error: {refusal}");
        return ExitCode::from(2);
    }
    if matches!(command, None | Some("up")) && !args.iter().any(|a| a == "-h" || a == "--help") {
        if flag_value(&args, &["-n", "--num"]).is_some() {
            eprintln!(
                "error: `up -n` is not supported by the safe runner; `up` applies all pending migrations"
            );
            return ExitCode::from(2);
        }
        let lock_timeout = std::env::var("MIGRATION_LOCK_TIMEOUT")
            .ok()
            .and_then(|s| s.parse().ok())
            .map_or(Duration::from_secs(60), Duration::from_secs);
        let options = RunnerOptions {
            lock_timeout,
            checksums: migration::checksums(),
        };
        return match runtime.block_on(runner::up::<migration::Migrator>(&url, &options)) {
            Ok(report) => {
                if report.applied.is_empty() {
                    println!("No pending migrations ({} applied)", report.already_applied);
                }
                for name in &report.applied {
                    println!("Applied {name}");
                }
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::from(1)
            }
        };
    }
    runtime.block_on(cli::run_cli(migration::Migrator));
    ExitCode::SUCCESS
}

/// The value after any of `names` (`-u URL` or `--database-url=URL`).
fn flag_value(args: &[String], names: &[&str]) -> Option<String> {
    args.iter().enumerate().find_map(|(at, arg)| {
        names.iter().find_map(|name| {
            if arg == name {
                args.get(at + 1).cloned()
            } else {
                arg.strip_prefix(&format!("{name}=")).map(str::to_owned)
            }
        })
    })
}

/// The first argument that is neither a flag nor a flag's value.
fn subcommand(args: &[String]) -> Option<&str> {
    let mut skip = false;
    for arg in args {
        if skip {
            skip = false;
            continue;
        }
        if [
            "-u",
            "--database-url",
            "-s",
            "--database-schema",
            "-n",
            "--num",
        ]
        .contains(&arg.as_str())
        {
            skip = true;
            continue;
        }
        if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}
