//! The interpreter's side that talks to a database: running the steps through the migration's
//! connection (with the journal's progress on MySQL), and on SQLite a transaction of its own,
//! with foreign keys off while tables are rebuilt and checked before committing.

use sea_orm_migration::SchemaManager;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseExecutor, DbBackend, DbErr, Statement,
};

use super::rebuild::rebuilds_on_sqlite;
use super::{Batches, Precheck, Step, steps};
use crate::runner::{journal, table_locks};
use crate::schema::{Op, Store};

/// Runs `ops` in order through the migration's connection. An error names the statement.
///
/// On SQLite, outside a transaction (sea-orm-migration's default there), it runs them in a
/// transaction of its own on one connection, with foreign-key enforcement off while tables are
/// rebuilt (SQLite's documented procedure: otherwise dropping the old table would cascade to,
/// or retarget, the tables that reference it), then checks every foreign key before committing.
pub async fn apply(manager: &SchemaManager<'_>, ops: &[crate::v1::Op]) -> Result<(), DbErr> {
    apply_ops(manager, ops).await
}

/// [`apply`] for data of any [`Store`]: the generator's and the tests' run-time data.
pub async fn apply_ops<S: Store>(manager: &SchemaManager<'_>, ops: &[Op<S>]) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let connection = manager.get_connection();
    let rebuilds = backend == DbBackend::Sqlite && ops.iter().any(rebuilds_on_sqlite);
    if backend == DbBackend::Sqlite {
        if let DatabaseExecutor::Connection(db) = connection {
            return apply_sqlite(db, ops).await;
        }
        if rebuilds && sqlite_foreign_keys_on(connection).await? {
            return Err(DbErr::Migration(
                "this migration rebuilds a table on SQLite, which needs foreign keys off, and \
                 SQLite cannot turn them off inside a transaction: run it through the project's \
                 runner (`cargo run -p migration -- up` or `down`), which turns them off first"
                    .to_owned(),
            ));
        }
    }
    let steps = steps(ops, backend);
    let count = steps.len();
    for (at, step) in steps.iter().enumerate() {
        // On MySQL under the runner, the journal says which statements an interrupted run
        // completed already, and records this run's progress (see `runner::journal`).
        let next = journal::next();
        let (number, uncertain) = match next {
            journal::Next::Skip => continue,
            journal::Next::Run => (None, false),
            journal::Next::Journaled { number, uncertain } => (Some(number), uncertain),
        };
        if let Some(number) = number {
            journal::started(connection, number).await?;
        }
        match step {
            Step::Run(sql) => {
                // MySQL under the runner: a statement that gave up waiting for its table's lock
                // never started; it is tried again after a pause.
                let retried = backend == DbBackend::MySql && number.is_some();
                let outcome =
                    table_locks::retrying(retried, || connection.execute_unprepared(sql)).await;
                match outcome {
                    Ok(_) => {}
                    // Stopped during this statement before: it took effect then.
                    Err(error) if uncertain && journal::already_applied(&error) => {}
                    // PostgreSQL: the runner retries the whole transaction; kept as the
                    // database's error for it to see.
                    Err(error) if table_locks::retryable(&error) => return Err(error),
                    Err(error) => {
                        return Err(statement_error(
                            error,
                            &format!("statement {} of {count}: {sql}", at + 1),
                        ));
                    }
                }
            }
            Step::Count(precheck) => count_offending_rows(connection, precheck).await?,
            Step::UncheckedForeignKey { sql, orphans, undo } => {
                let retried = number.is_some();
                add_unchecked_foreign_key(connection, sql, orphans, undo, retried, uncertain)
                    .await?
            }
            // Batches commit by themselves only outside a transaction.
            Step::Backfill { batches, .. }
                if matches!(connection, DatabaseExecutor::Connection(_)) =>
            {
                backfill_in_batches(connection, batches).await?
            }
            Step::Backfill { sql, .. } => {
                connection
                    .execute_unprepared(sql)
                    .await
                    .map_err(|error| statement_error(error, sql))?;
            }
        }
    }
    if rebuilds {
        check_sqlite_foreign_keys(connection).await?;
    }
    Ok(())
}

