//! PostgreSQL's online forms of the changes it can make while a table keeps taking writes
//! (indexes built concurrently, constraints added `NOT VALID` then validated, NOT NULL through
//! a validated CHECK, backfills in batches), each step found done or not in the catalog so that
//! an interrupted run is finished by the next.

use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait,
};

use super::apply::{count_offending_rows, statement_error};
use super::{Step, change_sql, change_steps, steps, value_sql};
use crate::runner::table_locks;
use crate::schema::{AlterTable, Change, Column, ColumnType, Convert, Op, Owned, Store, Table};

/// Whether `ops` only add indexes, CHECKs and foreign keys to tables that exist already, make
/// their columns NOT NULL (with a backfill or a new default, nothing else about the column
/// changing), or widen a column's integer or floating-point type: changes PostgreSQL can make
/// while the table keeps taking writes. The runner applies such a migration there with
/// [`apply_online_postgres`].
pub fn online_on_postgres<S: Store>(ops: &[Op<S>]) -> bool {
    !ops.is_empty()
        && ops.iter().all(|op| {
            matches!(op, Op::AlterTable(alter)
                if !alter.changes.is_empty()
                    && alter.changes.iter().all(|change| online_change(&alter.table, change)))
        })
}

/// Whether [`apply_online_postgres`] has an online form for `change` of `table` (which exists;
/// `table` as the change leaves it).
pub fn online_change<S: Store>(table: &Table<S>, change: &Change<S>) -> bool {
    match change {
        Change::CreateIndex(_) | Change::AddCheck(_) | Change::AddForeignKey(_) => true,
        Change::AlterColumn { from, to, .. } => {
            made_not_null(from, to)
                || (widened(from, to) && !table.primary_key.iter().any(|k| **k == *to.name))
        }
        _ => false,
    }
}

/// Whether `to` gives `from` a wider type on PostgreSQL, into which every value fits as it is
/// (`smallint` → `integer` → `bigint`, `real` → `double precision`), changing nothing else.
fn widened<S: Store>(from: &Column<S>, to: &Column<S>) -> bool {
    fn rank<S: Store>(ty: &ColumnType<S>) -> Option<(u8, u8)> {
        match ty {
            ColumnType::TinyInteger | ColumnType::SmallInteger => Some((0, 2)),
            ColumnType::Integer => Some((0, 4)),
            ColumnType::BigInteger => Some((0, 8)),
            ColumnType::Float => Some((1, 4)),
            ColumnType::Double => Some((1, 8)),
            _ => None,
        }
    }
    let changed = from.changes_to(to);
    changed.ty
        && !(changed.null
            || changed.default
            || changed.unique
            || changed.auto_increment
            || changed.comment
            || changed.extra
            || to.auto_increment)
        && matches!((rank(&from.ty), rank(&to.ty)),
            (Some((kind, a)), Some((to_kind, b))) if kind == to_kind && b > a)
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
    NotNull(NotNull),
    Widen(Widening),
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
                    Step::Run(sql)
                    | Step::Backfill { sql, .. }
                    | Step::UncheckedForeignKey { sql, .. } => statements.push(sql),
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
                Change::AlterColumn { from, to, backfill } if made_not_null(from, to) => {
                    // The same change with the nullability left as it was: its default alone.
                    let default_only = Change::AlterColumn {
                        from: from.clone(),
                        to: Column {
                            null: from.null,
                            ..to.clone()
                        },
                        backfill: None,
                    };
                    Online::NotNull(NotNull {
                        table: table.clone(),
                        column: to.name.to_string(),
                        default: change_sql(alter, &default_only, backend),
                        backfill: backfill.as_ref().map(|value| value_sql(backend, value)),
                    })
                }
                Change::AlterColumn { to, .. } => Online::Widen(Widening::new(alter, to)),
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
/// - NOT NULL: see [`NotNull::apply`]; a wider type: see [`Widening`].
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
            Online::NotNull(not_null) => not_null.apply(db, lock_timeout).await?,
            Online::Widen(widening) => widening.apply(db, lock_timeout).await?,
        }
    }
    Ok(())
}

