//! The MySQL/MariaDB progress journal: where a generated migration stands, statement by
//! statement, so that a run killed or failed midway is resumed at the statement it stopped at.
//!
//! MySQL commits every DDL statement by itself, so a migration cannot be rolled back as a whole.
//! Instead the runner keeps one row in `seaql_migrations_progress` while a migration runs:
//! before each statement, `started` is set to it and `done` to the one before, in one
//! autocommit write. A later run that finds the row skips the `done` statements. When
//! `started > done` the process stopped during statement `started` or just after it; MariaDB
//! 10.6+ and MySQL 8 apply a DDL statement atomically, so it either took effect or did not.
//! That statement is run again, and when the
//! server answers that its effect is already there (the table exists, the column is gone, …)
//! it counts as done. Data statements that v1 writes (counts, backfills `WHERE … IS NULL`,
//! `MODIFY`) are idempotent, so running them again is safe.
//!
//! [`crate::v1::apply`] reports to the journal through a task-local set by the runner around
//! one migration; outside the runner (or on another backend) it does not exist and `apply`
//! runs every statement as before.

use std::sync::{Arc, Mutex};

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, DbErr, RuntimeErr, Statement};

pub(crate) const TABLE: &str = "seaql_migrations_progress";

/// A migration in progress on MySQL, as its journal row records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub version: String,
    /// `up` or `down`.
    pub direction: String,
    /// Statements known to have completed.
    pub done: usize,
    /// The last statement started (`> done`: it may or may not have taken effect).
    pub started: usize,
    /// The checksum of the migration when it started; empty for a hand-written one.
    pub checksum: String,
    /// The error that stopped it, if it failed rather than being killed.
    pub error: Option<String>,
}

/// The journal of the migration running in this task.
#[derive(Debug)]
pub(crate) struct Cursor {
    pub version: String,
    /// Statements completed before this run (skipped), and the statement that may have run.
    pub done: usize,
    pub started: usize,
    /// Statements seen so far in this run, across every `apply` of the migration.
    pub position: usize,
    /// On a Galera cluster, the run's lease: no statement starts once it is lost.
    pub lease: Option<super::lease::LeaseWatch>,
}

tokio::task_local! {
    static CURSOR: Arc<Mutex<Cursor>>;
}

/// Runs `future` (one migration's `up` or `down`) with `cursor` as its journal.
pub(crate) async fn scope<F: std::future::Future>(
    cursor: Arc<Mutex<Cursor>>,
    future: F,
) -> F::Output {
    CURSOR.scope(cursor, future).await
}

/// What [`crate::v1::apply`] does with its next statement.
pub(crate) enum Next {
    /// No journal: run it.
    Run,
    /// Completed by an earlier run: skip it.
    Skip,
    /// Run it, recording its start and end; `uncertain` when an earlier run was stopped during
    /// it, so that "already there" errors mean it took effect then.
    Journaled { number: usize, uncertain: bool },
}

/// Advances the task's journal past one statement and says what to do with it.
pub(crate) fn next() -> Next {
    CURSOR
        .try_with(|cursor| {
            let mut cursor = cursor.lock().expect("the journal cursor is not poisoned");
            cursor.position += 1;
            let number = cursor.position;
            if number <= cursor.done {
                Next::Skip
            } else {
                Next::Journaled {
                    number,
                    uncertain: number == cursor.done + 1 && cursor.started > cursor.done,
                }
            }
        })
        .unwrap_or(Next::Run)
}

/// The version whose journal this task writes, and the run's lease on a cluster.
fn version() -> Option<(String, Option<super::lease::LeaseWatch>)> {
    CURSOR
        .try_with(|cursor| {
            let cursor = cursor.lock().expect("not poisoned");
            (cursor.version.clone(), cursor.lease.clone())
        })
        .ok()
}

/// Records that statement `number` starts, and so that every statement before it completed:
/// one autocommit write a statement.
pub(crate) async fn started(db: &impl ConnectionTrait, number: usize) -> Result<(), DbErr> {
    let Some((version, lease)) = version() else {
        return Ok(());
    };
    if let Some(lease) = lease {
        lease.check()?;
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::MySql,
        format!("UPDATE {TABLE} SET started = ?, done = ? WHERE version = ?"),
        [
            (number as i64).into(),
            (number as i64 - 1).into(),
            version.into(),
        ],
    ))
    .await?;
    CURSOR
        .try_with(|cursor| {
            let mut cursor = cursor.lock().expect("not poisoned");
            cursor.started = number;
            cursor.done = number - 1;
        })
        .ok();
    Ok(())
}

