//! The v1 interpreter: builds each backend's SQL for v1 operations with sea-query, exactly as
//! SeaORM's `Schema` builds an entity's; where SQLite cannot alter a table in place, it rebuilds
//! the table (rename, create, copy, drop) inside the migration's transaction.

use sea_orm_migration::SchemaManager;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseExecutor, DbBackend, DbErr, Statement,
};
use sea_orm_migration::sea_query::{
    self, Alias, ColumnDef, Expr, ExprTrait, Keyword, MysqlQueryBuilder, PostgresQueryBuilder,
    QueryBuilder, SchemaStatementBuilder, SqliteQueryBuilder, TableBuilder, TableCreateStatement,
    extension::postgres::Type,
};

use crate::runner::journal;
use crate::schema::{
    AlterTable, Change, Check, CheckRule, Column, ColumnType, Convert, DefaultValue, ForeignKey,
    Index, Op, Owned, Store, Table,
};

/// The SQL statements that `ops` run on `backend`, in order (without the row counts that
/// [`apply`] runs before adding a constraint).
pub fn to_sql<S: Store>(ops: &[Op<S>], backend: DbBackend) -> Vec<String> {
    statements(steps(ops, backend))
}

/// The statements of `steps`, without their row counts.
fn statements(steps: Vec<Step>) -> Vec<String> {
    steps
        .into_iter()
        .filter_map(|step| match step {
            Step::Run(sql) => Some(sql),
            Step::Count(_) => None,
        })
        .collect()
}

/// One thing [`apply`] does.
enum Step {
    Run(String),
    /// Counts the rows that break a constraint about to be added, and stops when there are any.
    Count(Precheck),
}

struct Precheck {
    /// `SELECT COUNT(*) …` of the offending rows.
    sql: String,
    table: String,
    /// The constraint, for the error: "check `ck_posts_title_length` (`title` has …)".
    what: String,
    /// Whether it counts over the rows a SQLite rebuild copies, rather than the table.
    over_copy: bool,
}

impl Precheck {
    fn failure(&self, count: i64) -> DbErr {
        DbErr::Migration(format!(
            "{count} row(s) of `{}` break {}; the migration stopped before changing it. Fix \
             or remove those rows, then run the migration again",
            self.table, self.what
        ))
    }
}

/// Every step of `ops`, with each row count moved before the first statement when what it
/// counts already exists then, so that a migration stops before changing anything (which
/// matters on MySQL, where DDL cannot be rolled back).
fn steps<S: Store>(ops: &[Op<S>], backend: DbBackend) -> Vec<Step> {
    let mut early = Vec::new();
    let mut rest = Vec::new();
    for (at, op) in ops.iter().enumerate() {
        for step in op_steps(op, backend) {
            match step {
                Step::Count(precheck) if counts_existing_rows(&ops[..at], op, &precheck) => {
                    early.push(Step::Count(precheck))
                }
                step => rest.push(step),
            }
        }
    }
    early.extend(rest);
    early
}

/// Whether `precheck` (of `op`) reads only a table and column that exist, unchanged, before
/// `earlier` and `op` run.
fn counts_existing_rows<S: Store>(earlier: &[Op<S>], op: &Op<S>, precheck: &Precheck) -> bool {
    let Op::AlterTable(alter) = op else {
        return false;
    };
    let table = &alter.table.name;
    let created_or_renamed = |op: &Op<S>| match op {
        Op::CreateTable(created) => created.name == *table,
        Op::RenameTable { to, .. } => to == table,
        _ => false,
    };
    let changes_columns = |changes: &[Change<S>]| {
        changes.iter().any(|change| {
            matches!(
                change,
                Change::AddColumn { .. }
                    | Change::DropColumn(_)
                    | Change::RenameColumn { .. }
                    | Change::AlterColumn { .. }
            )
        })
    };
    let altered_before = earlier.iter().any(|op| match op {
        Op::AlterTable(other) => other.table.name == *table && changes_columns(&other.changes),
        other => created_or_renamed(other),
    });
    // A count over a SQLite rebuild's copy reads the table as it is before `op`, whatever
    // `op` changes; any other reads the table as `op`'s earlier changes leave it.
    !altered_before && (precheck.over_copy || !changes_columns(&alter.changes))
}