/// The statements [`apply_online_postgres`] runs for `ops` (see [`online_on_postgres`]), in
/// order, without its row counts and catalog checks; a batched step is shown once, under a
/// comment saying so.
pub fn online_postgres_sql<S: Store>(ops: &[Op<S>]) -> Vec<String> {
    let mut sql = Vec::new();
    for step in online_plan(ops) {
        match step {
            Online::Count(_) => {}
            Online::Index { sql: index, .. } => sql.extend(concurrently(&index)),
            Online::Constraint {
                table,
                name,
                sql: add,
            } => {
                sql.push(format!("{add} NOT VALID"));
                sql.push(validate_sql(&table, &name));
            }
            Online::NotNull(not_null) => sql.extend(not_null.statements()),
            Online::Widen(widening) => sql.extend(widening.statements()),
        }
    }
    sql
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

fn validate_sql(table: &str, name: &str) -> String {
    format!(
        "ALTER TABLE {} VALIDATE CONSTRAINT {}",
        quote(table),
        quote(name)
    )
}

/// `VALIDATE CONSTRAINT`: checks the existing rows under a lock writes do not wait for.
async fn validate_constraint(
    db: &DatabaseConnection,
    table: &str,
    name: &str,
) -> Result<(), DbErr> {
    let validate = validate_sql(table, name);
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

/// A column made NOT NULL online: its new default's statements, if it changes, and the value
/// its NULLs get first, if any (as SQL).
struct NotNull {
    table: String,
    column: String,
    default: Vec<String>,
    backfill: Option<String>,
}

impl NotNull {
    /// The CHECK that proves the column holds no NULL before `SET NOT NULL`.
    fn check(&self) -> String {
        postgres_name(&format!("online_not_null_{}", self.column))
    }

    /// The trigger (and its function) that fills the column of every row written while the
    /// backfill runs.
    fn guard(&self) -> String {
        postgres_name(&format!("{}__fill_{}", self.table, self.column))
    }

    fn fill(&self) -> Option<Fill<'_>> {
        let column_q = quote(&self.column);
        self.backfill.as_ref().map(|value| Fill {
            table: &self.table,
            set: format!("{column_q} = {value}"),
            pending: format!("{column_q} IS NULL"),
        })
    }

    fn guard_sql(&self, value: &str) -> [String; 3] {
        let (table_q, column_q, guard_q) = (
            quote(&self.table),
            quote(&self.column),
            quote(&self.guard()),
        );
        [
            format!(
                "CREATE OR REPLACE FUNCTION {guard_q}() RETURNS trigger LANGUAGE plpgsql AS \
                 $fill$ BEGIN IF NEW.{column_q} IS NULL THEN NEW.{column_q} := {value}; END IF; \
                 RETURN NEW; END $fill$"
            ),
            format!("DROP TRIGGER IF EXISTS {guard_q} ON {table_q}"),
            format!(
                "CREATE TRIGGER {guard_q} BEFORE INSERT OR UPDATE ON {table_q} \
                 FOR EACH ROW EXECUTE FUNCTION {guard_q}()"
            ),
        ]
    }

    fn add_check_sql(&self) -> String {
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID",
            quote(&self.table),
            quote(&self.check()),
            quote(&self.column)
        )
    }

    fn finish_sql(&self) -> [String; 4] {
        let (table_q, column_q, guard_q) = (
            quote(&self.table),
            quote(&self.column),
            quote(&self.guard()),
        );
        [
            format!("ALTER TABLE {table_q} ALTER COLUMN {column_q} SET NOT NULL"),
            format!(
                "ALTER TABLE {table_q} DROP CONSTRAINT IF EXISTS {}",
                quote(&self.check())
            ),
            format!("DROP TRIGGER IF EXISTS {guard_q} ON {table_q}"),
            format!("DROP FUNCTION IF EXISTS {guard_q}()"),
        ]
    }

    /// What [`NotNull::apply`] runs, in order, each batched step shown once.
    fn statements(&self) -> Vec<String> {
        let mut sql = self.default.clone();
        if let (Some(value), Some(fill)) = (&self.backfill, self.fill()) {
            sql.extend(self.guard_sql(value));
            sql.push(fill.shown());
        }
        sql.push(self.add_check_sql());
        sql.push(validate_sql(&self.table, &self.check()));
        sql.extend(self.finish_sql());
        sql
    }

    /// The new default first, in a short transaction. Then `SET NOT NULL` without a scan
    /// under the table's exclusive lock. With a backfill: a trigger that fills the NULL of
    /// every row written from then on, and the rows there were filled in batches of their
    /// own. Then a CHECK `IS NOT NULL` added `NOT VALID`, which holds every new write to the
    /// rule, and validated (see [`add_constraint_then_validate`]), which proves the column
    /// holds no NULL, so that PostgreSQL 12+ sets NOT NULL from it at once; the CHECK and the
    /// trigger dropped in the same short transaction. Each step is found done or not in the
    /// catalog (a backfill finds no NULL left), so a run stopped between them is finished by
    /// the next.
    async fn apply(
        &self,
        db: &DatabaseConnection,
        lock_timeout: Option<std::time::Duration>,
    ) -> Result<(), DbErr> {
        if !self.default.is_empty() {
            briefly(db, &self.default, lock_timeout).await?;
        }
        let not_null = catalog_flag(
            db,
            "SELECT a.attnotnull FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid WHERE c.relname = $1 \
             AND a.attname = $2 AND c.relnamespace = current_schema()::regnamespace",
            [self.table.as_str(), self.column.as_str()],
        )
        .await?
        .unwrap_or(false);
        if !not_null {
            let check = self.check();
            let validated = constraint_validated(db, &self.table, &check).await?;
            if let (Some(value), Some(fill)) = (&self.backfill, self.fill())
                && validated != Some(true)
            {
                briefly(db, &self.guard_sql(value), lock_timeout).await?;
                fill.by_page_ranges(db, lock_timeout).await?;
                fill.the_rest(db, lock_timeout).await?;
            }
            if validated.is_none() {
                briefly(db, &[self.add_check_sql()], lock_timeout).await?;
            }
            if validated != Some(true) {
                validate_constraint(db, &self.table, &check).await?;
            }
        }
        briefly(db, &self.finish_sql(), lock_timeout)
            .await
            .map(|_| ())
    }
}

