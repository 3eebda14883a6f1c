//! What each change does to a live table while it runs, on each backend: the lock it takes, and
//! whether it holds the table's writes for as long as a pass over every row takes (an index
//! build, a validating scan, a rewrite, a copy). Pure; the CLI shows it and refuses to write a
//! migration that blocks writes on PostgreSQL or MySQL without `--allow-blocking`.

use std::collections::BTreeSet;

use migration_ops::schema::{ColumnType, DefaultValue, Len};
use migration_ops::v1::{online_on_postgres, sqlite_rebuilds, unchecked_on_mysql};

use crate::lower::Op;
use crate::model::Column;
use crate::operation::{Change, ChangeMeaning};

/// How long a change keeps the table's writes waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// A catalog change: the lock is held for a moment.
    Brief,
    /// Builds an index over every row while writes wait.
    Build,
    /// Reads every row to check a rule while writes wait.
    Scan,
    /// Writes every row (a new type, a backfill) while writes wait.
    Rewrite,
    /// Copies the whole table (MySQL `ALGORITHM=COPY`, a SQLite rebuild) while writes wait.
    Copy,
}

impl Hold {
    fn blocks(self) -> bool {
        self != Hold::Brief
    }

    fn phrase(self) -> &'static str {
        match self {
            Hold::Brief => "brief",
            Hold::Build => "blocks writes while the index builds",
            Hold::Scan => "blocks writes while it scans every row",
            Hold::Rewrite => "blocks writes while it rewrites every row",
            Hold::Copy => "blocks writes while it copies the table",
        }
    }
}

/// One change on one backend.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Impact {
    pub table: String,
    /// The change, as the summary describes it.
    pub change: String,
    pub backend: &'static str,
    /// The lock or algorithm, in the backend's own words.
    pub lock: &'static str,
    pub hold: Hold,
    /// How long writes wait, per million rows, where it was measured (see [`per_million_rows`]).
    pub per_million_rows: Option<&'static str>,
}

impl Impact {
    /// Whether the change keeps writes to a populated table waiting for a pass over its rows.
    pub fn blocks(&self) -> bool {
        self.hold.blocks()
    }

    /// Whether the `--allow-blocking` gate applies: the servers where an application writes
    /// while it migrates. (On SQLite every migration holds the database's one write lock for
    /// its whole transaction; it is shown, not refused.)
    pub fn gated(&self) -> bool {
        self.blocks() && self.backend != "SQLite"
    }
}

impl Impact {
    /// The change, its lock and its hold, without the backend.
    pub fn described(&self) -> String {
        format!("{} ({}, {})", self.change, self.lock, self.held())
    }

    /// How long it keeps writes waiting, with the measured time per million rows if any.
    fn held(&self) -> String {
        match self.per_million_rows {
            Some(time) => format!("{}, about {time} per million rows", self.hold.phrase()),
            None => self.hold.phrase().to_owned(),
        }
    }
}

/// How long a change that holds writes kept them waiting per million rows, as measured by
/// `cargo run --release -p tests --bin bench -- --online` on a `posts` table of 1,000,000 short
/// rows (PostgreSQL 15, MariaDB 10.11) on a 2-core machine: the blocking forms' longest write
/// stalls. Wider rows, more indexes or a slower disk take longer. `None` where
/// nothing was measured.
fn per_million_rows(backend: Backend, hold: Hold) -> Option<&'static str> {
    match (backend, hold) {
        (Backend::Postgres, Hold::Build) => Some("1.2-1.4 s"),
        (Backend::Postgres, Hold::Scan) => Some("0.1-0.5 s"),
        (Backend::Postgres, Hold::Rewrite) => Some("1.7 s"),
        (Backend::MySql, Hold::Copy) => Some("2.6-6 s"),
        _ => None,
    }
}

impl std::fmt::Display for Impact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.backend, self.described())
    }
}

#[derive(Clone, Copy)]
enum Backend {
    Postgres,
    MySql,
    Sqlite,
}

const BACKENDS: [(Backend, &str); 3] = [
    (Backend::Postgres, "PostgreSQL"),
    (Backend::MySql, "MySQL/MariaDB"),
    (Backend::Sqlite, "SQLite"),
];