/// Runs `ops` in order through the migration's connection. An error names the statement.
///
/// On SQLite, outside a transaction (sea-orm-migration's default there), it runs them in a
/// transaction of its own on one connection, with foreign-key enforcement off while tables are
/// rebuilt (SQLite's documented procedure: otherwise dropping the old table would cascade to,
/// or retarget, the tables that reference it), then checks every foreign key before committing.
pub async fn apply(manager: &SchemaManager<'_>, ops: &[super::Op]) -> Result<(), DbErr> {
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
                let outcome = connection.execute_unprepared(sql).await;
                match outcome {
                    Ok(_) => {}
                    // Stopped during this statement before: it took effect then.
                    Err(error) if uncertain && journal::already_applied(&error) => {}
                    Err(error) => {
                        return Err(statement_error(
                            error,
                            &format!("statement {} of {count}: {sql}", at + 1),
                        ));
                    }
                }
            }
            Step::Count(precheck) => {
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
            }
        }
    }
    if rebuilds {
        check_sqlite_foreign_keys(connection).await?;
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

/// Whether `op` rebuilds a table on SQLite.
pub fn rebuilds_on_sqlite<S: Store>(op: &Op<S>) -> bool {
    matches!(op, Op::AlterTable(alter) if alter.changes.iter().any(sqlite_rebuilds))
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

fn op_steps<S: Store>(op: &Op<S>, backend: DbBackend) -> Vec<Step> {
    match op {
        Op::AlterTable(alter) => {
            if backend == DbBackend::Sqlite && alter.changes.iter().any(sqlite_rebuilds) {
                let copy = rebuild_copy(alter);
                // The rows as the rebuild will copy them; added columns get their default.
                let rows = alter
                    .table
                    .columns
                    .iter()
                    .zip(&copy)
                    .map(|(column, (target, source))| {
                        let value = source.clone().unwrap_or_else(|| match &column.default {
                            Some(default) => value_sql(backend, default),
                            None => "NULL".to_owned(),
                        });
                        format!("{value} AS {target}")
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let copied = format!(
                    "(SELECT {rows} FROM {}) AS \"__migration_rows\"",
                    quote(backend, &alter.table.name)
                );
                let mut steps: Vec<Step> = requirements(alter)
                    .map(|(check, what)| {
                        Step::Count(Precheck {
                            sql: format!(
                                "SELECT COUNT(*) FROM {copied} WHERE NOT ({})",
                                check_sql(&check, backend)
                            ),
                            table: alter.table.name.to_string(),
                            what,
                            over_copy: true,
                        })
                    })
                    .collect();
                for key in alter.changes.iter().filter_map(new_key) {
                    steps.push(Step::Count(Precheck {
                        over_copy: true,
                        ..key_precheck::<S>(&alter.table.name, &copied, key, backend)
                    }));
                }
                steps.extend(
                    rebuild_sqlite_table(alter, &copy)
                        .into_iter()
                        .map(Step::Run),
                );
                steps
            } else {
                let mut steps = Vec::new();
                for change in alter.changes.iter() {
                    if let Some(key) = new_key(change) {
                        let table = quote(backend, &alter.table.name);
                        steps.push(Step::Count(key_precheck::<S>(
                            &alter.table.name,
                            &table,
                            key,
                            backend,
                        )));
                    }
                    if let Some((check, what)) = change_requirements(change, backend) {
                        steps.push(Step::Count(Precheck {
                            sql: format!(
                                "SELECT COUNT(*) FROM {} WHERE NOT ({})",
                                quote(backend, &alter.table.name),
                                check_sql(&check, backend)
                            ),
                            table: alter.table.name.to_string(),
                            what,
                            over_copy: false,
                        }));
                    }
                    steps.extend(
                        change_sql(alter, change, backend)
                            .into_iter()
                            .map(Step::Run),
                    );
                }
                steps
            }
        }
        Op::RecreateEnum {
            name,
            values,
            columns,
        } if backend == DbBackend::Postgres => {
            let quoted_values = values
                .iter()
                .map(|v| string_literal(backend, v))
                .collect::<Vec<_>>()
                .join(", ");
            let mut steps: Vec<Step> = columns
                .iter()
                .map(|c| {
                    Step::Count(Precheck {
                        sql: format!(
                            "SELECT COUNT(*) FROM {} WHERE {}::text NOT IN ({quoted_values})",
                            quote(backend, &c.table),
                            quote(backend, &c.column)
                        ),
                        table: c.table.to_string(),
                        what: format!("the values of enum type `{name}`, in `{}`", c.column),
                        over_copy: false,
                    })
                })
                .collect();
            steps.extend(op_to_sql(op, backend).into_iter().map(Step::Run));
            steps
        }
        other => op_to_sql(other, backend)
            .into_iter()
            .map(Step::Run)
            .collect(),
    }
}

/// Counts the rows whose `key` would be NULL or shared with another row.
fn key_precheck<S: Store>(table: &str, rows: &str, key: &[S::Str], backend: DbBackend) -> Precheck {
    let columns: Vec<String> = key.iter().map(|c| quote(backend, c)).collect();
    let list = columns.join(", ");
    let nulls: Vec<String> = columns.iter().map(|c| format!("{c} IS NULL")).collect();
    Precheck {
        sql: format!(
            "SELECT COUNT(*) FROM {rows} WHERE {} OR ({list}) IN (SELECT {list} FROM {rows} \
             GROUP BY {list} HAVING COUNT(*) > 1)",
            nulls.join(" OR ")
        ),
        table: table.to_owned(),
        what: format!(
            "the primary key ({}): they hold NULL in it or share its value",
            join(key, ", ")
        ),
        over_copy: false,
    }
}

/// The new key of `change`, when it is one whose rows can break it: a key with a new
/// auto-increment column is unique, and that column is not there yet to count over.
fn new_key<S: Store>(change: &Change<S>) -> Option<&[S::Str]> {
    match change {
        Change::PrimaryKey { to, add, .. }
            if add.as_ref().is_none_or(|added| !to.contains(&added.name)) =>
        {
            Some(to)
        }
        _ => None,
    }
}

/// What the rows must satisfy once `alter` has run, where it tightens something: each added
/// CHECK, and NOT NULL on a column that becomes NOT NULL without a backfill (for a SQLite
/// rebuild, which counts over the rows it copies).
fn requirements<S: Store>(
    alter: &AlterTable<S>,
) -> impl Iterator<Item = (Check<Owned>, String)> + '_ {
    alter
        .changes
        .iter()
        .flat_map(|change| change_requirements(change, DbBackend::Sqlite))
}

fn change_requirements<S: Store>(
    change: &Change<S>,
    backend: DbBackend,
) -> Option<(Check<Owned>, String)> {
    match change {
        Change::AlterColumn {
            from:
                Column {
                    ty: ColumnType::Enum { variants: old, .. },
                    ..
                },
            to:
                to @ Column {
                    ty: ColumnType::Enum { name, variants },
                    ..
                },
            ..
        } if old.iter().any(|v| !variants.contains(v)) => {
            // On PostgreSQL the type itself changed first (`Op::RecreateEnum`, which counted
            // the rows), and its old labels no longer parse.
            if backend == DbBackend::Postgres {
                return None;
            }
            let values = variants
                .iter()
                .map(|v| DefaultValue::String(v.to_string()))
                .collect();
            Some((
                requirement(&to.name, CheckRule::OneOf(values)),
                format!("the values of enum type `{name}`, in `{}`", to.name),
            ))
        }
        Change::AddCheck(check) => Some((
            check.convert::<Owned>(),
            format!("check `{}` ({})", check.name, describe_check(check)),
        )),
        Change::AlterColumn {
            from,
            to,
            backfill: None,
        } if from.null && !to.null => Some((
            requirement(&to.name, CheckRule::NotNull),
            format!(
                "NOT NULL on `{}` (they hold NULL; a backfill value would fill them)",
                to.name
            ),
        )),
        _ => None,
    }
}

/// An unnamed CHECK that a precheck counts the rows of `column` against.
fn requirement(column: &str, rule: CheckRule<Owned>) -> Check<Owned> {
    Check {
        name: String::new(),
        column: column.to_owned(),
        rule,
    }
}

/// The rule of `check` in words, for errors.
pub fn describe_check<S: Store>(check: &Check<S>) -> String {
    let column = &check.column;
    match &check.rule {
        CheckRule::Length { min, max } => match (min, max) {
            (Some(min), Some(max)) if min == max => format!("`{column}` has {min} characters"),
            (Some(min), Some(max)) => format!("`{column}` has {min} to {max} characters"),
            (Some(min), None) => format!("`{column}` has at least {min} characters"),
            (None, Some(max)) => format!("`{column}` has at most {max} characters"),
            (None, None) => format!("`{column}` has any length"),
        },
        CheckRule::Range { min, max } => {
            let mut parts = Vec::new();
            if let Some(min) = min {
                let op = if min.inclusive { ">=" } else { ">" };
                parts.push(format!("{op} {}", min.value));
            }
            if let Some(max) = max {
                let op = if max.inclusive { "<=" } else { "<" };
                parts.push(format!("{op} {}", max.value));
            }
            format!("`{column}` {}", parts.join(" and "))
        }
        CheckRule::OneOf(values) => format!(
            "`{column}` is one of {}",
            values
                .iter()
                .map(|value| value_sql(DbBackend::Postgres, value))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        CheckRule::NotNull => format!("`{column}` is not NULL"),
    }
}

/// The condition of `check` as `backend` writes it.
fn check_sql<S: Store>(check: &Check<S>, backend: DbBackend) -> String {
    let mut sql = String::new();
    write_expr(backend, &check_expr(check, backend), &mut sql);
    sql
}

/// The condition of `check`: sea-query writes `char_length` as each backend spells it.
fn check_expr<S: Store>(check: &Check<S>, backend: DbBackend) -> Expr {
    let column = || Expr::col(iden(&check.column));
    let number = |text: &str| Expr::Keyword(Keyword::Custom(iden(text).into()));
    let all = |conditions: Vec<Expr>| {
        conditions
            .into_iter()
            .reduce(ExprTrait::and)
            .unwrap_or(Expr::Keyword(Keyword::Custom(iden("TRUE").into())))
    };
    match &check.rule {
        CheckRule::Length { min, max } => {
            let length = || Expr::from(sea_query::Func::char_length(column()));
            let mut conditions = Vec::new();
            if let Some(min) = min {
                conditions.push(length().gte(number(&min.to_string())));
            }
            if let Some(max) = max {
                conditions.push(length().lte(number(&max.to_string())));
            }
            all(conditions)
        }
        CheckRule::Range { min, max } => {
            let mut conditions = Vec::new();
            if let Some(min) = min {
                conditions.push(if min.inclusive {
                    column().gte(number(&min.value))
                } else {
                    column().gt(number(&min.value))
                });
            }
            if let Some(max) = max {
                conditions.push(if max.inclusive {
                    column().lte(number(&max.value))
                } else {
                    column().lt(number(&max.value))
                });
            }
            all(conditions)
        }
        // MySQL compares strings by the column's collation, by default blind to case and to
        // trailing spaces; the model's values are exact, so the comparison is made bytewise.
        CheckRule::OneOf(values)
            if backend == DbBackend::MySql
                && values.iter().any(|v| matches!(v, DefaultValue::String(_))) =>
        {
            Expr::cust(format!("CAST({} AS BINARY)", quote(backend, &check.column)))
                .is_in(values.iter().map(|value| default_expr(value, backend)))
        }
        CheckRule::OneOf(values) => {
            column().is_in(values.iter().map(|value| default_expr(value, backend)))
        }
        CheckRule::NotNull => column().is_not_null(),
    }
}

fn op_to_sql<S: Store>(op: &Op<S>, backend: DbBackend) -> Vec<String> {
    match op {
        Op::CreateEnum(enum_type) => match backend {
            DbBackend::Postgres => vec![
                Type::create()
                    .as_enum(iden(&enum_type.name))
                    .values(enum_type.values.iter().map(|v| iden(v)))
                    .to_string(PostgresQueryBuilder),
            ],
            _ => Vec::new(),
        },
        Op::DropEnum(name) => match backend {
            DbBackend::Postgres => vec![
                Type::drop()
                    .name(iden(name))
                    .to_string(PostgresQueryBuilder),
            ],
            _ => Vec::new(),
        },
        Op::CreateTable(table) => {
            let mut sql = vec![build(&create_table_statement(table, backend), backend)];
            sql.extend(
                table
                    .indexes
                    .iter()
                    .map(|index| create_index_sql(&table.name, index, backend)),
            );
            sql
        }
        Op::DropTable(name) => vec![build(
            &sea_query::Table::drop().table(iden(name)).to_owned(),
            backend,
        )],
        Op::RenameTable { from, to } => {
            let mut sql = vec![build(
                &sea_query::Table::rename()
                    .table(iden(from), iden(to))
                    .to_owned(),
                backend,
            )];
            if backend == DbBackend::Postgres {
                sql.push(rename_postgres_constraints(from, to));
            }
            sql
        }
        Op::AddEnumValue {
            name,
            value,
            before,
        } => match backend {
            DbBackend::Postgres => {
                let mut sql = format!(
                    "ALTER TYPE {} ADD VALUE {}",
                    quote(backend, name),
                    string_literal(backend, value)
                );
                if let Some(before) = before {
                    sql.push_str(&format!(" BEFORE {}", string_literal(backend, before)));
                }
                vec![sql]
            }
            _ => Vec::new(),
        },
        Op::AlterTable(_) => statements(op_steps(op, backend)),
        Op::RecreateEnum {
            name,
            values,
            columns,
        } => match backend {
            DbBackend::Postgres => {
                let aside = format!("{name}__migration_old");
                let mut sql = vec![
                    format!(
                        "ALTER TYPE {} RENAME TO {}",
                        quote(backend, name),
                        quote(backend, &aside)
                    ),
                    Type::create()
                        .as_enum(iden(name))
                        .values(values.iter().map(|v| iden(v)))
                        .to_string(PostgresQueryBuilder),
                ];
                for c in columns.iter() {
                    let alter = format!(
                        "ALTER TABLE {} ALTER COLUMN {}",
                        quote(backend, &c.table),
                        quote(backend, &c.column)
                    );
                    if c.default.is_some() {
                        sql.push(format!("{alter} DROP DEFAULT"));
                    }
                    sql.push(format!(
                        "{alter} TYPE {ty} USING {column}::text::{ty}",
                        ty = quote(backend, name),
                        column = quote(backend, &c.column)
                    ));
                    if let Some(default) = &c.default {
                        sql.push(format!(
                            "{alter} SET DEFAULT {}",
                            value_sql(backend, default)
                        ));
                    }
                }
                sql.push(
                    Type::drop()
                        .name(iden(&aside))
                        .to_string(PostgresQueryBuilder),
                );
                sql
            }
            _ => Vec::new(),
        },
    }
}

fn create_index_sql<S: Store>(table: &str, index: &Index<S>, backend: DbBackend) -> String {
    let mut statement = sea_query::Index::create();
    statement
        .name(quoted_inside(backend, &index.name))
        .table(iden(table));
    for column in index.columns.iter() {
        statement.col(iden(column));
    }
    if index.unique {
        statement.unique();
    }
    build(&statement, backend)
}

/// PostgreSQL names a table's primary key `{table}_pkey` and an inline UNIQUE
/// `{table}_{column}_key` (SeaORM a composite key `pk-{table}`), and keeps those names when the
/// table is renamed; renaming them too keeps the database as a fresh `CREATE TABLE` of the new
/// name would make it, so later changes find them.
fn rename_postgres_constraints(from: &str, to: &str) -> String {
    let backend = DbBackend::Postgres;
    let (from, to) = (string_literal(backend, from), string_literal(backend, to));
    format!(
        "DO $migration$ DECLARE r record; BEGIN \
         FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(quote_ident({to})) \
         AND (starts_with(conname, {from} || '_') OR conname = 'pk-' || {from}) LOOP \
         EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', {to}, r.conname, \
         CASE WHEN r.conname = 'pk-' || {from} THEN 'pk-' || {to} \
         ELSE {to} || substr(r.conname, char_length({from}) + 1) END); \
         END LOOP; END $migration$"
    )
}

/// Whether `column` of the altered table was UNIQUE before the change.
fn unique_before<S: Store>(alter: &AlterTable<S>, column: &str) -> bool {
    alter
        .changes
        .iter()
        .find_map(|change| match change {
            Change::AlterColumn { from, to, .. } if &*to.name == column => Some(from.unique),
            _ => None,
        })
        .or_else(|| {
            alter
                .table
                .columns
                .iter()
                .find(|c| &*c.name == column)
                .map(|c| c.unique)
        })
        .unwrap_or(false)
}

/// The statements of one change on PostgreSQL or MySQL (and SQLite's in-place changes).
fn change_sql<S: Store>(
    alter_table: &AlterTable<S>,
    change: &Change<S>,
    backend: DbBackend,
) -> Vec<String> {
    let table = &*alter_table.table.name;
    let alter = || sea_query::Table::alter().table(iden(table)).to_owned();
    match change {
        Change::AddColumn { column, backfill } => {
            let Some(value) = backfill else {
                return vec![build(
                    alter().add_column(column_def(column, backend, false)),
                    backend,
                )];
            };
            let nullable = Column {
                null: true,
                ..column.clone()
            };
            let mut sql = vec![
                build(
                    alter().add_column(column_def(&nullable, backend, false)),
                    backend,
                ),
                format!(
                    "UPDATE {} SET {} = {}",
                    quote(backend, table),
                    quote(backend, &column.name),
                    value_sql(backend, value)
                ),
            ];
            if !column.null {
                sql.push(set_not_null_sql(table, column, backend));
            }
            sql
        }
        Change::DropColumn(name) => vec![build(alter().drop_column(iden(name)), backend)],
        Change::RenameColumn { from, to } => {
            let mut sql = vec![build(alter().rename_column(iden(from), iden(to)), backend)];
            // The inline UNIQUE's name follows the column's on PostgreSQL and MySQL; keep it so.
            if unique_before(alter_table, to) {
                let table_q = quote(backend, table);
                match backend {
                    DbBackend::Postgres => sql.push(format!(
                        "ALTER TABLE {table_q} RENAME CONSTRAINT {} TO {}",
                        quote(backend, &format!("{table}_{from}_key")),
                        quote(backend, &format!("{table}_{to}_key"))
                    )),
                    DbBackend::MySql => sql.push(format!(
                        "ALTER TABLE {table_q} RENAME INDEX {} TO {}",
                        quote(backend, from),
                        quote(backend, to)
                    )),
                    _ => {}
                }
            }
            sql
        }
        Change::AlterColumn { from, to, backfill } => {
            let mut sql = Vec::new();
            if let Some(value) = backfill {
                sql.push(format!(
                    "UPDATE {table_q} SET {column} = {value} WHERE {column} IS NULL",
                    table_q = quote(backend, table),
                    column = quote(backend, &to.name),
                    value = value_sql(backend, value)
                ));
            }
            sql.extend(alter_column_sql(table, from, to, backend));
            sql
        }
        Change::CreateIndex(index) => vec![create_index_sql(table, index, backend)],
        Change::DropIndex(index) => {
            let drop = build(
                sea_query::Index::drop()
                    .name(quoted_inside(backend, &index.name))
                    .table(iden(table)),
                backend,
            );
            // MySQL refuses to drop the index a foreign key relies on (it drops its own index
            // for the key once another can serve); dropping and re-adding the key around it
            // lets MySQL make the key's own index again.
            let relying: Vec<&ForeignKey<S>> = match backend {
                DbBackend::MySql => alter_table
                    .table
                    .foreign_keys
                    .iter()
                    .filter(|fk| index.columns.starts_with(&fk.columns))
                    .collect(),
                _ => Vec::new(),
            };
            let mut sql: Vec<String> = relying
                .iter()
                .map(|fk| {
                    build(
                        sea_query::ForeignKey::drop()
                            .name(quoted_inside(backend, &fk.name))
                            .table(iden(table)),
                        backend,
                    )
                })
                .collect();
            sql.push(drop);
            sql.extend(
                relying
                    .iter()
                    .map(|fk| build(&foreign_key_statement(table, fk, backend), backend)),
            );
            sql
        }
        Change::AddForeignKey(foreign_key) => {
            let statement = foreign_key_statement(table, foreign_key, backend);
            vec![build(&statement, backend)]
        }
        Change::DropForeignKey(name) => vec![build(
            sea_query::ForeignKey::drop()
                .name(quoted_inside(backend, name))
                .table(iden(table)),
            backend,
        )],
        Change::AddCheck(check) => vec![format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({})",
            quote(backend, table),
            quote(backend, &check.name),
            check_sql(check, backend)
        )],
        Change::DropCheck(name) => vec![format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            quote(backend, table),
            quote(backend, name)
        )],
        Change::PrimaryKey {
            from,
            to,
            add,
            drop,
        } => primary_key_sql(
            &alter_table.table.name,
            !from.is_empty(),
            to,
            add.as_ref(),
            drop.as_deref(),
            backend,
        ),
        // Only MySQL keeps table comments in SeaORM's schema (sea-query writes them for MySQL
        // alone), so only MySQL changes them: a migrated database stays what a fresh one is.
        Change::TableComment(comment) => match backend {
            // MySQL reads "no comment" as the empty one.
            DbBackend::MySql => vec![format!(
                "ALTER TABLE {} COMMENT = {}",
                quote(backend, table),
                string_literal(backend, comment.as_deref().unwrap_or(""))
            )],
            _ => Vec::new(),
        },
    }
}

/// The statements of [`Change::PrimaryKey`] on PostgreSQL and MySQL (`keyed`: the table has
/// a key to drop).
fn primary_key_sql<S: Store>(
    table: &str,
    keyed: bool,
    to: &[S::Str],
    add: Option<&Column<S>>,
    drop: Option<&str>,
    backend: DbBackend,
) -> Vec<String> {
    let table_q = quote(backend, table);
    let columns = to
        .iter()
        .map(|c| quote(backend, c))
        .collect::<Vec<_>>()
        .join(", ");
    let drop_column = drop.map(|c| format!("DROP COLUMN {}", quote(backend, c)));
    let add_column = add.map(|c| {
        format!(
            "ADD COLUMN {}",
            column_def_sql(&column_def(c, backend, false), backend)
        )
    });
    match backend {
        DbBackend::Postgres => {
            // The key's name is whatever the table's history gave it (a renamed table keeps
            // `{old}_pkey`), so it is read from the catalog.
            let body = format!(
                "DECLARE key_name text; BEGIN SELECT conname INTO key_name FROM pg_constraint \
                 WHERE conrelid = {}::regclass AND contype = 'p'; IF key_name IS NOT NULL THEN \
                 EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', {}, key_name); END IF; END",
                string_literal(backend, &table_q),
                string_literal(backend, table)
            );
            let mut sql = vec![postgres_block(&body)];
            sql.extend(
                [drop_column, add_column]
                    .into_iter()
                    .flatten()
                    .map(|clause| format!("ALTER TABLE {table_q} {clause}")),
            );
            sql.push(match to {
                [_] => format!("ALTER TABLE {table_q} ADD PRIMARY KEY ({columns})"),
                _ => format!(
                    "ALTER TABLE {table_q} ADD CONSTRAINT {} PRIMARY KEY ({columns})",
                    quote(backend, &format!("pk-{table}"))
                ),
            });
            sql
        }
        // One statement: MySQL allows an auto-increment column only as a key, at every step.
        _ => {
            let drop_key = keyed.then(|| "DROP PRIMARY KEY".to_owned());
            let clauses: Vec<String> = [drop_column, add_column, drop_key]
                .into_iter()
                .flatten()
                .chain([format!("ADD PRIMARY KEY ({columns})")])
                .collect();
            vec![format!("ALTER TABLE {table_q} {}", clauses.join(", "))]
        }
    }
}

/// A PostgreSQL `DO` block running `body`, between dollar quotes that `body` does not hold.
fn postgres_block(body: &str) -> String {
    let mut tag = "$migration$".to_owned();
    while body.contains(&tag) {
        tag.insert(tag.len() - 1, '_');
    }
    format!("DO {tag}{body}{tag}")
}

/// `ALTER COLUMN … SET NOT NULL` on PostgreSQL; a full `MODIFY COLUMN` on MySQL.
fn set_not_null_sql<S: Store>(table: &str, column: &Column<S>, backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL",
            quote(backend, table),
            quote(backend, &column.name)
        ),
        _ => modify_column_sql(table, column, backend),
    }
}

