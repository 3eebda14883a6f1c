//! The interpreter's side that talks to a database: running the steps through the migration's
//! connection (with the journal's progress on MySQL), and on SQLite a transaction of its own,
//! with foreign keys off while tables are rebuilt and checked before committing.

use sea_orm_migration::SchemaManager;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseExecutor, DbBackend, DbErr, Statement,
};

use super::rebuild::rebuilds_on_sqlite;
use super::{Step, steps};
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
                    Err(error) if table_locks::timed_out(&error) => return Err(error),
                    Err(error) => {
                        return Err(statement_error(
                            error,
                            &format!("statement {} of {count}: {sql}", at + 1),
                        ));
                    }
                }
            }
            Step::Count(precheck) => count_offending_rows(connection, precheck).await?,
        }
    }
    if rebuilds {
        check_sqlite_foreign_keys(connection).await?;
    }
    Ok(())
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
            Step::Run(sql) => run_sqlite(&mut connection, &sql).await,
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
/// their columns NOT NULL (nothing else about the column changing, no backfill): changes
/// PostgreSQL can make while the table keeps taking writes. The runner applies such a migration
/// there with [`apply_online_postgres`].
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
        Change::AlterColumn {
            from,
            to,
            backfill: None,
        } => only_made_not_null(from, to),
        _ => false,
    }
}

/// Whether the one difference from `from` to `to` is that `to` is NOT NULL.
fn only_made_not_null<S: Store>(from: &Column<S>, to: &Column<S>) -> bool {
    let changed = from.changes_to(to);
    changed.null
        && !to.null
        && !(changed.ty
            || changed.default
            || changed.unique
            || changed.auto_increment
            || changed.comment
            || changed.extra)
}

/// One change of an online migration, named as the catalog knows it.
enum Online<'a> {
    Index(&'a str),
    Constraint { table: &'a str, name: &'a str },
    NotNull { table: &'a str, column: &'a str },
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
pub async fn apply_online_postgres<S: Store>(
    db: &DatabaseConnection,
    ops: &[Op<S>],
    lock_timeout: Option<std::time::Duration>,
) -> Result<(), DbErr> {
    let backend = DbBackend::Postgres;
    // Collected before the first await, so that the future stays `Send`.
    let changes: Vec<Online> = ops
        .iter()
        .filter_map(|op| match op {
            Op::AlterTable(alter) => Some(alter),
            _ => None,
        })
        .flat_map(|alter| {
            let table: &str = alter.table.name.as_ref();
            alter.changes.iter().map(move |change| match change {
                Change::CreateIndex(index) => Online::Index(index.name.as_ref()),
                Change::AddCheck(check) => Online::Constraint {
                    table,
                    name: check.name.as_ref(),
                },
                Change::AddForeignKey(key) => Online::Constraint {
                    table,
                    name: key.name.as_ref(),
                },
                Change::AlterColumn { to, .. } => Online::NotNull {
                    table,
                    column: to.name.as_ref(),
                },
                _ => unreachable!("online_on_postgres admits these changes only"),
            })
        })
        .collect();
    let mut changes = changes.into_iter();
    for step in steps(ops, backend) {
        let sql = match step {
            Step::Count(precheck) => {
                count_offending_rows(db, &precheck).await?;
                continue;
            }
            Step::Run(sql) => sql,
        };
        match changes.next() {
            Some(Online::Index(name)) => build_index_concurrently(db, name, &sql).await?,
            Some(Online::Constraint { table, name }) => {
                add_constraint_then_validate(db, table, name, &sql, lock_timeout).await?
            }
            Some(Online::NotNull { table, column }) => {
                set_not_null_through_check(db, table, column, lock_timeout).await?
            }
            None => {
                return Err(DbErr::Migration(format!(
                    "cannot apply this statement online: {sql}"
                )));
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
    let backend = DbBackend::Postgres;
    let validated = catalog_flag(
        db,
        "SELECT k.convalidated FROM pg_catalog.pg_constraint k \
         JOIN pg_catalog.pg_class c ON c.oid = k.conrelid WHERE k.conname = $1 \
         AND c.relname = $2 AND c.relnamespace = current_schema()::regnamespace",
        [name, table],
    )
    .await?;
    if validated == Some(true) {
        return Ok(());
    }
    if validated.is_none() {
        briefly(db, &[format!("{sql} NOT VALID")], lock_timeout).await?;
    }
    let validate = format!(
        "ALTER TABLE {} VALIDATE CONSTRAINT {}",
        super::text::quote(backend, table),
        super::text::quote(backend, name)
    );
    db.execute_unprepared(&validate)
        .await
        .map_err(|error| statement_error(error, &validate))?;
    Ok(())
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
/// with backoff when a wait runs out (see `runner::table_locks`).
async fn briefly(
    db: &DatabaseConnection,
    statements: &[String],
    lock_timeout: Option<std::time::Duration>,
) -> Result<(), DbErr> {
    let bound = lock_timeout.and_then(|t| table_locks::bound(DbBackend::Postgres, t));
    let bound = bound.as_deref();
    table_locks::retrying(bound.is_some(), || async move {
        let transaction = db.begin().await?;
        for sql in bound
            .into_iter()
            .chain(statements.iter().map(String::as_str))
        {
            if let Err(error) = transaction.execute_unprepared(sql).await {
                transaction.rollback().await?;
                // A lock wait that ran out stays the database's error, for the retry.
                return Err(if bound.is_some() && table_locks::timed_out(&error) {
                    error
                } else {
                    statement_error(error, sql)
                });
            }
        }
        transaction.commit().await
    })
    .await
}

/// `SET NOT NULL` without a scan under the table's exclusive lock: a CHECK `IS NOT NULL` added
/// `NOT VALID` and validated (see [`add_constraint_then_validate`]) proves the column holds no
/// NULL, so PostgreSQL 12+ sets NOT NULL from it at once; the CHECK is then dropped, in the
/// same short transaction. Each step is found done or not in the catalog, so a run stopped
/// between them is finished by the next.
async fn set_not_null_through_check(
    db: &DatabaseConnection,
    table: &str,
    column: &str,
    lock_timeout: Option<std::time::Duration>,
) -> Result<(), DbErr> {
    let backend = DbBackend::Postgres;
    let (table_q, column_q) = (
        super::text::quote(backend, table),
        super::text::quote(backend, column),
    );
    // PostgreSQL keeps 63 bytes of a name.
    let mut check = format!("online_not_null_{column}");
    while check.len() > 63 {
        check.pop();
    }
    let check_q = super::text::quote(backend, &check);
    let not_null = catalog_flag(
        db,
        "SELECT a.attnotnull FROM pg_catalog.pg_attribute a \
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid WHERE c.relname = $1 \
         AND a.attname = $2 AND c.relnamespace = current_schema()::regnamespace",
        [table, column],
    )
    .await?
    .unwrap_or(false);
    if !not_null {
        let add = format!(
            "ALTER TABLE {table_q} ADD CONSTRAINT {check_q} CHECK ({column_q} IS NOT NULL)"
        );
        add_constraint_then_validate(db, table, &check, &add, lock_timeout).await?;
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