/// Runs a MySQL backfill in batches (see [`Batches`]), each committed by itself. A batch that
/// deadlocked with the application's writes or timed out waiting for a row is tried again (it
/// changed nothing).
async fn backfill_in_batches(
    connection: &impl ConnectionTrait,
    batches: &Batches,
) -> Result<(), DbErr> {
    let Batches {
        table,
        set,
        pending,
        key,
    } = batches;
    let run = |sql: String| async move {
        table_locks::retrying(true, || connection.execute_unprepared(&sql))
            .await
            .map(|done| done.rows_affected())
            .map_err(|error| statement_error(error, &sql))
    };
    if let Some(key) = key {
        let bounds = format!("SELECT MIN({key}), MAX({key}) FROM {table}");
        let row = connection
            .query_one_raw(Statement::from_string(DbBackend::MySql, bounds.clone()))
            .await
            .map_err(|error| statement_error(error, &bounds))?;
        let bound = |at| {
            row.as_ref()
                .and_then(|row| row.try_get_by_index::<Option<i64>>(at).ok().flatten())
        };
        if let (Some(low), Some(high)) = (bound(0), bound(1)) {
            let step = i64::from(super::BACKFILL_BATCH_ROWS);
            let mut first = low;
            while first <= high {
                let last = first.saturating_add(step);
                run(format!(
                    "UPDATE {table} SET {set} WHERE {key} >= {first} AND {key} < {last} \
                     AND {pending}"
                ))
                .await?;
                first = last;
            }
        }
    }
    // What is left (rows written meanwhile, or a table without such a key).
    loop {
        run("SET TRANSACTION ISOLATION LEVEL READ COMMITTED".to_owned()).await?;
        let batch = format!(
            "UPDATE {table} SET {set} WHERE {pending} LIMIT {}",
            super::BACKFILL_BATCH_ROWS
        );
        if run(batch).await? == 0 {
            return Ok(());
        }
    }
}

/// MySQL: counts the rows foreign key `sql` would refuse (stopping when there are any), adds it
/// with `foreign_key_checks` off for that one statement (MariaDB's `SET STATEMENT … FOR`, so
/// that no connection, of a pool say, is left without them), so that the server adds it in
/// place without copying the table, then counts again for rows written in between (none can be
/// written after: other sessions check the key once it exists). When there are any, the key is
/// dropped again and the migration stops, naming them. A server without `SET STATEMENT` (MySQL)
/// adds the key with its rows checked.
async fn add_unchecked_foreign_key(
    connection: &impl ConnectionTrait,
    sql: &str,
    orphans: &Precheck,
    undo: &str,
    retried: bool,
    uncertain: bool,
) -> Result<(), DbErr> {
    count_offending_rows(connection, orphans).await?;
    let unchecked = format!("SET STATEMENT foreign_key_checks = 0 FOR {sql}");
    let mut added =
        table_locks::retrying(retried, || connection.execute_unprepared(&unchecked)).await;
    let unknown_syntax = |error: &DbErr| {
        journal::database_error(error)
            .and_then(|e| {
                e.try_downcast_ref::<sea_orm_migration::sea_orm::sqlx::mysql::MySqlDatabaseError>()
            })
            .is_some_and(|e| e.number() == 1064)
    };
    if matches!(&added, Err(error) if unknown_syntax(error)) {
        added = table_locks::retrying(retried, || connection.execute_unprepared(sql)).await;
    }
    match added {
        Ok(_) => {}
        // Stopped during this statement before: it took effect then.
        Err(error) if uncertain && journal::already_applied(&error) => {}
        Err(error) => return Err(statement_error(error, sql)),
    }
    if let Err(error) = count_offending_rows(connection, orphans).await {
        connection
            .execute_unprepared(undo)
            .await
            .map_err(|e| statement_error(e, undo))?;
        return Err(error);
    }
    Ok(())
}

