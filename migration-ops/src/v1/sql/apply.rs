//! The interpreter's side that talks to a database: running the steps through the migration's
//! connection (with the journal's progress on MySQL), and on SQLite a transaction of its own,
//! with foreign keys off while tables are rebuilt and checked before committing.

use sea_orm_migration::SchemaManager;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseExecutor, DbBackend, DbErr, Statement,
};

use super::rebuild::rebuilds_on_sqlite;
use super::{Step, change_sql, change_steps, steps, value_sql};
use crate::runner::{journal, table_locks};
use crate::schema::{Change, Column, Op, Store};
use sea_orm_migration::sea_orm::TransactionTrait;

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
            Step::Backfill { batch, .. } => {
                backfill_in_batches(connection, batch).await?;
            }
        }
    }
    if rebuilds {
        check_sqlite_foreign_keys(connection).await?;
    }
    Ok(())
}

/// Runs `batch` (an `UPDATE` that changes a bounded number of rows still to fill), each run
/// committed by itself, until one changes no row. A batch that deadlocked with the
/// application's writes or timed out waiting for a row is tried again (it changed nothing).
async fn backfill_in_batches(connection: &impl ConnectionTrait, batch: &str) -> Result<u64, DbErr> {
    let mut changed = 0;
    loop {
        let outcome = table_locks::retrying(true, || connection.execute_unprepared(batch)).await;
        match outcome {
            Ok(result) if result.rows_affected() == 0 => return Ok(changed),
            Ok(result) => changed += result.rows_affected(),
            Err(error) => return Err(statement_error(error, batch)),
        }
    }
}

