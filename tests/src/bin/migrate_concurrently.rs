//! Runs the safe runner once over `tests::deploy::CountingMigrator` on the database URL given as
//! the only argument; the concurrency test starts many of these at once. Exit 0 on success.

use migration_ops::runner::{self, RunnerOptions};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let url = std::env::args()
        .nth(1)
        .expect("usage: migrate_concurrently DATABASE_URL");
    let options = RunnerOptions {
        generated: migration::generated(),
        ..RunnerOptions::default()
    };
    match runner::up::<tests::deploy::CountingMigrator>(&url, &options).await {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::from(1)
        }
    }
}