/// Rows of `table` still to fill (`pending`) and how (`set`), filled in batches of about
/// [`BACKFILL_BATCH_ROWS`](super::BACKFILL_BATCH_ROWS) rows, each its own short transaction,
/// so that the application's writes never wait for more than one batch's row locks.
struct Fill<'a> {
    table: &'a str,
    set: String,
    pending: String,
}

impl Fill<'_> {
    /// The backfill as one statement, under a comment saying how it runs.
    fn shown(&self) -> String {
        format!(
            "-- in batches of ~{} rows, each its own transaction, until none is left:\n{}",
            super::BACKFILL_BATCH_ROWS,
            self.update("TRUE")
        )
    }

    fn update(&self, rows: &str) -> String {
        format!(
            "UPDATE {} SET {} WHERE {rows} AND {}",
            quote(self.table),
            self.set,
            self.pending
        )
    }

    /// One pass over the table's pages as they are when it starts, a range of pages at a
    /// time, each found by a TID range scan (PostgreSQL 14+).
    async fn by_page_ranges(
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
                [quote(self.table).into()],
            ))
            .await?;
        let Some(row) = row else { return Ok(()) };
        let pages: i64 = row.try_get_by_index(0)?;
        let (tuples, counted_pages): (f64, i64) =
            (row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        // The catalog's estimate; 100 rows a page before the table was first analysed.
        let rows_per_page = if tuples > 0.0 && counted_pages > 0 {
            tuples / counted_pages as f64
        } else {
            100.0
        };
        let step = ((super::BACKFILL_BATCH_ROWS as f64 / rows_per_page) as i64).max(1);
        let mut first = 0;
        while first < pages {
            let last = first + step;
            let batch = self.update(&format!(
                "ctid >= '({first},0)'::tid AND ctid < '({last},0)'::tid"
            ));
            briefly(db, &[batch], lock_timeout).await?;
            first = last;
        }
        Ok(())
    }

    /// Whatever is left (rows moved or written during the pass by page ranges), a batch of
    /// rows at a time, until none is. Run once a trigger keeps new writes to the rule, so that
    /// it ends.
    async fn the_rest(
        &self,
        db: &DatabaseConnection,
        lock_timeout: Option<std::time::Duration>,
    ) -> Result<(), DbErr> {
        let table_q = quote(self.table);
        let pending = &self.pending;
        let batch = self.update(&format!(
            "ctid = ANY(ARRAY(SELECT ctid FROM {table_q} WHERE {pending} LIMIT {}))",
            super::BACKFILL_BATCH_ROWS
        ));
        let left = format!("SELECT EXISTS (SELECT 1 FROM {table_q} WHERE {pending})");
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

/// A column given a wider type by expand and contract, since `ALTER COLUMN … TYPE` would
/// rewrite the table under its exclusive lock: a new column of the wide type, kept equal to
/// the old one by a trigger on every write; the rows copied in batches; the column's indexes,
/// UNIQUE, CHECKs, foreign keys and NOT NULL built anew on it online; then, in one short
/// transaction, the old column dropped (its indexes and constraints with it) and the new one
/// given its name, and theirs to its indexes and constraints.
struct Widening {
    table: String,
    column: String,
    /// The new column's name until the swap.
    wide: String,
    /// The wide type, as PostgreSQL's `format_type` spells it.
    ty: String,
    not_null: bool,
    /// The column's default, as SQL.
    default: Option<String>,
    /// The indexes over the column: name, name until the swap, and the statement building it
    /// over the new column.
    indexes: Vec<(String, String, String)>,
    /// The inline UNIQUE (`{table}_{column}_key`): the constraint's name, its index's name
    /// until the swap, and the statement building the index.
    unique: Option<(String, String, String)>,
    /// The CHECKs and foreign keys over the column, as for `indexes`.
    constraints: Vec<(String, String, String)>,
}

impl Widening {
    fn new<S: Store>(alter: &AlterTable<S>, to: &Column<S>) -> Widening {
        let backend = DbBackend::Postgres;
        let table_name: &str = &alter.table.name;
        let column: &str = &to.name;
        let wide = postgres_name(&format!("{column}__widened"));
        let on_wide = |columns: &[String]| -> Vec<String> {
            columns
                .iter()
                .map(|c| if c == column { wide.clone() } else { c.clone() })
                .collect()
        };
        let table: Table<Owned> = alter.table.convert();
        let indexes = table
            .indexes
            .iter()
            .filter(|index| index.columns.iter().any(|c| c == column))
            .map(|index| {
                let mut copy = index.clone();
                copy.name = postgres_name(&format!("{}__widened", index.name));
                copy.columns = on_wide(&index.columns);
                let sql = super::statements::create_index_sql(table_name, &copy, backend);
                (index.name.clone(), copy.name, sql)
            })
            .collect();
        let unique = to.unique.then(|| {
            let index = postgres_name(&format!("{table_name}_{wide}_key"));
            let sql = format!(
                "CREATE UNIQUE INDEX {} ON {} ({})",
                quote(&index),
                quote(table_name),
                quote(&wide)
            );
            (format!("{table_name}_{column}_key"), index, sql)
        });
        let checks = table
            .checks
            .iter()
            .filter(|check| check.column == column)
            .map(|check| {
                let mut copy = check.clone();
                copy.name = postgres_name(&format!("{}__widened", check.name));
                copy.column = wide.clone();
                let sql = format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({})",
                    quote(table_name),
                    quote(&copy.name),
                    super::statements::check_sql(&copy, backend)
                );
                (check.name.clone(), copy.name, sql)
            });
        let keys = table
            .foreign_keys
            .iter()
            .filter(|key| key.columns.iter().any(|c| c == column))
            .map(|key| {
                let mut copy = key.clone();
                copy.name = postgres_name(&format!("{}__widened", key.name));
                copy.columns = on_wide(&key.columns);
                let sql = super::text::build(
                    &super::statements::foreign_key_statement(table_name, &copy, backend),
                    backend,
                );
                (key.name.clone(), copy.name, sql)
            });
        let to: Column<Owned> = to.convert();
        Widening {
            table: table_name.to_owned(),
            column: column.to_owned(),
            ty: super::text::type_sql(backend, &to.ty).to_lowercase(),
            not_null: !to.null,
            default: to.default.as_ref().map(|d| value_sql(backend, d)),
            indexes,
            unique,
            constraints: checks.chain(keys).collect(),
            wide,
        }
    }

    /// The trigger (and its function) that keeps the new column equal to the old.
    fn sync(&self) -> String {
        postgres_name(&format!("{}__widen_{}", self.table, self.column))
    }

    /// The CHECK that proves the new column holds no NULL, when the column is NOT NULL.
    fn not_null_check(&self) -> String {
        postgres_name(&format!("online_not_null_{}", self.wide))
    }

    fn expand_sql(&self) -> [String; 3] {
        let (table_q, column_q, wide_q) =
            (quote(&self.table), quote(&self.column), quote(&self.wide));
        let sync_q = quote(&self.sync());
        [
            format!("ALTER TABLE {table_q} ADD COLUMN {wide_q} {}", self.ty),
            format!(
                "CREATE OR REPLACE FUNCTION {sync_q}() RETURNS trigger LANGUAGE plpgsql \
                 AS $$ BEGIN NEW.{wide_q} := NEW.{column_q}; RETURN NEW; END $$"
            ),
            format!(
                "CREATE TRIGGER {sync_q} BEFORE INSERT OR UPDATE ON {table_q} \
                 FOR EACH ROW EXECUTE FUNCTION {sync_q}()"
            ),
        ]
    }

    fn fill(&self) -> Fill<'_> {
        let (column_q, wide_q) = (quote(&self.column), quote(&self.wide));
        Fill {
            table: &self.table,
            set: format!("{wide_q} = {column_q}"),
            pending: format!("{wide_q} IS DISTINCT FROM {column_q}"),
        }
    }

    fn add_not_null_check_sql(&self) -> String {
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL)",
            quote(&self.table),
            quote(&self.not_null_check()),
            quote(&self.wide)
        )
    }

    fn swap_sql(&self) -> Vec<String> {
        let (table_q, column_q, wide_q) =
            (quote(&self.table), quote(&self.column), quote(&self.wide));
        let sync_q = quote(&self.sync());
        let mut swap = vec![
            format!("DROP TRIGGER IF EXISTS {sync_q} ON {table_q}"),
            format!("DROP FUNCTION IF EXISTS {sync_q}()"),
            format!("ALTER TABLE {table_q} DROP COLUMN {column_q}"),
            format!("ALTER TABLE {table_q} RENAME COLUMN {wide_q} TO {column_q}"),
        ];
        for (name, wide_name, _) in &self.indexes {
            swap.push(format!(
                "ALTER INDEX {} RENAME TO {}",
                quote(wide_name),
                quote(name)
            ));
        }
        if let Some((constraint, index, _)) = &self.unique {
            swap.push(format!(
                "ALTER TABLE {table_q} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
                quote(constraint),
                quote(index)
            ));
        }
        for (name, wide_name, _) in &self.constraints {
            swap.push(format!(
                "ALTER TABLE {table_q} RENAME CONSTRAINT {} TO {}",
                quote(wide_name),
                quote(name)
            ));
        }
        if self.not_null {
            swap.push(format!(
                "ALTER TABLE {table_q} ALTER COLUMN {column_q} SET NOT NULL"
            ));
            swap.push(format!(
                "ALTER TABLE {table_q} DROP CONSTRAINT {}",
                quote(&self.not_null_check())
            ));
        }
        if let Some(default) = &self.default {
            swap.push(format!(
                "ALTER TABLE {table_q} ALTER COLUMN {column_q} SET DEFAULT {default}"
            ));
        }
        swap
    }

    /// What [`Widening::apply`] runs, in order, each batched step shown once.
    fn statements(&self) -> Vec<String> {
        let mut sql = self.expand_sql().to_vec();
        sql.push(self.fill().shown());
        for (_, _, index) in self.indexes.iter().chain(&self.unique) {
            sql.extend(concurrently(index));
        }
        for (_, name, add) in &self.constraints {
            sql.push(format!("{add} NOT VALID"));
            sql.push(validate_sql(&self.table, name));
        }
        if self.not_null {
            sql.push(format!("{} NOT VALID", self.add_not_null_check_sql()));
            sql.push(validate_sql(&self.table, &self.not_null_check()));
        }
        sql.push("-- one short transaction:".to_owned());
        sql.extend(self.swap_sql());
        sql
    }

    /// Each step is found done or not in the catalog (the new column, the rows left to copy,
    /// the indexes and constraints), so a run stopped between them is finished by the next;
    /// the swap is one transaction.
    async fn apply(
        &self,
        db: &DatabaseConnection,
        lock_timeout: Option<std::time::Duration>,
    ) -> Result<(), DbErr> {
        let table = self.table.as_str();
        let type_of = |name: &str| {
            let name = name.to_owned();
            async move {
                db.query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a \
                     JOIN pg_catalog.pg_class c ON c.oid = a.attrelid WHERE c.relname = $1 \
                     AND a.attname = $2 AND NOT a.attisdropped \
                     AND c.relnamespace = current_schema()::regnamespace",
                    [table.into(), name.into()],
                ))
                .await?
                .map(|row| row.try_get_by_index::<String>(0))
                .transpose()
            }
        };
        if type_of(&self.wide).await?.is_none() {
            // Swapped by an earlier run: nothing left to do.
            if type_of(&self.column).await?.as_deref() == Some(self.ty.as_str()) {
                return Ok(());
            }
            self.refuse_unknown_dependents(db).await?;
            // Expand: the new column, kept equal to the old by every write from now on.
            briefly(db, &self.expand_sql(), lock_timeout).await?;
        }
        // Copy the rows there were; the trigger keeps the rest.
        let fill = self.fill();
        fill.by_page_ranges(db, lock_timeout).await?;
        fill.the_rest(db, lock_timeout).await?;
        // Everything that holds the old column, built anew on the new one, online.
        for (_, name, sql) in self.indexes.iter().chain(&self.unique) {
            build_index_concurrently(db, name, sql).await?;
        }
        for (_, name, sql) in &self.constraints {
            add_constraint_then_validate(db, table, name, sql, lock_timeout).await?;
        }
        if self.not_null {
            let add = self.add_not_null_check_sql();
            add_constraint_then_validate(db, table, &self.not_null_check(), &add, lock_timeout)
                .await?;
        }
        self.refuse_unknown_dependents(db).await?;
        // Contract, in one short transaction.
        briefly(db, &self.swap_sql(), lock_timeout)
            .await
            .map(|_| ())
    }
}

