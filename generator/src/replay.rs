//! Replay: the schema the generated migrations produce, from their `UP` operations applied in
//! order to an empty schema, and its comparison with the recorded snapshot, naming the first
//! difference. Owns what each v1 operation does to a schema's state: `CreateTable`,
//! `DropTable`, `RenameTable` (foreign keys that point at the old name follow it, as the
//! databases and the differ have them do), `AlterTable` (which carries the whole table after
//! its changes), `CreateEnum`, `DropEnum`, `AddEnumValue` and `RecreateEnum`. Pure.
//!
//! The state is kept in v1 terms, which the files hold. Each table of the snapshot is compared
//! with it item by item without lowering it (nothing allocated for the tables that agree, which
//! are all of them when `check` passes); only a table that differs is lowered
//! (`lower::lower_table`) to name the difference: indexes, foreign keys and checks by name,
//! since the order the migrations add them in is not part of the schema.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use migration_ops::v1;

use crate::model::{Column, ColumnType, DefaultValue, Limit, Rule, Schema, Table};
use crate::snapshot::FILE_NAME;

/// The schema as the migrations replayed so far leave it.
#[derive(Debug, Default)]
pub struct Replayed {
    pub tables: BTreeMap<&'static str, v1::Table>,
    pub enums: BTreeMap<&'static str, Vec<&'static str>>,
}

impl Replayed {
    /// Applies the `UP` operations of migration `migration`. An operation on something that
    /// the operations before it did not leave (dropping a table no migration created, creating
    /// one twice) is an error naming the migration, the operation and the name.
    pub fn apply(&mut self, migration: &str, ops: &[v1::Op]) -> Result<(), String> {
        for (at, op) in ops.iter().enumerate() {
            self.apply_one(op).map_err(|problem| {
                format!(
                    "migration {migration}, operation {} of UP: {problem}",
                    at + 1
                )
            })?;
        }
        Ok(())
    }

    fn apply_one(&mut self, op: &v1::Op) -> Result<(), String> {
        match *op {
            v1::Op::CreateTable(table) => {
                if self.tables.insert(table.name, table).is_some() {
                    return Err(format!("creates table `{}`, which exists", table.name));
                }
            }
            v1::Op::DropTable(name) => {
                if self.tables.remove(name).is_none() {
                    return Err(format!("drops table `{name}`, which does not exist"));
                }
            }
            v1::Op::RenameTable { from, to } => {
                if self.tables.contains_key(to) {
                    return Err(format!("renames `{from}` to `{to}`, which exists"));
                }
                let Some(mut table) = self.tables.remove(from) else {
                    return Err(format!("renames table `{from}`, which does not exist"));
                };
                table.name = to;
                self.tables.insert(to, table);
                for table in self.tables.values_mut() {
                    retarget(table, from, to);
                }
            }
            v1::Op::AlterTable(alter) => match self.tables.get_mut(alter.table.name) {
                Some(table) => *table = alter.table,
                None => {
                    return Err(format!(
                        "alters table `{}`, which does not exist",
                        alter.table.name
                    ));
                }
            },
            v1::Op::CreateEnum(e) => {
                if self.enums.insert(e.name, e.values.to_vec()).is_some() {
                    return Err(format!("creates enum type `{}`, which exists", e.name));
                }
            }
            v1::Op::DropEnum(name) => {
                if self.enums.remove(name).is_none() {
                    return Err(format!("drops enum type `{name}`, which does not exist"));
                }
            }
            v1::Op::AddEnumValue {
                name,
                value,
                before,
            } => {
                let Some(values) = self.enums.get_mut(name) else {
                    return Err(format!(
                        "adds a value to enum type `{name}`, which does not exist"
                    ));
                };
                if values.contains(&value) {
                    return Err(format!("adds value `{value}` to `{name}`, which has it"));
                }
                let at = match before {
                    None => values.len(),
                    Some(before) => values.iter().position(|v| *v == before).ok_or_else(|| {
                        format!("adds `{value}` to `{name}` before `{before}`, which it lacks")
                    })?,
                };
                values.insert(at, value);
            }
            v1::Op::RecreateEnum { name, values, .. } => match self.enums.get_mut(name) {
                Some(old) => *old = values.to_vec(),
                None => {
                    return Err(format!("rebuilds enum type `{name}`, which does not exist"));
                }
            },
        }
        Ok(())
    }
}

