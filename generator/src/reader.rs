//! Reading migration files back: evaluates the `UP` and `DOWN` data of a generated migration
//! (the subset of Rust that `render` writes: the `migration_ops::v1` builders, variants and
//! literals) into v1 operations, without compiling it. `sql` uses it to show what migrations
//! run. Pure: source text in, data out.

use migration_ops::v1;
use syn::{Expr, ExprCall, ExprMethodCall, ExprPath, Item, Lit};

/// The data of one migration file: `None` for a hand-written one (no `UP` constant).
pub struct MigrationData {
    pub up: Vec<v1::Op>,
    /// `None` when the migration cannot be undone.
    pub down: Option<Vec<v1::Op>>,
}

/// Reads `UP` and `DOWN` from a migration's source; `Ok(None)` for a hand-written migration.
pub fn read(source: &str) -> Result<Option<MigrationData>, String> {
    let file = syn::parse_file(source).map_err(|e| format!("not valid Rust: {e}"))?;
    let constant = |name: &str| {
        file.items.iter().find_map(|item| match item {
            Item::Const(c) if c.ident == name => Some(&*c.expr),
            _ => None,
        })
    };
    let Some(up) = constant("UP") else {
        return Ok(None);
    };
    let ops = |expr: &Expr| -> Result<Vec<v1::Op>, String> { list(expr)?.iter().map(op).collect() };
    Ok(Some(MigrationData {
        up: ops(up)?,
        down: constant("DOWN").map(ops).transpose()?,
    }))
}

fn unexpected(expr: &Expr, what: &str) -> String {
    use quote::ToTokens;
    format!("expected {what}, found `{}`", expr.to_token_stream())
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn leak_slice<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

/// The elements of `&[a, b, …]`.
fn list(expr: &Expr) -> Result<Vec<&Expr>, String> {
    match expr {
        Expr::Reference(reference) => list(&reference.expr),
        Expr::Array(array) => Ok(array.elems.iter().collect()),
        other => Err(unexpected(other, "a list `&[…]`")),
    }
}

fn string(expr: &Expr) -> Result<&'static str, String> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(s) => Ok(leak(s.value())),
            _ => Err(unexpected(expr, "a string")),
        },
        other => Err(unexpected(other, "a string")),
    }
}

fn strings(expr: &Expr) -> Result<&'static [&'static str], String> {
    Ok(leak_slice(
        list(expr)?
            .into_iter()
            .map(string)
            .collect::<Result<_, _>>()?,
    ))
}

fn number<N: std::str::FromStr>(expr: &Expr) -> Result<N, String>
where
    N::Err: std::fmt::Display,
{
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(i) => i.base10_parse().map_err(|e| e.to_string()),
            _ => Err(unexpected(expr, "a number")),
        },
        other => Err(unexpected(other, "a number")),
    }
}

fn boolean(expr: &Expr) -> Result<bool, String> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Bool(b) => Ok(b.value),
            _ => Err(unexpected(expr, "true or false")),
        },
        other => Err(unexpected(other, "true or false")),
    }
}

/// `Some(x)` → `Some(f(x))`, `None` → `None`.
fn option<T>(expr: &Expr, f: impl Fn(&Expr) -> Result<T, String>) -> Result<Option<T>, String> {
    match expr {
        Expr::Path(path) if last(path) == "None" => Ok(None),
        Expr::Call(call) if callee(call) == "Some" && call.args.len() == 1 => {
            Ok(Some(f(&call.args[0])?))
        }
        other => Err(unexpected(other, "Some(…) or None")),
    }
}

fn last(path: &ExprPath) -> String {
    path.path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

fn callee(call: &ExprCall) -> String {
    match &*call.func {
        Expr::Path(path) => last(path),
        _ => String::new(),
    }
}

/// A call, after peeling the builder methods chained on it (outermost last).
fn peel(expr: &Expr) -> (&Expr, Vec<&ExprMethodCall>) {
    let mut methods = Vec::new();
    let mut current = expr;
    while let Expr::MethodCall(method) = current {
        methods.push(method);
        current = &method.receiver;
    }
    methods.reverse();
    (current, methods)
}

/// The fields of `Variant { a: …, b: … }`.
fn field<'a>(expr: &'a Expr, name: &str) -> Result<&'a Expr, String> {
    match expr {
        Expr::Struct(s) => s
            .fields
            .iter()
            .find(|f| matches!(&f.member, syn::Member::Named(n) if n == name))
            .map(|f| &f.expr)
            .ok_or_else(|| unexpected(expr, &format!("a field `{name}`"))),
        other => Err(unexpected(other, "a struct-like variant")),
    }
}