/// The impact of every change of `ops` (a migration's data, as the runner runs it) on a table
/// that existed before them, on each backend. Tables the operations create are empty: nothing
/// done to them waits for rows.
pub fn impacts(ops: &[Op]) -> Vec<Impact> {
    let created: BTreeSet<&str> = ops
        .iter()
        .filter_map(|op| match op {
            Op::CreateTable(table) => Some(table.name.as_str()),
            _ => None,
        })
        .collect();
    // A migration of changes that all have an online form runs in those forms on PostgreSQL
    // (the runner's; see `migration_ops::v1::online_on_postgres`).
    let online = online_on_postgres(ops);
    let mut impacts = Vec::new();
    for op in ops {
        let Op::AlterTable(alter) = op else {
            continue;
        };
        let name = alter.table.name.as_str();
        if created.contains(name) {
            continue;
        }
        for change in &alter.changes {
            for (backend, label) in BACKENDS {
                let (lock, hold) = match backend {
                    Backend::Postgres if online => (online_postgres(change), Hold::Brief),
                    _ => lock_and_hold(change, backend),
                };
                impacts.push(Impact {
                    table: name.to_owned(),
                    change: change.describe(name),
                    backend: label,
                    lock,
                    hold,
                    per_million_rows: per_million_rows(backend, hold),
                });
            }
        }
    }
    impacts
}

/// A type change PostgreSQL makes in the catalog alone: a longer or unbounded `varchar`.
fn widens_in_place(from: &Column, to: &Column) -> bool {
    match (&from.ty, &to.ty) {
        (ColumnType::String(Len::N(a)), ColumnType::String(Len::N(b))) => b >= a,
        (ColumnType::String(_), ColumnType::String(Len::None | Len::Max) | ColumnType::Text) => {
            true
        }
        _ => false,
    }
}

fn lock_and_hold(change: &Change, backend: Backend) -> (&'static str, Hold) {
    match backend {
        Backend::Postgres => postgres(change),
        Backend::MySql => mysql(change),
        Backend::Sqlite if sqlite_rebuilds(change) => {
            ("rebuild under the database's write lock", Hold::Copy)
        }
        Backend::Sqlite if matches!(change, Change::CreateIndex(_)) => {
            ("database write lock", Hold::Build)
        }
        Backend::Sqlite => ("database write lock", Hold::Brief),
    }
}

/// The locks of PostgreSQL's online forms (see [`impacts`]).
fn online_postgres(change: &Change) -> &'static str {
    match change {
        Change::CreateIndex(_) => "SHARE UPDATE EXCLUSIVE (CREATE INDEX CONCURRENTLY)",
        Change::AddForeignKey(_) => {
            "SHARE ROW EXCLUSIVE for a moment (NOT VALID), then SHARE UPDATE EXCLUSIVE (VALIDATE)"
        }
        Change::AlterColumn { from, to, .. } if from.ty != to.ty => {
            "expand and contract: a new column kept equal by a trigger, rows copied in batches \
             of ~10k, its indexes and constraints built online, ACCESS EXCLUSIVE for a moment \
             (swap)"
        }
        Change::AlterColumn {
            backfill: Some(_), ..
        } => {
            "row locks of one batch of ~10k rows at a time (backfill), ACCESS EXCLUSIVE for a \
             moment (CHECK NOT VALID; VALIDATE; SET NOT NULL without a scan)"
        }
        Change::AlterColumn { .. } => {
            "ACCESS EXCLUSIVE for a moment (CHECK NOT VALID; VALIDATE; SET NOT NULL without a scan)"
        }
        _ => "ACCESS EXCLUSIVE for a moment (NOT VALID), then SHARE UPDATE EXCLUSIVE (VALIDATE)",
    }
}