/// Points `table`'s foreign keys at `to` where they point at `from`.
fn retarget(table: &mut v1::Table, from: &str, to: &'static str) {
    if table.foreign_keys.iter().all(|fk| fk.ref_table != from) {
        return;
    }
    let keys: Vec<v1::ForeignKey> = table
        .foreign_keys
        .iter()
        .map(|fk| v1::ForeignKey {
            ref_table: if fk.ref_table == from {
                to
            } else {
                fk.ref_table
            },
            ..*fk
        })
        .collect();
    table.foreign_keys = Box::leak(keys.into_boxed_slice());
}

/// The first difference between the schema `recorded` in the snapshot and the one the
/// migrations produce, as one line: tables first, then enum types; `None` when they agree.
pub fn first_difference(recorded: &Schema, replayed: &Replayed) -> Option<String> {
    let mut expected = recorded.tables.iter().peekable();
    let mut found = replayed.tables.iter().peekable();
    loop {
        let order = match (expected.peek(), found.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((e, _)), Some((f, _))) => e.as_str().cmp(f),
        };
        match order {
            std::cmp::Ordering::Less => {
                let (name, _) = expected.next()?;
                return Some(format!(
                    "table `{name}`: {FILE_NAME} has it, the migrations do not create it"
                ));
            }
            std::cmp::Ordering::Greater => {
                let (name, _) = found.next()?;
                return Some(format!(
                    "table `{name}`: the migrations create it, {FILE_NAME} does not have it"
                ));
            }
            std::cmp::Ordering::Equal => {
                let ((name, table), (_, replayed)) = (expected.next()?, found.next()?);
                if same_table(table, replayed) {
                    continue;
                }
                // Lowered only to name the difference, which may be none but an order.
                let lowered = crate::lower::lower_table(name, table);
                if let Some(difference) = table_difference(&lowered, replayed) {
                    return Some(format!("table `{name}`, {difference}"));
                }
            }
        }
    }
    let names = |values: &[&str]| values.join(", ");
    for (name, values) in &recorded.enums {
        match replayed.enums.get(name.as_str()) {
            None => {
                return Some(format!(
                    "enum type `{name}`: {FILE_NAME} has it, the migrations do not create it"
                ));
            }
            Some(found) if !found.iter().copied().eq(values.iter().map(String::as_str)) => {
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                return Some(format!(
                    "enum type `{name}`: {FILE_NAME} has ({}), the migrations produce ({})",
                    names(&values),
                    names(found)
                ));
            }
            Some(_) => {}
        }
    }
    replayed
        .enums
        .keys()
        .find(|name| !recorded.enums.contains_key(**name))
        .map(|name| {
            format!("enum type `{name}`: the migrations create it, {FILE_NAME} does not have it")
        })
}

// --- the same table, compared without lowering it: most tables are -----------------------

/// Whether the snapshot's `table` is `replayed`, item for item in the same order.
fn same_table(table: &Table, replayed: &v1::Table) -> bool {
    table.comment.as_deref() == replayed.comment
        && same_strs(&table.primary_key, replayed.primary_key)
        && same_items(&table.columns, replayed.columns, same_column)
        && same_items(&table.indexes, replayed.indexes, |i, r| {
            i.name == r.name && i.unique == r.unique && same_strs(&i.columns, r.columns)
        })
        && same_items(&table.foreign_keys, replayed.foreign_keys, |fk, r| {
            fk.name == r.name
                && fk.ref_table == r.ref_table
                && same_strs(&fk.columns, r.columns)
                && same_strs(&fk.ref_columns, r.ref_columns)
                && fk.on_delete.map(crate::lower::lower_action) == r.on_delete
                && fk.on_update.map(crate::lower::lower_action) == r.on_update
        })
        && same_items(&table.checks, replayed.checks, |c, r| {
            c.name == r.name && c.column == r.column && same_rule(&c.rule, &r.rule)
        })
}

