//! The change vocabulary: one [`Operation`] per schema change, carrying both sides of the change
//! so it can be reversed, described and named on its own, and the [`Plan`] that orders them.
//! Pure data; no I/O.

use std::sync::Arc;

use crate::model::{Column, ColumnType, DefaultValue, Len, Owned, Table, show_value};

/// One schema change, with what its reverse needs: dropped tables and enum types carry their
/// definition, and changes to a table the table before and after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    CreateEnum {
        name: String,
        values: Vec<String>,
    },
    DropEnum {
        name: String,
        values: Vec<String>,
    },
    /// Adds `value` to enum `name`, before `before` (at the end when `None`). `values` is the
    /// list after the change.
    AddEnumValue {
        name: String,
        value: String,
        before: Option<String>,
    },
    CreateTable {
        name: String,
        table: Table,
    },
    DropTable {
        name: String,
        table: Table,
    },
    RenameTable {
        from: String,
        to: String,
    },
    /// Gives enum `name` the values `to` (from `from`) where adding values is not enough:
    /// some removed or reordered. `columns` are the columns of that type when it runs.
    RecreateEnum {
        name: String,
        from: Vec<String>,
        to: Vec<String>,
        columns: Vec<EnumUse>,
    },
    /// Changes to table `name`, which they take from `before` to `after`.
    /// The two states are shared, not copied, by the reverse operation and later steps.
    AlterTable {
        name: String,
        before: Arc<Table>,
        after: Arc<Table>,
        changes: Vec<Change>,
    },
}

/// A column of a native enum type, with its default (which must be set again once the type
/// is recreated).
pub type EnumUse = migration_ops::schema::EnumColumn<crate::model::Owned>;

/// One change inside an [`Operation::AlterTable`]: the vocabulary's own `Change`. What it
/// drops is found by name in the table before the operation, so that its reverse needs
/// nothing more ([`ChangeMeaning`]).
pub type Change = migration_ops::schema::Change<Owned>;

impl Operation {
    /// The operation that undoes this one. `None` when there is none: adding an enum value
    /// (PostgreSQL cannot take one back), or dropping a column that no value can refill.
    pub fn reverse(&self) -> Option<Operation> {
        Some(match self {
            Operation::CreateEnum { name, values } => Operation::DropEnum {
                name: name.clone(),
                values: values.clone(),
            },
            Operation::DropEnum { name, values } => Operation::CreateEnum {
                name: name.clone(),
                values: values.clone(),
            },
            Operation::AddEnumValue { .. } => return None,
            Operation::RecreateEnum {
                name,
                from,
                to,
                columns,
            } => Operation::RecreateEnum {
                name: name.clone(),
                from: to.clone(),
                to: from.clone(),
                columns: columns.clone(),
            },
            Operation::CreateTable { name, table } => Operation::DropTable {
                name: name.clone(),
                table: table.clone(),
            },
            Operation::DropTable { name, table } => Operation::CreateTable {
                name: name.clone(),
                table: table.clone(),
            },
            Operation::RenameTable { from, to } => Operation::RenameTable {
                from: to.clone(),
                to: from.clone(),
            },
            Operation::AlterTable {
                name,
                before,
                after,
                changes,
            } => {
                // A dropped column of a unique index, re-added with one value for every row,
                // could break that index when it comes back.
                let breaks_unique_index = changes.iter().any(|change| {
                    let Change::DropColumn(name) = change else {
                        return false;
                    };
                    before.column(name).is_some_and(|column| {
                        (!column.null || column.default.is_some())
                            && before
                                .indexes
                                .iter()
                                .any(|index| index.unique && index.columns.contains(name))
                    })
                });
                if breaks_unique_index {
                    return None;
                }
                Operation::AlterTable {
                    name: name.clone(),
                    before: after.clone(),
                    after: before.clone(),
                    changes: changes
                        .iter()
                        .rev()
                        .map(|change| change.reverse(before))
                        .collect::<Option<_>>()?,
                }
            }
        })
    }

