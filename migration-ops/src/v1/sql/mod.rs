//! The v1 interpreter: builds each backend's SQL for v1 operations with sea-query, exactly as
//! SeaORM's `Schema` builds an entity's; where SQLite cannot alter a table in place, it rebuilds
//! the table (rename, create, copy, drop) inside the migration's transaction.
//!
//! This module turns each operation into its steps (statements, and the row counts that run
//! before a constraint is added); the submodules hold the rest, one concern each.

mod apply;
mod online;
mod precheck;
mod rebuild;
mod statements;
mod text;

pub use apply::{apply, apply_ops};
pub use online::{apply_online_postgres, online_change, online_on_postgres, online_postgres_sql};

pub use precheck::describe_check;
pub use rebuild::{rebuilds_on_sqlite, sqlite_rebuilds};
pub use text::string_literal;

use sea_orm_migration::sea_orm::DbBackend;

use crate::schema::{Action, AlterTable, Change, ForeignKey, Op, Store};
use precheck::{
    Precheck, change_requirements, counts_existing_rows, key_precheck, new_key, requirements,
};
use rebuild::{rebuild_copy, rebuild_sqlite_table};
use statements::{change_sql, check_sql, op_to_sql};
use text::{quote, value_sql};

/// The SQL statements that `ops` run on `backend`, in order (without the row counts that
/// [`apply`](fn@apply) runs before adding a constraint).
pub fn to_sql<S: Store>(ops: &[Op<S>], backend: DbBackend) -> Vec<String> {
    statements(steps(ops, backend))
}

/// The statements of `steps`, without their row counts.
fn statements(steps: Vec<Step>) -> Vec<String> {
    steps
        .into_iter()
        .filter_map(|step| match step {
            Step::Run(sql) | Step::Backfill { sql, .. } | Step::UncheckedForeignKey { sql, .. } => {
                Some(sql)
            }
            Step::Count(_) => None,
        })
        .collect()
}

/// One thing [`apply`](fn@apply) does.
enum Step {
    Run(String),
    /// Counts the rows that break a constraint about to be added, and stops when there are any.
    Count(Precheck),
    /// MySQL: a backfill's `UPDATE … WHERE … IS NULL` (`sql`), run in batches that each
    /// commit by themselves (see [`Batches`]), so that the application's writes never wait for
    /// more than one batch's row locks. Running it again after an interruption picks up where
    /// it stopped.
    Backfill {
        sql: String,
        batches: Batches,
    },
    /// MySQL: a foreign key added (`sql`) with `foreign_key_checks` off for the statement, which
    /// MariaDB then adds in place without copying the table or checking the rows;
    /// `orphans` counts the rows it would refuse, just before (none, or it stops) and after
    /// (rows written meanwhile: then the key is dropped with `undo` and the migration stops).
    UncheckedForeignKey {
        sql: String,
        orphans: Precheck,
        undo: String,
    },
}

/// A backfill of `table` in batches: `UPDATE table SET {set} WHERE … AND {pending}`, first over
/// ranges of `key` (a single integer primary key, quoted) of
/// [`BACKFILL_BATCH_ROWS`] values each, found through the key's index, then
/// `LIMIT`ed batches under `READ COMMITTED` (which keeps no lock on the rows it passes over)
/// until one changes no row.
struct Batches {
    table: String,
    set: String,
    pending: String,
    key: Option<String>,
}

/// Whether MySQL/MariaDB add foreign key `key` in place, with `foreign_key_checks` off (see
/// [`Step::UncheckedForeignKey`]): not when it names `RESTRICT` (MariaDB 10.11 then records
/// it as `NO ACTION`, the same rule under another name, which a catalog comparison would call
/// drift) or `SET DEFAULT` (recorded as `NO ACTION` too); those are added with the table copied.
pub fn unchecked_on_mysql<S: Store>(key: &ForeignKey<S>) -> bool {
    [key.on_delete, key.on_update]
        .iter()
        .all(|action| !matches!(action, Some(Action::Restrict | Action::SetDefault)))
}

/// How many rows one batch of a backfill changes (see [`Step::Backfill`]).
const BACKFILL_BATCH_ROWS: u32 = 10_000;

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