/// MySQL's `MODIFY COLUMN` with the full definition, less `UNIQUE` (which would add a second
/// index) and `PRIMARY KEY` (already there).
fn modify_column_sql<S: Store>(table: &str, column: &Column<S>, backend: DbBackend) -> String {
    let without_unique = Column {
        unique: false,
        ..column.clone()
    };
    format!(
        "ALTER TABLE {} MODIFY COLUMN {}",
        quote(backend, table),
        column_def_sql(&column_def(&without_unique, backend, false), backend)
    )
}

fn alter_column_sql<S: Store>(
    table: &str,
    from: &Column<S>,
    to: &Column<S>,
    backend: DbBackend,
) -> Vec<String> {
    let table_q = quote(backend, table);
    let column_q = quote(backend, &to.name);
    let mut sql = Vec::new();
    let type_changed = type_sql(backend, &from.ty) != type_sql(backend, &to.ty);
    match backend {
        DbBackend::Postgres => {
            let alter =
                |what: String| format!("ALTER TABLE {table_q} ALTER COLUMN {column_q} {what}");
            if from.auto_increment && !to.auto_increment {
                sql.push(alter("DROP IDENTITY IF EXISTS".to_owned()));
            }
            if from.default != to.default && from.default.is_some() {
                sql.push(alter("DROP DEFAULT".to_owned()));
            }
            // `extra` can change here only as a COLLATE clause, the one part of a column
            // definition that `ALTER COLUMN … TYPE` takes; a type change keeps the clause.
            fn collate(extra: Option<&str>) -> Option<&str> {
                extra.filter(|e| e.trim_start().to_ascii_uppercase().starts_with("COLLATE"))
            }
            let (from_extra, to_extra) = (from.extra.as_deref(), to.extra.as_deref());
            if from_extra != to_extra
                && (collate(from_extra) != from_extra || collate(to_extra) != to_extra)
            {
                let message = format!(
                    "column {table}.{}: PostgreSQL cannot change `extra` in place except as a \
                     COLLATE clause; make this change with a hand-written migration",
                    to.name
                );
                sql.push(postgres_block(&format!(
                    "BEGIN RAISE EXCEPTION '%', {}; END",
                    string_literal(backend, &message)
                )));
            }
            if type_changed || collate(from_extra) != collate(to_extra) {
                let ty = type_sql(backend, &to.ty);
                let collation = collate(to_extra)
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default();
                sql.push(alter(format!(
                    "TYPE {ty}{collation} USING {column_q}::{ty}"
                )));
            }
            if from.default != to.default
                && let Some(default) = &to.default
            {
                sql.push(alter(format!(
                    "SET DEFAULT {}",
                    value_sql(backend, default)
                )));
            }
            if from.null != to.null {
                sql.push(alter(
                    if to.null {
                        "DROP NOT NULL"
                    } else {
                        "SET NOT NULL"
                    }
                    .to_owned(),
                ));
            }
            if to.auto_increment && !from.auto_increment {
                sql.push(alter("ADD GENERATED BY DEFAULT AS IDENTITY".to_owned()));
                // The sequence starts past the values the rows already hold.
                sql.push(format!(
                    "SELECT setval(pg_get_serial_sequence({}, {}), COALESCE(MAX({column_q}), 0) \
                     + 1, false) FROM {table_q}",
                    string_literal(backend, &table_q),
                    string_literal(backend, &to.name)
                ));
            }
            if from.unique != to.unique {
                // PostgreSQL names an inline UNIQUE `{table}_{column}_key`.
                let constraint = quote(backend, &format!("{table}_{}_key", to.name));
                sql.push(if to.unique {
                    format!("ALTER TABLE {table_q} ADD CONSTRAINT {constraint} UNIQUE ({column_q})")
                } else {
                    format!("ALTER TABLE {table_q} DROP CONSTRAINT {constraint}")
                });
            }
        }
        DbBackend::MySql => {
            let definition_changed = type_changed
                || from.null != to.null
                || from.default != to.default
                || from.comment != to.comment
                || from.extra != to.extra
                || from.auto_increment != to.auto_increment;
            if definition_changed {
                sql.push(modify_column_sql(table, to, backend));
            }
            if from.unique != to.unique {
                // MySQL names an inline UNIQUE index after its column.
                sql.push(if to.unique {
                    format!("ALTER TABLE {table_q} ADD UNIQUE INDEX {column_q} ({column_q})")
                } else {
                    format!("ALTER TABLE {table_q} DROP INDEX {column_q}")
                });
            }
        }
        // SQLite alters columns by rebuilding the table (see `sqlite_rebuilds`); a change it
        // does not store (a comment, enum variants kept as text) needs nothing.
        _ => {}
    }
    sql
}