fn variant_name(expr: &Expr) -> String {
    match expr {
        Expr::Path(path) => last(path),
        Expr::Call(call) => callee(call),
        Expr::Struct(s) => s
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn arg(expr: &Expr, at: usize) -> Result<&Expr, String> {
    match expr {
        Expr::Call(call) => call
            .args
            .iter()
            .nth(at)
            .ok_or_else(|| unexpected(expr, "more arguments")),
        other => Err(unexpected(other, "a call")),
    }
}

fn op(expr: &&Expr) -> Result<v1::Op, String> {
    let expr = *expr;
    if let Expr::Call(call) = expr
        && callee(call) == "alter_table"
    {
        return Ok(v1::alter_table(
            table(arg(expr, 0)?)?,
            leak_slice(
                list(arg(expr, 1)?)?
                    .into_iter()
                    .map(change)
                    .collect::<Result<_, _>>()?,
            ),
        ));
    }
    Ok(match variant_name(expr).as_str() {
        "CreateTable" => v1::Op::CreateTable(table(arg(expr, 0)?)?),
        "DropTable" => v1::Op::DropTable(string(arg(expr, 0)?)?),
        "CreateEnum" => {
            let inner = arg(expr, 0)?;
            v1::Op::CreateEnum(v1::enum_type(
                string(arg(inner, 0)?)?,
                strings(arg(inner, 1)?)?,
            ))
        }
        "DropEnum" => v1::Op::DropEnum(string(arg(expr, 0)?)?),
        "RenameTable" => v1::Op::RenameTable {
            from: string(field(expr, "from")?)?,
            to: string(field(expr, "to")?)?,
        },
        "RecreateEnum" => v1::Op::RecreateEnum {
            name: string(field(expr, "name")?)?,
            values: strings(field(expr, "values")?)?,
            columns: leak_slice(
                list(field(expr, "columns")?)?
                    .into_iter()
                    .map(enum_column)
                    .collect::<Result<_, _>>()?,
            ),
        },
        "AddEnumValue" => v1::Op::AddEnumValue {
            name: string(field(expr, "name")?)?,
            value: string(field(expr, "value")?)?,
            before: option(field(expr, "before")?, string)?,
        },
        _ => return Err(unexpected(expr, "an operation")),
    })
}

fn table(expr: &Expr) -> Result<v1::Table, String> {
    let (base, methods) = peel(expr);
    let columns = list(arg(base, 1)?)?
        .into_iter()
        .map(column)
        .collect::<Result<_, _>>()?;
    let mut table = v1::table(string(arg(base, 0)?)?, leak_slice(columns));
    for method in methods {
        let a = method.args.first();
        let a = || a.ok_or_else(|| format!("`.{}` takes an argument", method.method));
        table = match method.method.to_string().as_str() {
            "primary_key" => table.primary_key(strings(a()?)?),
            "indexes" => table.indexes(leak_slice(
                list(a()?)?
                    .into_iter()
                    .map(index)
                    .collect::<Result<_, _>>()?,
            )),
            "foreign_keys" => table.foreign_keys(leak_slice(
                list(a()?)?
                    .into_iter()
                    .map(foreign_key)
                    .collect::<Result<_, _>>()?,
            )),
            "comment" => table.comment(string(a()?)?),
            "checks" => table.checks(leak_slice(
                list(a()?)?
                    .into_iter()
                    .map(check)
                    .collect::<Result<_, _>>()?,
            )),
            other => return Err(format!("unknown table method `.{other}`")),
        };
    }
    Ok(table)
}

fn column(expr: &Expr) -> Result<v1::Column, String> {
    let (base, methods) = peel(expr);
    let mut column = v1::column(string(arg(base, 0)?)?, column_type(arg(base, 1)?)?);
    for method in methods {
        let a = method.args.first();
        let a = || a.ok_or_else(|| format!("`.{}` takes an argument", method.method));
        column = match method.method.to_string().as_str() {
            "null" => column.null(),
            "unique" => column.unique(),
            "auto_increment" => column.auto_increment(),
            "default" => column.default(default_value(a()?)?),
            "comment" => column.comment(string(a()?)?),
            "extra" => column.extra(string(a()?)?),
            other => return Err(format!("unknown column method `.{other}`")),
        };
    }
    Ok(column)
}

fn len(expr: &Expr) -> Result<v1::Len, String> {
    Ok(match variant_name(expr).as_str() {
        "None" => v1::Len::None,
        "Max" => v1::Len::Max,
        "N" => v1::Len::N(number(arg(expr, 0)?)?),
        _ => return Err(unexpected(expr, "a Len")),
    })
}

fn precision(expr: &Expr) -> Result<(u32, u32), String> {
    match expr {
        Expr::Tuple(t) if t.elems.len() == 2 => Ok((number(&t.elems[0])?, number(&t.elems[1])?)),
        other => Err(unexpected(other, "(precision, scale)")),
    }
}

fn column_type(expr: &Expr) -> Result<v1::ColumnType, String> {
    use v1::ColumnType as T;
    let name = variant_name(expr);
    let first = || arg(expr, 0);
    Ok(match name.as_str() {
        "Char" => T::Char(option(first()?, number)?),
        "String" => T::String(len(first()?)?),
        "VarBinary" => T::VarBinary(len(first()?)?),
        "Decimal" => T::Decimal(option(first()?, precision)?),
        "Money" => T::Money(option(first()?, precision)?),
        "Binary" => T::Binary(number(first()?)?),
        "Bit" => T::Bit(option(first()?, number)?),
        "VarBit" => T::VarBit(number(first()?)?),
        "Vector" => T::Vector(option(first()?, number)?),
        "Custom" => T::Custom(string(first()?)?),
        "Enum" => T::Enum {
            name: string(field(expr, "name")?)?,
            variants: strings(field(expr, "variants")?)?,
        },
        "Text" => T::Text,
        "Blob" => T::Blob,
        "TinyInteger" => T::TinyInteger,
        "SmallInteger" => T::SmallInteger,
        "Integer" => T::Integer,
        "BigInteger" => T::BigInteger,
        "TinyUnsigned" => T::TinyUnsigned,
        "SmallUnsigned" => T::SmallUnsigned,
        "Unsigned" => T::Unsigned,
        "BigUnsigned" => T::BigUnsigned,
        "Float" => T::Float,
        "Double" => T::Double,
        "DateTime" => T::DateTime,
        "Timestamp" => T::Timestamp,
        "TimestampWithTimeZone" => T::TimestampWithTimeZone,
        "Time" => T::Time,
        "Date" => T::Date,
        "Year" => T::Year,
        "Boolean" => T::Boolean,
        "Json" => T::Json,
        "JsonBinary" => T::JsonBinary,
        "Uuid" => T::Uuid,
        "Cidr" => T::Cidr,
        "Inet" => T::Inet,
        "MacAddr" => T::MacAddr,
        "LTree" => T::LTree,
        _ => return Err(unexpected(expr, "a ColumnType")),
    })
}

fn default_value(expr: &Expr) -> Result<v1::DefaultValue, String> {
    use v1::DefaultValue as D;
    Ok(match variant_name(expr).as_str() {
        "Null" => D::Null,
        "Bool" => D::Bool(boolean(arg(expr, 0)?)?),
        "Number" => D::Number(string(arg(expr, 0)?)?),
        "String" => D::String(string(arg(expr, 0)?)?),
        "CurrentTimestamp" => D::CurrentTimestamp,
        "CurrentDate" => D::CurrentDate,
        "CurrentTime" => D::CurrentTime,
        "Expr" => D::Expr(string(arg(expr, 0)?)?),
        _ => return Err(unexpected(expr, "a DefaultValue")),
    })
}

fn action(expr: &Expr) -> Result<v1::Action, String> {
    use v1::Action as A;
    Ok(match variant_name(expr).as_str() {
        "Restrict" => A::Restrict,
        "Cascade" => A::Cascade,
        "SetNull" => A::SetNull,
        "NoAction" => A::NoAction,
        "SetDefault" => A::SetDefault,
        _ => return Err(unexpected(expr, "an Action")),
    })
}

fn index(expr: &Expr) -> Result<v1::Index, String> {
    let (base, methods) = peel(expr);
    let mut index = v1::index(string(arg(base, 0)?)?, strings(arg(base, 1)?)?);
    for method in methods {
        index = match method.method.to_string().as_str() {
            "unique" => index.unique(),
            other => return Err(format!("unknown index method `.{other}`")),
        };
    }
    Ok(index)
}

fn foreign_key(expr: &Expr) -> Result<v1::ForeignKey, String> {
    let (base, methods) = peel(expr);
    let mut fk = v1::foreign_key(
        string(arg(base, 0)?)?,
        strings(arg(base, 1)?)?,
        string(arg(base, 2)?)?,
        strings(arg(base, 3)?)?,
    );
    for method in methods {
        let a = method
            .args
            .first()
            .ok_or_else(|| format!("`.{}` takes an argument", method.method))?;
        fk = match method.method.to_string().as_str() {
            "on_delete" => fk.on_delete(action(a)?),
            "on_update" => fk.on_update(action(a)?),
            other => return Err(format!("unknown foreign key method `.{other}`")),
        };
    }
    Ok(fk)
}

fn change(expr: &Expr) -> Result<v1::Change, String> {
    use v1::Change as C;
    let backfill = |expr: &Expr| option(field(expr, "backfill")?, default_value);
    Ok(match variant_name(expr).as_str() {
        "AddColumn" => C::AddColumn {
            column: column(field(expr, "column")?)?,
            backfill: backfill(expr)?,
        },
        "DropColumn" => C::DropColumn(string(arg(expr, 0)?)?),
        "RenameColumn" => C::RenameColumn {
            from: string(field(expr, "from")?)?,
            to: string(field(expr, "to")?)?,
        },
        "AlterColumn" => C::AlterColumn {
            from: column(field(expr, "from")?)?,
            to: column(field(expr, "to")?)?,
            backfill: backfill(expr)?,
        },
        "CreateIndex" => C::CreateIndex(index(arg(expr, 0)?)?),
        "DropIndex" => C::DropIndex(index(arg(expr, 0)?)?),
        "AddForeignKey" => C::AddForeignKey(foreign_key(arg(expr, 0)?)?),
        "DropForeignKey" => C::DropForeignKey(string(arg(expr, 0)?)?),
        "AddCheck" => C::AddCheck(check(arg(expr, 0)?)?),
        "DropCheck" => C::DropCheck(string(arg(expr, 0)?)?),
        "TableComment" => C::TableComment(option(arg(expr, 0)?, string)?),
        "PrimaryKey" => C::PrimaryKey {
            from: strings(field(expr, "from")?)?,
            to: strings(field(expr, "to")?)?,
            add: option(field(expr, "add")?, column)?,
            drop: option(field(expr, "drop")?, string)?,
        },
        _ => return Err(unexpected(expr, "a Change")),
    })
}

fn check(expr: &Expr) -> Result<v1::Check, String> {
    let rule = arg(expr, 2)?;
    let limit = |expr: &Expr| -> Result<v1::Limit, String> {
        let value = string(arg(expr, 0)?)?;
        match variant_name(expr).as_str() {
            "inclusive" => Ok(v1::Limit::inclusive(value)),
            "exclusive" => Ok(v1::Limit::exclusive(value)),
            _ => Err(unexpected(
                expr,
                "Limit::inclusive(…) or Limit::exclusive(…)",
            )),
        }
    };
    let rule = match variant_name(rule).as_str() {
        "Length" => v1::CheckRule::Length {
            min: option(field(rule, "min")?, number)?,
            max: option(field(rule, "max")?, number)?,
        },
        "Range" => v1::CheckRule::Range {
            min: option(field(rule, "min")?, limit)?,
            max: option(field(rule, "max")?, limit)?,
        },
        "OneOf" => v1::CheckRule::OneOf(leak_slice(
            list(arg(rule, 0)?)?
                .into_iter()
                .map(default_value)
                .collect::<Result<_, _>>()?,
        )),
        "NotNull" => v1::CheckRule::NotNull,
        _ => return Err(unexpected(rule, "a CheckRule")),
    };
    Ok(v1::check(
        string(arg(expr, 0)?)?,
        string(arg(expr, 1)?)?,
        rule,
    ))
}

fn enum_column(expr: &Expr) -> Result<v1::EnumColumn, String> {
    let (base, methods) = peel(expr);
    let mut column = v1::enum_column(string(arg(base, 0)?)?, string(arg(base, 1)?)?);
    for method in methods {
        column = match (method.method.to_string().as_str(), method.args.first()) {
            ("default", Some(value)) => column.default(default_value(value)?),
            (other, _) => return Err(format!("unknown enum column method `.{other}`")),
        };
    }
    Ok(column)
}