    /// One line for review: `+` adds, `-` removes, `~` alters.
    pub fn describe(&self) -> String {
        match self {
            Operation::CreateEnum { name, values } => {
                format!("+ enum {name} ({})", values.join(", "))
            }
            Operation::DropEnum { name, .. } => format!("- enum {name}"),
            Operation::AddEnumValue { name, value, .. } => format!("+ enum {name} value {value}"),
            Operation::RecreateEnum { name, from, to, .. } => {
                format!("~ enum {name} ({}) -> ({})", from.join(", "), to.join(", "))
            }
            Operation::CreateTable { name, table } => {
                let checks = match table.checks.len() {
                    0 => String::new(),
                    1 => "; 1 check".to_owned(),
                    n => format!("; {n} checks"),
                };
                format!("+ table {name} ({}{checks})", column_list(&table.columns))
            }
            Operation::DropTable { name, .. } => format!("- table {name}"),
            Operation::RenameTable { from, to } => format!("~ table {from} renamed to {to}"),
            Operation::AlterTable { name, changes, .. } => changes
                .iter()
                .map(|change| change.describe(name))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// A piece of the migration's file name, e.g. `create_posts` or `add_posts_slug`.
    pub fn name_fragment(&self) -> String {
        match self {
            Operation::CreateEnum { name, .. } => format!("create_enum_{name}"),
            Operation::DropEnum { name, .. } => format!("drop_enum_{name}"),
            Operation::AddEnumValue { name, value, .. } => format!("add_{name}_{value}"),
            Operation::RecreateEnum { name, .. } => format!("alter_enum_{name}"),
            Operation::CreateTable { name, .. } => format!("create_{name}"),
            Operation::DropTable { name, .. } => format!("drop_{name}"),
            Operation::RenameTable { from, to } => format!("rename_{from}_to_{to}"),
            Operation::AlterTable { name, changes, .. } => match changes.as_slice() {
                [one] => one.name_fragment(name),
                _ => format!("alter_{name}"),
            },
        }
    }

    /// Whether running it loses data that the database holds.
    pub fn is_destructive(&self) -> bool {
        match self {
            Operation::DropTable { .. } | Operation::DropEnum { .. } => true,
            Operation::RecreateEnum { from, to, .. } => from.iter().any(|v| !to.contains(v)),
            Operation::AlterTable { changes, .. } => changes.iter().any(Change::is_destructive),
            _ => false,
        }
    }
}

/// What a [`Change`] means to the generator: its reverse, its line in the review, its piece
/// of the migration's name, and whether it loses data.
pub trait ChangeMeaning {
    /// The change that undoes this one, made to the table as it left `before`; `None` for
    /// dropping a column that no single value can refill: a UNIQUE one that every row would
    /// get the same value in, or a NOT NULL one without a default of a type with no neutral
    /// value.
    fn reverse(&self, before: &Table) -> Option<Change>;
    fn describe(&self, table: &str) -> String;
    fn name_fragment(&self, table: &str) -> String;
    fn is_destructive(&self) -> bool;
}

impl ChangeMeaning for Change {
    fn reverse(&self, before: &Table) -> Option<Change> {
        let named = |name: &str| -> Option<Column> { before.column(name).cloned() };
        Some(match self.clone() {
            Change::AddColumn { column, .. } => Change::DropColumn(column.name),
            // Re-adding a dropped NOT NULL column needs a value for the existing rows.
            Change::DropColumn(name) => {
                let column = named(&name)?;
                // Re-added, a UNIQUE column would give every existing row the same value (its
                // default, or the one refilling it), which only NULL may repeat.
                let same_value_for_all = !column.null || column.default.is_some();
                if column.unique && same_value_for_all {
                    return None;
                }
                let needs_value = !column.null && column.default.is_none();
                let backfill = if needs_value {
                    Some(zero_value(&column.ty)?)
                } else {
                    None
                };
                Change::AddColumn { column, backfill }
            }
            Change::RenameColumn { from, to } => Change::RenameColumn { from: to, to: from },
            // Undoing "make it nullable" makes it NOT NULL again, over rows that may hold NULL.
            Change::AlterColumn { from, to, .. } => Change::AlterColumn {
                backfill: (to.null && !from.null)
                    .then(|| zero_value(&from.ty))
                    .flatten(),
                from: to,
                to: from,
            },
            Change::CreateIndex(index) => Change::DropIndex(index),
            Change::DropIndex(index) => Change::CreateIndex(index),
            Change::AddForeignKey(fk) => Change::DropForeignKey(fk.name),
            Change::DropForeignKey(name) => Change::AddForeignKey(
                before
                    .foreign_keys
                    .iter()
                    .find(|fk| fk.name == name)?
                    .clone(),
            ),
            Change::AddCheck(check) => Change::DropCheck(check.name),
            Change::DropCheck(name) => {
                Change::AddCheck(before.checks.iter().find(|c| c.name == name)?.clone())
            }
            Change::TableComment(_) => Change::TableComment(before.comment.clone()),
            Change::PrimaryKey {
                from,
                to,
                add,
                drop,
            } => Change::PrimaryKey {
                from: to,
                to: from,
                add: match drop {
                    Some(name) => Some(named(&name)?),
                    None => None,
                },
                drop: add.map(|column| column.name),
            },
        })
    }

    fn describe(&self, table: &str) -> String {
        match self {
            Change::AddColumn { column, backfill } => {
                let mut line = format!("+ column {table}.{}", column.name);
                if let Some(value) = backfill {
                    line.push_str(&format!(" (existing rows: {})", show_value(value)));
                }
                line
            }
            Change::DropColumn(name) => format!("- column {table}.{name}"),
            Change::RenameColumn { from, to } => {
                format!("~ column {table}.{from} renamed to {to}")
            }
            Change::AlterColumn { from, to, backfill } => {
                let changed = from.changes_to(to);
                let mut parts = Vec::new();
                if changed.ty {
                    parts.push(format!("type {:?} -> {:?}", from.ty, to.ty));
                }
                if changed.null {
                    parts.push(if to.null { "NULL" } else { "NOT NULL" }.to_owned());
                }
                if changed.default {
                    let show =
                        |d: &Option<DefaultValue>| d.as_ref().map_or("none".to_owned(), show_value);
                    parts.push(format!(
                        "default {} -> {}",
                        show(&from.default),
                        show(&to.default)
                    ));
                }
                if changed.unique {
                    parts.push(if to.unique { "unique" } else { "not unique" }.to_owned());
                }
                if changed.comment {
                    parts.push("comment".to_owned());
                }
                if changed.auto_increment {
                    parts.push(
                        if to.auto_increment {
                            "now auto-increment"
                        } else {
                            "no longer auto-increment"
                        }
                        .to_owned(),
                    );
                }
                if changed.extra {
                    parts.push(format!("extra {:?}", to.extra.as_deref().unwrap_or("")));
                }
                if let Some(value) = backfill {
                    parts.push(format!("rows holding NULL get {}", show_value(value)));
                }
                format!("~ {table}.{} {}", to.name, parts.join(", "))
            }
            Change::CreateIndex(index) => format!(
                "+ index {} on {table} ({}){}",
                index.name,
                index.columns.join(", "),
                if index.unique { " unique" } else { "" }
            ),
            Change::DropIndex(index) => format!("- index {} on {table}", index.name),
            Change::AddForeignKey(fk) => format!(
                "+ foreign key {} {table} ({}) -> {} ({})",
                fk.name,
                fk.columns.join(", "),
                fk.ref_table,
                fk.ref_columns.join(", ")
            ),
            Change::DropForeignKey(name) => format!("- foreign key {name} on {table}"),
            Change::AddCheck(check) => format!(
                "+ check {} on {table} ({})",
                check.name,
                migration_ops::v1::describe_check(check)
            ),
            Change::DropCheck(name) => format!("- check {name} on {table}"),
            Change::TableComment(to) => match to {
                Some(text) => format!("~ table {table} comment {text:?}"),
                None => format!("~ table {table} comment removed"),
            },
            Change::PrimaryKey {
                from,
                to,
                add,
                drop,
            } => {
                let mut line = format!(
                    "~ primary key of {table} ({}) -> ({})",
                    from.join(", "),
                    to.join(", ")
                );
                if let Some(column) = add {
                    line.push_str(&format!(", auto-increment column {} added", column.name));
                }
                if let Some(name) = drop {
                    line.push_str(&format!(", auto-increment column {name} dropped"));
                }
                line
            }
        }
    }

    fn name_fragment(&self, table: &str) -> String {
        match self {
            Change::AddColumn { column, .. } => format!("add_{table}_{}", column.name),
            Change::DropColumn(name) => format!("drop_{table}_{name}"),
            Change::RenameColumn { from, to } => format!("rename_{table}_{from}_to_{to}"),
            Change::AlterColumn { from, to, .. } => {
                let changed = from.changes_to(to);
                let what = if changed.ty {
                    "type"
                } else if changed.null {
                    "null"
                } else if changed.default {
                    "default"
                } else if changed.unique {
                    "unique"
                } else if changed.auto_increment {
                    "auto_increment"
                } else if changed.extra {
                    "extra"
                } else {
                    "column"
                };
                format!("alter_{table}_{}_{what}", to.name)
            }
            Change::CreateIndex(index) => format!("add_index_{}", index.name),
            Change::DropIndex(index) => format!("drop_index_{}", index.name),
            Change::AddForeignKey(fk) => format!("add_foreign_key_{}", fk.name),
            Change::DropForeignKey(name) => format!("drop_foreign_key_{name}"),
            Change::AddCheck(check) => format!("add_check_{}", check.name),
            Change::DropCheck(name) => format!("drop_check_{name}"),
            Change::TableComment(_) => format!("alter_{table}_comment"),
            Change::PrimaryKey { .. } => format!("alter_{table}_primary_key"),
        }
    }

    fn is_destructive(&self) -> bool {
        match self {
            Change::DropColumn(_) | Change::PrimaryKey { drop: Some(_), .. } => true,
            Change::AlterColumn { from, to, .. } => narrows(&from.ty, &to.ty),
            _ => false,
        }
    }
}

/// Whether changing a column from `from` to `to` can lose or reject stored values. Only the
/// changes known to be safe widenings are not; anything else counts as narrowing.
pub fn narrows(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType as T;
    if from == to {
        return false;
    }
    let integer_rank = |ty: &ColumnType| match ty {
        T::TinyInteger => Some(1),
        T::SmallInteger => Some(2),
        T::Integer => Some(3),
        T::BigInteger => Some(4),
        _ => None,
    };
    let string_capacity = |ty: &ColumnType| match ty {
        T::String(Len::N(n)) => Some(u64::from(*n)),
        T::String(Len::None) => Some(255),
        T::String(Len::Max) | T::Text => Some(u64::MAX),
        _ => None,
    };
    match (from, to) {
        (T::Enum { variants: old, .. }, T::Enum { variants: new, .. }) => {
            !old.iter().all(|v| new.contains(v))
        }
        (T::Float, T::Double) => false,
        (T::Decimal(Some((p1, s1))), T::Decimal(Some((p2, s2)))) => {
            p2 < p1 || s2 < s1 || p2 - s2 < p1 - s1
        }
        _ => match (integer_rank(from), integer_rank(to)) {
            (Some(a), Some(b)) => b < a,
            _ => match (string_capacity(from), string_capacity(to)) {
                (Some(a), Some(b)) => b < a,
                _ => true,
            },
        },
    }
}

/// A neutral value of a column type, for rows that need one: `''`, `0`, `FALSE`.
fn zero_value(ty: &ColumnType) -> Option<DefaultValue> {
    use ColumnType as T;
    match ty {
        T::Char(_) | T::String(_) | T::Text => Some(DefaultValue::String(String::new())),
        T::Boolean => Some(DefaultValue::Bool(false)),
        numeric if numeric.is_numeric() => Some(DefaultValue::Number("0".to_owned())),
        _ => None,
    }
}

/// The first few column names, so that a summary line stays one readable line.
fn column_list(columns: &[Column]) -> String {
    const SHOWN: usize = 8;
    let mut list = columns
        .iter()
        .take(SHOWN)
        .map(|column| column.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if columns.len() > SHOWN {
        list.push_str(&format!(", … {} more", columns.len() - SHOWN));
    }
    list
}

/// The operations of one migration, in the order `up` runs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub operations: Vec<Operation>,
}

impl Plan {
    /// The operations `down` runs: each one reversed, last first; `None` entries are
    /// operations that cannot be undone.
    pub fn down(&self) -> Vec<Option<Operation>> {
        self.operations
            .iter()
            .rev()
            .map(Operation::reverse)
            .collect()
    }

    /// A file-name stem that says what changed: `create_posts`, or the first change and
    /// `and_more`. Only `[a-z0-9_]`, at most 60 characters.
    pub fn suggested_name(&self) -> String {
        let fragments: Vec<String> = self
            .operations
            .iter()
            .filter(|op| !matches!(op, Operation::CreateEnum { .. }))
            .map(Operation::name_fragment)
            .collect();
        let fragments = if fragments.is_empty() {
            self.operations
                .iter()
                .map(Operation::name_fragment)
                .collect()
        } else {
            fragments
        };
        let joined = match fragments.as_slice() {
            [] => "auto".to_owned(),
            [one] => one.clone(),
            [a, b] => format!("{a}_{b}"),
            [first, ..] => format!("{first}_and_more"),
        };
        sanitize_name(&joined)
    }
}

/// Lower-case ASCII letters, digits and single underscores; never empty.
pub fn sanitize_name(raw: &str) -> String {
    let mut name = String::new();
    for c in raw.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if !(c == '_' && (name.is_empty() || name.ends_with('_'))) {
            name.push(c);
        }
    }
    let mut name = name.trim_end_matches('_').to_owned();
    name.truncate(60);
    let name = name.trim_end_matches('_');
    if name.is_empty() {
        "auto".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_ascii_snake_case_and_never_empty() {
        assert_eq!(sanitize_name("create_Posts"), "create_posts");
        assert_eq!(
            sanitize_name("create_\"weird\" table"),
            "create_weird_table"
        );
        assert_eq!(sanitize_name("create_ünï"), "create_n");
        assert_eq!(sanitize_name("___"), "auto");
        assert_eq!(sanitize_name(&"x".repeat(100)).len(), 60);
    }

    #[test]
    fn widening_is_safe_and_everything_else_narrows() {
        use ColumnType as T;
        assert!(!narrows(&T::Integer, &T::BigInteger));
        assert!(narrows(&T::BigInteger, &T::Integer));
        assert!(!narrows(&T::String(Len::N(64)), &T::String(Len::N(128))));
        assert!(narrows(&T::String(Len::N(128)), &T::String(Len::N(64))));
        assert!(!narrows(&T::String(Len::N(64)), &T::Text));
        assert!(narrows(&T::Text, &T::String(Len::None)));
        assert!(narrows(&T::String(Len::None), &T::Integer));
        assert!(!narrows(
            &T::Decimal(Some((10, 2))),
            &T::Decimal(Some((12, 2)))
        ));
        assert!(narrows(
            &T::Decimal(Some((10, 2))),
            &T::Decimal(Some((10, 1)))
        ));
    }
}
