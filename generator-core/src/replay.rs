//! Replay: the schema the generated migrations produce, from their `UP` operations applied in
//! order to an empty schema, and its comparison with the recorded snapshot, naming the first
//! difference. Owns what each operation does to a schema's state: `CreateTable`, `DropTable`,
//! `RenameTable` (foreign keys that point at the old name follow it, as the databases and the
//! differ have them do), `AlterTable` (which carries the whole table after its changes),
//! `CreateEnum`, `DropEnum`, `AddEnumValue` and `RecreateEnum`. Pure.
//!
//! The state is held in the vocabulary's own types, the snapshot's too, so a table that agrees
//! is one `==`; only a table that differs is looked at item by item to name the difference:
//! indexes, foreign keys and checks by name, since the order the migrations add them in is not
//! part of the schema.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::lower::Op;
use crate::model::{Column, ForeignKey, Index, Schema, Table, show_value};
use crate::snapshot::FILE_NAME;

/// The schema as the migrations replayed so far leave it.
#[derive(Debug, Default)]
pub struct Replayed {
    pub tables: BTreeMap<String, Table>,
    pub enums: BTreeMap<String, Vec<String>>,
}

impl Replayed {
    /// The state `schema` describes, to replay later migrations onto (an adopted history's
    /// baseline).
    pub fn starting_from(schema: &Schema) -> Self {
        Replayed {
            tables: schema.tables.clone(),
            enums: schema.enums.clone(),
        }
    }

    /// Applies the `UP` operations of migration `migration`. An operation on something that
    /// the operations before it did not leave (dropping a table no migration created, creating
    /// one twice) is an error naming the migration, the operation and the name.
    pub fn apply(&mut self, migration: &str, ops: Vec<Op>) -> Result<(), String> {
        for (at, op) in ops.into_iter().enumerate() {
            self.apply_one(op).map_err(|problem| {
                format!(
                    "migration {migration}, operation {} of UP: {problem}",
                    at + 1
                )
            })?;
        }
        Ok(())
    }

    fn apply_one(&mut self, op: Op) -> Result<(), String> {
        match op {
            Op::CreateTable(table) => {
                if let Some(table) = self.tables.insert(table.name.clone(), table) {
                    return Err(format!("creates table `{}`, which exists", table.name));
                }
            }
            Op::DropTable(name) => {
                if self.tables.remove(&name).is_none() {
                    return Err(format!("drops table `{name}`, which does not exist"));
                }
            }
            Op::RenameTable { from, to } => {
                if self.tables.contains_key(&to) {
                    return Err(format!("renames `{from}` to `{to}`, which exists"));
                }
                let Some(mut table) = self.tables.remove(&from) else {
                    return Err(format!("renames table `{from}`, which does not exist"));
                };
                table.name = to.clone();
                self.tables.insert(to.clone(), table);
                for table in self.tables.values_mut() {
                    for fk in &mut table.foreign_keys {
                        if fk.ref_table == from {
                            fk.ref_table = to.clone();
                        }
                    }
                }
            }
            Op::AlterTable(alter) => match self.tables.get_mut(&alter.table.name) {
                Some(table) => *table = alter.table,
                None => {
                    return Err(format!(
                        "alters table `{}`, which does not exist",
                        alter.table.name
                    ));
                }
            },
            Op::CreateEnum(e) => {
                if self.enums.contains_key(&e.name) {
                    return Err(format!("creates enum type `{}`, which exists", e.name));
                }
                self.enums.insert(e.name, e.values);
            }
            Op::DropEnum(name) => {
                if self.enums.remove(&name).is_none() {
                    return Err(format!("drops enum type `{name}`, which does not exist"));
                }
            }
            Op::AddEnumValue {
                name,
                value,
                before,
            } => {
                let Some(values) = self.enums.get_mut(&name) else {
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
            Op::RecreateEnum { name, values, .. } => match self.enums.get_mut(&name) {
                Some(old) => *old = values,
                None => {
                    return Err(format!("rebuilds enum type `{name}`, which does not exist"));
                }
            },
        }
        Ok(())
    }
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
            (Some((e, _)), Some((f, _))) => e.cmp(f),
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
                if table == replayed {
                    continue;
                }
                // The difference may be none but an order.
                if let Some(difference) = table_difference(table, replayed) {
                    return Some(format!("table `{name}`, {difference}"));
                }
            }
        }
    }
    for (name, values) in &recorded.enums {
        match replayed.enums.get(name) {
            None => {
                return Some(format!(
                    "enum type `{name}`: {FILE_NAME} has it, the migrations do not create it"
                ));
            }
            Some(found) if found != values => {
                return Some(format!(
                    "enum type `{name}`: {FILE_NAME} has ({}), the migrations produce ({})",
                    values.join(", "),
                    found.join(", ")
                ));
            }
            Some(_) => {}
        }
    }
    replayed
        .enums
        .keys()
        .find(|name| !recorded.enums.contains_key(*name))
        .map(|name| {
            format!("enum type `{name}`: the migrations create it, {FILE_NAME} does not have it")
        })
}

// --- naming the difference ----------------------------------------------------------------

/// `{what}: schema.json has {expected}, the migrations produce {found}`.
fn has_produces(what: &str, expected: &str, found: &str) -> String {
    format!("{what}: {FILE_NAME} has {expected}, the migrations produce {found}")
}

/// The first difference between two states of one table, or `None` when they differ only in
/// the order of their indexes, foreign keys or checks.
fn table_difference(expected: &Table, found: &Table) -> Option<String> {
    for column in &expected.columns {
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
    let column_names = |table: &Table| {
        let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        format!("({})", names.join(", "))
    };
    if !expected
        .columns
        .iter()
        .map(|c| &c.name)
        .eq(found.columns.iter().map(|c| &c.name))
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
        &expected.indexes,
        &found.indexes,
        |i| &i.name,
        show_index,
    )
    .or_else(|| {
        named_difference(
            "foreign key",
            &expected.foreign_keys,
            &found.foreign_keys,
            |fk| &fk.name,
            show_foreign_key,
        )
    })
    .or_else(|| {
        named_difference(
            "check",
            &expected.checks,
            &found.checks,
            |c| &c.name,
            migration_ops::v1::describe_check,
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

fn show_index(index: &Index) -> String {
    let unique = if index.unique { "unique " } else { "" };
    format!("{unique}on ({})", index.columns.join(", "))
}

fn show_foreign_key(fk: &ForeignKey) -> String {
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
fn column_difference(expected: &Column, found: &Column) -> Option<(String, String)> {
    let both = |show: &dyn Fn(&Column) -> String| Some((show(expected), show(found)));
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
        replayed.apply("m", up).unwrap();
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
            to_user.map(|fk| fk.ref_table.as_str()),
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
            .apply("m1", vec![Op::DropTable("ghost".to_owned())])
            .unwrap_err();
        assert_eq!(
            error,
            "migration m1, operation 1 of UP: drops table `ghost`, which does not exist"
        );
    }
}
