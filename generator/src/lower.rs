//! Lowering: turns operations on the schema model into the `migration_ops::v1` data that a
//! migration file holds. The rendered file and the SQL the generator shows are both made from
//! this one value, so they cannot disagree.
//!
//! v1 data is `&'static` (so that files are plain constants); the generator is a short-lived
//! process, so the strings it lowers are leaked rather than borrowed.

use std::cell::Cell;

use migration_ops::v1;

use crate::model::{
    Action, Check, Column, ColumnType, DefaultValue, ForeignKey, Index, Len, Limit, Rule, Table,
};
use crate::operation::{Change, Operation};

/// The v1 operations for `operations`, in order.
pub fn lower(operations: &[Operation]) -> Vec<v1::Op> {
    operations.iter().map(lower_operation).collect()
}

fn lower_operation(operation: &Operation) -> v1::Op {
    match operation {
        Operation::CreateEnum { name, values } => v1::Op::CreateEnum(v1::Enum {
            name: leak(name),
            values: leak_strs(values),
        }),
        Operation::DropEnum { name, .. } => v1::Op::DropEnum(leak(name)),
        Operation::CreateTable { name, table } => v1::Op::CreateTable(lower_table(name, table)),
        Operation::DropTable { name, .. } => v1::Op::DropTable(leak(name)),
        Operation::RenameTable { from, to } => v1::Op::RenameTable {
            from: leak(from),
            to: leak(to),
        },
        Operation::AddEnumValue {
            name,
            value,
            before,
        } => v1::Op::AddEnumValue {
            name: leak(name),
            value: leak(value),
            before: before.as_deref().map(leak),
        },
        Operation::RecreateEnum {
            name, to, columns, ..
        } => v1::Op::RecreateEnum {
            name: leak(name),
            values: leak_strs(to),
            columns: leak_slice(
                columns
                    .iter()
                    .map(|c| v1::EnumColumn {
                        table: leak(&c.table),
                        column: leak(&c.column),
                        default: c.default.as_ref().map(lower_default),
                    })
                    .collect(),
            ),
        },
        Operation::AlterTable {
            name,
            after,
            changes,
            ..
        } => v1::Op::AlterTable(v1::AlterTable {
            table: lower_table(name, after),
            changes: leak_slice(changes.iter().map(lower_change).collect()),
        }),
    }
}

fn lower_change(change: &Change) -> v1::Change {
    match change {
        Change::AddColumn { column, backfill } => v1::Change::AddColumn {
            column: lower_column(column),
            backfill: backfill.as_ref().map(lower_default),
        },
        Change::DropColumn { column } => v1::Change::DropColumn(leak(&column.name)),
        Change::RenameColumn { from, to } => v1::Change::RenameColumn {
            from: leak(from),
            to: leak(to),
        },
        Change::AlterColumn { from, to, backfill } => v1::Change::AlterColumn {
            from: lower_column(from),
            to: lower_column(to),
            backfill: backfill.as_ref().map(lower_default),
        },
        Change::CreateIndex(index) => v1::Change::CreateIndex(lower_index(index)),
        Change::DropIndex(index) => v1::Change::DropIndex(lower_index(index)),
        Change::AddForeignKey(fk) => v1::Change::AddForeignKey(lower_foreign_key(fk)),
        Change::DropForeignKey(fk) => v1::Change::DropForeignKey(leak(&fk.name)),
        Change::AddCheck(check) => v1::Change::AddCheck(lower_check(check)),
        Change::DropCheck(check) => v1::Change::DropCheck(leak(&check.name)),
        Change::TableComment { to, .. } => v1::Change::TableComment(to.as_deref().map(leak)),
        Change::PrimaryKey {
            from,
            to,
            add,
            drop,
        } => v1::Change::PrimaryKey {
            from: leak_strs(from),
            to: leak_strs(to),
            add: add.as_ref().map(lower_column),
            drop: drop.as_ref().map(|column| leak(&column.name)),
        },
    }
}

pub fn lower_table(name: &str, table: &Table) -> v1::Table {
    v1::Table {
        name: leak(name),
        comment: table.comment.as_deref().map(leak),
        columns: leak_slice(table.columns.iter().map(lower_column).collect()),
        primary_key: leak_strs(&table.primary_key),
        indexes: leak_slice(table.indexes.iter().map(lower_index).collect()),
        foreign_keys: leak_slice(table.foreign_keys.iter().map(lower_foreign_key).collect()),
        checks: leak_slice(table.checks.iter().map(lower_check).collect()),
    }
}

pub fn lower_check(check: &Check) -> v1::Check {
    let limit = |limit: &Option<Limit>| {
        limit.as_ref().map(|limit| v1::Limit {
            value: leak(&limit.value),
            inclusive: limit.inclusive,
        })
    };
    v1::Check {
        name: leak(&check.name),
        column: leak(&check.column),
        rule: match &check.rule {
            Rule::Length { min, max } => v1::CheckRule::Length {
                min: *min,
                max: *max,
            },
            Rule::Range { min, max } => v1::CheckRule::Range {
                min: limit(min),
                max: limit(max),
            },
            Rule::OneOf(values) => {
                v1::CheckRule::OneOf(leak_slice(values.iter().map(lower_default).collect()))
            }
            Rule::NotNull => v1::CheckRule::NotNull,
        },
    }
}

fn lower_index(index: &Index) -> v1::Index {
    v1::Index {
        name: leak(&index.name),
        columns: leak_strs(&index.columns),
        unique: index.unique,
    }
}