/// Whether SQLite must rebuild the table for `change`.
fn sqlite_rebuilds<S: Store>(change: &Change<S>) -> bool {
    match change {
        Change::AddColumn { column, backfill } => {
            backfill.is_some()
                || column.unique
                || column.extra.is_some()
                || (!column.null && column.default.is_none())
                || matches!(
                    column.default,
                    Some(
                        DefaultValue::CurrentTimestamp
                            | DefaultValue::CurrentDate
                            | DefaultValue::CurrentTime
                            | DefaultValue::Expr(_)
                    )
                )
        }
        Change::AlterColumn { from, to, .. } => {
            let sqlite = DbBackend::Sqlite;
            let strip = |c: &Column<S>| Column {
                comment: None,
                ..c.clone()
            };
            column_def_sql(&column_def(&strip(from), sqlite, false), sqlite)
                != column_def_sql(&column_def(&strip(to), sqlite, false), sqlite)
        }
        Change::DropColumn(_)
        | Change::PrimaryKey { .. }
        | Change::AddForeignKey(_)
        | Change::DropForeignKey(_)
        | Change::AddCheck(_)
        | Change::DropCheck(_) => true,
        Change::RenameColumn { .. }
        | Change::CreateIndex(_)
        | Change::DropIndex(_)
        | Change::TableComment(_) => false,
    }
}