/// Whether `error`, from running again a statement that an earlier run may have completed,
/// says that its effect is already there: the object it creates exists, or the one it drops or
/// renames is gone.
pub(crate) fn already_applied(error: &DbErr) -> bool {
    let Some(database) = database_error(error) else {
        return false;
    };
    let Some(mysql) =
        database.try_downcast_ref::<sea_orm_migration::sea_orm::sqlx::mysql::MySqlDatabaseError>()
    else {
        return false;
    };
    match mysql.number() {
        // Table exists; unknown table; duplicate column; duplicate key name; can't drop a
        // column, key or constraint that is not there; no such table (renamed already);
        // unknown column (renamed already); a second primary key; duplicate constraint name
        // (MariaDB, MySQL 8); duplicate entry in a unique key of the catalog.
        1050 | 1051 | 1060 | 1061 | 1091 | 1146 | 1054 | 1068 | 1826 | 3822 | 1022 => true,
        // "Can't create table … (errno: 121 …)": a foreign key of that name exists.
        1005 => mysql.message().contains("errno: 121"),
        _ => false,
    }
}

/// The database's own error inside a SeaORM error, if there is one.
pub(crate) fn database_error(
    error: &DbErr,
) -> Option<&(dyn sea_orm_migration::sea_orm::sqlx::error::DatabaseError + 'static)> {
    let runtime = match error {
        DbErr::Exec(runtime) | DbErr::Query(runtime) | DbErr::Conn(runtime) => runtime,
        _ => return None,
    };
    match runtime {
        RuntimeErr::SqlxError(sqlx) => sqlx.as_database_error(),
        _ => None,
    }
}

/// `CREATE TABLE IF NOT EXISTS` for the journal.
pub(crate) async fn install(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_unprepared(&format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (version varchar(255) NOT NULL PRIMARY KEY, \
         direction varchar(4) NOT NULL, done integer NOT NULL, started integer NOT NULL, \
         checksum varchar(255) NOT NULL, error text NULL)"
    ))
    .await
    .map(|_| ())
}

/// Opens the journal of `version`, about to run in `direction`, where nothing is done yet
/// (the table must exist: see [`install`]).
pub(crate) async fn open(
    db: &impl ConnectionTrait,
    version: &str,
    direction: &str,
    checksum: &str,
) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::MySql,
        format!(
            "INSERT INTO {TABLE} (version, direction, done, started, checksum) \
             VALUES (?, ?, 0, 0, ?)"
        ),
        [version.into(), direction.into(), checksum.into()],
    ))
    .await
    .map(|_| ())
}

/// Records the error that stopped `version`.
pub(crate) async fn fail(
    db: &impl ConnectionTrait,
    version: &str,
    error: &str,
) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::MySql,
        format!("UPDATE {TABLE} SET error = ? WHERE version = ?"),
        [error.into(), version.into()],
    ))
    .await
    .map(|_| ())
}

/// Closes the journal of `version` (inside the transaction that records it as applied).
pub(crate) async fn close(db: &impl ConnectionTrait, version: &str) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::MySql,
        format!("DELETE FROM {TABLE} WHERE version = ?"),
        [version.into()],
    ))
    .await
    .map(|_| ())
}

/// Whether `version` has a journal row.
pub(crate) async fn exists(db: &impl ConnectionTrait, version: &str) -> Result<bool, DbErr> {
    super::counts_any(
        db,
        Statement::from_sql_and_values(
            DbBackend::MySql,
            format!("SELECT count(*) FROM {TABLE} WHERE version = ?"),
            [version.into()],
        ),
    )
    .await
}

/// The migration in progress, if any (the table not existing yet means none).
pub(crate) async fn read(db: &impl ConnectionTrait) -> Result<Option<Progress>, DbErr> {
    if !super::has_table(db, TABLE).await? {
        return Ok(None);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::MySql,
            format!(
                "SELECT version, direction, done, started, checksum, error FROM {TABLE} \
                 ORDER BY version LIMIT 1"
            ),
        ))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let number = |column: &str| -> Result<usize, DbErr> {
        Ok(row.try_get::<i32>("", column)?.max(0) as usize)
    };
    Ok(Some(Progress {
        version: row.try_get("", "version")?,
        direction: row.try_get("", "direction")?,
        done: number("done")?,
        started: number("started")?,
        checksum: row.try_get("", "checksum")?,
        error: row.try_get("", "error")?,
    }))
}
