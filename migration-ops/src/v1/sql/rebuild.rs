//! SQLite's table rebuild: which changes need one, and the statements that create the new
//! table, copy the rows over, drop the old one and give the new one its name.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::sea_query;

use super::statements::{column_def, create_index_sql, create_table_statement};
use super::text::{build, column_def_sql, iden, quote, value_sql};
use crate::schema::{AlterTable, Change, Column, DefaultValue, Op, Store, Table};

/// Whether `op` rebuilds a table on SQLite.
pub fn rebuilds_on_sqlite<S: Store>(op: &Op<S>) -> bool {
    matches!(op, Op::AlterTable(alter) if alter.changes.iter().any(sqlite_rebuilds))
}

/// Whether SQLite must rebuild the table for `change`.
pub fn sqlite_rebuilds<S: Store>(change: &Change<S>) -> bool {
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
pub(super) fn rebuild_copy<S: Store>(alter: &AlterTable<S>) -> Vec<(String, Option<String>)> {
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
/// create its indexes. [`apply`](fn@super::apply) runs it with foreign keys off, so that
/// dropping the old table neither cascades nor retargets the tables that reference it.
pub(super) fn rebuild_sqlite_table<S: Store>(
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
