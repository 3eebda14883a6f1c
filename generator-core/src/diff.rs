//! The differ: compares the recorded schema with the entities' schema and returns the ordered
//! operations that turn one into the other. Pure: no I/O, no prompts. Anything it will not
//! decide alone (a rename it would have to guess, a change that loses data, a NOT NULL column
//! with no value for existing rows) is an error naming the change and the flag that decides it.
//!
//! The order of the steps is the algorithm; each step only needs what earlier steps made:
//! 1. create enum types and add enum values (tables may use them);
//! 2. drop the foreign keys that go away or change (so nothing blocks the drops below);
//! 3. drop removed tables, referencing tables first;
//! 4. rename tables;
//! 5. create new tables, referenced tables first, so inline foreign keys resolve;
//! 6. change columns and indexes of the remaining tables (index drops first, then column
//!    drops, renames, alterations and additions, then index creations);
//! 7. add the new and changed foreign keys (every table they point at exists by now);
//! 8. drop enum types nothing uses any more.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::error::Error;
use crate::model::is_numeric_literal;
use crate::model::{Check, Column, ColumnType, DefaultValue, ForeignKey, Index, Schema, Table};
use crate::operation::{Change, ChangeMeaning, EnumUse, Operation};

/// Decisions the user made on the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Allow operations that lose data (`--allow-destructive`).
    pub allow_destructive: bool,
    /// Allow changes that keep a populated table's writes waiting on PostgreSQL or MySQL
    /// (`--allow-blocking`; see [`crate::impact`]).
    pub allow_blocking: bool,
    /// Table renames, old name → new name (`--rename old=new`).
    pub table_renames: BTreeMap<String, String>,
    /// Column renames, (table, old name) → new name (`--rename table.old=new`). The table is
    /// named as the entities name it now.
    pub column_renames: BTreeMap<(String, String), String>,
    /// Values for existing rows, (table, column) → value (`--backfill table.column=value`).
    pub backfills: BTreeMap<(String, String), String>,
    /// Tables that really were dropped, though a new one looks like them (`--no-rename old`).
    pub no_rename_tables: BTreeSet<String>,
    /// Columns that really were dropped, though a new one of the same type appeared, as
    /// (table, old column) (`--no-rename table.column`; the table named as the entities name
    /// it now).
    pub no_rename_columns: BTreeSet<(String, String)>,
}

/// The operations that turn `from` into `to`, in a valid order.
pub fn diff(from: &Schema, to: &Schema, options: &Options) -> Result<Vec<Operation>, Error> {
    let renamed_tables = table_renames(from, to, options)?;
    // Every table of `to` that existed before, with its old name.
    let kept: Vec<(&str, &str)> = to
        .tables
        .keys()
        .filter_map(|name| {
            let old = renamed_tables.get(name.as_str()).copied().unwrap_or(name);
            from.tables
                .contains_key(old)
                .then_some((old, name.as_str()))
        })
        .collect();
    let mut operations = diff_enums_before(from, to)?;

    // Tables whose primary key changes: every foreign key from or to them is dropped before
    // and added again after, since a key cannot change under one (PostgreSQL's depend on it,
    // MySQL's may use its index).
    let mut rekeyed = BTreeSet::new();
    let mut column_renames_of = Vec::with_capacity(kept.len());
    for (old, new) in &kept {
        let (before, after) = (&from.tables[*old], &to.tables[*new]);
        let renames = column_renames(new, before, after, &to.renamed_from, options)?;
        if key_under_new_names(before, &renames) != after.primary_key {
            rekeyed.insert(*new);
        }
        column_renames_of.push(renames);
    }
    check_no_renames(from, to, &kept, &column_renames_of, options)?;
    let mut alters = Vec::new();
    for ((old, new), renamed_columns) in kept.iter().zip(&column_renames_of) {
        alters.push(diff_table(
            old,
            &from.tables[*old],
            new,
            &to.tables[*new],
            renamed_columns,
            &Across {
                renamed_tables: &renamed_tables,
                rekeyed: &rekeyed,
                options,
            },
        )?);
    }
    for alter in &mut alters {
        operations.append(&mut alter.drop_foreign_keys);
    }

    let kept_old: BTreeSet<&str> = kept.iter().map(|(old, _)| *old).collect();
    let kept_new: BTreeSet<&str> = kept.iter().map(|(_, new)| *new).collect();
    let dropped: BTreeMap<&str, &Table> = from
        .tables
        .iter()
        .filter(|(name, _)| !kept_old.contains(name.as_str()))
        .map(|(name, table)| (name.as_str(), table))
        .collect();
    let created: BTreeMap<&str, &Table> = to
        .tables
        .iter()
        .filter(|(name, _)| !kept_new.contains(name.as_str()))
        .map(|(name, table)| (name.as_str(), table))
        .collect();
    refuse_guessed_table_renames(&dropped, &created, options)?;

    let (key_drops, drops) = drop_order(&dropped);
    operations.extend(key_drops);
    operations.extend(drops);

    operations.extend(
        renamed_tables
            .iter()
            .map(|(new, old)| Operation::RenameTable {
                from: (*old).to_owned(),
                to: (*new).to_owned(),
            }),
    );

    let (creates, deferred_foreign_keys) = creation_order(&created);
    operations.extend(creates);

    for alter in &mut alters {
        operations.append(&mut alter.columns_and_indexes);
    }
    operations.extend(deferred_foreign_keys);
    for alter in &mut alters {
        operations.append(&mut alter.add_foreign_keys);
    }

    for (name, values) in &from.enums {
        if !to.enums.contains_key(name) {
            operations.push(Operation::DropEnum {
                name: name.clone(),
                values: values.clone(),
            });
        }
    }

    if !options.allow_destructive {
        let destructive: Vec<String> = operations
            .iter()
            .filter(|op| op.is_destructive())
            .map(|op| match op {
                Operation::AlterTable { name, changes, .. } => changes
                    .iter()
                    .filter(|c| c.is_destructive())
                    .map(|c| c.describe(name))
                    .collect::<Vec<_>>()
                    .join("\n  "),
                other => other.describe(),
            })
            .collect();
        if !destructive.is_empty() {
            return Err(Error::Refused(format!(
                "these changes can lose data:\n  {}\npass --allow-destructive to write them anyway",
                destructive.join("\n  ")
            )));
        }
    }
    Ok(operations)
}

/// new name → old name, from `--rename old=new`, each checked against both schemas.
fn table_renames<'a>(
    from: &'a Schema,
    to: &'a Schema,
    options: &'a Options,
) -> Result<BTreeMap<&'a str, &'a str>, Error> {
    let mut renames = BTreeMap::new();
    for (old, new) in &options.table_renames {
        if !from.tables.contains_key(old) || to.tables.contains_key(old) {
            return Err(Error::Usage(format!(
                "--rename {old}={new}: the recorded schema has no table `{old}` that the \
                 entities dropped"
            )));
        }
        if !to.tables.contains_key(new) || from.tables.contains_key(new) {
            return Err(Error::Usage(format!(
                "--rename {old}={new}: `{new}` is not a new table of the entities"
            )));
        }
        renames.insert(new.as_str(), old.as_str());
    }
    Ok(renames)
}