/// Runs a row count that must find nothing before a constraint is added; stops with the count
/// and the rule when it finds rows.
async fn count_offending_rows(
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

fn statement_error(error: impl std::fmt::Display, sql: &str) -> DbErr {
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
            Step::Run(sql) | Step::Backfill { sql, .. } => run_sqlite(&mut connection, &sql).await,
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

/// Whether `ops` only add indexes, CHECKs and foreign keys to tables that exist already, or make
/// their columns NOT NULL (with a backfill or a new default, nothing else about the column
/// changing): changes PostgreSQL can make while the table keeps taking writes. The runner
/// applies such a migration there with [`apply_online_postgres`].
pub fn online_on_postgres<S: Store>(ops: &[Op<S>]) -> bool {
    !ops.is_empty()
        && ops.iter().all(|op| {
            matches!(op, Op::AlterTable(alter)
                if !alter.changes.is_empty() && alter.changes.iter().all(online_change))
        })
}

/// Whether [`apply_online_postgres`] has an online form for `change` (of a table that exists).
pub fn online_change<S: Store>(change: &Change<S>) -> bool {
    match change {
        Change::CreateIndex(_) | Change::AddCheck(_) | Change::AddForeignKey(_) => true,
        Change::AlterColumn { from, to, .. } => made_not_null(from, to),
        _ => false,
    }
}

/// Whether `to` makes `from` NOT NULL, changing nothing else about it but its default.
fn made_not_null<S: Store>(from: &Column<S>, to: &Column<S>) -> bool {
    let changed = from.changes_to(to);
    changed.null
        && !to.null
        && !(changed.ty
            || changed.unique
            || changed.auto_increment
            || changed.comment
            || changed.extra)
}

/// One step of an online migration, in owned data (so that the future running it is `Send`).
enum Online {
    Count(super::Precheck),
    Index {
        name: String,
        sql: String,
    },
    Constraint {
        table: String,
        name: String,
        sql: String,
    },
    NotNull {
        table: String,
        column: String,
        /// The statements that give the column its new default, if that changes.
        default: Vec<String>,
        /// The value for the rows that hold NULL, as SQL.
        backfill: Option<String>,
    },
}

/// The online steps of `ops` (see [`online_on_postgres`]): the row counts over what exists
/// already first, so that a migration that cannot succeed changes nothing, then each change.
fn online_plan<S: Store>(ops: &[Op<S>]) -> Vec<Online> {
    let backend = DbBackend::Postgres;
    let mut plan = Vec::new();
    let mut counted = std::collections::BTreeSet::new();
    for step in steps(ops, backend) {
        let Step::Count(precheck) = step else { break };
        counted.insert(precheck.sql.clone());
        plan.push(Online::Count(precheck));
    }
    for alter in ops.iter().filter_map(|op| match op {
        Op::AlterTable(alter) => Some(alter),
        _ => None,
    }) {
        let table = alter.table.name.to_string();
        for change in alter.changes.iter() {
            let mut statements = Vec::new();
            for step in change_steps(alter, change, backend) {
                match step {
                    Step::Count(precheck) if counted.contains(&precheck.sql) => {}
                    Step::Count(precheck) => plan.push(Online::Count(precheck)),
                    Step::Run(sql) | Step::Backfill { sql, .. } => statements.push(sql),
                }
            }
            let sql = statements.into_iter().next().unwrap_or_default();
            plan.push(match change {
                Change::CreateIndex(index) => Online::Index {
                    name: index.name.to_string(),
                    sql,
                },
                Change::AddCheck(check) => Online::Constraint {
                    table: table.clone(),
                    name: check.name.to_string(),
                    sql,
                },
                Change::AddForeignKey(key) => Online::Constraint {
                    table: table.clone(),
                    name: key.name.to_string(),
                    sql,
                },
                Change::AlterColumn { from, to, backfill } => {
                    // The same change with the nullability left as it was: its default alone.
                    let default_only = Change::AlterColumn {
                        from: from.clone(),
                        to: Column {
                            null: from.null,
                            ..to.clone()
                        },
                        backfill: None,
                    };
                    Online::NotNull {
                        table: table.clone(),
                        column: to.name.to_string(),
                        default: change_sql(alter, &default_only, backend),
                        backfill: backfill.as_ref().map(|value| value_sql(backend, value)),
                    }
                }
                _ => unreachable!("online_on_postgres admits these changes only"),
            });
        }
    }
    plan
}

/// PostgreSQL, outside a migration transaction: the changes of `ops` (see
/// [`online_on_postgres`]) in their online forms, each row count (a unique index's
/// duplicates, a rule's offending rows, a key's orphans) first.
///
/// - An index: `CREATE INDEX CONCURRENTLY`, whose lock writes do not wait for. A build that
///   was interrupted leaves an `INVALID` index: it is dropped (`DROP INDEX CONCURRENTLY`) and
///   built again; a valid index of that name is an earlier run's and counts as built.
/// - A CHECK or foreign key: `ADD CONSTRAINT … NOT VALID` in a short transaction of its own
///   (bounded by `lock_timeout`, retried), which enforces the rule on every new write at once,
///   then `VALIDATE CONSTRAINT` in another, which checks the existing rows under a lock that
///   writes do not wait for. One found `NOT VALID` is an earlier run's and is only validated.
/// - NOT NULL: see [`set_not_null_online`].
pub async fn apply_online_postgres<S: Store>(
    db: &DatabaseConnection,
    ops: &[Op<S>],
    lock_timeout: Option<std::time::Duration>,
) -> Result<(), DbErr> {
    for step in online_plan(ops) {
        match step {
            Online::Count(precheck) => count_offending_rows(db, &precheck).await?,
            Online::Index { name, sql } => build_index_concurrently(db, &name, &sql).await?,
            Online::Constraint { table, name, sql } => {
                add_constraint_then_validate(db, &table, &name, &sql, lock_timeout).await?
            }
            Online::NotNull {
                table,
                column,
                default,
                backfill,
            } => {
                let not_null = NotNull {
                    table: &table,
                    column: &column,
                    backfill: backfill.as_deref(),
                };
                if !default.is_empty() {
                    briefly(db, &default, lock_timeout).await?;
                }
                not_null.apply(db, lock_timeout).await?
            }
        }
    }
    Ok(())
}

async fn build_index_concurrently(
    db: &DatabaseConnection,
    name: &str,
    sql: &str,
) -> Result<(), DbErr> {
    let backend = DbBackend::Postgres;
    let Some(concurrent) = concurrently(sql) else {
        return Err(DbErr::Migration(format!(
            "cannot build this index concurrently: {sql}"
        )));
    };
    let valid = catalog_flag(
        db,
        "SELECT i.indisvalid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_index i \
         ON i.indexrelid = c.oid WHERE c.relname = $1 \
         AND c.relnamespace = current_schema()::regnamespace",
        [name],
    )
    .await?;
    match valid {
        Some(true) => return Ok(()),
        Some(false) => {
            let drop = format!(
                "DROP INDEX CONCURRENTLY IF EXISTS {}",
                super::text::quote(backend, name)
            );
            db.execute_unprepared(&drop)
                .await
                .map_err(|error| statement_error(error, &drop))?;
        }
        None => {}
    }
    db.execute_unprepared(&concurrent)
        .await
        .map_err(|error| statement_error(error, &concurrent))?;
    Ok(())
}

async fn add_constraint_then_validate(
    db: &DatabaseConnection,
    table: &str,
    name: &str,
    sql: &str,
    lock_timeout: Option<std::time::Duration>,
) -> Result<(), DbErr> {
    let validated = constraint_validated(db, table, name).await?;
    if validated == Some(true) {
        return Ok(());
    }
    if validated.is_none() {
        briefly(db, &[format!("{sql} NOT VALID")], lock_timeout).await?;
    }
    validate_constraint(db, table, name).await
}

/// Whether the constraint `name` of `table` is validated; `None` when there is none.
async fn constraint_validated(
    db: &DatabaseConnection,
    table: &str,
    name: &str,
) -> Result<Option<bool>, DbErr> {
    catalog_flag(
        db,
        "SELECT k.convalidated FROM pg_catalog.pg_constraint k \
         JOIN pg_catalog.pg_class c ON c.oid = k.conrelid WHERE k.conname = $1 \
         AND c.relname = $2 AND c.relnamespace = current_schema()::regnamespace",
        [name, table],
    )
    .await
}

/// `VALIDATE CONSTRAINT`: checks the existing rows under a lock writes do not wait for.
async fn validate_constraint(
    db: &DatabaseConnection,
    table: &str,
    name: &str,
) -> Result<(), DbErr> {
    let backend = DbBackend::Postgres;
    let validate = format!(
        "ALTER TABLE {} VALIDATE CONSTRAINT {}",
        super::text::quote(backend, table),
        super::text::quote(backend, name)
    );
    db.execute_unprepared(&validate)
        .await
        .map(|_| ())
        .map_err(|error| statement_error(error, &validate))
}

/// A boolean the PostgreSQL catalog holds about the object `values` name; `None` when there is
/// no such object.
async fn catalog_flag<const N: usize>(
    db: &DatabaseConnection,
    sql: &str,
    values: [&str; N],
) -> Result<Option<bool>, DbErr> {
    db.query_one_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values.map(|v| v.into()),
    ))
    .await?
    .map(|row| row.try_get_by_index::<bool>(0))
    .transpose()
}