fn postgres(change: &Change) -> (&'static str, Hold) {
    const EXCLUSIVE: &str = "ACCESS EXCLUSIVE";
    match change {
        // Added with the value as its default, kept in the catalog for the rows there (11+),
        // unless it is an expression, which may differ row by row.
        Change::AddColumn {
            backfill: Some(DefaultValue::Expr(_)),
            ..
        } => (EXCLUSIVE, Hold::Rewrite),
        Change::AddColumn { column, .. } if column.unique => (EXCLUSIVE, Hold::Build),
        Change::AlterColumn {
            backfill: Some(_), ..
        } => (EXCLUSIVE, Hold::Rewrite),
        Change::AlterColumn { from, to, .. } => {
            let changed = from.changes_to(to);
            if changed.ty && !widens_in_place(from, to) {
                (EXCLUSIVE, Hold::Rewrite)
            } else if changed.unique && to.unique {
                (EXCLUSIVE, Hold::Build)
            } else if changed.null && !to.null {
                (EXCLUSIVE, Hold::Scan)
            } else {
                (EXCLUSIVE, Hold::Brief)
            }
        }
        Change::CreateIndex(_) => ("SHARE", Hold::Build),
        Change::AddForeignKey(_) => ("SHARE ROW EXCLUSIVE", Hold::Scan),
        Change::AddCheck(_) => (EXCLUSIVE, Hold::Scan),
        Change::PrimaryKey { .. } => (EXCLUSIVE, Hold::Build),
        _ => (EXCLUSIVE, Hold::Brief),
    }
}

fn mysql(change: &Change) -> (&'static str, Hold) {
    match change {
        Change::AddColumn {
            column,
            backfill: Some(_),
        } if !column.null => (
            "INSTANT, UPDATE in batches of ~10k rows, then INPLACE rebuild, LOCK=NONE",
            Hold::Brief,
        ),
        Change::AddColumn {
            backfill: Some(_), ..
        } => ("INSTANT, then UPDATE in batches of ~10k rows", Hold::Brief),
        Change::AddColumn { .. } | Change::DropColumn(_) => ("INSTANT", Hold::Brief),
        Change::AlterColumn { from, to, .. } => {
            let changed = from.changes_to(to);
            if changed.ty && !widens_in_place(from, to) {
                ("COPY", Hold::Copy)
            } else if changed.null
                && !to.null
                && matches!(
                    change,
                    Change::AlterColumn {
                        backfill: Some(_),
                        ..
                    }
                )
            {
                // Each batch of the backfill commits by itself (see `Step::Backfill`).
                (
                    "UPDATE in batches of ~10k rows, then INPLACE rebuild, LOCK=NONE",
                    Hold::Brief,
                )
            } else if changed.null && !to.null {
                // Rebuilt in place while writes go on (measured: `bench -- --online`).
                ("INPLACE rebuild, LOCK=NONE", Hold::Brief)
            } else {
                ("INPLACE, LOCK=NONE", Hold::Brief)
            }
        }
        Change::CreateIndex(_) => ("INPLACE, LOCK=NONE", Hold::Brief),
        // Added in place with foreign_key_checks off, its orphans counted before and after
        // (see `migration_ops::v1::unchecked_on_mysql`).
        Change::AddForeignKey(key) if unchecked_on_mysql(key) => (
            "INPLACE with foreign_key_checks off, orphans counted before and after",
            Hold::Brief,
        ),
        Change::AddForeignKey(_) | Change::AddCheck(_) => ("COPY", Hold::Copy),
        Change::PrimaryKey { .. } => ("INPLACE rebuild", Hold::Rewrite),
        _ => ("INPLACE, LOCK=NONE", Hold::Brief),
    }
}

/// What `generate` and `diff` print under the summary: each change to a table that holds rows,
/// with its lock and hold on each backend. Empty when every change is to a new table.
pub fn report(impacts: &[Impact]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut last: Option<(&str, &str)> = None;
    for impact in impacts {
        if last != Some((&impact.table, &impact.change)) {
            if lines.is_empty() {
                lines.push("Locks on tables that hold rows:".to_owned());
            }
            lines.push(format!("  {}", impact.change));
            last = Some((&impact.table, &impact.change));
        }
        lines.push(format!(
            "    {:<14} {}: {}",
            impact.backend,
            impact.lock,
            impact.held()
        ));
    }
    lines
}