/// The rebuild's copy of the rows: each column of the new table, quoted, with the SQL that
/// gives its value from the old one (renamed columns from their old names, backfilled ones
/// from their value); `None` for an added column, which takes its default.
fn rebuild_copy<S: Store>(alter: &AlterTable<S>) -> Vec<(String, Option<String>)> {
    let backend = DbBackend::Sqlite;
    let mut copy = Vec::new();
    for column in alter.table.columns.iter() {
        let mut source = Some(quote(backend, &column.name));
        for change in alter.changes.iter() {
            match change {
                Change::AddColumn {
                    column: added,
                    backfill,
                } if added.name == column.name => {
                    source = backfill.as_ref().map(|value| value_sql(backend, value));
                }
                Change::RenameColumn { from, to } if *to == column.name => {
                    source = Some(quote(backend, from));
                }
                // An auto-increment key column left out of the copy numbers the rows.
                Change::PrimaryKey {
                    add: Some(added), ..
                } if added.name == column.name => source = None,
                Change::AlterColumn {
                    to,
                    backfill: Some(value),
                    ..
                } if to.name == column.name => {
                    source =
                        source.map(|s| format!("COALESCE({s}, {})", value_sql(backend, value)));
                }
                _ => {}
            }
        }
        copy.push((quote(backend, &column.name), source));
    }
    copy
}

