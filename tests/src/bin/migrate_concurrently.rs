//! Runs the safe runner once over `tests::deploy::CountingMigrator` on the database URL given as
//! the only argument; the concurrency tests start many of these at once. Exit 0 on success.
//! `MIGRATION_LOCK_LEASE` (seconds) sets the lease on a Galera cluster.

use migration_ops::runner::{self, RunnerOptions};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let url = std::env::args()
        .nth(1)
        .expect("usage: migrate_concurrently DATABASE_URL");
    let mut options = RunnerOptions {
        generated: tests::deploy::counting_generated(),
        ..RunnerOptions::default()
    };
    if let Some(seconds) = std::env::var("MIGRATION_LOCK_LEASE")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        options.lease = std::time::Duration::from_secs(seconds);
    }
    match runner::up::<tests::deploy::CountingMigrator>(&url, &options).await {
        Ok(report) => {
            if let Some(holder) = report.took_over {
                println!("took over from {holder}");
            }
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::from(1)
        }
    }
}