fn lower_foreign_key(fk: &ForeignKey) -> v1::ForeignKey {
    v1::ForeignKey {
        name: leak(&fk.name),
        columns: leak_strs(&fk.columns),
        ref_table: leak(&fk.ref_table),
        ref_columns: leak_strs(&fk.ref_columns),
        on_delete: fk.on_delete.map(lower_action),
        on_update: fk.on_update.map(lower_action),
    }
}

fn lower_column(column: &Column) -> v1::Column {
    v1::Column {
        name: leak(&column.name),
        ty: lower_type(&column.ty),
        null: column.null,
        default: column.default.as_ref().map(lower_default),
        unique: column.unique,
        auto_increment: column.auto_increment,
        comment: column.comment.as_deref().map(leak),
        extra: column.extra.as_deref().map(leak),
    }
}

pub(crate) fn lower_type(ty: &ColumnType) -> v1::ColumnType {
    use v1::ColumnType as V;
    match ty {
        ColumnType::Char(len) => V::Char(*len),
        ColumnType::String(len) => V::String(lower_len(*len)),
        ColumnType::Text => V::Text,
        ColumnType::Blob => V::Blob,
        ColumnType::TinyInteger => V::TinyInteger,
        ColumnType::SmallInteger => V::SmallInteger,
        ColumnType::Integer => V::Integer,
        ColumnType::BigInteger => V::BigInteger,
        ColumnType::TinyUnsigned => V::TinyUnsigned,
        ColumnType::SmallUnsigned => V::SmallUnsigned,
        ColumnType::Unsigned => V::Unsigned,
        ColumnType::BigUnsigned => V::BigUnsigned,
        ColumnType::Float => V::Float,
        ColumnType::Double => V::Double,
        ColumnType::Decimal(precision) => V::Decimal(*precision),
        ColumnType::DateTime => V::DateTime,
        ColumnType::Timestamp => V::Timestamp,
        ColumnType::TimestampWithTimeZone => V::TimestampWithTimeZone,
        ColumnType::Time => V::Time,
        ColumnType::Date => V::Date,
        ColumnType::Year => V::Year,
        ColumnType::Binary(len) => V::Binary(*len),
        ColumnType::VarBinary(len) => V::VarBinary(lower_len(*len)),
        ColumnType::Bit(len) => V::Bit(*len),
        ColumnType::VarBit(len) => V::VarBit(*len),
        ColumnType::Boolean => V::Boolean,
        ColumnType::Money(precision) => V::Money(*precision),
        ColumnType::Json => V::Json,
        ColumnType::JsonBinary => V::JsonBinary,
        ColumnType::Uuid => V::Uuid,
        ColumnType::Custom(name) => V::Custom(leak(name)),
        ColumnType::Enum { name, variants } => V::Enum {
            name: leak(name),
            variants: leak_strs(variants),
        },
        ColumnType::Vector(len) => V::Vector(*len),
        ColumnType::Cidr => V::Cidr,
        ColumnType::Inet => V::Inet,
        ColumnType::MacAddr => V::MacAddr,
        ColumnType::LTree => V::LTree,
    }
}

fn lower_len(len: Len) -> v1::Len {
    match len {
        Len::None => v1::Len::None,
        Len::N(n) => v1::Len::N(n),
        Len::Max => v1::Len::Max,
    }
}

fn lower_default(default: &DefaultValue) -> v1::DefaultValue {
    match default {
        DefaultValue::Null => v1::DefaultValue::Null,
        DefaultValue::Bool(value) => v1::DefaultValue::Bool(*value),
        DefaultValue::Number(text) => v1::DefaultValue::Number(leak(text)),
        DefaultValue::String(text) => v1::DefaultValue::String(leak(text)),
        DefaultValue::CurrentTimestamp => v1::DefaultValue::CurrentTimestamp,
        DefaultValue::CurrentDate => v1::DefaultValue::CurrentDate,
        DefaultValue::CurrentTime => v1::DefaultValue::CurrentTime,
        DefaultValue::Expr(sql) => v1::DefaultValue::Expr(leak(sql)),
    }
}

pub(crate) fn lower_action(action: Action) -> v1::Action {
    match action {
        Action::Restrict => v1::Action::Restrict,
        Action::Cascade => v1::Action::Cascade,
        Action::SetNull => v1::Action::SetNull,
        Action::NoAction => v1::Action::NoAction,
        Action::SetDefault => v1::Action::SetDefault,
    }
}

/// `text`, copied into memory that lives as long as the process. Copies go one after another
/// into leaked 64 kB chunks, so that lowering a large schema costs a few allocations, not one
/// per name.
pub(crate) fn leak(text: &str) -> &'static str {
    const CHUNK: usize = 64 * 1024;
    thread_local! {
        static FREE: Cell<&'static mut [u8]> = const { Cell::new(&mut []) };
    }
    FREE.with(|free| {
        let mut space = free.take();
        if space.len() < text.len() {
            space = Box::leak(vec![0; CHUNK.max(text.len())].into_boxed_slice());
        }
        let (copy, rest) = space.split_at_mut(text.len());
        copy.copy_from_slice(text.as_bytes());
        free.set(rest);
        std::str::from_utf8(copy).expect("a copy of a str is UTF-8")
    })
}

fn leak_strs(texts: &[String]) -> &'static [&'static str] {
    leak_slice(texts.iter().map(|text| leak(text)).collect())
}

fn leak_slice<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}
