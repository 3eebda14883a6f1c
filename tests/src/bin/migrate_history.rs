//! Runs one runner command over `tests::history::large_history(TABLES)`, for the tests that kill
//! it midway: `migrate_history DATABASE_URL TABLES up|down`. Exit 0 on success, 1 on failure.

use migration_ops::runner::{self, Command};
use tests::history::{ScopedMigrator, large_history, options, with_history};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, tables, command] = args.as_slice() else {
        eprintln!("usage: migrate_history DATABASE_URL TABLES up|down");
        return std::process::ExitCode::from(2);
    };
    let history = large_history(tables.parse().expect("TABLES is a number"));
    let command = match command.as_str() {
        "up" => Command::Up(None),
        "down" => Command::Down(None),
        other => {
            eprintln!("unknown command {other}");
            return std::process::ExitCode::from(2);
        }
    };
    let options = options(&history);
    match with_history(
        history,
        runner::run::<ScopedMigrator>(url, command, &options),
    )
    .await
    {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::from(1)
        }
    }
}
