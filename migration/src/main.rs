//! `cargo run -p migration -- [up|down|status|fresh|refresh|reset]`: sea-orm-migration's CLI
//! over this project's migrations. The database is `DATABASE_URL` (or `-u URL`, or a `.env`
//! file); without any of them, a local SQLite file, so a fresh checkout works with no set-up.

use sea_orm_migration::prelude::*;

/// The database used when none is given: `app.sqlite3` in the current folder, the same file
/// the app uses by default.
const DEFAULT_DATABASE_URL: &str = "sqlite://app.sqlite3?mode=rwc";

fn main() {
    dotenvy::dotenv().ok();
    let url_given = std::env::args().any(|arg| arg == "-u" || arg.starts_with("--database-url"));
    if std::env::var_os("DATABASE_URL").is_none() && !url_given {
        // SAFETY: nothing else runs yet; the async runtime, and with it every other thread,
        // starts below.
        unsafe { std::env::set_var("DATABASE_URL", DEFAULT_DATABASE_URL) };
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime starts")
        .block_on(cli::run_cli(migration::Migrator));
}