/// SQLite's table rebuild, its documented procedure for the changes `ALTER TABLE` cannot make:
/// create the new table under a temporary name, copy the rows (renamed columns from their old
/// names, backfilled ones from their value), drop the old table, give the new one its name,
/// create its indexes. [`apply`] runs it with foreign keys off, so that dropping the old table
/// neither cascades nor retargets the tables that reference it.
fn rebuild_sqlite_table<S: Store>(
    alter: &AlterTable<S>,
    copy: &[(String, Option<String>)],
) -> Vec<String> {
    let backend = DbBackend::Sqlite;
    let table = &alter.table;
    let new = format!("__migration_new_{}", table.name);
    let (targets, sources): (Vec<&str>, Vec<&str>) = copy
        .iter()
        .filter_map(|(target, source)| Some((target.as_str(), source.as_deref()?)))
        .unzip();
    let mut statement = create_table_statement(
        &Table {
            indexes: Default::default(),
            ..table.clone()
        },
        backend,
    );
    statement.table(iden(&new));
    let mut sql = vec![
        build(&statement, backend),
        format!(
            "INSERT INTO {} ({}) SELECT {} FROM {}",
            quote(backend, &new),
            targets.join(", "),
            sources.join(", "),
            quote(backend, &table.name)
        ),
        build(
            &sea_query::Table::drop().table(iden(&table.name)).to_owned(),
            backend,
        ),
        build(
            &sea_query::Table::rename()
                .table(iden(&new), iden(&table.name))
                .to_owned(),
            backend,
        ),
    ];
    sql.extend(
        table
            .indexes
            .iter()
            .map(|index| create_index_sql(&table.name, index, backend)),
    );
    sql
}

