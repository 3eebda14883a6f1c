//! End-to-end tests: one binary, one module per topic.
//!
//! PostgreSQL and MariaDB tests run when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` are set (`.ci/run`
//! sets both); SQLite tests always run. See `tests/src/db.rs`.

mod app_http;
mod changes;
mod deploy;
mod fidelity;
mod generate;
mod hostile;
mod keys;
mod literals;
mod post_migration;
mod roundtrip;
mod rules;
mod verify;