/// Checks each `--no-rename` against the schemas: it must name a table (or a column of a kept
/// table) that went away, and one that no rename declares.
fn check_no_renames(
    from: &Schema,
    to: &Schema,
    kept: &[(&str, &str)],
    column_renames_of: &[BTreeMap<&str, &str>],
    options: &Options,
) -> Result<(), Error> {
    for old in &options.no_rename_tables {
        if !from.tables.contains_key(old) || kept.iter().any(|(o, _)| o == old) {
            return Err(Error::Usage(format!(
                "--no-rename {old}: the recorded schema has no table `{old}` that went away"
            )));
        }
    }
    for (table, old) in &options.no_rename_columns {
        let Some(at) = kept.iter().position(|(_, new)| new == table) else {
            return Err(Error::Usage(format!(
                "--no-rename {table}.{old}: `{table}` is not a table of both the recorded \
                 schema and the entities"
            )));
        };
        let (before, after) = (&from.tables[kept[at].0], &to.tables[kept[at].1]);
        let renames = &column_renames_of[at];
        if let Some((new, _)) = renames.iter().find(|(_, o)| **o == old.as_str()) {
            return Err(Error::Usage(format!(
                "--no-rename {table}.{old}: `{old}` is declared renamed to `{new}` (by \
                 renamed_from or --rename)"
            )));
        }
        if before.column(old).is_none() || after.column(old).is_some() {
            return Err(Error::Usage(format!(
                "--no-rename {table}.{old}: the recorded table `{table}` has no column `{old}` \
                 that went away"
            )));
        }
    }
    Ok(())
}

/// A dropped table and a created one with the same columns look like a rename: stop and ask,
/// even with `--allow-destructive`, which allows losing data, not guessing.
fn refuse_guessed_table_renames(
    dropped: &BTreeMap<&str, &Table>,
    created: &BTreeMap<&str, &Table>,
    options: &Options,
) -> Result<(), Error> {
    for (old, old_table) in dropped {
        if options.no_rename_tables.contains(*old) {
            continue;
        }
        for (new, new_table) in created {
            if old_table.columns == new_table.columns {
                return Err(Error::Refused(format!(
                    "table `{old}` is gone and `{new}` is new with the same columns: it may be a \
                     rename; if it was renamed, pass --rename {old}={new}; if `{old}` really was \
                     dropped, pass --no-rename {old} (and --allow-destructive)"
                )));
            }
        }
    }
    Ok(())
}

/// Enum types to create and values to add, before any table uses them.
fn diff_enums_before(from: &Schema, to: &Schema) -> Result<Vec<Operation>, Error> {
    let mut operations = Vec::new();
    for (name, values) in &to.enums {
        let Some(old) = from.enums.get(name) else {
            operations.push(Operation::CreateEnum {
                name: name.clone(),
                values: values.clone(),
            });
            continue;
        };
        if old == values {
            continue;
        }
        let kept: Vec<&String> = values.iter().filter(|v| old.contains(v)).collect();
        if kept.len() != old.len() || !kept.iter().copied().eq(old.iter()) {
            // Values removed or reordered: PostgreSQL can only build the type again.
            let columns = from
                .tables
                .iter()
                .flat_map(|(table, definition)| {
                    definition
                        .columns
                        .iter()
                        .filter_map(move |column| match &column.ty {
                            ColumnType::Enum { name: used, .. } if used == name => Some(EnumUse {
                                table: table.clone(),
                                column: column.name.clone(),
                                default: column.default.clone(),
                            }),
                            _ => None,
                        })
                })
                .collect();
            operations.push(Operation::RecreateEnum {
                name: name.clone(),
                from: old.clone(),
                to: values.clone(),
                columns,
            });
            continue;
        }
        for (at, value) in values.iter().enumerate() {
            if !old.contains(value) {
                let before = values[at + 1..].iter().find(|v| old.contains(v)).cloned();
                operations.push(Operation::AddEnumValue {
                    name: name.clone(),
                    value: value.clone(),
                    before,
                });
            }
        }
    }
    Ok(operations)
}

/// The three steps of one existing table's changes (see the module doc, steps 2, 6 and 7).
#[derive(Default)]
struct TableAlters {
    drop_foreign_keys: Vec<Operation>,
    columns_and_indexes: Vec<Operation>,
    add_foreign_keys: Vec<Operation>,
}

/// What one table's changes depend on beyond the table: tables renamed (new → old), tables
/// whose primary key changes, the user's decisions.
struct Across<'a> {
    renamed_tables: &'a BTreeMap<&'a str, &'a str>,
    rekeyed: &'a BTreeSet<&'a str>,
    options: &'a Options,
}

/// One kept table's two states and what they are compared under: each step of its diff is one
/// method (foreign keys, dropped checks and indexes, columns, the primary key, added indexes
/// and checks, the comment), and [`diff_table`] puts their changes in order.
struct TableDiff<'a> {
    name: &'a str,
    before: &'a Table,
    after: &'a Table,
    /// new column name → old.
    renamed_columns: &'a BTreeMap<&'a str, &'a str>,
    across: &'a Across<'a>,
    /// Whether the primary key changes, and the old one under the columns' new names.
    key_changes: bool,
    old_key: Vec<String>,
}

/// Foreign keys of a table, compared with the old ones' targets and columns seen under their
/// new names.
struct ForeignKeyDiff<'a> {
    kept: Vec<ForeignKey>,
    dropped: Vec<&'a ForeignKey>,
    added: Vec<&'a ForeignKey>,
}

/// The column changes of a table, in the groups that the primary key orders around.
#[derive(Default)]
struct ColumnDiff {
    /// Auto-increment turned off, before the key changes.
    early_counters: Vec<Change>,
    early_drops: Vec<Change>,
    alters: Vec<Change>,
    adds: Vec<Change>,
    /// The key change itself, with the auto-increment column it adds or drops.
    key: Option<Change>,
    /// Columns of the old key: dropped, or altered, once the key no longer holds them.
    late_drops: Vec<Change>,
    late_alters: Vec<Change>,
    /// Auto-increment turned on, after the key changes.
    late_counters: Vec<Change>,
}

