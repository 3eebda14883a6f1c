//! The SQL of each operation and change on each backend: tables, columns, keys, indexes,
//! checks and enums, built with sea-query as SeaORM builds them from an entity.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::sea_query::{
    self, ColumnDef, Expr, ExprTrait, Keyword, PostgresQueryBuilder, TableCreateStatement,
    extension::postgres::Type,
};

use super::text::{
    build, column_def_sql, column_type_for, default_expr, iden, quote, quoted_inside,
    string_literal, type_sql, value_sql, write_expr,
};
use super::{op_steps, statements};
use crate::schema::{
    AlterTable, Change, Check, CheckRule, Column, DefaultValue, ForeignKey, Index, Op, Store, Table,
};

/// The condition of `check` as `backend` writes it.
pub(super) fn check_sql<S: Store>(check: &Check<S>, backend: DbBackend) -> String {
    let mut sql = String::new();
    write_expr(backend, &check_expr(check, backend), &mut sql);
    sql
}

/// The condition of `check`: sea-query writes `char_length` as each backend spells it.
fn check_expr<S: Store>(check: &Check<S>, backend: DbBackend) -> Expr {
    let column = || Expr::col(iden(&check.column));
    let number = |text: &str| Expr::Keyword(Keyword::Custom(iden(text).into()));
    let all = |conditions: Vec<Expr>| {
        conditions
            .into_iter()
            .reduce(ExprTrait::and)
            .unwrap_or(Expr::Keyword(Keyword::Custom(iden("TRUE").into())))
    };
    match &check.rule {
        CheckRule::Length { min, max } => {
            let length = || Expr::from(sea_query::Func::char_length(column()));
            let mut conditions = Vec::new();
            if let Some(min) = min {
                conditions.push(length().gte(number(&min.to_string())));
            }
            if let Some(max) = max {
                conditions.push(length().lte(number(&max.to_string())));
            }
            all(conditions)
        }
        CheckRule::Range { min, max } => {
            let mut conditions = Vec::new();
            if let Some(min) = min {
                conditions.push(if min.inclusive {
                    column().gte(number(&min.value))
                } else {
                    column().gt(number(&min.value))
                });
            }
            if let Some(max) = max {
                conditions.push(if max.inclusive {
                    column().lte(number(&max.value))
                } else {
                    column().lt(number(&max.value))
                });
            }
            all(conditions)
        }
        // MySQL compares strings by the column's collation, by default blind to case and to
        // trailing spaces; the model's values are exact, so the comparison is made bytewise.
        CheckRule::OneOf(values)
            if backend == DbBackend::MySql
                && values.iter().any(|v| matches!(v, DefaultValue::String(_))) =>
        {
            Expr::cust(format!("CAST({} AS BINARY)", quote(backend, &check.column)))
                .is_in(values.iter().map(|value| default_expr(value, backend)))
        }
        CheckRule::OneOf(values) => {
            column().is_in(values.iter().map(|value| default_expr(value, backend)))
        }
        CheckRule::NotNull => column().is_not_null(),
        // Searched for in the bytes: SQLite's text functions stop at the first NUL.
        CheckRule::NoNul => {
            let column = quote(backend, &check.column);
            Expr::cust(match backend {
                DbBackend::Postgres => {
                    format!("position('\\x00'::bytea IN convert_to({column}, 'UTF8')) = 0")
                }
                DbBackend::MySql => format!("INSTR(CAST({column} AS BINARY), x'00') = 0"),
                _ => format!("instr(CAST({column} AS BLOB), x'00') = 0"),
            })
        }
    }
}

