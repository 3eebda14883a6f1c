//! Lowering: an operation's forward data, as the migration file holds it and the interpreter
//! runs it (`migration_ops::schema::Op`). The rendered file and the SQL the generator shows
//! are both made from this one value, so they cannot disagree. Tables and changes are the same
//! types on both sides; only the top-level operations differ, since an [`Operation`] also
//! carries what its reverse needs (a dropped table's definition, the states around a change).

use migration_ops::schema;

use crate::model::{Owned, Table};
use crate::operation::Operation;

/// An operation's data.
pub type Op = schema::Op<Owned>;

/// The forward data of `operations`, in order.
pub fn lower(operations: &[Operation]) -> Vec<Op> {
    operations.iter().map(lower_operation).collect()
}

fn lower_operation(operation: &Operation) -> Op {
    match operation {
        Operation::CreateEnum { name, values } => Op::CreateEnum(schema::Enum {
            name: name.clone(),
            values: values.clone(),
        }),
        Operation::DropEnum { name, .. } => Op::DropEnum(name.clone()),
        Operation::CreateTable { name, table } => Op::CreateTable(named(name, table)),
        Operation::DropTable { name, .. } => Op::DropTable(name.clone()),
        Operation::RenameTable { from, to } => Op::RenameTable {
            from: from.clone(),
            to: to.clone(),
        },
        Operation::AddEnumValue {
            name,
            value,
            before,
        } => Op::AddEnumValue {
            name: name.clone(),
            value: value.clone(),
            before: before.clone(),
        },
        Operation::RecreateEnum {
            name, to, columns, ..
        } => Op::RecreateEnum {
            name: name.clone(),
            values: to.clone(),
            columns: columns.clone(),
        },
        Operation::AlterTable {
            name,
            after,
            changes,
            ..
        } => Op::AlterTable(schema::AlterTable {
            table: named(name, after),
            changes: changes.clone(),
        }),
    }
}

/// `table` as the operation on table `name` writes it: an operation's name decides, since a
/// table's state inside a rename still carries the name it had.
fn named(name: &str, table: &Table) -> Table {
    Table {
        name: name.to_owned(),
        ..table.clone()
    }
}