fn diff_table(
    old_name: &str,
    before: &Table,
    name: &str,
    after: &Table,
    renamed_columns: &BTreeMap<&str, &str>,
    across: &Across,
) -> Result<TableAlters, Error> {
    let keys_stay = |fk: &ForeignKey| {
        !across.rekeyed.contains(fk.ref_table.as_str())
            && !across
                .renamed_tables
                .values()
                .any(|old| *old == fk.ref_table)
    };
    // Most tables of a large schema did not change: nothing to compare further.
    if before == after && renamed_columns.is_empty() && before.foreign_keys.iter().all(keys_stay) {
        return Ok(TableAlters::default());
    }
    let table = TableDiff {
        name,
        before,
        after,
        renamed_columns,
        across,
        key_changes: across.rekeyed.contains(name),
        old_key: key_under_new_names(before, renamed_columns),
    };
    let foreign_keys = table.foreign_keys();
    let mut alters = TableAlters::default();

    // Step 2: the foreign keys that go away or change.
    let mut state = Arc::new(before.clone());
    if !foreign_keys.dropped.is_empty() {
        let mut next = before.clone();
        next.foreign_keys
            .retain(|fk| !foreign_keys.dropped.contains(&fk));
        let next = Arc::new(next);
        alters.drop_foreign_keys.push(Operation::AlterTable {
            name: old_name.to_owned(),
            changes: foreign_keys
                .dropped
                .iter()
                .map(|fk| Change::DropForeignKey(fk.name.clone()))
                .collect(),
            before: std::mem::replace(&mut state, next.clone()),
            after: next,
        });
    }

    // Step 6: checks and indexes go first and come back last, so that no column change runs
    // under a check or index that names the column (MariaDB refuses to rename or drop such a
    // column); the columns in between, ordered around the primary key.
    let mut changes = table.dropped_checks_and_indexes();
    let columns = table.columns()?;
    changes.extend(columns.early_counters);
    changes.extend(columns.early_drops);
    changes.extend(table.column_renames());
    changes.extend(columns.alters);
    changes.extend(columns.adds);
    changes.extend(columns.key);
    changes.extend(columns.late_drops);
    changes.extend(columns.late_alters);
    changes.extend(columns.late_counters);
    changes.extend(table.created_indexes_and_checks());
    changes.extend(table.comment());
    if !changes.is_empty() {
        let mut next = after.clone();
        next.foreign_keys = foreign_keys.kept;
        let next = Arc::new(next);
        alters.columns_and_indexes.push(Operation::AlterTable {
            name: name.to_owned(),
            before: table.retargeted(&state),
            after: next.clone(),
            changes,
        });
        state = next;
    } else {
        state = table.retargeted(&state);
    }

    // Step 7: the new and changed foreign keys.
    if !foreign_keys.added.is_empty() {
        alters.add_foreign_keys.push(Operation::AlterTable {
            name: name.to_owned(),
            before: state,
            after: Arc::new(after.clone()),
            changes: foreign_keys
                .added
                .iter()
                .map(|fk| Change::AddForeignKey((*fk).clone()))
                .collect(),
        });
    }
    Ok(alters)
}

impl<'a> TableDiff<'a> {
    /// A column's name before the changes, from its name after.
    fn old_column(&self, new: &str) -> String {
        self.renamed_columns
            .get(new)
            .map_or_else(|| new.to_owned(), |old| (*old).to_owned())
    }

    /// A column's name after the changes, from its name before.
    fn new_column(&self, old: &str) -> String {
        self.renamed_columns
            .iter()
            .find(|(_, o)| **o == old)
            .map_or_else(|| old.to_owned(), |(n, _)| (*n).to_owned())
    }

    /// `fk` pointing at its target by the name the target has after step 4.
    fn retargeted_fk(&self, fk: &ForeignKey) -> ForeignKey {
        ForeignKey {
            ref_table: self
                .across
                .renamed_tables
                .iter()
                .find(|(_, old)| **old == fk.ref_table)
                .map_or_else(|| fk.ref_table.clone(), |(new, _)| (*new).to_owned()),
            ..fk.clone()
        }
    }

    /// `state` with its foreign keys pointing at renamed tables by their new names.
    fn retargeted(&self, state: &Arc<Table>) -> Arc<Table> {
        let foreign_keys: Vec<ForeignKey> = state
            .foreign_keys
            .iter()
            .map(|fk| self.retargeted_fk(fk))
            .collect();
        if foreign_keys == state.foreign_keys {
            return state.clone();
        }
        Arc::new(Table {
            foreign_keys,
            ..(**state).clone()
        })
    }