fn same_items<T, V>(items: &[T], replayed: &[V], same: impl Fn(&T, &V) -> bool) -> bool {
    items.len() == replayed.len() && items.iter().zip(replayed).all(|(i, r)| same(i, r))
}

fn same_strs(items: &[String], replayed: &[&str]) -> bool {
    same_items(items, replayed, |i, r| i == r)
}

fn same_column(column: &Column, replayed: &v1::Column) -> bool {
    column.name == replayed.name
        && column.null == replayed.null
        && column.unique == replayed.unique
        && column.auto_increment == replayed.auto_increment
        && column.comment.as_deref() == replayed.comment
        && column.extra.as_deref() == replayed.extra
        && match (&column.default, &replayed.default) {
            (None, None) => true,
            (Some(d), Some(r)) => same_default(d, r),
            _ => false,
        }
        && match (&column.ty, &replayed.ty) {
            (ColumnType::Custom(name), v1::ColumnType::Custom(r)) => name == r,
            (
                ColumnType::Enum { name, variants },
                v1::ColumnType::Enum {
                    name: r,
                    variants: rv,
                },
            ) => name == r && same_strs(variants, rv),
            (ColumnType::Custom(_) | ColumnType::Enum { .. }, _) => false,
            // The other types hold no names: lowering them allocates nothing.
            (ty, r) => crate::lower::lower_type(ty) == *r,
        }
}

fn same_default(default: &DefaultValue, replayed: &v1::DefaultValue) -> bool {
    use v1::DefaultValue as R;
    match (default, replayed) {
        (DefaultValue::Null, R::Null)
        | (DefaultValue::CurrentTimestamp, R::CurrentTimestamp)
        | (DefaultValue::CurrentDate, R::CurrentDate)
        | (DefaultValue::CurrentTime, R::CurrentTime) => true,
        (DefaultValue::Bool(b), R::Bool(r)) => b == r,
        (DefaultValue::Number(n), R::Number(r))
        | (DefaultValue::String(n), R::String(r))
        | (DefaultValue::Expr(n), R::Expr(r)) => n == r,
        _ => false,
    }
}

fn same_rule(rule: &Rule, replayed: &v1::CheckRule) -> bool {
    let same_limit = |limit: &Option<Limit>, r: &Option<v1::Limit>| match (limit, r) {
        (None, None) => true,
        (Some(l), Some(r)) => l.value == r.value && l.inclusive == r.inclusive,
        _ => false,
    };
    match (rule, replayed) {
        (
            Rule::Length { min, max },
            v1::CheckRule::Length {
                min: rmin,
                max: rmax,
            },
        ) => min == rmin && max == rmax,
        (
            Rule::Range { min, max },
            v1::CheckRule::Range {
                min: rmin,
                max: rmax,
            },
        ) => same_limit(min, rmin) && same_limit(max, rmax),
        (Rule::OneOf(values), v1::CheckRule::OneOf(r)) => same_items(values, r, same_default),
        (Rule::NotNull, v1::CheckRule::NotNull) => true,
        _ => false,
    }
}

// --- naming the difference ----------------------------------------------------------------

/// `{what}: schema.json has {expected}, the migrations produce {found}`.
fn has_produces(what: &str, expected: &str, found: &str) -> String {
    format!("{what}: {FILE_NAME} has {expected}, the migrations produce {found}")
}

