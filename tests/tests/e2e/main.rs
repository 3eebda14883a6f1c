//! End-to-end tests: one binary, one module per topic.
//!
//! PostgreSQL and MariaDB tests run when `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` are set (`.ci/run`
//! sets both, and fails if any of them did not run); unset, they are reported as ignored with
//! the reason (`tests/build.rs`). SQLite tests always run. See `tests/src/db.rs`. The Galera
//! tests need `TEST_GALERA_URLS` (see `galera.rs`).

/// `on_each_backend!(f, g)`: for each `async fn f(backend: Backend)` of the module, a module `f`
/// with the tests `on_sqlite`, `on_postgres` and `on_mariadb`.
macro_rules! on_each_backend {
    ($($name:ident),* $(,)?) => {
        $(mod $name {
            use super::*;
            #[tokio::test]
            async fn on_sqlite() {
                super::$name(Backend::Sqlite).await;
            }
            #[tokio::test]
            #[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
            async fn on_postgres() {
                super::$name(Backend::Postgres).await;
            }
            #[tokio::test]
            #[cfg_attr(no_mariadb, ignore = "TEST_MYSQL_URL is not set (see README)")]
            async fn on_mariadb() {
                super::$name(Backend::MySql).await;
            }
        })*
    };
}

mod adopt;
mod app_http;
mod changes;
mod deploy;
mod fidelity;
mod galera;
mod generate;
mod history;
mod hostile;
mod keys;
mod literals;
mod online;
mod post_migration;
mod roundtrip;
mod rules;
mod verify;