/// The steps of one change of `alter` made in place: the row counts before a constraint, then
/// its statements (on MySQL a backfill as [`Step::Backfill`]).
fn change_steps<S: Store>(
    alter: &AlterTable<S>,
    change: &Change<S>,
    backend: DbBackend,
) -> Vec<Step> {
    let mut steps = Vec::new();
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
    let filled = match change {
        Change::AddColumn {
            column,
            backfill: Some(value),
        }
        | Change::AlterColumn {
            to: column,
            backfill: Some(value),
            ..
        } => Some((column, value)),
        _ => None,
    };
    // A single integer key, to walk the table by.
    let walk_by = match &alter.table.primary_key[..] {
        [key] => alter
            .table
            .column(key)
            .filter(|column| column.ty.is_integer())
            .map(|column| quote(backend, &column.name)),
        _ => None,
    };
    if let (Change::AddForeignKey(key), DbBackend::MySql) = (change, backend)
        && unchecked_on_mysql(key)
    {
        // Counted within the step, since the referenced table may be created by this migration.
        let orphans = precheck::orphans(&alter.table.name, key, backend);
        steps.push(Step::UncheckedForeignKey {
            sql: change_sql(alter, change, backend).remove(0),
            orphans,
            undo: change_sql(alter, &Change::DropForeignKey(key.name.clone()), backend).remove(0),
        });
        return steps;
    }
    for sql in change_sql(alter, change, backend) {
        // The one UPDATE of a backfill (see `statements::change_sql`).
        steps.push(match filled {
            Some((column, value)) if backend == DbBackend::MySql && sql.starts_with("UPDATE ") => {
                let column_q = quote(backend, &column.name);
                Step::Backfill {
                    sql,
                    batches: Batches {
                        table: quote(backend, &alter.table.name),
                        set: format!("{column_q} = {}", value_sql(backend, value)),
                        pending: format!("{column_q} IS NULL"),
                        key: walk_by.clone(),
                    },
                }
            }
            _ => Step::Run(sql),
        });
    }
    steps
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
                // MySQL: a CHECK replaced by one of the same name is dropped and added in one
                // `ALTER TABLE`, so that no write gets in while neither rule holds (PostgreSQL
                // has both in the migration's transaction).
                let replaced: Vec<&str> = match backend {
                    DbBackend::MySql => alter
                        .changes
                        .iter()
                        .filter_map(|change| match change {
                            Change::AddCheck(check)
                                if alter.changes.iter().any(
                                    |c| matches!(c, Change::DropCheck(n) if **n == *check.name),
                                ) =>
                            {
                                Some(&*check.name)
                            }
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                alter
                    .changes
                    .iter()
                    .flat_map(|change| match change {
                        Change::DropCheck(name) if replaced.contains(&&**name) => Vec::new(),
                        Change::AddCheck(check) if replaced.contains(&&*check.name) => {
                            let drop = format!(
                                " DROP CONSTRAINT {}, ADD CONSTRAINT ",
                                quote(backend, &check.name)
                            );
                            change_steps(alter, change, backend)
                                .into_iter()
                                .map(|step| match step {
                                    Step::Run(sql) => {
                                        Step::Run(sql.replacen(" ADD CONSTRAINT ", &drop, 1))
                                    }
                                    step => step,
                                })
                                .collect()
                        }
                        _ => change_steps(alter, change, backend),
                    })
                    .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::{self, CheckRule, ColumnType, check, column, table};

    const TITLE: v1::Check = check(
        "ck_posts_title",
        "title",
        CheckRule::Length {
            min: Some(1),
            max: Some(50),
        },
    );
    const POSTS: v1::Table = table("posts", &[column("title", ColumnType::Text)]).checks(&[TITLE]);

    #[test]
    fn a_check_replaced_under_its_name_is_one_alter_table_on_mysql() {
        let replace = [v1::alter_table(
            POSTS,
            &[Change::DropCheck("ck_posts_title"), Change::AddCheck(TITLE)],
        )];
        assert_eq!(
            to_sql(&replace, DbBackend::MySql),
            [
                "ALTER TABLE `posts` DROP CONSTRAINT `ck_posts_title`, ADD CONSTRAINT \
              `ck_posts_title` CHECK (CHAR_LENGTH(`title`) >= 1 AND CHAR_LENGTH(`title`) <= 50)"
            ]
        );
        // PostgreSQL drops and adds in the migration's one transaction.
        assert_eq!(to_sql(&replace, DbBackend::Postgres).len(), 2);
    }

    #[test]
    fn a_foreign_key_naming_restrict_is_added_with_its_rows_checked_on_mysql() {
        let key = v1::foreign_key("fk", &["author_id"], "authors", &["id"]);
        assert!(unchecked_on_mysql(&key));
        assert!(unchecked_on_mysql(&key.on_delete(v1::Action::Cascade)));
        assert!(!unchecked_on_mysql(&key.on_delete(v1::Action::Restrict)));
        assert!(!unchecked_on_mysql(&key.on_update(v1::Action::SetDefault)));
    }
}