pub(super) fn op_to_sql<S: Store>(op: &Op<S>, backend: DbBackend) -> Vec<String> {
    match op {
        Op::CreateEnum(enum_type) => match backend {
            DbBackend::Postgres => vec![
                Type::create()
                    .as_enum(iden(&enum_type.name))
                    .values(enum_type.values.iter().map(|v| iden(v)))
                    .to_string(PostgresQueryBuilder),
            ],
            _ => Vec::new(),
        },
        Op::DropEnum(name) => match backend {
            DbBackend::Postgres => vec![
                Type::drop()
                    .name(iden(name))
                    .to_string(PostgresQueryBuilder),
            ],
            _ => Vec::new(),
        },
        Op::CreateTable(table) => {
            let mut sql = vec![build(&create_table_statement(table, backend), backend)];
            sql.extend(
                table
                    .indexes
                    .iter()
                    .map(|index| create_index_sql(&table.name, index, backend)),
            );
            sql
        }
        Op::DropTable(name) => vec![build(
            &sea_query::Table::drop().table(iden(name)).to_owned(),
            backend,
        )],
        Op::RenameTable { from, to } => {
            let mut sql = vec![build(
                &sea_query::Table::rename()
                    .table(iden(from), iden(to))
                    .to_owned(),
                backend,
            )];
            if backend == DbBackend::Postgres {
                sql.push(rename_postgres_constraints(from, to));
            }
            sql
        }
        Op::AddEnumValue {
            name,
            value,
            before,
        } => match backend {
            DbBackend::Postgres => {
                let mut sql = format!(
                    "ALTER TYPE {} ADD VALUE {}",
                    quote(backend, name),
                    string_literal(backend, value)
                );
                if let Some(before) = before {
                    sql.push_str(&format!(" BEFORE {}", string_literal(backend, before)));
                }
                vec![sql]
            }
            _ => Vec::new(),
        },
        Op::AlterTable(_) => statements(op_steps(op, backend)),
        Op::RecreateEnum {
            name,
            values,
            columns,
        } => match backend {
            DbBackend::Postgres => {
                let aside = format!("{name}__migration_old");
                let mut sql = vec![
                    format!(
                        "ALTER TYPE {} RENAME TO {}",
                        quote(backend, name),
                        quote(backend, &aside)
                    ),
                    Type::create()
                        .as_enum(iden(name))
                        .values(values.iter().map(|v| iden(v)))
                        .to_string(PostgresQueryBuilder),
                ];
                for c in columns.iter() {
                    let alter = format!(
                        "ALTER TABLE {} ALTER COLUMN {}",
                        quote(backend, &c.table),
                        quote(backend, &c.column)
                    );
                    if c.default.is_some() {
                        sql.push(format!("{alter} DROP DEFAULT"));
                    }
                    sql.push(format!(
                        "{alter} TYPE {ty} USING {column}::text::{ty}",
                        ty = quote(backend, name),
                        column = quote(backend, &c.column)
                    ));
                    if let Some(default) = &c.default {
                        sql.push(format!(
                            "{alter} SET DEFAULT {}",
                            value_sql(backend, default)
                        ));
                    }
                }
                sql.push(
                    Type::drop()
                        .name(iden(&aside))
                        .to_string(PostgresQueryBuilder),
                );
                sql
            }
            _ => Vec::new(),
        },
    }
}

pub(super) fn create_index_sql<S: Store>(
    table: &str,
    index: &Index<S>,
    backend: DbBackend,
) -> String {
    let mut statement = sea_query::Index::create();
    statement
        .name(quoted_inside(backend, &index.name))
        .table(iden(table));
    for column in index.columns.iter() {
        statement.col(iden(column));
    }
    if index.unique {
        statement.unique();
    }
    build(&statement, backend)
}

/// PostgreSQL names a table's primary key `{table}_pkey` and an inline UNIQUE
/// `{table}_{column}_key` (SeaORM a composite key `pk-{table}`), and keeps those names when the
/// table is renamed; renaming them too keeps the database as a fresh `CREATE TABLE` of the new
/// name would make it, so later changes find them.
fn rename_postgres_constraints(from: &str, to: &str) -> String {
    let backend = DbBackend::Postgres;
    let (from, to) = (string_literal(backend, from), string_literal(backend, to));
    format!(
        "DO $migration$ DECLARE r record; BEGIN \
         FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(quote_ident({to})) \
         AND (starts_with(conname, {from} || '_') OR conname = 'pk-' || {from}) LOOP \
         EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', {to}, r.conname, \
         CASE WHEN r.conname = 'pk-' || {from} THEN 'pk-' || {to} \
         ELSE {to} || substr(r.conname, char_length({from}) + 1) END); \
         END LOOP; END $migration$"
    )
}