/// Runs `statements` in one transaction whose lock waits are bounded by `lock_timeout`, retried
/// with backoff when a wait runs out or deadlocks (see `runner::table_locks`); the rows the last
/// statement changed.
async fn briefly(
    db: &DatabaseConnection,
    statements: &[String],
    lock_timeout: Option<std::time::Duration>,
) -> Result<u64, DbErr> {
    let bound = lock_timeout.and_then(|t| table_locks::bound(DbBackend::Postgres, t));
    let bound = bound.as_deref();
    table_locks::retrying(true, || async move {
        let transaction = db.begin().await?;
        let mut changed = 0;
        for sql in bound
            .into_iter()
            .chain(statements.iter().map(String::as_str))
        {
            match transaction.execute_unprepared(sql).await {
                Ok(result) => changed = result.rows_affected(),
                Err(error) => {
                    transaction.rollback().await?;
                    // A lock wait that ran out stays the database's error, for the retry.
                    return Err(if table_locks::retryable(&error) {
                        error
                    } else {
                        statement_error(error, sql)
                    });
                }
            }
        }
        transaction.commit().await?;
        Ok(changed)
    })
    .await
}

/// A column made NOT NULL online, and the value its NULLs get first, if any.
struct NotNull<'a> {
    table: &'a str,
    column: &'a str,
    backfill: Option<&'a str>,
}