    /// Which foreign keys stay, go and come. A key stays only when neither end's primary
    /// key changes; one whose target or columns were renamed stays under the new names
    /// (steps 4 and 6 rename them under it).
    fn foreign_keys(&self) -> ForeignKeyDiff<'a> {
        let renamed_fk = |fk: &ForeignKey| ForeignKey {
            columns: fk.columns.iter().map(|c| self.new_column(c)).collect(),
            ..self.retargeted_fk(fk)
        };
        let keeps = |fk: &ForeignKey| {
            !self.key_changes && !self.across.rekeyed.contains(fk.ref_table.as_str())
        };
        let kept: Vec<ForeignKey> = self
            .after
            .foreign_keys
            .iter()
            .filter(|fk| {
                keeps(fk)
                    && self
                        .before
                        .foreign_keys
                        .iter()
                        .any(|old| renamed_fk(old) == **fk)
            })
            .cloned()
            .collect();
        let dropped = self
            .before
            .foreign_keys
            .iter()
            .filter(|old| !kept.contains(&renamed_fk(old)))
            .collect();
        let added = self
            .after
            .foreign_keys
            .iter()
            .filter(|fk| !kept.contains(fk))
            .collect();
        ForeignKeyDiff {
            kept,
            dropped,
            added,
        }
    }

    fn renamed_index(&self, index: &Index) -> Index {
        Index {
            columns: index.columns.iter().map(|c| self.new_column(c)).collect(),
            ..index.clone()
        }
    }

    fn renamed_check(&self, check: &Check) -> Check {
        Check {
            column: self.new_column(&check.column),
            ..check.clone()
        }
    }

    /// The checks and indexes that go away or change.
    fn dropped_checks_and_indexes(&self) -> Vec<Change> {
        let checks = self
            .before
            .checks
            .iter()
            .filter(|check| !self.after.checks.contains(&self.renamed_check(check)))
            .map(|check| Change::DropCheck(check.name.clone()));
        let indexes = self
            .before
            .indexes
            .iter()
            .filter(|index| !self.after.indexes.contains(&self.renamed_index(index)))
            .map(|index| Change::DropIndex(index.clone()));
        checks.chain(indexes).collect()
    }

    /// The checks and indexes that come or change.
    fn created_indexes_and_checks(&self) -> Vec<Change> {
        let indexes = self
            .after
            .indexes
            .iter()
            .filter(|index| {
                !self
                    .before
                    .indexes
                    .iter()
                    .any(|old| self.renamed_index(old) == **index)
            })
            .map(|index| Change::CreateIndex(index.clone()));
        let checks = self
            .after
            .checks
            .iter()
            .filter(|check| {
                !self
                    .before
                    .checks
                    .iter()
                    .any(|old| self.renamed_check(old) == **check)
            })
            .map(|check| Change::AddCheck(check.clone()));
        indexes.chain(checks).collect()
    }

    fn column_renames(&self) -> Vec<Change> {
        self.renamed_columns
            .iter()
            .map(|(new, old)| Change::RenameColumn {
                from: (*old).to_owned(),
                to: (*new).to_owned(),
            })
            .collect()
    }

    fn comment(&self) -> Option<Change> {
        (self.before.comment != self.after.comment)
            .then(|| Change::TableComment(self.after.comment.clone()))
    }

    /// Dropped, altered and added columns and the primary key, refusing what it would have
    /// to guess: a dropped and an added column of one type (a rename?), an auto-increment
    /// column that comes or goes while the key stays, a NOT NULL column with no value for the
    /// existing rows.
    fn columns(&self) -> Result<ColumnDiff, Error> {
        let (name, before, after) = (self.name, self.before, self.after);
        let options = self.across.options;
        let dropped_columns: Vec<&Column> = before
            .columns
            .iter()
            .filter(|c| after.column(&self.new_column(&c.name)).is_none())
            .collect();
        let added_columns: Vec<&Column> = after
            .columns
            .iter()
            .filter(|c| before.column(&self.old_column(&c.name)).is_none())
            .collect();
        self.refuse_guessed_renames(&dropped_columns, &added_columns)?;
        let added_counter = self.counter(&added_columns, "added")?;
        let dropped_counter = self.counter(&dropped_columns, "dropped")?;
        if let Some(column) = &added_counter
            && !after.primary_key.contains(&column.name)
        {
            return Err(Error::Refused(format!(
                "column `{name}.{}` is auto-increment but not part of the primary key",
                column.name
            )));
        }
        let mut diff = ColumnDiff::default();
        // With a new key, columns of the old one go after it does. (No rename takes the name
        // of a dropped column: a rename's new name is one the recorded table does not have.)
        for column in dropped_columns.iter().filter(|c| !c.auto_increment) {
            let drop = Change::DropColumn(column.name.clone());
            if self.key_changes && self.old_key.contains(&column.name) {
                diff.late_drops.push(drop);
            } else {
                diff.early_drops.push(drop);
            }
        }
        for column in &after.columns {
            if let Some(old) = before.column(&self.old_column(&column.name)) {
                self.alter_column(old, column, &mut diff)?;
            }
        }
        for column in added_columns.iter().filter(|c| !c.auto_increment) {
            let backfill = backfill(name, column, options)?;
            if !column.null && column.default.is_none() && backfill.is_none() {
                return Err(Error::Refused(format!(
                    "column `{name}.{col}` is NOT NULL with no default, and table `{name}` may \
                     have rows; either give it a default (#[sea_orm(default_value = …)]) or \
                     pass --backfill {name}.{col}=VALUE to fill the existing rows",
                    col = column.name
                )));
            }
            diff.adds.push(Change::AddColumn {
                column: (*column).clone(),
                backfill,
            });
        }
        if self.key_changes {
            diff.key = Some(Change::PrimaryKey {
                from: self.old_key.clone(),
                to: after.primary_key.clone(),
                add: added_counter,
                drop: dropped_counter.map(|column| column.name),
            });
        }
        Ok(diff)
    }

    /// A possible rename stops even with --allow-destructive, which allows losing data, not
    /// guessing: one unrelated drop in the same run must not turn a rename into a drop.
    fn refuse_guessed_renames(&self, dropped: &[&Column], added: &[&Column]) -> Result<(), Error> {
        let name = self.name;
        for dropped in dropped {
            if self
                .across
                .options
                .no_rename_columns
                .contains(&(name.to_owned(), dropped.name.clone()))
            {
                continue;
            }
            if let Some(added) = added.iter().find(|a| a.ty == dropped.ty) {
                return Err(Error::Refused(format!(
                    "column `{name}.{old}` is gone and `{name}.{new}` is new with the same \
                     type: it may be a rename; if it was renamed, add #[sea_orm(renamed_from = \
                     \"{old}\")] to the field or pass --rename {name}.{old}={new}; if `{old}` \
                     really was dropped, pass --no-rename {name}.{old} (and --allow-destructive)",
                    old = dropped.name,
                    new = added.name
                )));
            }
        }
        Ok(())
    }

    /// The auto-increment column among `columns` (added or dropped): one comes and goes only
    /// with the primary key it numbers (SeaORM makes only a key auto-increment), in the key's
    /// own change.
    fn counter(&self, columns: &[&Column], what: &str) -> Result<Option<Column>, Error> {
        let counters: Vec<&&Column> = columns.iter().filter(|c| c.auto_increment).collect();
        match counters.as_slice() {
            [] => Ok(None),
            [one] if self.key_changes => Ok(Some((**one).clone())),
            _ => Err(Error::Refused(format!(
                "table `{}`: auto-increment column(s) {} {what} while its primary key \
                 stays; an auto-increment column comes and goes only with the primary key",
                self.name,
                counters
                    .iter()
                    .map(|c| format!("`{}`", c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The change of a kept column from `old` to `column`, if any: auto-increment goes before
    /// the key changes and comes after it (MySQL allows it only on a key column), and a column
    /// leaving the key is altered once the key no longer holds it.
    fn alter_column(
        &self,
        old: &Column,
        column: &Column,
        diff: &mut ColumnDiff,
    ) -> Result<(), Error> {
        if !old.changes_to(column).any() {
            return Ok(());
        }
        let name = self.name;
        let old = Column {
            name: column.name.clone(),
            ..old.clone()
        };
        let counts = old.auto_increment && column.auto_increment;
        let from = Column {
            auto_increment: counts,
            ..old.clone()
        };
        let to = Column {
            auto_increment: counts,
            ..column.clone()
        };
        if old.auto_increment && !column.auto_increment {
            diff.early_counters.push(Change::AlterColumn {
                from: old.clone(),
                to: from.clone(),
                backfill: None,
            });
        }
        if column.auto_increment && !old.auto_increment {
            diff.late_counters.push(Change::AlterColumn {
                from: to.clone(),
                to: column.clone(),
                backfill: None,
            });
        }
        if from == to {
            return Ok(());
        }
        let backfill = match backfill(name, column, self.across.options)? {
            Some(value) if old.null && !column.null => Some(value),
            Some(_) => {
                return Err(Error::Usage(format!(
                    "--backfill {name}.{}: the column is not becoming NOT NULL",
                    column.name
                )));
            }
            None => None,
        };
        let leaves_key = self.key_changes
            && self.old_key.contains(&column.name)
            && !self.after.primary_key.contains(&column.name);
        if leaves_key {
            &mut diff.late_alters
        } else {
            &mut diff.alters
        }
        .push(Change::AlterColumn { from, to, backfill });
        Ok(())
    }
}

/// The primary key of `before`, its columns named as `renames` (new → old) name them now.
fn key_under_new_names(before: &Table, renames: &BTreeMap<&str, &str>) -> Vec<String> {
    before
        .primary_key
        .iter()
        .map(|column| {
            renames
                .iter()
                .find(|(_, old)| **old == column.as_str())
                .map_or(column.as_str(), |(new, _)| *new)
                .to_owned()
        })
        .collect()
}

/// new column name → old, from `renamed_from` on the entity and `--rename table.old=new`.
fn column_renames<'a>(
    table: &str,
    before: &'a Table,
    after: &'a Table,
    renamed_from: &'a BTreeMap<(String, String), String>,
    options: &'a Options,
) -> Result<BTreeMap<&'a str, &'a str>, Error> {
    let mut renames = BTreeMap::new();
    for column in &after.columns {
        let Some(old) = renamed_from.get(&(table.to_owned(), column.name.clone())) else {
            continue;
        };
        if before.column(&column.name).is_some() {
            continue; // renamed by an earlier migration; the attribute is history now
        }
        if before.column(old).is_none() || after.column(old).is_some() {
            return Err(Error::Refused(format!(
                "column `{table}.{}` says renamed_from = \"{old}\", but the recorded table has \
                 no column `{old}` that went away",
                column.name
            )));
        }
        renames.insert(column.name.as_str(), old.as_str());
    }
    for ((hint_table, old), new) in &options.column_renames {
        if hint_table != table {
            continue;
        }
        if before.column(old).is_none() || after.column(old).is_some() {
            return Err(Error::Usage(format!(
                "--rename {table}.{old}={new}: the recorded table has no column `{old}` that \
                 went away"
            )));
        }
        if after.column(new).is_none() || before.column(new).is_some() {
            return Err(Error::Usage(format!(
                "--rename {table}.{old}={new}: `{new}` is not a new column of `{table}`"
            )));
        }
        renames.insert(new.as_str(), old.as_str());
    }
    let olds: BTreeSet<&str> = renames.values().copied().collect();
    if olds.len() != renames.len() {
        return Err(Error::Usage(format!(
            "table `{table}`: two columns are renamed from the same column"
        )));
    }
    Ok(renames)
}

/// The `--backfill` value for `table.column`, typed by the column.
fn backfill(
    table: &str,
    column: &Column,
    options: &Options,
) -> Result<Option<DefaultValue>, Error> {
    let Some(raw) = options
        .backfills
        .get(&(table.to_owned(), column.name.clone()))
    else {
        return Ok(None);
    };
    use ColumnType as T;
    let value = match &column.ty {
        T::Boolean => match raw.as_str() {
            "true" => DefaultValue::Bool(true),
            "false" => DefaultValue::Bool(false),
            _ => {
                return Err(Error::Usage(format!(
                    "--backfill {table}.{}={raw}: a boolean column takes true or false",
                    column.name
                )));
            }
        },
        numeric if numeric.is_numeric() => {
            if !is_numeric_literal(raw) {
                return Err(Error::Usage(format!(
                    "--backfill {table}.{}={raw}: a numeric column takes a number",
                    column.name
                )));
            }
            DefaultValue::Number(raw.clone())
        }
        _ => DefaultValue::String(raw.clone()),
    };
    Ok(Some(value))
}

/// The new tables' `CreateTable`s, referenced tables first, and the foreign keys that must wait
/// until the tables exist: those that close a cycle between new tables, added afterwards.
fn creation_order(created: &BTreeMap<&str, &Table>) -> (Vec<Operation>, Vec<Operation>) {
    let CycleFreeOrder {
        names: ordered,
        mut definitions,
        cut,
    } = order_breaking_cycles(created);
    // The tables of a cycle are created without the keys between them, which come after.
    let deferred = cut
        .into_iter()
        .map(|(name, keys)| {
            let before = definitions[name].clone();
            let mut after = before.clone();
            after.foreign_keys.extend(keys.iter().cloned());
            Operation::AlterTable {
                name: name.to_owned(),
                before: Arc::new(before),
                after: Arc::new(after),
                changes: keys.into_iter().map(Change::AddForeignKey).collect(),
            }
        })
        .collect();
    let creates = ordered
        .into_iter()
        .map(|name| Operation::CreateTable {
            name: name.to_owned(),
            table: definitions
                .remove(name)
                .expect("each table is created once"),
        })
        .collect();
    (creates, deferred)
}

/// The tables of `dropped`, each after the tables that reference it; where their keys form a
/// cycle, the keys between them are dropped first (so that `down` creates the tables without
/// them and adds them back once all exist, as creating a cycle does).
fn drop_order(dropped: &BTreeMap<&str, &Table>) -> (Vec<Operation>, Vec<Operation>) {
    let CycleFreeOrder {
        names: ordered,
        mut definitions,
        cut,
    } = order_breaking_cycles(dropped);
    let key_drops = cut
        .into_iter()
        .map(|(name, keys)| Operation::AlterTable {
            name: name.to_owned(),
            before: Arc::new((*dropped[name]).clone()),
            after: Arc::new(definitions[name].clone()),
            changes: keys
                .into_iter()
                .map(|fk| Change::DropForeignKey(fk.name))
                .collect(),
        })
        .collect();
    let drops = ordered
        .into_iter()
        .rev()
        .map(|name| Operation::DropTable {
            name: name.to_owned(),
            table: definitions
                .remove(name)
                .expect("each table is dropped once"),
        })
        .collect();
    (key_drops, drops)
}

/// Tables in an order that creates referenced tables first, with the foreign keys cut out of
/// them to get there.
struct CycleFreeOrder<'a> {
    names: Vec<&'a str>,
    /// Every table, less the keys cut.
    definitions: BTreeMap<&'a str, Table>,
    /// The keys between the tables of a cycle, per table, in the order the tables were stuck.
    cut: Vec<(&'a str, Vec<ForeignKey>)>,
}

/// `tables` in Kahn's order; where their foreign keys form a cycle, the keys between the
/// tables of the cycle are cut out and those tables ordered without them.
fn order_breaking_cycles<'a>(tables: &BTreeMap<&'a str, &Table>) -> CycleFreeOrder<'a> {
    let (mut ordered, stuck) = order(tables);
    let mut definitions: BTreeMap<&str, Table> = tables
        .iter()
        .map(|(name, table)| (*name, (*table).clone()))
        .collect();
    let mut cut = Vec::new();
    if stuck.is_empty() {
        return CycleFreeOrder {
            names: ordered,
            definitions,
            cut,
        };
    }
    for name in &stuck {
        let table = definitions
            .get_mut(name)
            .expect("a stuck table is one of the tables");
        let (inside, outside): (Vec<ForeignKey>, Vec<ForeignKey>) = table
            .foreign_keys
            .drain(..)
            .partition(|fk| fk.ref_table != *name && stuck.contains(&fk.ref_table.as_str()));
        table.foreign_keys = outside;
        if !inside.is_empty() {
            cut.push((*name, inside));
        }
    }
    let rest: BTreeMap<&str, &Table> = stuck
        .iter()
        .map(|name| (*name, &definitions[name]))
        .collect();
    let (rest_ordered, still_stuck) = order(&rest);
    debug_assert!(
        still_stuck.is_empty(),
        "no keys are left between the stuck tables"
    );
    ordered.extend(rest_ordered);
    CycleFreeOrder {
        names: ordered,
        definitions,
        cut,
    }
}

/// Kahn's order of `tables`, and the tables left over because their keys form a cycle.
fn order<'a, T: std::borrow::Borrow<Table>>(
    tables: &BTreeMap<&'a str, T>,
) -> (Vec<&'a str>, Vec<&'a str>) {
    let mut waiting_on: BTreeMap<&str, usize> = BTreeMap::new();
    let mut dependents: BTreeMap<&str, Vec<&'a str>> = BTreeMap::new();
    for (name, table) in tables {
        let targets: BTreeSet<&str> = crate::model::references(table.borrow(), name)
            .filter(|target| tables.contains_key(target))
            .collect();
        waiting_on.insert(name, targets.len());
        for target in targets {
            dependents.entry(target).or_default().push(name);
        }
    }
    let mut ready: BTreeSet<&'a str> = tables
        .keys()
        .copied()
        .filter(|name| waiting_on[name] == 0)
        .collect();
    let mut ordered = Vec::with_capacity(tables.len());
    while let Some(name) = ready.pop_first() {
        ordered.push(name);
        for dependent in dependents.get(name).into_iter().flatten() {
            let count = waiting_on
                .get_mut(dependent)
                .expect("every table is counted");
            *count -= 1;
            if *count == 0 {
                ready.insert(dependent);
            }
        }
    }
    let placed: BTreeSet<&str> = ordered.iter().copied().collect();
    let stuck = tables
        .keys()
        .copied()
        .filter(|name| !placed.contains(name))
        .collect();
    (ordered, stuck)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, ColumnType, ForeignKey};

    /// A table `id` + one column per referenced table, each with a foreign key to it.
    fn table_referencing(targets: &[&str]) -> Table {
        let mut id = Column::new("id", ColumnType::Integer);
        id.auto_increment = true;
        let mut columns = vec![id];
        let mut foreign_keys = Vec::new();
        for target in targets {
            let mut column = columns[0].clone();
            column.name = format!("{target}_id");
            column.auto_increment = false;
            foreign_keys.push(ForeignKey {
                name: format!("fk-{target}"),
                columns: vec![column.name.clone()],
                ref_table: (*target).to_owned(),
                ref_columns: vec!["id".to_owned()],
                on_delete: None,
                on_update: None,
            });
            columns.push(column);
        }
        Table {
            columns,
            primary_key: vec!["id".to_owned()],
            foreign_keys,
            ..Table::default()
        }
    }

    fn schema(tables: &[(&str, &[&str])]) -> Schema {
        Schema {
            tables: tables
                .iter()
                .map(|(name, targets)| ((*name).to_owned(), table_referencing(targets)))
                .collect(),
            ..Schema::default()
        }
    }

    fn described(operations: &[Operation]) -> Vec<String> {
        operations.iter().map(Operation::describe).collect()
    }

    #[test]
    fn new_tables_are_created_after_the_tables_they_reference() {
        let to = schema(&[
            ("a_comment", &["b_post", "c_user"]),
            ("b_post", &["c_user"]),
            ("c_user", &[]),
        ]);
        let operations = diff(&Schema::default(), &to, &Options::default()).unwrap();
        assert_eq!(
            described(&operations),
            [
                "+ table c_user (id)",
                "+ table b_post (id, c_user_id)",
                "+ table a_comment (id, b_post_id, c_user_id)"
            ]
        );
    }

    #[test]
    fn dropping_tables_is_refused_without_allow_destructive_and_ordered_with_it() {
        let from = schema(&[("post", &["user"]), ("user", &[])]);
        let refused = diff(&from, &Schema::default(), &Options::default()).unwrap_err();
        assert!(
            refused.to_string().contains("--allow-destructive"),
            "{refused}"
        );
        assert!(refused.to_string().contains("- table post"), "{refused}");
        let allowed = Options {
            allow_destructive: true,
            ..Options::default()
        };
        let operations = diff(&from, &Schema::default(), &allowed).unwrap();
        assert_eq!(described(&operations), ["- table post", "- table user"]);
    }

    #[test]
    fn a_foreign_key_cycle_is_created_then_closed_and_dropped_after_opening_it() {
        let to = schema(&[("a", &["b"]), ("b", &["a"]), ("c", &[])]);
        let operations = diff(&Schema::default(), &to, &Options::default()).unwrap();
        assert_eq!(
            described(&operations),
            [
                "+ table c (id)",
                "+ table a (id, b_id)",
                "+ table b (id, a_id)",
                "+ foreign key fk-b a (b_id) -> b (id)",
                "+ foreign key fk-a b (a_id) -> a (id)",
            ]
        );
        let Operation::CreateTable { table, .. } = &operations[1] else {
            panic!("{operations:?}");
        };
        assert!(table.foreign_keys.is_empty(), "the cycle's keys wait");
        // Dropping them again drops the keys between them first, and `down` creates them
        // as above: without those keys, which come back once both tables exist.
        let allowed = Options {
            allow_destructive: true,
            ..Options::default()
        };
        let drops = diff(&to, &Schema::default(), &allowed).unwrap();
        assert_eq!(
            described(&drops),
            [
                "- foreign key fk-b on a",
                "- foreign key fk-a on b",
                "- table b",
                "- table a",
                "- table c",
            ]
        );
        let plan = crate::operation::Plan { operations: drops };
        let down: Vec<Operation> = plan.down().into_iter().map(Option::unwrap).collect();
        assert_eq!(
            described(&down),
            [
                "+ table c (id)",
                "+ table a (id, b_id)",
                "+ table b (id, a_id)",
                "+ foreign key fk-a b (a_id) -> a (id)",
                "+ foreign key fk-b a (b_id) -> b (id)",
            ]
        );
    }

    #[test]
    fn unchanged_schemas_produce_no_operations() {
        let same = schema(&[("post", &["user"]), ("user", &[])]);
        assert!(diff(&same, &same, &Options::default()).unwrap().is_empty());
    }

    #[test]
    fn reversing_every_operation_of_a_plan_undoes_it() {
        let to = schema(&[("post", &["user"]), ("user", &[])]);
        let plan = crate::operation::Plan {
            operations: diff(&Schema::default(), &to, &Options::default()).unwrap(),
        };
        let down: Vec<Operation> = plan.down().into_iter().map(Option::unwrap).collect();
        assert_eq!(described(&down), ["- table post", "- table user"]);
        assert_eq!(plan.suggested_name(), "create_user_create_post");
    }

    /// `posts` with `id`, a NOT NULL `title` and a `status` defaulting to 'draft'.
    fn posts() -> Schema {
        let mut table = table_referencing(&[]);
        let mut title = table.columns[0].clone();
        title.name = "title".to_owned();
        title.ty = ColumnType::String(crate::model::Len::None);
        title.auto_increment = false;
        let mut status = title.clone();
        status.name = "status".to_owned();
        status.default = Some(crate::model::DefaultValue::String("draft".to_owned()));
        table.columns.extend([title, status]);
        Schema {
            tables: [("posts".to_owned(), table)].into(),
            ..Schema::default()
        }
    }

    fn column_mut<'a>(schema: &'a mut Schema, table: &str, column: &str) -> &'a mut Column {
        let table = schema.tables.get_mut(table).unwrap();
        table.columns.iter_mut().find(|c| c.name == column).unwrap()
    }

    #[test]
    fn a_changed_default_is_one_alter_column_named_after_it() {
        let before = posts();
        let mut after = posts();
        column_mut(&mut after, "posts", "status").default =
            Some(crate::model::DefaultValue::String("pending".to_owned()));
        let operations = diff(&before, &after, &Options::default()).unwrap();
        assert_eq!(
            described(&operations),
            ["~ posts.status default \"draft\" -> \"pending\""]
        );
        let plan = crate::operation::Plan { operations };
        assert_eq!(plan.suggested_name(), "alter_posts_status_default");
    }

    /// `tags (post_id, label)`, keyed by both, and `notes`, whose foreign key points at it.
    fn tags() -> Schema {
        let mut schema = schema(&[("notes", &["tags"]), ("tags", &[])]);
        let tags = schema.tables.get_mut("tags").unwrap();
        tags.columns[0].name = "post_id".to_owned();
        tags.columns[0].auto_increment = false;
        let mut label = tags.columns[0].clone();
        label.name = "label".to_owned();
        tags.columns.push(label);
        tags.primary_key = vec!["post_id".to_owned(), "label".to_owned()];
        let notes = schema.tables.get_mut("notes").unwrap();
        notes.foreign_keys[0].ref_columns = vec!["post_id".to_owned()];
        schema
    }

    fn changes(operations: &[Operation]) -> Vec<&Change> {
        operations
            .iter()
            .flat_map(|op| match op {
                Operation::AlterTable { changes, .. } => changes.iter().collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    #[test]
    fn a_new_auto_increment_key_comes_in_the_key_change_between_foreign_key_steps() {
        let before = tags();
        let mut after = tags();
        let table = after.tables.get_mut("tags").unwrap();
        let mut id = Column::new("id", ColumnType::BigInteger);
        id.auto_increment = true;
        table.columns.insert(0, id.clone());
        table.primary_key = vec!["id".to_owned()];
        let operations = diff(&before, &after, &Options::default()).unwrap();
        assert_eq!(
            described(&operations),
            [
                "- foreign key fk-tags on notes",
                "~ primary key of tags (post_id, label) -> (id), auto-increment column id added",
                "+ foreign key fk-tags notes (tags_id) -> tags (post_id)",
            ]
        );
        assert_eq!(
            changes(&operations)[1],
            &Change::PrimaryKey {
                from: vec!["post_id".to_owned(), "label".to_owned()],
                to: vec!["id".to_owned()],
                add: Some(id),
                drop: None,
            }
        );
        let plan = crate::operation::Plan { operations };
        let down: Vec<Operation> = plan.down().into_iter().map(Option::unwrap).collect();
        assert_eq!(
            described(&down)[1],
            "~ primary key of tags (id) -> (post_id, label), auto-increment column id dropped"
        );
    }

    #[test]
    fn auto_increment_goes_before_a_key_change_and_comes_after_it() {
        let before = posts();
        let mut after = posts();
        let table = after.tables.get_mut("posts").unwrap();
        table.columns[0].auto_increment = false;
        table.columns[0].null = true;
        table.columns[1].auto_increment = true;
        table.primary_key = vec!["title".to_owned()];
        let operations = diff(&before, &after, &Options::default()).unwrap();
        assert_eq!(
            described(&operations)[0].lines().collect::<Vec<_>>(),
            [
                "~ posts.id no longer auto-increment",
                "~ primary key of posts (id) -> (title)",
                "~ posts.id NULL",
                "~ posts.title now auto-increment",
            ]
        );
    }

    #[test]
    fn an_auto_increment_column_outside_the_key_stops() {
        let before = tags();
        let mut after = tags();
        let mut counter = Column::new("n", ColumnType::Integer);
        counter.auto_increment = true;
        let table = after.tables.get_mut("tags").unwrap();
        table.columns.push(counter);
        table.primary_key = vec!["post_id".to_owned()];
        let error = diff(&before, &after, &Options::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`tags.n` is auto-increment but not part of the primary key"),
            "{error}"
        );
    }

    fn title_length(max: u64) -> crate::model::Check {
        crate::model::Check {
            name: "ck_posts_title_length".to_owned(),
            column: "title".to_owned(),
            rule: crate::model::CheckRule::Length {
                min: Some(1),
                max: Some(max),
            },
        }
    }

    #[test]
    fn adding_changing_and_removing_a_rule_touch_exactly_its_check() {
        let plain = posts();
        let mut ruled = posts();
        ruled.tables.get_mut("posts").unwrap().checks = vec![title_length(200)];
        let mut changed = posts();
        changed.tables.get_mut("posts").unwrap().checks = vec![title_length(100)];

        let added = diff(&plain, &ruled, &Options::default()).unwrap();
        assert_eq!(
            described(&added),
            ["+ check ck_posts_title_length on posts (`title` has 1 to 200 characters)"]
        );
        let plan = crate::operation::Plan { operations: added };
        assert_eq!(plan.suggested_name(), "add_check_ck_posts_title_length");
        assert_eq!(
            described(&diff(&ruled, &changed, &Options::default()).unwrap()),
            ["- check ck_posts_title_length on posts\n\
              + check ck_posts_title_length on posts (`title` has 1 to 100 characters)"]
        );
        assert_eq!(
            described(&diff(&ruled, &plain, &Options::default()).unwrap()),
            ["- check ck_posts_title_length on posts"]
        );
    }

    /// `#[sea_orm(renamed_from = "{old}")]` on column `new` of `posts`.
    fn declare_renamed(schema: &mut Schema, new: &str, old: &str) {
        schema
            .renamed_from
            .insert(("posts".to_owned(), new.to_owned()), old.to_owned());
    }

    #[test]
    fn a_renamed_column_takes_its_check_along_under_the_new_name() {
        let mut before = posts();
        before.tables.get_mut("posts").unwrap().checks = vec![title_length(200)];
        let mut after = posts();
        let title = column_mut(&mut after, "posts", "title");
        title.name = "headline".to_owned();
        declare_renamed(&mut after, "headline", "title");
        after.tables.get_mut("posts").unwrap().checks = vec![crate::model::Check {
            name: "ck_posts_headline_length".to_owned(),
            column: "headline".to_owned(),
            ..title_length(200)
        }];
        assert_eq!(
            described(&diff(&before, &after, &Options::default()).unwrap()),
            ["- check ck_posts_title_length on posts\n\
              ~ column posts.title renamed to headline\n\
              + check ck_posts_headline_length on posts (`headline` has 1 to 200 characters)"]
        );
    }

    #[test]
    fn a_column_declared_renamed_from_is_renamed_not_dropped_and_added() {
        let before = posts();
        let mut after = posts();
        let title = column_mut(&mut after, "posts", "title");
        title.name = "headline".to_owned();
        declare_renamed(&mut after, "headline", "title");
        let operations = diff(&before, &after, &Options::default()).unwrap();
        assert_eq!(
            described(&operations),
            ["~ column posts.title renamed to headline"]
        );
    }

    #[test]
    fn a_drop_and_an_add_of_the_same_type_stop_and_name_the_rename_flag() {
        let before = posts();
        let mut after = posts();
        column_mut(&mut after, "posts", "title").name = "headline".to_owned();
        let error = diff(&before, &after, &Options::default())
            .unwrap_err()
            .to_string();
        assert!(error.contains("--rename posts.title=headline"), "{error}");
        assert!(
            error.contains("#[sea_orm(renamed_from = \"title\")]"),
            "{error}"
        );
        assert!(error.contains("--no-rename posts.title"), "{error}");

        let options = Options {
            column_renames: [(
                ("posts".to_owned(), "title".to_owned()),
                "headline".to_owned(),
            )]
            .into(),
            ..Options::default()
        };
        let operations = diff(&before, &after, &options).unwrap();
        assert_eq!(
            described(&operations),
            ["~ column posts.title renamed to headline"]
        );
    }

    fn allow_destructive() -> Options {
        Options {
            allow_destructive: true,
            ..Options::default()
        }
    }

    /// `posts` whose `title` became a nullable `headline` (a possible rename), and an
    /// unrelated table `archive` that went away.
    fn possible_rename_and_a_dropped_table() -> (Schema, Schema) {
        let mut before = posts();
        let archive = schema(&[("archive", &[])])
            .tables
            .remove("archive")
            .unwrap();
        before.tables.insert("archive".to_owned(), archive);
        let mut after = posts();
        let title = column_mut(&mut after, "posts", "title");
        title.name = "headline".to_owned();
        title.null = true;
        (before, after)
    }

    #[test]
    fn a_possible_column_rename_stops_even_with_allow_destructive_and_an_unrelated_drop() {
        let (before, after) = possible_rename_and_a_dropped_table();
        let error = diff(&before, &after, &allow_destructive()).unwrap_err();
        assert!(matches!(error, Error::Refused(_)), "{error}");
        let error = error.to_string();
        for flag in [
            "#[sea_orm(renamed_from = \"title\")]",
            "--rename posts.title=headline",
            "--no-rename posts.title",
        ] {
            assert!(error.contains(flag), "{flag} is not named: {error}");
        }
    }

    #[test]
    fn no_rename_drops_the_column_and_adds_the_new_one() {
        let (before, after) = possible_rename_and_a_dropped_table();
        let options = Options {
            no_rename_columns: [("posts".to_owned(), "title".to_owned())].into(),
            ..allow_destructive()
        };
        let operations = diff(&before, &after, &options).unwrap();
        assert_eq!(
            described(&operations),
            [
                "- table archive",
                "- column posts.title\n+ column posts.headline"
            ]
        );
        // Dropping still needs --allow-destructive.
        let error = diff(
            &before,
            &after,
            &Options {
                allow_destructive: false,
                ..options
            },
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("--allow-destructive"), "{error}");
        assert!(error.contains("- column posts.title"), "{error}");
    }

    #[test]
    fn a_possible_table_rename_stops_even_with_allow_destructive_until_no_rename() {
        let before = schema(&[("post", &[]), ("user", &[])]);
        let after = schema(&[("post", &[]), ("person", &[])]);
        let error = diff(&before, &after, &allow_destructive())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("--rename user=person") && error.contains("--no-rename user"),
            "{error}"
        );
        let options = Options {
            no_rename_tables: ["user".to_owned()].into(),
            ..allow_destructive()
        };
        assert_eq!(
            described(&diff(&before, &after, &options).unwrap()),
            ["- table user", "+ table person (id)"]
        );
    }

    #[test]
    fn a_no_rename_naming_nothing_that_went_away_is_a_usage_error() {
        let (before, after) = possible_rename_and_a_dropped_table();
        for (tables, columns, named) in [
            (vec!["posts"], vec![], "--no-rename posts:"),
            (vec!["nothing"], vec![], "--no-rename nothing:"),
            (
                vec![],
                vec![("posts", "status")],
                "--no-rename posts.status:",
            ),
            (
                vec![],
                vec![("posts", "nothing")],
                "--no-rename posts.nothing:",
            ),
            (vec![], vec![("archive", "id")], "--no-rename archive.id:"),
        ] {
            let options = Options {
                no_rename_tables: tables.iter().map(|t| (*t).to_owned()).collect(),
                no_rename_columns: columns
                    .iter()
                    .map(|(t, c)| ((*t).to_owned(), (*c).to_owned()))
                    .collect(),
                ..allow_destructive()
            };
            let error = diff(&before, &after, &options).unwrap_err();
            assert!(matches!(error, Error::Usage(_)), "{error}");
            assert!(error.to_string().starts_with(named), "{error}");
            assert_eq!(error.to_string().lines().count(), 1, "{error}");
        }
    }

    #[test]
    fn renamed_from_pointing_at_nothing_is_an_error() {
        let before = posts();
        let mut after = posts();
        let title = column_mut(&mut after, "posts", "title");
        title.name = "headline".to_owned();
        declare_renamed(&mut after, "headline", "no_such_column");
        let error = diff(&before, &after, &Options::default())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("renamed_from = \"no_such_column\""),
            "{error}"
        );
    }

    #[test]
    fn a_not_null_column_without_default_needs_a_default_or_a_backfill() {
        let before = posts();
        let mut after = posts();
        let mut slug = after.tables["posts"].columns[1].clone();
        slug.name = "slug".to_owned();
        after.tables.get_mut("posts").unwrap().columns.push(slug);
        let error = diff(&before, &after, &Options::default())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("default_value") && error.contains("--backfill posts.slug=VALUE"),
            "{error}"
        );

        let options = Options {
            backfills: [(
                ("posts".to_owned(), "slug".to_owned()),
                "untitled".to_owned(),
            )]
            .into(),
            ..Options::default()
        };
        let operations = diff(&before, &after, &options).unwrap();
        assert_eq!(
            described(&operations),
            ["+ column posts.slug (existing rows: \"untitled\")"]
        );
    }

    #[test]
    fn dropping_a_column_and_narrowing_a_type_need_allow_destructive() {
        let before = posts();
        let mut after = posts();
        after
            .tables
            .get_mut("posts")
            .unwrap()
            .columns
            .retain(|c| c.name != "status");
        column_mut(&mut after, "posts", "title").ty = ColumnType::String(crate::model::Len::N(20));
        let error = diff(&before, &after, &Options::default())
            .unwrap_err()
            .to_string();
        assert!(error.contains("- column posts.status"), "{error}");
        assert!(error.contains("~ posts.title type"), "{error}");
        let allowed = Options {
            allow_destructive: true,
            ..Options::default()
        };
        assert_eq!(diff(&before, &after, &allowed).unwrap().len(), 1);
    }

    #[test]
    fn renaming_a_table_keeps_the_foreign_keys_that_point_at_it() {
        let before = schema(&[("post", &["user"]), ("user", &[])]);
        let mut after = schema(&[("post", &["user"]), ("person", &[])]);
        after.tables.get_mut("post").unwrap().foreign_keys[0].ref_table = "person".to_owned();
        let error = diff(&before, &after, &Options::default())
            .unwrap_err()
            .to_string();
        assert!(error.contains("--rename user=person"), "{error}");
        let options = Options {
            table_renames: [("user".to_owned(), "person".to_owned())].into(),
            ..Options::default()
        };
        let operations = diff(&before, &after, &options).unwrap();
        assert_eq!(described(&operations), ["~ table user renamed to person"]);
    }

    #[test]
    fn an_enum_losing_a_value_is_rebuilt_and_needs_allow_destructive() {
        let with = |values: &[&str]| {
            let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
            let mut schema = posts();
            schema.enums.insert("mood".to_owned(), values.clone());
            let mut mood = Column::new(
                "mood",
                ColumnType::Enum {
                    name: "mood".to_owned(),
                    variants: values,
                },
            );
            mood.null = true;
            schema.tables.get_mut("posts").unwrap().columns.push(mood);
            schema
        };
        let (before, after) = (with(&["a", "b", "c"]), with(&["c", "a"]));
        let refused = diff(&before, &after, &Options::default()).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("~ enum mood (a, b, c) -> (c, a)"),
            "{refused}"
        );
        let allowed = Options {
            allow_destructive: true,
            ..Options::default()
        };
        let operations = diff(&before, &after, &allowed).unwrap();
        assert_eq!(
            described(&operations),
            [
                "~ enum mood (a, b, c) -> (c, a)",
                "~ posts.mood type Enum { name: \"mood\", variants: [\"a\", \"b\", \"c\"] } -> \
                 Enum { name: \"mood\", variants: [\"c\", \"a\"] }"
            ]
        );
        let Operation::RecreateEnum { columns, .. } = &operations[0] else {
            panic!("{operations:?}");
        };
        assert_eq!(columns[0].table, "posts");
        // A reorder alone loses nothing.
        assert!(diff(&with(&["a", "b"]), &with(&["b", "a"]), &Options::default()).is_ok());
    }

    #[test]
    fn an_added_enum_value_goes_before_the_next_known_value() {
        let mut before = Schema::default();
        before.enums.insert(
            "mood".to_owned(),
            vec!["happy".to_owned(), "sad".to_owned()],
        );
        let mut after = before.clone();
        after.enums.insert(
            "mood".to_owned(),
            vec![
                "happy".to_owned(),
                "calm".to_owned(),
                "sad".to_owned(),
                "angry".to_owned(),
            ],
        );
        let operations = diff(&before, &after, &Options::default()).unwrap();
        assert_eq!(
            operations,
            [
                Operation::AddEnumValue {
                    name: "mood".to_owned(),
                    value: "calm".to_owned(),
                    before: Some("sad".to_owned()),
                },
                Operation::AddEnumValue {
                    name: "mood".to_owned(),
                    value: "angry".to_owned(),
                    before: None,
                },
            ]
        );
        let mut removed = before.clone();
        removed
            .enums
            .insert("mood".to_owned(), vec!["happy".to_owned()]);
        assert!(diff(&before, &removed, &Options::default()).is_err());
    }
}
