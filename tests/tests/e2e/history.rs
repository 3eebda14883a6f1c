//! The history through a user's whole day: up, down, up again, down twice, up; and a run killed
//! with SIGKILL at random points of a migration of hundreds of statements, in both directions,
//! each followed by a run that must finish it and leave the database exactly as an
//! uninterrupted run does. On every backend, through the safe runner.

use std::process::Stdio;
use std::time::{Duration, Instant};

use migration_ops::runner::{self, Command, Report, RunError};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tests::db::{Backend, TestDb};
use tests::history::{DataMigration, ScopedMigrator, large_history, options, with_history};
use tests::rng::Rng;

/// `command` over `history` on `db`, through the runner.
async fn run(db: &TestDb, history: &[DataMigration], command: Command) -> Result<Report, RunError> {
    let options = options(history);
    with_history(
        history.to_vec(),
        runner::run::<ScopedMigrator>(&db.url, command, &options),
    )
    .await
}

async fn count(connection: &DatabaseConnection, sql: &str) -> i64 {
    connection
        .query_one_raw(Statement::from_string(
            connection.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// What a user would check after each step: the schema (as the catalog shows it) and the
/// runner's bookkeeping (applied versions, checksum rows, journal rows).
async fn state(db: &TestDb) -> (Vec<String>, Vec<String>, i64, i64) {
    let connection = &db.connection;
    let catalog = generator_core::introspect::catalog(connection, "")
        .await
        .expect("the catalog reads");
    let versions = if has_table(db, "seaql_migrations").await {
        connection
            .query_all_raw(Statement::from_string(
                connection.get_database_backend(),
                "SELECT version FROM seaql_migrations ORDER BY version".to_owned(),
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect()
    } else {
        Vec::new()
    };
    let checksums = if has_table(db, "seaql_migrations_checksums").await {
        count(
            connection,
            "SELECT count(*) FROM seaql_migrations_checksums",
        )
        .await
    } else {
        0
    };
    let journal = if has_table(db, "seaql_migrations_progress").await {
        count(connection, "SELECT count(*) FROM seaql_migrations_progress").await
    } else {
        0
    };
    (catalog, versions, checksums, journal)
}

async fn has_table(db: &TestDb, table: &str) -> bool {
    sea_orm_migration::SchemaManager::new(&db.connection)
        .has_table(table)
        .await
        .unwrap()
}

/// Up, down, up, down, down, up over `history` (two migrations): each step leaves the schema
/// and the bookkeeping exactly as the same state had them before. An irreversible last
/// migration refuses its `down` and changes nothing.
pub async fn walk_up_and_down(db: &TestDb, history: &[DataMigration], what: &str) {
    let last = history.last().unwrap();
    let empty = state(db).await;
    run(db, history, Command::Up(Some(1)))
        .await
        .unwrap_or_else(|e| panic!("{what}: first up: {e}"));
    let first_only = state(db).await;
    let up = run(db, history, Command::Up(None))
        .await
        .unwrap_or_else(|e| panic!("{what}: up: {e}"));
    assert_eq!(up.applied, [last.0.name], "{what}");
    let full = state(db).await;
    assert_eq!(full.1.len(), 2, "{what}: both recorded");
    assert_eq!(full.2, 2, "{what}: both checksums recorded");
    assert_eq!(full.3, 0, "{what}: no journal left");

    let down = run(db, history, Command::Down(Some(1))).await;
    if last.0.down.is_none() {
        let error = down.expect_err("an irreversible migration refuses its down");
        assert!(
            error.to_string().contains("cannot be undone"),
            "{what}: {error}"
        );
        assert_eq!(
            state(db).await,
            full,
            "{what}: a refused down changed something"
        );
        return;
    }
    down.unwrap_or_else(|e| panic!("{what}: down: {e}"));
    assert_eq!(
        state(db).await,
        first_only,
        "{what}: down differs from before up"
    );
    run(db, history, Command::Up(None))
        .await
        .unwrap_or_else(|e| panic!("{what}: up after down: {e}"));
    assert_eq!(state(db).await, full, "{what}: up after down differs");
    run(db, history, Command::Down(Some(1)))
        .await
        .unwrap_or_else(|e| panic!("{what}: second down: {e}"));
    run(db, history, Command::Down(Some(1)))
        .await
        .unwrap_or_else(|e| panic!("{what}: third down: {e}"));
    let after = state(db).await;
    assert_eq!(
        after.0, empty.0,
        "{what}: down to nothing left schema behind"
    );
    assert!(
        after.1.is_empty() && after.2 == 0 && after.3 == 0,
        "{what}: {after:?}"
    );
    run(db, history, Command::Up(None))
        .await
        .unwrap_or_else(|e| panic!("{what}: up from nothing: {e}"));
    assert_eq!(state(db).await, full, "{what}: up from nothing differs");
}

/// Whether `now` is neither `empty` nor `full`: a kill stopped the history between its ends
/// (one migration applied of two, or a journal left midway).
fn between(
    now: &(Vec<String>, Vec<String>, i64, i64),
    empty: &(Vec<String>, Vec<String>, i64, i64),
    full: &(Vec<String>, Vec<String>, i64, i64),
) -> bool {
    now != empty && now != full
}

/// A random moment in `0 ..= limit`.
fn moment(rng: &mut Rng, limit: Duration) -> Duration {
    let millis = limit.as_millis().max(1) as usize;
    Duration::from_millis(rng.below(millis + 1) as u64)
}

/// Starts `migrate_history` with `command`, kills it with SIGKILL after `delay` (if it is
/// still running), and says whether it was killed.
async fn kill_midway(db: &TestDb, tables: usize, command: &str, delay: Duration) -> bool {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_migrate_history"))
        .args([&db.url, &tables.to_string(), command])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    match tokio::time::timeout(delay, child.wait()).await {
        Ok(status) => {
            let status = status.unwrap();
            assert!(status.success(), "{command} failed before it was killed");
            false
        }
        Err(_) => {
            child.kill().await.unwrap();
            until_its_statements_end(db).await;
            true
        }
    }
}

/// Waits until no session on `db` but the test's own is running a statement: a server goes on
/// with the statement a killed client sent (and rolls it back only once it finds the client
/// gone), and the catalog read meanwhile can meet objects half made or half dropped
/// (PostgreSQL's `pg_get_constraintdef` of a constraint dropped since the read began is NULL).
/// The next run waits for the same thing, behind the killed run's lock.
async fn until_its_statements_end(db: &TestDb) {
    let busy = match db.backend {
        Backend::Sqlite => return,
        Backend::Postgres => {
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'"
        }
        Backend::MySql => {
            "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() \
             AND ID <> CONNECTION_ID() AND COMMAND <> 'Sleep'"
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(&db.connection, busy).await > 0 {
        assert!(
            Instant::now() < deadline,
            "the killed run's statement still runs after a minute"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Kills `up` and `down` at random moments, many times; each time the next run finishes the
/// job and the database equals one that no kill touched.
async fn a_run_killed_at_any_moment_is_finished_by_the_next(backend: Backend) {
    let db = TestDb::fresh(backend, "killed_midway").await;
    let tables = 100;
    let history = large_history(tables);
    let statements: usize = history
        .iter()
        .map(|m| migration_ops::v1::to_sql(m.0.up, backend.db_backend()).len())
        .sum();
    assert!(statements >= 400, "only {statements} statements");

    // The reference: an uninterrupted up and down, timed, run as the killed ones run.
    let empty = state(&db).await;
    let start = Instant::now();
    assert!(!kill_midway(&db, tables, "up", Duration::from_secs(600)).await);
    let up_time = start.elapsed();
    let full = state(&db).await;
    let start = Instant::now();
    assert!(!kill_midway(&db, tables, "down", Duration::from_secs(600)).await);
    let down_time = start.elapsed();
    assert_eq!(state(&db).await.0, empty.0);

    let rounds: usize = std::env::var("KILL_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(6);
    let mut rng = Rng::new(0x6b11 + backend as u64);
    let (mut killed, mut resumed, mut midway) = (0, 0, 0);
    for round in 0..rounds {
        let delay = moment(&mut rng, up_time);
        killed += usize::from(kill_midway(&db, tables, "up", delay).await);
        midway += usize::from(between(&state(&db).await, &empty, &full));
        let report = run(&db, &history, Command::Up(None))
            .await
            .unwrap_or_else(|e| panic!("round {round}, up killed after {delay:?}: {e}"));
        resumed += usize::from(report.resumed.is_some());
        assert_eq!(
            state(&db).await,
            full,
            "round {round}: up killed after {delay:?}, then run again"
        );

        let delay = moment(&mut rng, down_time);
        killed += usize::from(kill_midway(&db, tables, "down", delay).await);
        midway += usize::from(between(&state(&db).await, &empty, &full));
        let report = run(&db, &history, Command::Down(None))
            .await
            .unwrap_or_else(|e| panic!("round {round}, down killed after {delay:?}: {e}"));
        resumed += usize::from(report.resumed.is_some());
        let after = state(&db).await;
        assert_eq!(
            after.0, empty.0,
            "round {round}: down killed after {delay:?}"
        );
        assert!(
            after.1.is_empty() && after.2 == 0 && after.3 == 0,
            "{after:?}"
        );
    }
    eprintln!(
        "{backend:?}: {statements} statements, up {up_time:?}, down {down_time:?}; {killed} of \
         {} runs killed before they finished, {midway} leaving the history between its ends, \
         {resumed} resumed from the journal",
        2 * rounds
    );
    assert!(
        killed * 2 >= rounds,
        "only {killed} of {} runs were killed before they finished",
        2 * rounds
    );
    if rounds >= 4 {
        assert!(
            midway > 0,
            "no kill landed between the first migration and the last"
        );
    }
    if backend == Backend::MySql && rounds >= 4 {
        assert!(resumed > 0, "no run resumed a journal");
    }
    db.drop_database().await;
}

on_each_backend!(a_run_killed_at_any_moment_is_finished_by_the_next,);
