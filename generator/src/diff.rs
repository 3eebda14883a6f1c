//! The differ: compares the recorded schema with the entities' schema and returns the ordered
//! operations that turn one into the other. Pure: no I/O, no prompts. Anything it will not
//! decide alone (a destructive change, a change it cannot write yet) is an error naming the
//! change and the way out.
//!
//! The order of the steps is the algorithm:
//! 1. create new enum types (tables may use them);
//! 2. drop removed tables, referencing tables first;
//! 3. create new tables, referenced tables first, so inline foreign keys always resolve;
//! 4. drop enum types nothing uses any more.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::Error;
use crate::model::{Schema, Table};
use crate::operation::Operation;

/// Decisions the user made on the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Allow operations that lose data (`--allow-destructive`).
    pub allow_destructive: bool,
}

/// The operations that turn `from` into `to`, in a valid order.
pub fn diff(from: &Schema, to: &Schema, options: &Options) -> Result<Vec<Operation>, Error> {
    let mut operations = Vec::new();

    for (name, values) in &to.enums {
        match from.enums.get(name) {
            None => operations.push(Operation::CreateEnum {
                name: name.clone(),
                values: values.clone(),
            }),
            Some(old) if old != values => {
                return Err(Error::Refused(format!(
                    "enum type `{name}` changed from {old:?} to {values:?}; changing enum \
                     values is not supported yet"
                )));
            }
            Some(_) => {}
        }
    }

    let dropped = tables_missing_from(from, to);
    let mut drops: Vec<Operation> = dependency_order(&dropped)?
        .into_iter()
        .map(|name| Operation::DropTable {
            name: name.to_owned(),
            table: dropped[name].clone(),
        })
        .collect();
    drops.reverse();
    operations.extend(drops);

    let created = tables_missing_from(to, from);
    operations.extend(
        dependency_order(&created)?
            .into_iter()
            .map(|name| Operation::CreateTable {
                name: name.to_owned(),
                table: created[name].clone(),
            }),
    );

    for (name, table) in &to.tables {
        if let Some(old) = from.tables.get(name)
            && old != table
        {
            return Err(Error::Refused(format!(
                "table `{name}` changed; changing an existing table is not supported yet"
            )));
        }
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
            .map(Operation::describe)
            .collect();
        if !destructive.is_empty() {
            return Err(Error::Refused(format!(
                "these changes lose data:\n  {}\npass --allow-destructive to write them anyway",
                destructive.join("\n  ")
            )));
        }
    }
    Ok(operations)
}

/// The tables of `schema` that `other` lacks, by name.
fn tables_missing_from<'a>(schema: &'a Schema, other: &Schema) -> BTreeMap<&'a str, &'a Table> {
    schema
        .tables
        .iter()
        .filter(|(name, _)| !other.tables.contains_key(*name))
        .map(|(name, table)| (name.as_str(), table))
        .collect()
}

/// `tables` ordered so that each comes after the tables (of this set) that it references.
/// Ties are broken by name, so the order is deterministic.
fn dependency_order<'a>(tables: &BTreeMap<&'a str, &Table>) -> Result<Vec<&'a str>, Error> {
    let mut ordered = Vec::with_capacity(tables.len());
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    while ordered.len() < tables.len() {
        let ready: Vec<&str> = tables
            .iter()
            .filter(|(name, _)| !placed.contains(**name))
            .filter(|(name, table)| {
                table
                    .references(name)
                    .all(|target| placed.contains(target) || !tables.contains_key(target))
            })
            .map(|(name, _)| *name)
            .collect();
        if ready.is_empty() {
            let cycle: Vec<&str> = tables
                .keys()
                .copied()
                .filter(|name| !placed.contains(name))
                .collect();
            return Err(Error::Refused(format!(
                "the foreign keys of tables {} form a cycle; cyclic foreign keys are not \
                 supported yet",
                cycle.join(", ")
            )));
        }
        for name in ready {
            placed.insert(name);
            ordered.push(name);
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, ColumnType, ForeignKey};

    /// A table `id` + one column per referenced table, each with a foreign key to it.
    fn table_referencing(targets: &[&str]) -> Table {
        let mut columns = vec![Column {
            name: "id".to_owned(),
            ty: ColumnType::Integer,
            null: false,
            default: None,
            unique: false,
            auto_increment: true,
            comment: None,
            extra: None,
        }];
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
        };
        let operations = diff(&from, &Schema::default(), &allowed).unwrap();
        assert_eq!(described(&operations), ["- table post", "- table user"]);
    }

    #[test]
    fn a_foreign_key_cycle_is_refused_with_the_tables_named() {
        let to = schema(&[("a", &["b"]), ("b", &["a"]), ("c", &[])]);
        let error = diff(&Schema::default(), &to, &Options::default()).unwrap_err();
        assert!(
            error.to_string().contains("tables a, b form a cycle"),
            "{error}"
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
        assert_eq!(described(&plan.down()), ["- table post", "- table user"]);
        assert_eq!(plan.suggested_name(), "create_user_create_post");
    }
}
