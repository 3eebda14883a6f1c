//! How names, string literals, expressions and types are written on each backend: quoting
//! through sea-query, literals that every session setting reads alike, and the sea-query
//! values and types that a column's default and type become.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::sea_query::{
    self, Alias, ColumnDef, Expr, IntoIden, Keyword, MysqlQueryBuilder, PostgresQueryBuilder,
    QueryBuilder, QuotedBuilder, SchemaStatementBuilder, SqliteQueryBuilder, TableBuilder,
};

use crate::schema::{ColumnType, DefaultValue, Store};

/// `name` as it must appear between the backend's quotes: sea-query writes index, key and
/// constraint names given as strings between quotes without escaping them (a `"` in one would
/// end the name early, and what follows would run as SQL), so they are escaped here.
pub(super) fn quoted_inside(backend: DbBackend, name: &str) -> String {
    let quoted = quote(backend, name);
    quoted[1..quoted.len() - 1].to_owned()
}

/// An identifier quoted and escaped by sea-query on `backend`, as in every statement it builds.
pub(super) fn quote(backend: DbBackend, name: &str) -> String {
    let iden = Alias::new(name.to_owned()).into_iden();
    let mut sql = String::new();
    match backend {
        DbBackend::Postgres => PostgresQueryBuilder.prepare_iden(&iden, &mut sql),
        DbBackend::MySql => MysqlQueryBuilder.prepare_iden(&iden, &mut sql),
        _ => SqliteQueryBuilder.prepare_iden(&iden, &mut sql),
    }
    sql
}

/// A string literal as `backend` reads it whatever its session settings: sea-query's
/// escaping on PostgreSQL (`E'…'`) and SQLite (quotes doubled); on MySQL, see
/// [`mysql_string_literal`].
pub fn string_literal(backend: DbBackend, text: &str) -> String {
    match backend {
        DbBackend::MySql => mysql_string_literal(text),
        _ => expr_sql(backend, Expr::val(text)),
    }
}

/// A MySQL string literal that reads the same with and without `NO_BACKSLASH_ESCAPES` and
/// `ANSI_QUOTES`: quotes doubled, and text holding a backslash or a control character written
/// as UTF-8 hex with a charset introducer (`_utf8mb4 X'…'`). sea-query's backslash escapes
/// (`'it\'s'`) mean something else under `NO_BACKSLASH_ESCAPES`, where they can even end the
/// literal early.
fn mysql_string_literal(text: &str) -> String {
    if text.chars().any(|c| c == '\\' || c.is_control()) {
        let hex: String = text.bytes().map(|b| format!("{b:02X}")).collect();
        format!("_utf8mb4 X'{hex}'")
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// A value as written in a `DEFAULT` clause (and usable anywhere an expression is).
pub(super) fn value_sql<S: Store>(backend: DbBackend, value: &DefaultValue<S>) -> String {
    expr_sql(backend, default_expr(value, backend))
}

/// An expression as sea-query writes a column default: values and keywords bare, anything
/// else in parentheses.
fn expr_sql(backend: DbBackend, expr: Expr) -> String {
    let mut sql = String::new();
    let parenthesize = !matches!(expr, Expr::Value(_) | Expr::Constant(_) | Expr::Keyword(_));
    if parenthesize {
        sql.push('(');
    }
    write_expr(backend, &expr, &mut sql);
    if parenthesize {
        sql.push(')');
    }
    sql
}

/// `expr` as `backend` writes it, appended to `sql`.
pub(super) fn write_expr(backend: DbBackend, expr: &Expr, sql: &mut String) {
    match backend {
        DbBackend::Postgres => PostgresQueryBuilder.prepare_expr(expr, sql),
        DbBackend::MySql => MysqlQueryBuilder.prepare_expr(expr, sql),
        _ => SqliteQueryBuilder.prepare_expr(expr, sql),
    }
}

/// A column type as `backend` spells it.
pub(super) fn type_sql<S: Store>(backend: DbBackend, ty: &ColumnType<S>) -> String {
    let ty = column_type_for(ty, backend);
    let mut sql = String::new();
    match backend {
        DbBackend::Postgres => PostgresQueryBuilder.prepare_column_type(&ty, &mut sql),
        DbBackend::MySql => MysqlQueryBuilder.prepare_column_type(&ty, &mut sql),
        _ => SqliteQueryBuilder.prepare_column_type(&ty, &mut sql),
    }
    sql
}

pub(super) fn column_def_sql(def: &ColumnDef, backend: DbBackend) -> String {
    let mut sql = String::new();
    match backend {
        DbBackend::Postgres => PostgresQueryBuilder.prepare_column_def(def, &mut sql),
        DbBackend::MySql => MysqlQueryBuilder.prepare_column_def(def, &mut sql),
        _ => SqliteQueryBuilder.prepare_column_def(def, &mut sql),
    }
    sql
}

pub(super) fn build(statement: &impl SchemaStatementBuilder, backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => statement.to_string(PostgresQueryBuilder),
        DbBackend::MySql => statement.to_string(MysqlQueryBuilder),
        DbBackend::Sqlite => statement.to_string(SqliteQueryBuilder),
        // `DbBackend` is non-exhaustive; a backend SeaORM adds later has no v1 semantics.
        other => unimplemented!("migration-ops v1 has no SQL for {other:?}"),
    }
}

/// The sea-query type for `ty` on `backend`; enums follow SeaORM's per-backend mapping.
pub(super) fn column_type_for<S: Store>(
    ty: &ColumnType<S>,
    backend: DbBackend,
) -> sea_query::ColumnType {
    match (ty, backend) {
        (ColumnType::Enum { name, .. }, DbBackend::Postgres) => {
            sea_query::ColumnType::custom(name.to_string())
        }
        (ColumnType::Enum { variants, .. }, DbBackend::MySql) => {
            sea_query::ColumnType::custom(format!("ENUM('{}')", join(variants, "', '")))
        }
        _ => ty.to_sea_query(),
    }
}

/// The sea-query expression that renders `default` as SeaORM renders the entity's default,
/// except MySQL strings, which are written so that every `sql_mode` reads them alike.
pub(super) fn default_expr<S: Store>(default: &DefaultValue<S>, backend: DbBackend) -> Expr {
    match default {
        DefaultValue::String(text) if backend == DbBackend::MySql => {
            Expr::Keyword(Keyword::Custom(iden(&mysql_string_literal(text)).into()))
        }
        DefaultValue::Null => Expr::Keyword(Keyword::Null),
        DefaultValue::Bool(value) => Expr::val(*value),
        // A keyword is written verbatim and without the parentheses sea-query puts around
        // expressions, which is how sea-query writes a numeric `Value`.
        DefaultValue::Number(text) => Expr::Keyword(Keyword::Custom(iden(text).into())),
        DefaultValue::String(text) => Expr::val(&**text),
        DefaultValue::CurrentTimestamp => Expr::Keyword(Keyword::CurrentTimestamp),
        DefaultValue::CurrentDate => Expr::Keyword(Keyword::CurrentDate),
        DefaultValue::CurrentTime => Expr::Keyword(Keyword::CurrentTime),
        DefaultValue::Expr(sql) => Expr::cust(sql.to_string()),
    }
}

/// `items` joined by `separator`.
pub(super) fn join<T: std::ops::Deref<Target = str>>(items: &[T], separator: &str) -> String {
    items
        .iter()
        .map(|item| &**item)
        .collect::<Vec<_>>()
        .join(separator)
}

pub(super) fn iden(name: &str) -> Alias {
    Alias::new(name)
}