impl NotNull<'_> {
    /// `SET NOT NULL` without a scan under the table's exclusive lock: the backfill in batches
    /// of their own; a CHECK `IS NOT NULL` added `NOT VALID`, which holds every new write to
    /// the rule; the backfill once more for rows written before it; the CHECK validated (see
    /// [`add_constraint_then_validate`]), which proves the column holds no NULL, so that
    /// PostgreSQL 12+ sets NOT NULL from it at once; the CHECK dropped in the same short
    /// transaction. Each step is found done or not in the catalog (a backfill finds no NULL
    /// left), so a run stopped between them is finished by the next.
    async fn apply(
        &self,
        db: &DatabaseConnection,
        lock_timeout: Option<std::time::Duration>,
    ) -> Result<(), DbErr> {
        let backend = DbBackend::Postgres;
        let (table_q, column_q) = (
            super::text::quote(backend, self.table),
            super::text::quote(backend, self.column),
        );
        // PostgreSQL keeps 63 bytes of a name.
        let mut check = format!("online_not_null_{}", self.column);
        while check.len() > 63 {
            check.pop();
        }
        let check_q = super::text::quote(backend, &check);
        let not_null = catalog_flag(
            db,
            "SELECT a.attnotnull FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid WHERE c.relname = $1 \
             AND a.attname = $2 AND c.relnamespace = current_schema()::regnamespace",
            [self.table, self.column],
        )
        .await?
        .unwrap_or(false);
        if !not_null {
            let validated = constraint_validated(db, self.table, &check).await?;
            if validated.is_none() {
                if self.backfill.is_some() {
                    self.fill_by_page_ranges(db, lock_timeout).await?;
                }
                let add = format!(
                    "ALTER TABLE {table_q} ADD CONSTRAINT {check_q} CHECK ({column_q} IS NOT NULL) \
                     NOT VALID"
                );
                briefly(db, &[add], lock_timeout).await?;
            }
            if validated != Some(true) {
                if self.backfill.is_some() {
                    self.fill_the_rest(db, lock_timeout).await?;
                }
                validate_constraint(db, self.table, &check).await?;
            }
        }
        briefly(
            db,
            &[
                format!("ALTER TABLE {table_q} ALTER COLUMN {column_q} SET NOT NULL"),
                format!("ALTER TABLE {table_q} DROP CONSTRAINT IF EXISTS {check_q}"),
            ],
            lock_timeout,
        )
        .await
        .map(|_| ())
    }

    /// `UPDATE … SET column = backfill WHERE … AND column IS NULL` for `rows`.
    fn fill(&self, rows: &str) -> String {
        let backend = DbBackend::Postgres;
        let column_q = super::text::quote(backend, self.column);
        format!(
            "UPDATE {} SET {column_q} = {} WHERE {rows} AND {column_q} IS NULL",
            super::text::quote(backend, self.table),
            self.backfill.unwrap_or("NULL"),
        )
    }

    /// The backfill over the table's pages as they are when it starts, a range of pages
    /// (about [`BACKFILL_BATCH_ROWS`](super::BACKFILL_BATCH_ROWS) rows) per short transaction,
    /// each found by a TID range scan (PostgreSQL 14+): one pass over the table in all.
    async fn fill_by_page_ranges(
        &self,
        db: &DatabaseConnection,
        lock_timeout: Option<std::time::Duration>,
    ) -> Result<(), DbErr> {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT (pg_relation_size(c.oid) / current_setting('block_size')::int)::int8, \
                 c.reltuples::float8, c.relpages::int8 FROM pg_catalog.pg_class c \
                 WHERE c.oid = $1::regclass",
                [super::text::quote(DbBackend::Postgres, self.table).into()],
            ))
            .await?;
        let Some(row) = row else { return Ok(()) };
        let pages: i64 = row.try_get_by_index(0)?;
        let (tuples, counted_pages): (f64, i64) =
            (row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        let rows_per_page = if tuples > 0.0 && counted_pages > 0 {
            tuples / counted_pages as f64
        } else {
            100.0
        };
        let step = ((super::BACKFILL_BATCH_ROWS as f64 / rows_per_page) as i64).max(1);
        let mut first = 0;
        while first < pages {
            let last = first + step;
            let batch = self.fill(&format!(
                "ctid >= '({first},0)'::tid AND ctid < '({last},0)'::tid"
            ));
            briefly(db, &[batch], lock_timeout).await?;
            first = last;
        }
        Ok(())
    }

    /// The backfill of whatever NULL is left (rows moved or written during the pass by page
    /// ranges), a batch of rows per short transaction, until none is left. Run once the CHECK
    /// holds new writes, so that it ends.
    async fn fill_the_rest(
        &self,
        db: &DatabaseConnection,
        lock_timeout: Option<std::time::Duration>,
    ) -> Result<(), DbErr> {
        let backend = DbBackend::Postgres;
        let table_q = super::text::quote(backend, self.table);
        let column_q = super::text::quote(backend, self.column);
        let batch = self.fill(&format!(
            "ctid = ANY(ARRAY(SELECT ctid FROM {table_q} WHERE {column_q} IS NULL LIMIT {}))",
            super::BACKFILL_BATCH_ROWS
        ));
        let left = format!("SELECT EXISTS (SELECT 1 FROM {table_q} WHERE {column_q} IS NULL)");
        loop {
            // A batch can change fewer rows than it found, when the application updated some
            // of them meanwhile (their new versions are found next time).
            if briefly(db, std::slice::from_ref(&batch), lock_timeout).await? > 0 {
                continue;
            }
            if catalog_flag(db, &left, []).await? != Some(true) {
                return Ok(());
            }
        }
    }
}