/// `name` as it must appear between the backend's quotes: sea-query writes index, key and
/// constraint names given as strings between quotes without escaping them (a `"` in one would
/// end the name early, and what follows would run as SQL), so they are escaped here.
fn quoted_inside(backend: DbBackend, name: &str) -> String {
    let quoted = quote(backend, name);
    quoted[1..quoted.len() - 1].to_owned()
}

/// An identifier quoted as sea-query quotes it on `backend`.
fn quote(backend: DbBackend, name: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// A string literal as `backend` reads it whatever its session settings: sea-query's
/// escaping on PostgreSQL (`E'…'`) and SQLite (quotes doubled); on MySQL, see
/// [`mysql_string_literal`].
pub fn string_literal(backend: DbBackend, text: &str) -> String {
    match backend {
        DbBackend::MySql => mysql_string_literal(text),
        _ => expr_sql(backend, Expr::val(text)),
    }
}

/// A MySQL string literal that reads the same with and without `NO_BACKSLASH_ESCAPES` and
/// `ANSI_QUOTES`: quotes doubled, and text holding a backslash or a control character written
/// as UTF-8 hex with a charset introducer (`_utf8mb4 X'…'`). sea-query's backslash escapes
/// (`'it\'s'`) mean something else under `NO_BACKSLASH_ESCAPES`, where they can even end the
/// literal early.
fn mysql_string_literal(text: &str) -> String {
    if text.chars().any(|c| c == '\\' || c.is_control()) {
        let hex: String = text.bytes().map(|b| format!("{b:02X}")).collect();
        format!("_utf8mb4 X'{hex}'")
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// A value as written in a `DEFAULT` clause (and usable anywhere an expression is).
fn value_sql<S: Store>(backend: DbBackend, value: &DefaultValue<S>) -> String {
    expr_sql(backend, default_expr(value, backend))
}

/// An expression as sea-query writes a column default: values and keywords bare, anything
/// else in parentheses.
fn expr_sql(backend: DbBackend, expr: Expr) -> String {
    let mut sql = String::new();
    let parenthesize = !matches!(expr, Expr::Value(_) | Expr::Constant(_) | Expr::Keyword(_));
    if parenthesize {
        sql.push('(');
    }
    write_expr(backend, &expr, &mut sql);
    if parenthesize {
        sql.push(')');
    }
    sql
}

/// `expr` as `backend` writes it, appended to `sql`.
fn write_expr(backend: DbBackend, expr: &Expr, sql: &mut String) {
    match backend {
        DbBackend::Postgres => PostgresQueryBuilder.prepare_expr(expr, sql),
        DbBackend::MySql => MysqlQueryBuilder.prepare_expr(expr, sql),
        _ => SqliteQueryBuilder.prepare_expr(expr, sql),
    }
}

/// A column type as `backend` spells it.
fn type_sql<S: Store>(backend: DbBackend, ty: &ColumnType<S>) -> String {
    let ty = column_type_for(ty, backend);
    let mut sql = String::new();
    match backend {
        DbBackend::Postgres => PostgresQueryBuilder.prepare_column_type(&ty, &mut sql),
        DbBackend::MySql => MysqlQueryBuilder.prepare_column_type(&ty, &mut sql),
        _ => SqliteQueryBuilder.prepare_column_type(&ty, &mut sql),
    }
    sql
}

fn column_def_sql(def: &ColumnDef, backend: DbBackend) -> String {
    let mut sql = String::new();
    match backend {
        DbBackend::Postgres => PostgresQueryBuilder.prepare_column_def(def, &mut sql),
        DbBackend::MySql => MysqlQueryBuilder.prepare_column_def(def, &mut sql),
        _ => SqliteQueryBuilder.prepare_column_def(def, &mut sql),
    }
    sql
}

fn build(statement: &impl SchemaStatementBuilder, backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => statement.to_string(PostgresQueryBuilder),
        DbBackend::MySql => statement.to_string(MysqlQueryBuilder),
        DbBackend::Sqlite => statement.to_string(SqliteQueryBuilder),
        // `DbBackend` is non-exhaustive; a backend SeaORM adds later has no v1 semantics.
        other => unimplemented!("migration-ops v1 has no SQL for {other:?}"),
    }
}

/// The `CREATE TABLE` statement, built in the order of SeaORM's `create_table_from_entity`.
fn create_table_statement<S: Store>(table: &Table<S>, backend: DbBackend) -> TableCreateStatement {
    let mut statement = TableCreateStatement::new();
    if let Some(comment) = &table.comment {
        statement.comment(&**comment);
    }
    let single_primary_key = match &*table.primary_key {
        [only] => Some(&**only),
        _ => None,
    };
    for column in table.columns.iter() {
        let primary_key = single_primary_key == Some(&*column.name);
        statement.col(column_def(column, backend, primary_key));
    }
    if table.primary_key.len() > 1 {
        let mut primary_key = sea_query::Index::create();
        for column in table.primary_key.iter() {
            primary_key.col(iden(column));
        }
        let name = quoted_inside(backend, &format!("pk-{}", table.name));
        statement.primary_key(primary_key.name(name).primary());
    }
    for foreign_key in table.foreign_keys.iter() {
        statement.foreign_key(&mut foreign_key_statement(
            &table.name,
            foreign_key,
            backend,
        ));
    }
    for check in table.checks.iter() {
        statement.check((iden(&check.name), check_expr(check, backend)));
    }
    statement.table(iden(&table.name)).take()
}

/// A column's definition, built in the order of SeaORM's `column_def_from_entity_column`.
fn column_def<S: Store>(column: &Column<S>, backend: DbBackend, primary_key: bool) -> ColumnDef {
    let mut def =
        ColumnDef::new_with_type(iden(&column.name), column_type_for(&column.ty, backend));
    if !column.null {
        def.not_null();
    }
    if column.unique {
        def.unique_key();
    }
    if let Some(default) = &column.default {
        def.default(default_expr(default, backend));
    }
    if let Some(comment) = &column.comment {
        def.comment(&**comment);
    }
    if let Some(extra) = &column.extra {
        def.extra(&**extra);
    }
    if column.auto_increment {
        def.auto_increment();
    }
    if primary_key {
        def.primary_key();
    }
    def
}

/// A foreign key from `table`, as SeaORM builds one from a relation.
fn foreign_key_statement<S: Store>(
    table: &str,
    foreign_key: &ForeignKey<S>,
    backend: DbBackend,
) -> sea_query::ForeignKeyCreateStatement {
    let mut fk = sea_query::ForeignKey::create();
    for column in foreign_key.columns.iter() {
        fk.from_col(iden(column));
    }
    for column in foreign_key.ref_columns.iter() {
        fk.to_col(iden(column));
    }
    if let Some(action) = foreign_key.on_delete {
        fk.on_delete(action.into());
    }
    if let Some(action) = foreign_key.on_update {
        fk.on_update(action.into());
    }
    fk.name(quoted_inside(backend, &foreign_key.name))
        .from_tbl(iden(table))
        .to_tbl(iden(&foreign_key.ref_table));
    fk
}

/// The sea-query type for `ty` on `backend`; enums follow SeaORM's per-backend mapping.
fn column_type_for<S: Store>(ty: &ColumnType<S>, backend: DbBackend) -> sea_query::ColumnType {
    match (ty, backend) {
        (ColumnType::Enum { name, .. }, DbBackend::Postgres) => {
            sea_query::ColumnType::custom(name.to_string())
        }
        (ColumnType::Enum { variants, .. }, DbBackend::MySql) => {
            sea_query::ColumnType::custom(format!("ENUM('{}')", join(variants, "', '")))
        }
        _ => ty.to_sea_query(),
    }
}

/// The sea-query expression that renders `default` as SeaORM renders the entity's default,
/// except MySQL strings, which are written so that every `sql_mode` reads them alike.
fn default_expr<S: Store>(default: &DefaultValue<S>, backend: DbBackend) -> Expr {
    match default {
        DefaultValue::String(text) if backend == DbBackend::MySql => {
            Expr::Keyword(Keyword::Custom(iden(&mysql_string_literal(text)).into()))
        }
        DefaultValue::Null => Expr::Keyword(Keyword::Null),
        DefaultValue::Bool(value) => Expr::val(*value),
        // A keyword is written verbatim and without the parentheses sea-query puts around
        // expressions, which is how sea-query writes a numeric `Value`.
        DefaultValue::Number(text) => Expr::Keyword(Keyword::Custom(iden(text).into())),
        DefaultValue::String(text) => Expr::val(&**text),
        DefaultValue::CurrentTimestamp => Expr::Keyword(Keyword::CurrentTimestamp),
        DefaultValue::CurrentDate => Expr::Keyword(Keyword::CurrentDate),
        DefaultValue::CurrentTime => Expr::Keyword(Keyword::CurrentTime),
        DefaultValue::Expr(sql) => Expr::cust(sql.to_string()),
    }
}

/// `items` joined by `separator`.
fn join<T: std::ops::Deref<Target = str>>(items: &[T], separator: &str) -> String {
    items
        .iter()
        .map(|item| &**item)
        .collect::<Vec<_>>()
        .join(separator)
}

fn iden(name: &str) -> Alias {
    Alias::new(name)
}