/// Whether `column` of the altered table was UNIQUE before the change.
fn unique_before<S: Store>(alter: &AlterTable<S>, column: &str) -> bool {
    alter
        .changes
        .iter()
        .find_map(|change| match change {
            Change::AlterColumn { from, to, .. } if &*to.name == column => Some(from.unique),
            _ => None,
        })
        .or_else(|| {
            alter
                .table
                .columns
                .iter()
                .find(|c| &*c.name == column)
                .map(|c| c.unique)
        })
        .unwrap_or(false)
}

/// The statements of one change on PostgreSQL or MySQL (and SQLite's in-place changes).
pub(super) fn change_sql<S: Store>(
    alter_table: &AlterTable<S>,
    change: &Change<S>,
    backend: DbBackend,
) -> Vec<String> {
    let table = &*alter_table.table.name;
    let alter = || sea_query::Table::alter().table(iden(table)).to_owned();
    match change {
        Change::AddColumn { column, backfill } => {
            let Some(value) = backfill else {
                return vec![build(
                    alter().add_column(column_def(column, backend, false)),
                    backend,
                )];
            };
            let column_q = quote(backend, &column.name);
            if backend == DbBackend::Postgres {
                // The backfill as the column's default while it is added: PostgreSQL 11+ keeps
                // a constant default in the catalog for the rows already there, so no row is
                // written and the lock is held for a moment; then the column's own default.
                let filled = Column {
                    default: Some(value.clone()),
                    ..column.clone()
                };
                let own_default = match &column.default {
                    Some(default) => format!("SET DEFAULT {}", value_sql(backend, default)),
                    None => "DROP DEFAULT".to_owned(),
                };
                return vec![
                    build(
                        alter().add_column(column_def(&filled, backend, false)),
                        backend,
                    ),
                    format!(
                        "ALTER TABLE {} ALTER COLUMN {column_q} {own_default}",
                        quote(backend, table)
                    ),
                ];
            }
            let nullable = Column {
                null: true,
                ..column.clone()
            };
            let mut sql = vec![
                build(
                    alter().add_column(column_def(&nullable, backend, false)),
                    backend,
                ),
                format!(
                    "UPDATE {} SET {column_q} = {} WHERE {column_q} IS NULL",
                    quote(backend, table),
                    value_sql(backend, value)
                ),
            ];
            if !column.null {
                sql.push(set_not_null_sql(table, column, backend));
            }
            sql
        }
        Change::DropColumn(name) => vec![build(alter().drop_column(iden(name)), backend)],
        Change::RenameColumn { from, to } => {
            let mut sql = vec![build(alter().rename_column(iden(from), iden(to)), backend)];
            // The inline UNIQUE's name follows the column's on PostgreSQL and MySQL; keep it so.
            if unique_before(alter_table, to) {
                let table_q = quote(backend, table);
                match backend {
                    DbBackend::Postgres => sql.push(format!(
                        "ALTER TABLE {table_q} RENAME CONSTRAINT {} TO {}",
                        quote(backend, &format!("{table}_{from}_key")),
                        quote(backend, &format!("{table}_{to}_key"))
                    )),
                    DbBackend::MySql => sql.push(format!(
                        "ALTER TABLE {table_q} RENAME INDEX {} TO {}",
                        quote(backend, from),
                        quote(backend, to)
                    )),
                    _ => {}
                }
            }
            sql
        }
        Change::AlterColumn { from, to, backfill } => {
            let mut sql = Vec::new();
            if let Some(value) = backfill {
                sql.push(format!(
                    "UPDATE {table_q} SET {column} = {value} WHERE {column} IS NULL",
                    table_q = quote(backend, table),
                    column = quote(backend, &to.name),
                    value = value_sql(backend, value)
                ));
            }
            sql.extend(alter_column_sql(table, from, to, backend));
            sql
        }
        Change::CreateIndex(index) => vec![create_index_sql(table, index, backend)],
        Change::DropIndex(index) => {
            let drop = build(
                sea_query::Index::drop()
                    .name(quoted_inside(backend, &index.name))
                    .table(iden(table)),
                backend,
            );
            // MySQL refuses to drop the index a foreign key relies on (it drops its own index
            // for the key once another can serve); dropping and re-adding the key around it
            // lets MySQL make the key's own index again.
            let relying: Vec<&ForeignKey<S>> = match backend {
                DbBackend::MySql => alter_table
                    .table
                    .foreign_keys
                    .iter()
                    .filter(|fk| index.columns.starts_with(&fk.columns))
                    .collect(),
                _ => Vec::new(),
            };
            let mut sql: Vec<String> = relying
                .iter()
                .map(|fk| {
                    build(
                        sea_query::ForeignKey::drop()
                            .name(quoted_inside(backend, &fk.name))
                            .table(iden(table)),
                        backend,
                    )
                })
                .collect();
            sql.push(drop);
            sql.extend(
                relying
                    .iter()
                    .map(|fk| build(&foreign_key_statement(table, fk, backend), backend)),
            );
            sql
        }
        Change::AddForeignKey(foreign_key) => {
            let statement = foreign_key_statement(table, foreign_key, backend);
            vec![build(&statement, backend)]
        }
        Change::DropForeignKey(name) => vec![build(
            sea_query::ForeignKey::drop()
                .name(quoted_inside(backend, name))
                .table(iden(table)),
            backend,
        )],
        Change::AddCheck(check) => vec![format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({})",
            quote(backend, table),
            quote(backend, &check.name),
            check_sql(check, backend)
        )],
        Change::DropCheck(name) => vec![format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            quote(backend, table),
            quote(backend, name)
        )],
        Change::PrimaryKey {
            from,
            to,
            add,
            drop,
        } => primary_key_sql(
            &alter_table.table.name,
            !from.is_empty(),
            to,
            add.as_ref(),
            drop.as_deref(),
            backend,
        ),
        // Only MySQL keeps table comments in SeaORM's schema (sea-query writes them for MySQL
        // alone), so only MySQL changes them: a migrated database stays what a fresh one is.
        Change::TableComment(comment) => match backend {
            // MySQL reads "no comment" as the empty one.
            DbBackend::MySql => vec![format!(
                "ALTER TABLE {} COMMENT = {}",
                quote(backend, table),
                string_literal(backend, comment.as_deref().unwrap_or(""))
            )],
            _ => Vec::new(),
        },
    }
}