/// `CREATE [UNIQUE] INDEX …` as `CREATE [UNIQUE] INDEX CONCURRENTLY …`.
fn concurrently(sql: &str) -> Option<String> {
    ["CREATE INDEX ", "CREATE UNIQUE INDEX "]
        .into_iter()
        .find(|prefix| sql.starts_with(prefix))
        .map(|prefix| format!("{prefix}CONCURRENTLY {}", &sql[prefix.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::{self, ColumnType, column, table};

    const POSTS: v1::Table = table("posts", &[column("title", ColumnType::Text)]);
    const INDEX: v1::Index = v1::index("idx-posts-title", &["title"]);

    #[test]
    fn a_migration_of_index_builds_alone_is_built_concurrently_on_postgresql() {
        let build = [v1::alter_table(POSTS, &[Change::CreateIndex(INDEX)])];
        assert!(online_on_postgres(&build));
        let statements = v1::to_sql(&build, DbBackend::Postgres);
        assert_eq!(
            concurrently(&statements[0]).unwrap(),
            r#"CREATE INDEX CONCURRENTLY "idx-posts-title" ON "posts" ("title")"#
        );
        let mixed = [v1::alter_table(
            POSTS,
            &[Change::CreateIndex(INDEX), Change::DropColumn("body")],
        )];
        assert!(!online_on_postgres(&mixed));
        assert!(!online_on_postgres::<crate::schema::Static>(&[]));
    }
}
