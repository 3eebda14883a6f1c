//! The row counts that run before a constraint is added (a CHECK, NOT NULL, a primary key, an
//! enum's narrower values), so that a migration stops, naming the rows, before it changes
//! anything; and [`describe_check`], a CHECK's rule in words for their errors.

use sea_orm_migration::sea_orm::{DbBackend, DbErr};

use super::text::{join, quote, value_sql};
use crate::schema::{
    AlterTable, Change, Check, CheckRule, Column, ColumnType, Convert, DefaultValue, ForeignKey,
    Op, Owned, Store,
};

#[derive(Clone)]
pub(super) struct Precheck {
    /// `SELECT COUNT(*) …` of the offending rows.
    pub(super) sql: String,
    pub(super) table: String,
    /// The constraint, for the error: "check `ck_posts_title_length` (`title` has …)".
    pub(super) what: String,
    /// Whether it counts over the rows a SQLite rebuild copies, rather than the table.
    pub(super) over_copy: bool,
}

impl Precheck {
    pub(super) fn failure(&self, count: i64) -> DbErr {
        DbErr::Migration(format!(
            "{count} row(s) of `{}` break {}; the migration stopped before changing it. Fix \
             or remove those rows, then run the migration again",
            self.table, self.what
        ))
    }
}

/// Whether `precheck` (of `op`) reads only a table and column that exist, unchanged, before
/// `earlier` and `op` run.
pub(super) fn counts_existing_rows<S: Store>(
    earlier: &[Op<S>],
    op: &Op<S>,
    precheck: &Precheck,
) -> bool {
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

/// Counts the rows whose `key` would be NULL or shared with another row.
pub(super) fn key_precheck<S: Store>(
    table: &str,
    rows: &str,
    key: &[S::Str],
    backend: DbBackend,
) -> Precheck {
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
pub(super) fn new_key<S: Store>(change: &Change<S>) -> Option<&[S::Str]> {
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
pub(super) fn requirements<S: Store>(
    alter: &AlterTable<S>,
) -> impl Iterator<Item = (Check<Owned>, String)> + '_ {
    alter
        .changes
        .iter()
        .flat_map(|change| change_requirements(change, DbBackend::Sqlite))
}

/// The rows of `table` that foreign key `key` would refuse: every column of the key set (a NULL
/// in one exempts the row, as in MySQL and PostgreSQL) and no row of the referenced table with
/// those values.
pub(super) fn orphans<S: Store>(table: &str, key: &ForeignKey<S>, backend: DbBackend) -> Precheck {
    let set = key
        .columns
        .iter()
        .map(|c| format!("child.{} IS NOT NULL", quote(backend, c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let matched = key
        .columns
        .iter()
        .zip(key.ref_columns.iter())
        .map(|(c, r)| format!("parent.{} = child.{}", quote(backend, r), quote(backend, c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    Precheck {
        sql: format!(
            "SELECT COUNT(*) FROM {} child WHERE {set} AND NOT EXISTS (SELECT 1 FROM {} parent \
             WHERE {matched})",
            quote(backend, table),
            quote(backend, &key.ref_table)
        ),
        table: table.to_owned(),
        what: format!(
            "foreign key `{}` (a `{}` row for each)",
            key.name, key.ref_table
        ),
        over_copy: false,
    }
}

pub(super) fn change_requirements<S: Store>(
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
        CheckRule::NoNul => format!("`{column}` holds no NUL character"),
    }
}