/// The first difference between two states of one table, or `None` when they differ only in
/// the order of their indexes, foreign keys or checks.
fn table_difference(expected: &v1::Table, found: &v1::Table) -> Option<String> {
    for column in expected.columns {
        let what = format!("column `{}`", column.name);
        match found.columns.iter().find(|c| c.name == column.name) {
            None => {
                return Some(format!(
                    "{what}: {FILE_NAME} has it, the migrations do not produce it"
                ));
            }
            Some(other) => {
                if let Some((expected, found)) = column_difference(column, other) {
                    return Some(has_produces(&what, &expected, &found));
                }
            }
        }
    }
    if let Some(extra) = found
        .columns
        .iter()
        .find(|c| expected.columns.iter().all(|e| e.name != c.name))
    {
        return Some(format!(
            "column `{}`: the migrations produce it, {FILE_NAME} does not have it",
            extra.name
        ));
    }
    let column_names = |table: &v1::Table| {
        let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        format!("({})", names.join(", "))
    };
    if !expected
        .columns
        .iter()
        .map(|c| c.name)
        .eq(found.columns.iter().map(|c| c.name))
    {
        return Some(has_produces(
            "the order of the columns",
            &column_names(expected),
            &column_names(found),
        ));
    }
    if expected.primary_key != found.primary_key {
        return Some(has_produces(
            "the primary key",
            &format!("({})", expected.primary_key.join(", ")),
            &format!("({})", found.primary_key.join(", ")),
        ));
    }
    if expected.comment != found.comment {
        return Some(has_produces(
            "the table comment",
            &format!("{:?}", expected.comment),
            &format!("{:?}", found.comment),
        ));
    }
    named_difference(
        "index",
        expected.indexes,
        found.indexes,
        |i| i.name,
        show_index,
    )
    .or_else(|| {
        named_difference(
            "foreign key",
            expected.foreign_keys,
            found.foreign_keys,
            |fk| fk.name,
            show_foreign_key,
        )
    })
    .or_else(|| {
        named_difference(
            "check",
            expected.checks,
            found.checks,
            |c| c.name,
            v1::describe_check,
        )
    })
}

/// The first difference between two lists of named items, matched by name.
fn named_difference<T: PartialEq>(
    what: &str,
    expected: &[T],
    found: &[T],
    name: impl Fn(&T) -> &str,
    show: impl Fn(&T) -> String,
) -> Option<String> {
    for item in expected {
        let at = format!("{what} `{}`", name(item));
        match found.iter().find(|f| name(f) == name(item)) {
            None => {
                return Some(format!(
                    "{at}: {FILE_NAME} has it ({}), the migrations do not produce it",
                    show(item)
                ));
            }
            Some(other) if other != item => {
                return Some(has_produces(&at, &show(item), &show(other)));
            }
            Some(_) => {}
        }
    }
    found
        .iter()
        .find(|f| expected.iter().all(|e| name(e) != name(f)))
        .map(|extra| {
            format!(
                "{what} `{}`: the migrations produce it ({}), {FILE_NAME} does not have it",
                name(extra),
                show(extra)
            )
        })
}

fn show_index(index: &v1::Index) -> String {
    let unique = if index.unique { "unique " } else { "" };
    format!("{unique}on ({})", index.columns.join(", "))
}

fn show_foreign_key(fk: &v1::ForeignKey) -> String {
    let mut text = format!(
        "({}) -> {} ({})",
        fk.columns.join(", "),
        fk.ref_table,
        fk.ref_columns.join(", ")
    );
    if let Some(action) = fk.on_delete {
        let _ = write!(text, " on delete {action:?}");
    }
    if let Some(action) = fk.on_update {
        let _ = write!(text, " on update {action:?}");
    }
    text
}

/// The first property two columns of the same name disagree on, as (expected, found).
fn column_difference(expected: &v1::Column, found: &v1::Column) -> Option<(String, String)> {
    let both = |show: &dyn Fn(&v1::Column) -> String| Some((show(expected), show(found)));
    if expected.ty != found.ty {
        return both(&|c| format!("type {:?}", c.ty));
    }
    if expected.null != found.null {
        return both(&|c| if c.null { "NULL" } else { "NOT NULL" }.to_owned());
    }
    if expected.default != found.default {
        return both(&|c| match &c.default {
            None => "no default".to_owned(),
            Some(value) => format!("default {}", show_value(value)),
        });
    }
    if expected.unique != found.unique {
        return both(&|c| if c.unique { "UNIQUE" } else { "not UNIQUE" }.to_owned());
    }
    if expected.auto_increment != found.auto_increment {
        return both(&|c| {
            if c.auto_increment {
                "auto-increment"
            } else {
                "no auto-increment"
            }
            .to_owned()
        });
    }
    if expected.comment != found.comment {
        return both(&|c| format!("comment {:?}", c.comment));
    }
    if expected.extra != found.extra {
        return both(&|c| format!("extra {:?}", c.extra));
    }
    None
}

