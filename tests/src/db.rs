//! A fresh, empty database per test, so tests run in parallel without sharing state.
//!
//! SQLite always runs (a file in the temp folder). PostgreSQL and MariaDB run when
//! `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` point at a server (any existing database on it; the
//! test creates and drops its own). Unset when the tests are built, their tests are marked
//! ignored with the reason (`tests/build.rs` sets the cfg `no_postgres` / `no_mariadb`); unset
//! when one runs anyway (`--include-ignored`) or set but unreachable, the test fails: CI sets
//! both, so a database that is down fails the build.

use generator_core::introspect::{quote_database, replace_database};
use migration_ops::v1;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, TransactionTrait};
use sea_orm_migration::SchemaManager;

/// The backends the project supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::MySql];

    pub fn db_backend(self) -> DbBackend {
        match self {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
            Backend::MySql => DbBackend::MySql,
        }
    }

    pub fn server_url_variable(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("TEST_POSTGRES_URL"),
            Backend::MySql => Some("TEST_MYSQL_URL"),
        }
    }
}

/// A database that exists for one test.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub connection: DatabaseConnection,
    name: String,
    server: Option<DatabaseConnection>,
}

impl TestDb {
    /// Creates an empty database named after `test`. Panics when the backend's server is not
    /// configured: a test that cannot run must be ignored (see `tests/build.rs`), not pass.
    pub async fn fresh(backend: Backend, test: &str) -> TestDb {
        let name = format!("t_{}_{}", test, std::process::id());
        assert!(name.len() <= 63, "test database name {name} is too long");
        let Some(variable) = backend.server_url_variable() else {
            let path = std::env::temp_dir().join(format!("{name}.sqlite3"));
            let _ = std::fs::remove_file(&path);
            let url = format!("sqlite://{}?mode=rwc", path.display());
            let connection = Database::connect(&url).await.expect("SQLite opens");
            return TestDb {
                backend,
                url,
                connection,
                name,
                server: None,
            };
        };
        let Ok(server_url) = std::env::var(variable) else {
            panic!(
                "{variable} is not set, so {test} cannot run on {backend:?} (built without \
                 {variable}, this test is ignored; see README)"
            );
        };
        let server = Database::connect(&server_url)
            .await
            .unwrap_or_else(|e| panic!("{variable}={server_url} is set but unreachable: {e}"));
        let quoted = quote_database(backend.db_backend(), &name);
        server
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {quoted}"))
            .await
            .expect("an old test database can be dropped");
        server
            .execute_unprepared(&format!("CREATE DATABASE {quoted}"))
            .await
            .expect("the test database can be created");
        let url = replace_database(&server_url, &name);
        let connection = Database::connect(&url)
            .await
            .expect("the test database opens");
        TestDb {
            backend,
            url,
            connection,
            name,
            server: Some(server),
        }
    }

    /// Drops the database. Call at the end of a passing test; a failing one leaves it for
    /// inspection, and the next run drops it first.
    pub async fn drop_database(self) {
        let TestDb {
            backend,
            connection,
            name,
            server,
            url,
            ..
        } = self;
        connection.close().await.ok();
        match server {
            Some(server) => {
                let quoted = quote_database(backend.db_backend(), &name);
                server
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {quoted}"))
                    .await
                    .expect("the test database can be dropped");
            }
            None => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_end_matches("?mode=rwc");
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// Runs `ops` as the runner runs a generated migration: through `v1::apply`, in a transaction
/// on PostgreSQL (or in their online forms when they all have one), in `apply`'s own on
/// SQLite.
pub async fn apply<S: migration_ops::schema::Store>(
    connection: &DatabaseConnection,
    ops: &[migration_ops::schema::Op<S>],
) -> Result<(), String> {
    if connection.get_database_backend() != DbBackend::Postgres {
        return v1::apply_ops(&SchemaManager::new(connection), ops)
            .await
            .map_err(|e| e.to_string());
    }
    // What the runner runs in its online forms, in them (see `runner`).
    if v1::online_on_postgres(ops) {
        let bound = Some(std::time::Duration::from_millis(500));
        return v1::apply_online_postgres(connection, ops, bound)
            .await
            .map_err(|e| e.to_string());
    }
    let transaction = connection.begin().await.map_err(|e| e.to_string())?;
    v1::apply_ops(&SchemaManager::new(&transaction), ops)
        .await
        .map_err(|e| e.to_string())?;
    transaction.commit().await.map_err(|e| e.to_string())
}