/// Runs a row count that must find nothing before a constraint is added; stops with the count
/// and the rule when it finds rows.
pub(super) async fn count_offending_rows(
    connection: &impl ConnectionTrait,
    precheck: &super::Precheck,
) -> Result<(), DbErr> {
    let backend = connection.get_database_backend();
    let row = connection
        .query_one_raw(Statement::from_string(backend, precheck.sql.clone()))
        .await
        .map_err(|error| statement_error(error, &precheck.sql))?;
    let offending = row
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()
        .map_err(|error| statement_error(error, &precheck.sql))?
        .unwrap_or(0);
    if offending > 0 {
        return Err(precheck.failure(offending));
    }
    Ok(())
}

async fn sqlite_foreign_keys_on(connection: &DatabaseExecutor<'_>) -> Result<bool, DbErr> {
    let row = connection
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA foreign_keys",
        ))
        .await?;
    Ok(row.map(|row| row.try_get_by_index::<i32>(0)).transpose()? == Some(1))
}

/// Fails when a row's foreign key points at nothing (possible after a rebuild with keys off).
async fn check_sqlite_foreign_keys(connection: &impl ConnectionTrait) -> Result<(), DbErr> {
    let violations = connection
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA foreign_key_check",
        ))
        .await?;
    match violations.first() {
        None => Ok(()),
        Some(row) => Err(foreign_key_violation(
            violations.len(),
            &row.try_get_by_index::<String>(0).unwrap_or_default(),
            &row.try_get_by_index::<String>(2).unwrap_or_default(),
        )),
    }
}

fn foreign_key_violation(count: usize, table: &str, parent: &str) -> DbErr {
    DbErr::Migration(format!(
        "rebuilding left {count} row(s) whose foreign keys point at nothing (first: a row of \
         `{table}` referencing `{parent}`); nothing was changed"
    ))
}

pub(super) fn statement_error(error: impl std::fmt::Display, sql: &str) -> DbErr {
    DbErr::Migration(format!("{error}\n  while running: {sql}"))
}

async fn apply_sqlite<S: Store>(db: &DatabaseConnection, ops: &[Op<S>]) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::sqlx::{self, Row};
    let mut connection = db
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .map_err(|e| DbErr::Migration(format!("cannot get a SQLite connection: {e}")))?;
    let rebuilds = ops.iter().any(rebuilds_on_sqlite);
    if rebuilds {
        run_sqlite(&mut connection, "PRAGMA foreign_keys = OFF").await?;
    }
    run_sqlite(&mut connection, "BEGIN").await?;
    let mut outcome = Ok(());
    for step in steps(ops, DbBackend::Sqlite) {
        outcome = match step {
            // One transaction on SQLite: a backfill is one statement.
            Step::Run(sql) | Step::Backfill { sql, .. } | Step::UncheckedForeignKey { sql, .. } => {
                run_sqlite(&mut connection, &sql).await
            }
            Step::Count(precheck) => {
                match sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(precheck.sql.clone()))
                    .fetch_one(&mut *connection)
                    .await
                {
                    Ok(0) => Ok(()),
                    Ok(offending) => Err(precheck.failure(offending)),
                    Err(error) => Err(statement_error(error, &precheck.sql)),
                }
            }
        };
        if outcome.is_err() {
            break;
        }
    }
    if outcome.is_ok() && rebuilds {
        match sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut *connection)
            .await
        {
            Ok(violations) if violations.is_empty() => {}
            Ok(violations) => {
                let row = &violations[0];
                let table: String = row.try_get(0).unwrap_or_default();
                let parent: String = row.try_get(2).unwrap_or_default();
                outcome = Err(foreign_key_violation(violations.len(), &table, &parent));
            }
            Err(error) => outcome = Err(statement_error(error, "PRAGMA foreign_key_check")),
        }
    }
    let end = if outcome.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    let ended = run_sqlite(&mut connection, end).await;
    if rebuilds {
        run_sqlite(&mut connection, "PRAGMA foreign_keys = ON").await?;
    }
    outcome.and(ended)
}

async fn run_sqlite(
    connection: &mut sea_orm_migration::sea_orm::sqlx::SqliteConnection,
    sql: &str,
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::sqlx;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(connection)
        .await
        .map(|_| ())
        .map_err(|error| statement_error(error, sql))
}