fn show_value(value: &v1::DefaultValue) -> String {
    match value {
        v1::DefaultValue::Null => "NULL".to_owned(),
        v1::DefaultValue::Bool(b) => b.to_string(),
        v1::DefaultValue::Number(n) => (*n).to_owned(),
        v1::DefaultValue::String(s) => format!("{s:?}"),
        v1::DefaultValue::CurrentTimestamp => "CURRENT_TIMESTAMP".to_owned(),
        v1::DefaultValue::CurrentDate => "CURRENT_DATE".to_owned(),
        v1::DefaultValue::CurrentTime => "CURRENT_TIME".to_owned(),
        v1::DefaultValue::Expr(sql) => format!("({sql})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Options, diff};
    use crate::model::{Column, ColumnType, DefaultValue, ForeignKey, Index, Table};

    /// A table `id` + `{target}_id` per target, each with a foreign key to it.
    fn table(targets: &[&str]) -> Table {
        let mut id = Column::new("id", ColumnType::Integer);
        id.auto_increment = true;
        let mut columns = vec![id];
        let mut foreign_keys = Vec::new();
        for target in targets {
            let mut column = Column::new(format!("{target}_id"), ColumnType::Integer);
            column.null = true;
            foreign_keys.push(ForeignKey {
                name: format!("fk-{target}-{}", foreign_keys.len()),
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

    fn schema(tables: &[(&str, Table)]) -> Schema {
        Schema {
            tables: tables
                .iter()
                .map(|(name, table)| ((*name).to_owned(), table.clone()))
                .collect(),
            ..Schema::default()
        }
    }

    fn with_mood(mut schema: Schema, values: &[&str]) -> Schema {
        let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        schema.enums.insert("mood".to_owned(), values.clone());
        let mut mood = Column::new(
            "mood",
            ColumnType::Enum {
                name: "mood".to_owned(),
                variants: values,
            },
        );
        mood.null = true;
        schema.tables.get_mut("user").unwrap().columns.push(mood);
        schema
    }

    /// Applies the migration that the differ writes from `from` to `to`.
    fn step(replayed: &mut Replayed, from: &Schema, to: &Schema, options: &Options) {
        let up = crate::lower::lower(&diff(from, to, options).unwrap());
        replayed.apply("m", &up).unwrap();
    }

    /// The migration that creates `schema`, replayed.
    fn created(schema: &Schema) -> Replayed {
        let mut replayed = Replayed::default();
        step(
            &mut replayed,
            &Schema::default(),
            schema,
            &Options::default(),
        );
        replayed
    }

    #[test]
    fn replaying_each_kind_of_operation_reaches_the_schema_the_differ_aimed_at() {
        // A foreign-key cycle (keys added after both tables, in another order than the
        // model's), a self-reference and a key to a table that is then renamed.
        let a = with_mood(
            schema(&[
                ("a", table(&["b", "a", "user"])),
                ("b", table(&["a"])),
                ("user", table(&[])),
                ("gone", table(&[])),
            ]),
            &["happy", "sad"],
        );
        // `user` renamed to `person` (keys to it follow), `gone` dropped, a value added to
        // the enum, an index and a default added.
        let mut b = with_mood(
            schema(&[
                ("a", table(&["b", "a", "user"])),
                ("b", table(&["a"])),
                ("user", table(&[])),
            ]),
            &["happy", "calm", "sad"],
        );
        let mut person = b.tables.remove("user").unwrap();
        person.indexes.push(Index {
            name: "idx-person-mood".to_owned(),
            columns: vec!["mood".to_owned()],
            unique: false,
        });
        person.columns[1].default = Some(DefaultValue::String("happy".to_owned()));
        b.tables.insert("person".to_owned(), person);
        b.tables.get_mut("a").unwrap().foreign_keys[2].ref_table = "person".to_owned();
        // The enum loses and reorders values: rebuilt.
        let mut c = b.clone();
        c.enums.insert(
            "mood".to_owned(),
            vec!["sad".to_owned(), "happy".to_owned()],
        );
        let mood = &mut c.tables.get_mut("person").unwrap().columns[1];
        mood.ty = ColumnType::Enum {
            name: "mood".to_owned(),
            variants: vec!["sad".to_owned(), "happy".to_owned()],
        };
        let options = Options {
            allow_destructive: true,
            table_renames: [("user".to_owned(), "person".to_owned())].into(),
            no_rename_tables: ["gone".to_owned()].into(),
            ..Options::default()
        };
        let mut replayed = created(&a);
        assert_eq!(first_difference(&a, &replayed), None);
        step(&mut replayed, &a, &b, &options);
        assert_eq!(first_difference(&b, &replayed), None);
        let to_user = replayed.tables["a"]
            .foreign_keys
            .iter()
            .find(|fk| fk.name == "fk-user-2");
        assert_eq!(
            to_user.map(|fk| fk.ref_table),
            Some("person"),
            "the key to the renamed table follows it"
        );
        let plain = Options {
            allow_destructive: true,
            ..Options::default()
        };
        step(&mut replayed, &b, &c, &plain);
        assert_eq!(first_difference(&c, &replayed), None);
        // Dropping every table and type again leaves nothing.
        step(&mut replayed, &c, &Schema::default(), &plain);
        assert_eq!(first_difference(&Schema::default(), &replayed), None);
    }

    #[test]
    fn the_first_difference_is_named_with_what_each_side_has() {
        let recorded = schema(&[("post", table(&["user"])), ("user", table(&[]))]);
        let replayed = created(&recorded);
        let edited = |edit: &dyn Fn(&mut Schema)| {
            let mut schema = recorded.clone();
            edit(&mut schema);
            first_difference(&schema, &replayed).unwrap()
        };
        assert_eq!(
            edited(&|s| s.tables.get_mut("post").unwrap().columns[1].default =
                Some(DefaultValue::Number("7".to_owned()))),
            "table `post`, column `user_id`: schema.json has default 7, the migrations \
             produce no default"
        );
        assert_eq!(
            edited(&|s| {
                s.tables.remove("post");
            }),
            "table `post`: the migrations create it, schema.json does not have it"
        );
        assert_eq!(
            edited(&|s| s.tables.get_mut("user").unwrap().indexes.push(Index {
                name: "idx".to_owned(),
                columns: vec!["id".to_owned()],
                unique: true,
            })),
            "table `user`, index `idx`: schema.json has it (unique on (id)), the migrations \
             do not produce it"
        );
        assert_eq!(
            edited(
                &|s| s.tables.get_mut("post").unwrap().foreign_keys[0].on_delete =
                    Some(crate::model::Action::Cascade)
            ),
            "table `post`, foreign key `fk-user-0`: schema.json has (user_id) -> user (id) on \
             delete Cascade, the migrations produce (user_id) -> user (id)"
        );
        assert_eq!(
            edited(&|s| s
                .enums
                .insert("mood".to_owned(), vec!["a".to_owned()])
                .map(drop)
                .unwrap_or_default()),
            "enum type `mood`: schema.json has it, the migrations do not create it"
        );
    }

    #[test]
    fn an_operation_on_something_the_history_never_made_is_named() {
        let mut replayed = Replayed::default();
        let error = replayed
            .apply("m1", &[v1::Op::DropTable("ghost")])
            .unwrap_err();
        assert_eq!(
            error,
            "migration m1, operation 1 of UP: drops table `ghost`, which does not exist"
        );
    }
}