impl Widening {
    /// Stops when an index or constraint over the column is not the model's (made by hand, or
    /// a foreign key of another table that points at it): dropping the old column would drop
    /// it, or fail, and the new column would not have it.
    async fn refuse_unknown_dependents(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let known: Vec<&str> = self
            .indexes
            .iter()
            .chain(&self.unique)
            .chain(&self.constraints)
            .flat_map(|(name, wide_name, _)| [name.as_str(), wide_name.as_str()])
            .chain(self.unique.as_ref().map(|(name, _, _)| name.as_str()))
            .collect();
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT c.relname::text FROM pg_catalog.pg_index i \
                 JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid \
                 AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::regclass AND a.attname = $2 \
                 UNION SELECT k.conname::text FROM pg_catalog.pg_constraint k \
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = $1::regclass \
                 AND ((k.conrelid = a.attrelid AND a.attnum = ANY(k.conkey)) \
                 OR (k.confrelid = a.attrelid AND a.attnum = ANY(k.confkey))) \
                 WHERE a.attname = $2",
                [quote(&self.table).into(), self.column.clone().into()],
            ))
            .await?;
        let unknown: Vec<String> = rows
            .iter()
            .filter_map(|row| row.try_get_by_index::<String>(0).ok())
            .filter(|name| !known.contains(&name.as_str()))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        Err(DbErr::Migration(format!(
            "cannot widen `{}.{}` online: {} over it not in the model ({}); dropping the old \
             column would drop them. Add them to the model, or drop them first, or widen the \
             column by a hand-written migration",
            self.table,
            self.column,
            if unknown.len() == 1 {
                "an index or constraint"
            } else {
                "indexes or constraints"
            },
            unknown.join(", ")
        )))
    }
}