/// The statements of [`Change::PrimaryKey`] on PostgreSQL and MySQL (`keyed`: the table has
/// a key to drop).
fn primary_key_sql<S: Store>(
    table: &str,
    keyed: bool,
    to: &[S::Str],
    add: Option<&Column<S>>,
    drop: Option<&str>,
    backend: DbBackend,
) -> Vec<String> {
    let table_q = quote(backend, table);
    let columns = to
        .iter()
        .map(|c| quote(backend, c))
        .collect::<Vec<_>>()
        .join(", ");
    let drop_column = drop.map(|c| format!("DROP COLUMN {}", quote(backend, c)));
    let add_column = add.map(|c| {
        format!(
            "ADD COLUMN {}",
            column_def_sql(&column_def(c, backend, false), backend)
        )
    });
    match backend {
        DbBackend::Postgres => {
            // The key's name is whatever the table's history gave it (a renamed table keeps
            // `{old}_pkey`), so it is read from the catalog.
            let body = format!(
                "DECLARE key_name text; BEGIN SELECT conname INTO key_name FROM pg_constraint \
                 WHERE conrelid = {}::regclass AND contype = 'p'; IF key_name IS NOT NULL THEN \
                 EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', {}, key_name); END IF; END",
                string_literal(backend, &table_q),
                string_literal(backend, table)
            );
            let mut sql = vec![postgres_block(&body)];
            sql.extend(
                [drop_column, add_column]
                    .into_iter()
                    .flatten()
                    .map(|clause| format!("ALTER TABLE {table_q} {clause}")),
            );
            sql.push(match to {
                [_] => format!("ALTER TABLE {table_q} ADD PRIMARY KEY ({columns})"),
                _ => format!(
                    "ALTER TABLE {table_q} ADD CONSTRAINT {} PRIMARY KEY ({columns})",
                    quote(backend, &format!("pk-{table}"))
                ),
            });
            sql
        }
        // One statement: MySQL allows an auto-increment column only as a key, at every step.
        _ => {
            let drop_key = keyed.then(|| "DROP PRIMARY KEY".to_owned());
            let clauses: Vec<String> = [drop_column, add_column, drop_key]
                .into_iter()
                .flatten()
                .chain([format!("ADD PRIMARY KEY ({columns})")])
                .collect();
            vec![format!("ALTER TABLE {table_q} {}", clauses.join(", "))]
        }
    }
}

