//! Migrate on deploy: the safe runner under concurrent starts, failures at every statement, an
//! edited migration, and a lock held by another session.
//!
//! `CONCURRENCY_ROUNDS` sets the rounds of 16 concurrent processes per backend (default 20).

use std::process::Stdio;
use std::time::{Duration, Instant};

use migration::MigratorTrait as _;
use migration_ops::runner::{self, RunError, RunnerOptions};
use migration_ops::v1;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tests::db::{Backend, TestDb};
use tests::deploy::{
    CountingMigrator, FAULT_OPS, FailingMigrator, counting_generated, set_fail_after,
};

async fn count(connection: &DatabaseConnection, sql: &str) -> i64 {
    let row = connection
        .query_one_raw(Statement::from_string(
            connection.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Whether the migration lock is free now.
async fn lock_is_free(db: &TestDb) -> bool {
    match db.backend {
        Backend::Postgres => {
            count(
                &db.connection,
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = \
                 (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            .await
                == 0
        }
        Backend::MySql => {
            count(
                &db.connection,
                "SELECT count(*) FROM (SELECT IS_USED_LOCK(CONCAT(DATABASE(), \
                 '.seaql_migrations')) AS holder) h WHERE holder IS NOT NULL",
            )
            .await
                == 0
        }
        Backend::Sqlite => {
            let path = runner::sqlite_lock_path(&db.url).expect("a file database");
            match std::fs::File::open(path) {
                Ok(file) => file.try_lock().is_ok(),
                Err(_) => true, // no run has started yet
            }
        }
    }
}

/// The shipped migrations and `CountingMigrator`'s two after them.
fn counted() -> usize {
    migration::Migrator::migrations().len() + 2
}

async fn sixteen_processes_apply_each_migration_exactly_once(backend: Backend) {
    let rounds: usize = std::env::var("CONCURRENCY_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    for round in 0..rounds {
        let db = TestDb::fresh(backend, &format!("concurrent{round}")).await;
        let children: Vec<_> = (0..16)
            .map(|_| {
                tokio::process::Command::new(env!("CARGO_BIN_EXE_migrate_concurrently"))
                    .arg(&db.url)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().await.unwrap();
            assert!(
                output.status.success(),
                "round {round} on {backend:?}: a process failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let connection = &db.connection;
        assert_eq!(
            count(connection, "SELECT count(*) FROM run_counter").await,
            1,
            "round {round}: the data migration ran more than once"
        );
        assert_eq!(
            count(connection, "SELECT count(*) FROM seaql_migrations").await,
            counted() as i64
        );
        assert_eq!(
            count(
                connection,
                "SELECT count(*) FROM seaql_migrations_checksums"
            )
            .await,
            counting_generated().len() as i64
        );
        assert!(
            lock_is_free(&db).await,
            "round {round}: a lock was left behind"
        );
        db.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sixteen_processes_apply_each_migration_exactly_once_on_sqlite() {
    sixteen_processes_apply_each_migration_exactly_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
async fn sixteen_processes_apply_each_migration_exactly_once_on_postgres() {
    sixteen_processes_apply_each_migration_exactly_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_mariadb, ignore = "TEST_MYSQL_URL is not set (see README)")]
async fn sixteen_processes_apply_each_migration_exactly_once_on_mariadb() {
    sixteen_processes_apply_each_migration_exactly_once(Backend::MySql).await;
}

async fn tables_named_fault(connection: &DatabaseConnection) -> i64 {
    let sql = match connection.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'fault%'"
        }
        DbBackend::MySql => {
            "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'fault%'"
        }
        _ => "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'fault%'",
    };
    count(connection, sql).await
}

/// [`set_fail_after`] sets the failure point of a backend: this test is its only user.
async fn a_failure_at_any_statement_leaves_nothing_or_is_recorded(backend: Backend) {
    let statements = v1::to_sql(FAULT_OPS, backend.db_backend()).len();
    for fail_after in 0..=statements {
        let db = TestDb::fresh(backend, &format!("fault{fail_after}")).await;
        set_fail_after(backend.db_backend(), fail_after);
        let outcome = runner::up::<FailingMigrator>(&db.url, &RunnerOptions::default()).await;
        assert!(
            matches!(outcome, Err(RunError::Migration { .. })),
            "{backend:?}, failing after {fail_after}: {outcome:?}"
        );
        let connection = &db.connection;
        let recorded = count(connection, "SELECT count(*) FROM seaql_migrations").await;
        assert_eq!(
            recorded, 0,
            "{backend:?}: a failed migration was recorded as applied"
        );
        match backend {
            Backend::MySql if fail_after == 0 => {
                // Nothing committed: the next run tries the migration again.
                let again = runner::up::<FailingMigrator>(&db.url, &RunnerOptions::default()).await;
                assert!(
                    matches!(again, Err(RunError::Migration { .. })),
                    "{again:?}"
                );
            }
            Backend::MySql => {
                // DDL committed as it ran, and this hand-written migration cannot be
                // resumed: the runner says so and refuses to go on.
                let again = runner::up::<FailingMigrator>(&db.url, &RunnerOptions::default()).await;
                let error = again.unwrap_err();
                assert!(matches!(error, RunError::FailedEarlier { .. }), "{error}");
                let message = error.to_string();
                assert!(
                    message.contains("m29990101_000001_fails_halfway"),
                    "{message}"
                );
                assert!(
                    message.contains("DELETE FROM seaql_migrations_progress"),
                    "{message}"
                );
            }
            _ => assert_eq!(
                tables_named_fault(connection).await,
                0,
                "{backend:?}, failing after {fail_after}: the rollback left tables"
            ),
        }
        assert!(
            lock_is_free(&db).await,
            "{backend:?}: the lock outlived a failure"
        );
        db.drop_database().await;
    }
}

on_each_backend!(a_failure_at_any_statement_leaves_nothing_or_is_recorded,);

async fn an_edited_migration_stops_the_next_run(backend: Backend) {
    let db = TestDb::fresh(backend, "edited").await;
    let options = RunnerOptions {
        generated: counting_generated(),
        ..RunnerOptions::default()
    };
    let report = runner::up::<CountingMigrator>(&db.url, &options)
        .await
        .unwrap();
    assert_eq!(report.applied.len(), counted());
    let again = runner::up::<CountingMigrator>(&db.url, &options)
        .await
        .unwrap();
    assert_eq!((again.applied.len(), again.already_applied), (0, counted()));

    // The first migration with its data changed (a column dropped from its table).
    let shipped = options.generated[0];
    let migration_ops::v1::Op::CreateTable(table) = shipped.up[0] else {
        panic!("the shipped migration creates a table");
    };
    let fewer = Box::leak(Box::new([migration_ops::v1::Op::CreateTable(
        migration_ops::v1::Table {
            columns: &table.columns[1..],
            ..table
        },
    )]));
    let edited = RunnerOptions {
        generated: vec![migration_ops::v1::Generated::new(
            shipped.name,
            fewer,
            shipped.down,
        )],
        ..RunnerOptions::default()
    };
    let error = runner::up::<CountingMigrator>(&db.url, &edited)
        .await
        .unwrap_err();
    assert!(matches!(error, RunError::Edited { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("was edited after it was applied"),
        "{error}"
    );
    db.drop_database().await;
}

/// A session that holds the lock makes the runner wait, then give up naming it; once that
/// session is gone (as when its process is killed), the next run goes ahead at once.
async fn a_held_lock_times_out_naming_its_holder(backend: Backend) {
    let db = TestDb::fresh(backend, "held_lock").await;
    let holder = sea_orm::Database::connect(&db.url).await.unwrap();
    let take = match backend {
        Backend::Postgres => {
            "SELECT pg_advisory_lock(('x' || substr(md5(current_database() || '.seaql_migrations'), 1, 16))::bit(64)::bigint)"
        }
        _ => "SELECT GET_LOCK(CONCAT(DATABASE(), '.seaql_migrations'), 0)",
    };
    holder.execute_unprepared(take).await.unwrap();
    let options = RunnerOptions {
        lock_timeout: Duration::from_secs(1),
        ..RunnerOptions::default()
    };
    let start = Instant::now();
    let error = runner::up::<CountingMigrator>(&db.url, &options)
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "waited {:?}",
        start.elapsed()
    );
    let message = error.to_string();
    assert!(matches!(error, RunError::LockTimeout { .. }), "{message}");
    assert!(
        message.contains("pid ") || message.contains("connection "),
        "{message}"
    );

    holder.close().await.unwrap();
    let start = Instant::now();
    runner::up::<CountingMigrator>(&db.url, &options)
        .await
        .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "waited {:?}",
        start.elapsed()
    );
    db.drop_database().await;
}

#[tokio::test]
#[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
async fn a_held_lock_times_out_naming_its_holder_on_postgres() {
    a_held_lock_times_out_naming_its_holder(Backend::Postgres).await;
}

#[tokio::test]
#[cfg_attr(no_mariadb, ignore = "TEST_MYSQL_URL is not set (see README)")]
async fn a_held_lock_times_out_naming_its_holder_on_mariadb() {
    a_held_lock_times_out_naming_its_holder(Backend::MySql).await;
}

/// A process killed with SIGKILL while it holds the lock (in the middle of a slow migration)
/// does not block the next run: the database ends its session, or the OS its file lock.
async fn a_killed_lock_holder_does_not_block_the_next_run(backend: Backend) {
    let db = TestDb::fresh(backend, "killed").await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_migrate_concurrently"))
        .arg(&db.url)
        .env("SLOW_MIGRATION_MS", "60000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while lock_is_free(&db).await {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the child never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().await.unwrap();
    // As the killed run was, so that on MySQL it can resume a generated migration it left midway.
    let options = RunnerOptions {
        lock_timeout: Duration::from_secs(10),
        generated: counting_generated(),
        ..RunnerOptions::default()
    };
    let start = Instant::now();
    let report = runner::up::<CountingMigrator>(&db.url, &options)
        .await
        .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "waited {:?}",
        start.elapsed()
    );
    // The killed run may have finished the first migration; nothing is applied twice or lost.
    assert_eq!(report.applied.len() + report.already_applied, counted());
    assert_eq!(
        count(&db.connection, "SELECT count(*) FROM run_counter").await,
        1
    );
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_lock_holder_does_not_block_the_next_run_on_sqlite() {
    a_killed_lock_holder_does_not_block_the_next_run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
async fn a_killed_lock_holder_does_not_block_the_next_run_on_postgres() {
    a_killed_lock_holder_does_not_block_the_next_run(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_mariadb, ignore = "TEST_MYSQL_URL is not set (see README)")]
async fn a_killed_lock_holder_does_not_block_the_next_run_on_mariadb() {
    a_killed_lock_holder_does_not_block_the_next_run(Backend::MySql).await;
}

on_each_backend!(an_edited_migration_stops_the_next_run,);

/// A checksum recorded by the runner before SHA-256 (FNV-1a over `Debug` text) is verified
/// once and rewritten in the new format; a wrong one of that format still stops the run.
async fn a_checksum_of_the_earlier_format_is_verified_and_upgraded(backend: Backend) {
    let db = TestDb::fresh(backend, "legacy_checksum").await;
    let options = RunnerOptions {
        generated: counting_generated(),
        ..RunnerOptions::default()
    };
    let shipped = options.generated[0];
    // The value that runner recorded for the shipped migration, pinned.
    let legacy = "v1-fnv1a64:1aa4b3c92a29b3ca";
    assert_eq!(shipped.legacy_checksum(), legacy);
    runner::up::<migration::Migrator>(&db.url, &options)
        .await
        .unwrap();
    // The first migration's record, as that runner left it.
    let set = |value: &str| {
        format!(
            "UPDATE seaql_migrations_checksums SET checksum = '{value}' WHERE version = '{}'",
            shipped.name
        )
    };
    let connection = &db.connection;
    connection.execute_unprepared(&set(legacy)).await.unwrap();
    runner::up::<migration::Migrator>(&db.url, &options)
        .await
        .unwrap();
    let recorded = connection
        .query_one_raw(sea_orm::Statement::from_string(
            backend.db_backend(),
            format!(
                "SELECT checksum FROM seaql_migrations_checksums WHERE version = '{}'",
                shipped.name
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    assert_eq!(recorded, shipped.checksum());
    assert!(recorded.starts_with("v1-sha256:") && recorded.len() == "v1-sha256:".len() + 64);

    connection
        .execute_unprepared(&set("v1-fnv1a64:0000000000000000"))
        .await
        .unwrap();
    let error = runner::up::<migration::Migrator>(&db.url, &options)
        .await
        .unwrap_err();
    assert!(matches!(error, RunError::Edited { .. }), "{error}");
    db.drop_database().await;
}

on_each_backend!(a_checksum_of_the_earlier_format_is_verified_and_upgraded,);