fn quote(name: &str) -> String {
    super::text::quote(DbBackend::Postgres, name)
}

/// `name` cut to the 63 bytes PostgreSQL keeps of a name.
fn postgres_name(name: &str) -> String {
    let mut name = name.to_owned();
    while name.len() > 63 {
        name.pop();
    }
    name
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

    const MINUTES: v1::Column = column("minutes", ColumnType::Integer).null();
    const ORDERS: v1::Table = table("orders", &[column("id", ColumnType::Integer), MINUTES])
        .primary_key(&["id"])
        .indexes(&[v1::index("idx-orders-minutes", &["minutes"])]);

    #[test]
    fn a_column_filled_and_made_not_null_shows_its_trigger_its_batches_and_its_check() {
        const TO: v1::Column = column("minutes", ColumnType::Integer);
        let fill = [v1::alter_table(
            ORDERS,
            &[Change::AlterColumn {
                from: MINUTES,
                to: TO,
                backfill: Some(v1::DefaultValue::Number("3")),
            }],
        )];
        assert!(online_on_postgres(&fill));
        assert_eq!(
            online_postgres_sql(&fill),
            [
                r#"CREATE OR REPLACE FUNCTION "orders__fill_minutes"() RETURNS trigger LANGUAGE plpgsql AS $fill$ BEGIN IF NEW."minutes" IS NULL THEN NEW."minutes" := 3; END IF; RETURN NEW; END $fill$"#,
                r#"DROP TRIGGER IF EXISTS "orders__fill_minutes" ON "orders""#,
                r#"CREATE TRIGGER "orders__fill_minutes" BEFORE INSERT OR UPDATE ON "orders" FOR EACH ROW EXECUTE FUNCTION "orders__fill_minutes"()"#,
                "-- in batches of ~10000 rows, each its own transaction, until none is left:\n\
                 UPDATE \"orders\" SET \"minutes\" = 3 WHERE TRUE AND \"minutes\" IS NULL",
                r#"ALTER TABLE "orders" ADD CONSTRAINT "online_not_null_minutes" CHECK ("minutes" IS NOT NULL) NOT VALID"#,
                r#"ALTER TABLE "orders" VALIDATE CONSTRAINT "online_not_null_minutes""#,
                r#"ALTER TABLE "orders" ALTER COLUMN "minutes" SET NOT NULL"#,
                r#"ALTER TABLE "orders" DROP CONSTRAINT IF EXISTS "online_not_null_minutes""#,
                r#"DROP TRIGGER IF EXISTS "orders__fill_minutes" ON "orders""#,
                r#"DROP FUNCTION IF EXISTS "orders__fill_minutes"()"#,
            ]
        );
    }

    #[test]
    fn a_widened_column_is_copied_beside_the_old_one_and_swapped_in_one_transaction() {
        const TO: v1::Column = column("minutes", ColumnType::BigInteger).null();
        let widen = [v1::alter_table(
            ORDERS,
            &[Change::AlterColumn {
                from: MINUTES,
                to: TO,
                backfill: None,
            }],
        )];
        assert!(online_on_postgres(&widen));
        assert_eq!(
            online_postgres_sql(&widen),
            [
                r#"ALTER TABLE "orders" ADD COLUMN "minutes__widened" bigint"#,
                r#"CREATE OR REPLACE FUNCTION "orders__widen_minutes"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW."minutes__widened" := NEW."minutes"; RETURN NEW; END $$"#,
                r#"CREATE TRIGGER "orders__widen_minutes" BEFORE INSERT OR UPDATE ON "orders" FOR EACH ROW EXECUTE FUNCTION "orders__widen_minutes"()"#,
                "-- in batches of ~10000 rows, each its own transaction, until none is left:\n\
                 UPDATE \"orders\" SET \"minutes__widened\" = \"minutes\" WHERE TRUE AND \
                 \"minutes__widened\" IS DISTINCT FROM \"minutes\"",
                r#"CREATE INDEX CONCURRENTLY "idx-orders-minutes__widened" ON "orders" ("minutes__widened")"#,
                "-- one short transaction:",
                r#"DROP TRIGGER IF EXISTS "orders__widen_minutes" ON "orders""#,
                r#"DROP FUNCTION IF EXISTS "orders__widen_minutes"()"#,
                r#"ALTER TABLE "orders" DROP COLUMN "minutes""#,
                r#"ALTER TABLE "orders" RENAME COLUMN "minutes__widened" TO "minutes""#,
                r#"ALTER INDEX "idx-orders-minutes__widened" RENAME TO "idx-orders-minutes""#,
            ]
        );
        // Narrowing, or widening a key, is no online form: one transaction.
        let narrow = [v1::alter_table(
            ORDERS,
            &[Change::AlterColumn {
                from: TO,
                to: MINUTES,
                backfill: None,
            }],
        )];
        assert!(!online_on_postgres(&narrow));
        const WIDEN_KEY: &[v1::Change] = &[Change::AlterColumn {
            from: column("id", ColumnType::Integer),
            to: column("id", ColumnType::BigInteger),
            backfill: None,
        }];
        let widen_key = [v1::alter_table(ORDERS, WIDEN_KEY)];
        assert!(!online_on_postgres(&widen_key));
    }
}