/// A PostgreSQL `DO` block running `body`, between dollar quotes that `body` does not hold.
fn postgres_block(body: &str) -> String {
    let mut tag = "$migration$".to_owned();
    while body.contains(&tag) {
        tag.insert(tag.len() - 1, '_');
    }
    format!("DO {tag}{body}{tag}")
}

/// `ALTER COLUMN … SET NOT NULL` on PostgreSQL; a full `MODIFY COLUMN` on MySQL.
fn set_not_null_sql<S: Store>(table: &str, column: &Column<S>, backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL",
            quote(backend, table),
            quote(backend, &column.name)
        ),
        _ => modify_column_sql(table, column, backend),
    }
}

/// MySQL's `MODIFY COLUMN` with the full definition, less `UNIQUE` (which would add a second
/// index) and `PRIMARY KEY` (already there).
fn modify_column_sql<S: Store>(table: &str, column: &Column<S>, backend: DbBackend) -> String {
    let without_unique = Column {
        unique: false,
        ..column.clone()
    };
    format!(
        "ALTER TABLE {} MODIFY COLUMN {}",
        quote(backend, table),
        column_def_sql(&column_def(&without_unique, backend, false), backend)
    )
}

fn alter_column_sql<S: Store>(
    table: &str,
    from: &Column<S>,
    to: &Column<S>,
    backend: DbBackend,
) -> Vec<String> {
    let table_q = quote(backend, table);
    let column_q = quote(backend, &to.name);
    let mut sql = Vec::new();
    let changed = from.changes_to(to);
    // Whether the type as this backend spells it changed (an enum's values are no part of
    // PostgreSQL's type name, say).
    let type_changed = changed.ty && type_sql(backend, &from.ty) != type_sql(backend, &to.ty);
    match backend {
        DbBackend::Postgres => {
            let alter =
                |what: String| format!("ALTER TABLE {table_q} ALTER COLUMN {column_q} {what}");
            if changed.auto_increment && !to.auto_increment {
                sql.push(alter("DROP IDENTITY IF EXISTS".to_owned()));
            }
            if changed.default && from.default.is_some() {
                sql.push(alter("DROP DEFAULT".to_owned()));
            }
            // `extra` can change here only as a COLLATE clause, the one part of a column
            // definition that `ALTER COLUMN … TYPE` takes; a type change keeps the clause.
            fn collate(extra: Option<&str>) -> Option<&str> {
                extra.filter(|e| e.trim_start().to_ascii_uppercase().starts_with("COLLATE"))
            }
            let (from_extra, to_extra) = (from.extra.as_deref(), to.extra.as_deref());
            if changed.extra && (collate(from_extra) != from_extra || collate(to_extra) != to_extra)
            {
                let message = format!(
                    "column {table}.{}: PostgreSQL cannot change `extra` in place except as a \
                     COLLATE clause; make this change with a hand-written migration",
                    to.name
                );
                sql.push(postgres_block(&format!(
                    "BEGIN RAISE EXCEPTION '%', {}; END",
                    string_literal(backend, &message)
                )));
            }
            if type_changed || collate(from_extra) != collate(to_extra) {
                let ty = type_sql(backend, &to.ty);
                let collation = collate(to_extra)
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default();
                sql.push(alter(format!(
                    "TYPE {ty}{collation} USING {column_q}::{ty}"
                )));
            }
            if changed.default
                && let Some(default) = &to.default
            {
                sql.push(alter(format!(
                    "SET DEFAULT {}",
                    value_sql(backend, default)
                )));
            }
            if changed.null {
                sql.push(alter(
                    if to.null {
                        "DROP NOT NULL"
                    } else {
                        "SET NOT NULL"
                    }
                    .to_owned(),
                ));
            }
            if changed.auto_increment && to.auto_increment {
                sql.push(alter("ADD GENERATED BY DEFAULT AS IDENTITY".to_owned()));
                // The sequence starts past the values the rows already hold.
                sql.push(format!(
                    "SELECT setval(pg_get_serial_sequence({}, {}), COALESCE(MAX({column_q}), 0) \
                     + 1, false) FROM {table_q}",
                    string_literal(backend, &table_q),
                    string_literal(backend, &to.name)
                ));
            }
            if changed.unique {
                // PostgreSQL names an inline UNIQUE `{table}_{column}_key`.
                let constraint = quote(backend, &format!("{table}_{}_key", to.name));
                sql.push(if to.unique {
                    format!("ALTER TABLE {table_q} ADD CONSTRAINT {constraint} UNIQUE ({column_q})")
                } else {
                    format!("ALTER TABLE {table_q} DROP CONSTRAINT {constraint}")
                });
            }
        }
        DbBackend::MySql => {
            let definition_changed = type_changed
                || changed.null
                || changed.default
                || changed.comment
                || changed.extra
                || changed.auto_increment;
            if definition_changed {
                sql.push(modify_column_sql(table, to, backend));
            }
            if changed.unique {
                // MySQL names an inline UNIQUE index after its column.
                sql.push(if to.unique {
                    format!("ALTER TABLE {table_q} ADD UNIQUE INDEX {column_q} ({column_q})")
                } else {
                    format!("ALTER TABLE {table_q} DROP INDEX {column_q}")
                });
            }
        }
        // SQLite alters columns by rebuilding the table (see `sqlite_rebuilds`); a change it
        // does not store (a comment, enum variants kept as text) needs nothing.
        _ => {}
    }
    sql
}