/// The refusal of changes that block writes on PostgreSQL or MySQL: one line per change and
/// backend, and what to do.
pub fn refusal(impacts: &[Impact]) -> Option<String> {
    let gated: Vec<String> = impacts
        .iter()
        .filter(|i| i.gated())
        .map(|i| format!("  {i}"))
        .collect();
    if gated.is_empty() {
        return None;
    }
    Some(format!(
        "these changes keep a populated table's writes waiting for a pass over every row \
         (the longer, the more rows it holds):\n{}\npass \
         --allow-blocking to write them anyway (when the table is small, or at a quiet \
         hour), or make them in steps the database can do online: a migration that only adds \
         indexes, CHECKs and foreign keys, makes columns NOT NULL (with --backfill too) or \
         widens integer and floating-point columns runs online on PostgreSQL (CONCURRENTLY; \
         NOT VALID then VALIDATE; expand and contract)",
        gated.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Options, diff};
    use crate::model::{ColumnType, Index, Len, Schema, Table};

    /// `posts` (`id`, `title varchar(100)`), changed by `edit`.
    fn posts(edit: impl FnOnce(&mut Table)) -> Schema {
        let mut id = Column::new("id", ColumnType::Integer);
        id.auto_increment = true;
        let mut table = Table {
            name: "posts".to_owned(),
            columns: vec![id, Column::new("title", ColumnType::String(Len::N(100)))],
            primary_key: vec!["id".to_owned()],
            ..Table::default()
        };
        edit(&mut table);
        Schema {
            tables: [("posts".to_owned(), table)].into(),
            ..Schema::default()
        }
    }

    fn impacts_of(before: &Schema, after: &Schema) -> Vec<Impact> {
        impacts(&crate::lower::lower(
            &diff(before, after, &Options::default()).unwrap(),
        ))
    }

    fn on<'a>(impacts: &'a [Impact], backend: &str) -> &'a Impact {
        impacts.iter().find(|i| i.backend == backend).unwrap()
    }

    fn with_title_index(table: &mut Table) {
        table.indexes.push(Index {
            name: "idx-posts-title".to_owned(),
            columns: vec!["title".to_owned()],
            unique: false,
        });
    }

    #[test]
    fn an_index_alone_is_built_concurrently_on_postgresql_and_online_on_mariadb() {
        let impacts = impacts_of(&posts(|_| {}), &posts(with_title_index));
        assert_eq!(impacts.len(), 3, "one line per backend: {impacts:?}");
        let postgres = on(&impacts, "PostgreSQL");
        assert_eq!(
            (postgres.lock, postgres.hold),
            (
                "SHARE UPDATE EXCLUSIVE (CREATE INDEX CONCURRENTLY)",
                Hold::Brief
            )
        );
        assert!(!on(&impacts, "MySQL/MariaDB").blocks());
        assert_eq!(refusal(&impacts), None);
    }

    #[test]
    fn an_index_beside_other_changes_blocks_writes_on_postgresql() {
        let with_note = posts(|t| {
            with_title_index(t);
            let mut note = Column::new("note", ColumnType::Text);
            note.null = true;
            t.columns.push(note);
        });
        let impacts = impacts_of(&posts(|_| {}), &with_note);
        let index = |backend: &str| {
            impacts
                .iter()
                .find(|i| i.backend == backend && i.change.starts_with("+ index"))
                .unwrap()
        };
        assert_eq!(
            (index("PostgreSQL").lock, index("PostgreSQL").hold),
            ("SHARE", Hold::Build)
        );
        assert!(!index("MySQL/MariaDB").blocks());
        let refusal = refusal(&impacts).unwrap();
        assert!(refusal.contains("PostgreSQL: + index"), "{refusal}");
        assert!(refusal.contains("--allow-blocking"), "{refusal}");
        assert!(refusal.contains("a migration that only adds"), "{refusal}");
        assert!(!refusal.contains("MySQL/MariaDB:"), "{refusal}");
    }

    #[test]
    fn a_check_alone_is_online_on_postgresql_but_copies_the_table_on_mariadb() {
        let checked = posts(|t| {
            t.checks.push(crate::model::Check {
                name: "ck_posts_title_length".to_owned(),
                column: "title".to_owned(),
                rule: crate::model::CheckRule::Length {
                    min: Some(1),
                    max: None,
                },
            })
        });
        let impacts = impacts_of(&posts(|_| {}), &checked);
        let postgres = on(&impacts, "PostgreSQL");
        assert!(
            !postgres.blocks() && postgres.lock.contains("NOT VALID"),
            "{impacts:?}"
        );
        let mariadb = on(&impacts, "MySQL/MariaDB");
        assert_eq!((mariadb.lock, mariadb.hold), ("COPY", Hold::Copy));
        let refusal = refusal(&impacts).unwrap();
        assert!(refusal.contains("MySQL/MariaDB: + check") && !refusal.contains("PostgreSQL:"));
    }

    #[test]
    fn a_column_made_not_null_alone_keeps_writes_going_on_both_servers() {
        let optional = posts(|t| t.columns[1].null = true);
        let impacts = impacts_of(&optional, &posts(|_| {}));
        let postgres = on(&impacts, "PostgreSQL");
        assert!(!postgres.blocks() && postgres.lock.contains("SET NOT NULL without a scan"));
        assert!(!on(&impacts, "MySQL/MariaDB").blocks(), "{impacts:?}");
        assert_eq!(refusal(&impacts), None);
    }

    #[test]
    fn changes_to_a_table_created_in_the_same_migration_wait_for_no_rows() {
        assert!(impacts_of(&Schema::default(), &posts(with_title_index)).is_empty());
    }

    #[test]
    fn a_nullable_column_and_a_longer_varchar_are_brief_everywhere_but_a_new_type_is_not() {
        let nullable = posts(|t| {
            let mut note = Column::new("note", ColumnType::Text);
            note.null = true;
            t.columns.push(note);
        });
        let impacts = impacts_of(&posts(|_| {}), &nullable);
        assert!(impacts.iter().all(|i| !i.blocks()), "{impacts:?}");
        assert_eq!(refusal(&impacts), None);

        let longer = posts(|t| t.columns[1].ty = ColumnType::String(Len::N(200)));
        let impacts = impacts_of(&posts(|_| {}), &longer);
        assert!(!on(&impacts, "PostgreSQL").blocks(), "{impacts:?}");

        let retyped = posts(|t| t.columns[1].ty = ColumnType::Text);
        let bigger = posts(|t| t.columns[0].ty = ColumnType::BigInteger);
        let impacts = impacts_of(&posts(|_| {}), &bigger);
        assert_eq!(on(&impacts, "PostgreSQL").hold, Hold::Rewrite);
        assert_eq!(on(&impacts, "MySQL/MariaDB").hold, Hold::Copy);
        let impacts = impacts_of(&posts(|_| {}), &retyped);
        assert!(
            !on(&impacts, "PostgreSQL").blocks(),
            "varchar to text: {impacts:?}"
        );
    }

    #[test]
    fn an_integer_widened_alone_is_expand_and_contract_on_postgresql_and_a_copy_on_mariadb() {
        let with_minutes =
            |ty: ColumnType| posts(move |t| t.columns.push(Column::new("minutes", ty)));
        let impacts = impacts_of(
            &with_minutes(ColumnType::Integer),
            &with_minutes(ColumnType::BigInteger),
        );
        let postgres = on(&impacts, "PostgreSQL");
        assert!(!postgres.blocks() && postgres.lock.starts_with("expand and contract"));
        let mariadb = on(&impacts, "MySQL/MariaDB");
        assert_eq!(
            (mariadb.hold, mariadb.per_million_rows),
            (Hold::Copy, Some("2.6-6 s"))
        );
        let refused = refusal(&impacts).unwrap();
        assert!(
            refused.contains("copies the table, about 2.6-6 s per million rows"),
            "{refused}"
        );
    }

    #[test]
    fn the_report_groups_the_backends_under_each_change() {
        let report = report(&impacts_of(&posts(|_| {}), &posts(with_title_index)));
        assert_eq!(report[0], "Locks on tables that hold rows:");
        assert!(report[1].starts_with("  + index"), "{report:?}");
        assert!(report[2].contains("PostgreSQL") && report[2].contains("CONCURRENTLY"));
        assert_eq!(report.len(), 5, "{report:?}");
    }
}