/// The `CREATE TABLE` statement, built in the order of SeaORM's `create_table_from_entity`.
pub(super) fn create_table_statement<S: Store>(
    table: &Table<S>,
    backend: DbBackend,
) -> TableCreateStatement {
    let mut statement = TableCreateStatement::new();
    if let Some(comment) = &table.comment {
        statement.comment(&**comment);
    }
    let single_primary_key = match &*table.primary_key {
        [only] => Some(&**only),
        _ => None,
    };
    for column in table.columns.iter() {
        let primary_key = single_primary_key == Some(&*column.name);
        statement.col(column_def(column, backend, primary_key));
    }
    if table.primary_key.len() > 1 {
        let mut primary_key = sea_query::Index::create();
        for column in table.primary_key.iter() {
            primary_key.col(iden(column));
        }
        let name = quoted_inside(backend, &format!("pk-{}", table.name));
        statement.primary_key(primary_key.name(name).primary());
    }
    for foreign_key in table.foreign_keys.iter() {
        statement.foreign_key(&mut foreign_key_statement(
            &table.name,
            foreign_key,
            backend,
        ));
    }
    for check in table.checks.iter() {
        statement.check((iden(&check.name), check_expr(check, backend)));
    }
    statement.table(iden(&table.name)).take()
}

/// A column's definition, built in the order of SeaORM's `column_def_from_entity_column`.
pub(super) fn column_def<S: Store>(
    column: &Column<S>,
    backend: DbBackend,
    primary_key: bool,
) -> ColumnDef {
    let mut def =
        ColumnDef::new_with_type(iden(&column.name), column_type_for(&column.ty, backend));
    if !column.null {
        def.not_null();
    }
    if column.unique {
        def.unique_key();
    }
    if let Some(default) = &column.default {
        def.default(default_expr(default, backend));
    }
    if let Some(comment) = &column.comment {
        def.comment(&**comment);
    }
    if let Some(extra) = &column.extra {
        def.extra(&**extra);
    }
    if column.auto_increment {
        def.auto_increment();
    }
    if primary_key {
        def.primary_key();
    }
    def
}

/// A foreign key from `table`, as SeaORM builds one from a relation.
pub(super) fn foreign_key_statement<S: Store>(
    table: &str,
    foreign_key: &ForeignKey<S>,
    backend: DbBackend,
) -> sea_query::ForeignKeyCreateStatement {
    let mut fk = sea_query::ForeignKey::create();
    for column in foreign_key.columns.iter() {
        fk.from_col(iden(column));
    }
    for column in foreign_key.ref_columns.iter() {
        fk.to_col(iden(column));
    }
    if let Some(action) = foreign_key.on_delete {
        fk.on_delete(action.into());
    }
    if let Some(action) = foreign_key.on_update {
        fk.on_update(action.into());
    }
    fk.name(quoted_inside(backend, &foreign_key.name))
        .from_tbl(iden(table))
        .to_tbl(iden(&foreign_key.ref_table));
    fk
}
