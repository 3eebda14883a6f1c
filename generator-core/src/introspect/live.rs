//! A live database read as the schema model, for `baseline --from-database`: what it holds,
//! said in the entities' own terms wherever the two agree.
//!
//! The entities are built in a scratch database on the same server and both catalogs are read
//! as facts (column types, nullability and defaults in the database's own spelling; indexes,
//! foreign keys, checks). Where a fact of the live database equals the entities' one, the
//! entities' model of it is taken as is, so a type or default that each backend spells its own
//! way can never show up as a change; only where they differ is the live fact translated,
//! and that difference is what the next generation writes.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

use crate::model::{Action, Column, ColumnType, DefaultValue, ForeignKey, Index, Len, Schema};

/// One column as the catalog has it, in the database's spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ColumnFacts {
    ty: String,
    null: bool,
    default: Option<String>,
    /// Identity / auto-increment, as the catalog says it.
    extra: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct IndexFacts {
    unique: bool,
    columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ForeignKeyFacts {
    columns: Vec<String>,
    ref_table: String,
    ref_columns: Vec<String>,
    on_delete: String,
    on_update: String,
}

/// A database's tables, read as facts.
#[derive(Debug, Default)]
struct Catalog {
    /// Each table's columns, in their order.
    tables: BTreeMap<String, Vec<(String, ColumnFacts)>>,
    /// Indexes other than primary keys and the ones MySQL makes for a foreign key.
    indexes: BTreeMap<String, BTreeMap<String, IndexFacts>>,
    foreign_keys: BTreeMap<String, BTreeMap<String, ForeignKeyFacts>>,
    checks: BTreeMap<String, BTreeMap<String, String>>,
    /// PostgreSQL enum types and their values.
    enums: BTreeMap<String, Vec<String>>,
}

/// What reading the live database found that the schema cannot say, for the user to know.
pub type Notes = Vec<String>;

/// The schema `live` holds, in the terms of `entities` (built in `scratch`, an empty database
/// on the same server) wherever the two agree; and what it left out, one note each.
pub async fn schema_of(
    live: &DatabaseConnection,
    scratch: &DatabaseConnection,
    entities: &Schema,
) -> Result<(Schema, Notes), DbErr> {
    super::build(scratch, entities).await?;
    let backend = live.get_database_backend();
    let (live, declared) = (read(live).await?, read(scratch).await?);
    Ok(reconcile(backend, entities, &live, &declared))
}

fn reconcile(
    backend: DbBackend,
    entities: &Schema,
    live: &Catalog,
    declared: &Catalog,
) -> (Schema, Notes) {
    let mut notes = Notes::new();
    let mut schema = Schema::default();
    for (name, values) in &entities.enums {
        if let Some(live_values) = live.enums.get(name) {
            let same = declared.enums.get(name) == Some(live_values);
            let values = if same { values } else { live_values };
            schema.enums.insert(name.clone(), values.clone());
        }
    }
    for (name, columns) in &live.tables {
        if !entities.tables.contains_key(name) {
            notes.push(format!(
                "table {name} is in the database but no entity names it: left out, and left alone"
            ));
            continue;
        }
        let entity = &entities.tables[name];
        let declared_columns: BTreeMap<_, _> = declared
            .tables
            .get(name)
            .map(|columns| columns.iter().cloned().collect())
            .unwrap_or_default();
        let empty = BTreeMap::new();
        let live_indexes = live.indexes.get(name).unwrap_or(&empty);
        let mut table = entity.clone();
        table.columns.clear();
        // Entity columns first, in their order; then those only the database has.
        let live_columns: BTreeMap<_, _> = columns.iter().cloned().collect();
        for column in &entity.columns {
            let Some(facts) = live_columns.get(&column.name) else {
                continue;
            };
            let mut column = column.clone();
            let declared = declared_columns.get(&column.name);
            if declared.map(|d| &d.ty) != Some(&facts.ty) {
                match column_type(backend, &facts.ty, &schema.enums) {
                    Some(ty) => column.ty = ty,
                    None => notes.push(format!(
                        "column {name}.{} is `{}` in the database, which the generator cannot \
                         read: the entity's type is recorded",
                        column.name, facts.ty
                    )),
                }
            }
            if declared.map(|d| d.null) != Some(facts.null) {
                column.null = facts.null;
            }
            if declared.map(|d| &d.default) != Some(&facts.default) {
                column.default = facts
                    .default
                    .as_deref()
                    .and_then(|d| default_value(backend, d));
            }
            column.unique = column_is_unique(&column.name, live_indexes, &entity.indexes);
            table.columns.push(column);
        }
        for (column, facts) in columns {
            if entity.columns.iter().any(|c| c.name == *column) {
                continue;
            }
            let Some(ty) = column_type(backend, &facts.ty, &schema.enums) else {
                notes.push(format!(
                    "column {name}.{column} is `{}` in the database, which the generator cannot \
                     read: left out, and left alone",
                    facts.ty
                ));
                continue;
            };
            let mut new = Column::new(column, ty);
            new.null = facts.null;
            new.default = facts
                .default
                .as_deref()
                .and_then(|d| default_value(backend, d));
            new.auto_increment = is_auto_increment(&facts.extra);
            new.unique = column_is_unique(column, live_indexes, &entity.indexes);
            table.columns.push(new);
        }
        let kept: BTreeSet<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        table.primary_key.retain(|c| kept.contains(c.as_str()));

        // Indexes by name: the entity's where the database has the same; else the database's.
        let declared_indexes = declared.indexes.get(name).unwrap_or(&empty);
        table.indexes = Vec::new();
        for (index_name, facts) in live_indexes {
            let entity_index = entity.indexes.iter().find(|i| i.name == *index_name);
            match entity_index {
                Some(index) if declared_indexes.get(index_name) == Some(facts) => {
                    table.indexes.push(index.clone())
                }
                _ if entity_index.is_none() && is_column_unique(facts, &table.columns) => {}
                _ => table.indexes.push(Index {
                    name: index_name.clone(),
                    columns: facts.columns.clone(),
                    unique: facts.unique,
                }),
            }
        }
        table.indexes.sort_by_key(|index| {
            entity
                .indexes
                .iter()
                .position(|i| i.name == index.name)
                .unwrap_or(usize::MAX)
        });

        let no_keys = BTreeMap::new();
        let live_keys = live.foreign_keys.get(name).unwrap_or(&no_keys);
        let declared_keys = declared.foreign_keys.get(name).unwrap_or(&no_keys);
        table.foreign_keys = Vec::new();
        for (key_name, facts) in live_keys {
            // SQLite keeps no names for foreign keys: there, the entity's key on the same
            // columns is the one.
            let entity_key = entity.foreign_keys.iter().find(|k| match backend {
                DbBackend::Sqlite => k.columns == facts.columns,
                _ => k.name == *key_name,
            });
            // Both catalogs name a SQLite key after its columns alike.
            let declared_facts = declared_keys.get(key_name);
            let key_name = entity_key.map_or(key_name, |key| &key.name);
            match entity_key {
                Some(key) if declared_facts == Some(facts) => table.foreign_keys.push(key.clone()),
                _ => match foreign_key(key_name, facts) {
                    Some(key) => table.foreign_keys.push(key),
                    None => notes.push(format!(
                        "foreign key {key_name} of {name} has an action the generator cannot \
                         read ({} / {}): left out, and left alone",
                        facts.on_delete, facts.on_update
                    )),
                },
            }
        }

        let no_checks = BTreeMap::new();
        let live_checks = live.checks.get(name).unwrap_or(&no_checks);
        let declared_checks = declared.checks.get(name).unwrap_or(&no_checks);
        table.checks.retain(|check| {
            live_checks.get(&check.name).is_some()
                && live_checks.get(&check.name) == declared_checks.get(&check.name)
        });
        for (check_name, clause) in live_checks {
            if !table.checks.iter().any(|c| c.name == *check_name) {
                notes.push(format!(
                    "check {check_name} of {name} ({clause}) is not one the entities declare: \
                     left out, and left alone"
                ));
            }
        }
        schema.tables.insert(name.clone(), table);
    }
    (schema, notes)
}

/// Whether `column` is unique on its own: the database has a unique index on exactly it that
/// is not one of the entity's named indexes.
fn column_is_unique(
    column: &str,
    live: &BTreeMap<String, IndexFacts>,
    entity_indexes: &[Index],
) -> bool {
    live.iter().any(|(name, facts)| {
        facts.unique
            && facts.columns == [column]
            && !entity_indexes.iter().any(|index| index.name == *name)
    })
}

/// Whether an index is the one a column's own `unique` makes.
fn is_column_unique(facts: &IndexFacts, columns: &[Column]) -> bool {
    facts.unique
        && matches!(&facts.columns[..], [only] if columns.iter().any(|c| c.name == *only && c.unique))
}

fn is_auto_increment(extra: &str) -> bool {
    let extra = extra.to_ascii_lowercase();
    extra.contains("auto_increment") || extra.contains("identity=yes") || extra.contains("nextval")
}

fn foreign_key(name: &str, facts: &ForeignKeyFacts) -> Option<ForeignKey> {
    let action = |text: &str| -> Option<Option<Action>> {
        Some(Some(match text.to_ascii_uppercase().as_str() {
            "CASCADE" => Action::Cascade,
            "SET NULL" => Action::SetNull,
            "SET DEFAULT" => Action::SetDefault,
            "RESTRICT" => Action::Restrict,
            "NO ACTION" => Action::NoAction,
            _ => return None,
        }))
    };
    Some(ForeignKey {
        name: name.to_owned(),
        columns: facts.columns.clone(),
        ref_table: facts.ref_table.clone(),
        ref_columns: facts.ref_columns.clone(),
        on_delete: action(&facts.on_delete)?,
        on_update: action(&facts.on_update)?,
    })
}

/// The model's type for a column type in the catalog's spelling; `None` for one it cannot
/// read.
fn column_type(
    backend: DbBackend,
    ty: &str,
    enums: &BTreeMap<String, Vec<String>>,
) -> Option<ColumnType> {
    let ty = ty.trim().to_ascii_lowercase();
    let (base, arguments) = match ty.split_once('(') {
        Some((base, rest)) => (
            base.trim().to_owned(),
            rest.trim_end_matches(|c: char| c != ')')
                .trim_end_matches(')')
                .split(',')
                .filter_map(|n| n.trim().parse::<u32>().ok())
                .collect::<Vec<_>>(),
        ),
        None => (ty.clone(), Vec::new()),
    };
    let unsigned = ty.contains("unsigned");
    let base = base.trim_end_matches(" unsigned").to_owned();
    let decimal = || match arguments[..] {
        [p, s] => ColumnType::Decimal(Some((p, s))),
        _ => ColumnType::Decimal(None),
    };
    let string = || match arguments[..] {
        [n] if !(backend == DbBackend::MySql && n == 255) => ColumnType::String(Len::N(n)),
        _ => ColumnType::String(Len::None),
    };
    Some(match (backend, base.as_str()) {
        (DbBackend::Postgres, name) if enums.contains_key(name) => ColumnType::Enum {
            name: name.to_owned(),
            variants: enums[name].clone(),
        },
        (DbBackend::MySql, "tinyint") if arguments == [1] => ColumnType::Boolean,
        (_, "tinyint") if unsigned => ColumnType::TinyUnsigned,
        (_, "smallint") if unsigned => ColumnType::SmallUnsigned,
        (_, "int" | "integer") if unsigned => ColumnType::Unsigned,
        (_, "bigint") if unsigned => ColumnType::BigUnsigned,
        (_, "tinyint") => ColumnType::TinyInteger,
        (_, "smallint" | "int2") => ColumnType::SmallInteger,
        (_, "int" | "integer" | "int4") => ColumnType::Integer,
        (_, "bigint" | "int8") => ColumnType::BigInteger,
        (_, "character varying" | "varchar") => string(),
        (_, "character" | "char") => ColumnType::Char(arguments.first().copied()),
        (_, "text" | "longtext" | "mediumtext") => ColumnType::Text,
        (_, "boolean" | "bool") => ColumnType::Boolean,
        (_, "real" | "float" | "float4") => ColumnType::Float,
        (_, "double precision" | "double" | "float8") => ColumnType::Double,
        (_, "numeric" | "decimal" | "real_money") => decimal(),
        (_, "date") => ColumnType::Date,
        (_, "time" | "time without time zone") => ColumnType::Time,
        (DbBackend::MySql, "timestamp") => ColumnType::Timestamp,
        (_, "timestamp" | "timestamp without time zone" | "datetime" | "datetime_text") => {
            ColumnType::DateTime
        }
        (_, "timestamp with time zone" | "timestamptz" | "timestamp_with_timezone_text") => {
            ColumnType::TimestampWithTimeZone
        }
        (_, "uuid" | "uuid_text") => ColumnType::Uuid,
        (_, "json" | "json_text") => ColumnType::Json,
        (_, "jsonb" | "jsonb_text") => ColumnType::JsonBinary,
        (_, "blob" | "bytea") => ColumnType::Blob,
        _ => return None,
    })
}

/// The model's default for a default in the catalog's spelling: a literal, a current
/// date/time, or else the expression itself.
fn default_value(backend: DbBackend, text: &str) -> Option<DefaultValue> {
    let text = text.trim();
    // PostgreSQL's `'draft'::character varying`, `'0'::numeric`: the literal before the cast.
    let literal = match backend {
        DbBackend::Postgres if text.starts_with('\'') => {
            text.rfind("'::").map_or(text, |end| &text[..=end]).trim()
        }
        _ => text,
    };
    let upper = literal.to_ascii_uppercase();
    Some(match upper.as_str() {
        "" | "NULL" => return None,
        "CURRENT_TIMESTAMP" | "CURRENT_TIMESTAMP()" | "NOW()" => DefaultValue::CurrentTimestamp,
        "CURRENT_DATE" | "CURDATE()" => DefaultValue::CurrentDate,
        "CURRENT_TIME" | "CURTIME()" => DefaultValue::CurrentTime,
        "TRUE" => DefaultValue::Bool(true),
        "FALSE" => DefaultValue::Bool(false),
        _ if literal.starts_with('\'') && literal.ends_with('\'') && literal.len() >= 2 => {
            let inner = &literal[1..literal.len() - 1];
            let value = inner.replace("''", "'");
            if crate::model::is_numeric_literal(&value) && backend == DbBackend::Postgres {
                DefaultValue::Number(value)
            } else {
                DefaultValue::String(value)
            }
        }
        _ if crate::model::is_numeric_literal(literal) => DefaultValue::Number(literal.to_owned()),
        _ if literal.starts_with("nextval(") => return None,
        _ => DefaultValue::Expr(literal.to_owned()),
    })
}

/// Reads the catalog of every table but the runner's own.
async fn read(connection: &DatabaseConnection) -> Result<Catalog, DbErr> {
    let backend = connection.get_database_backend();
    let mut catalog = Catalog::default();
    let queries = queries(backend);
    for row in rows(connection, &queries.columns).await? {
        let [table, column, ty, null, default, extra] = &row[..] else {
            continue;
        };
        catalog.tables.entry(text(table)).or_default().push((
            text(column),
            ColumnFacts {
                ty: text(ty),
                null: text(null) == "YES",
                default: default
                    .clone()
                    .filter(|d| d != "NULL" || backend != DbBackend::MySql),
                extra: text(extra),
            },
        ));
    }
    for row in rows(connection, &queries.indexes).await? {
        let [table, name, unique, columns] = &row[..] else {
            continue;
        };
        catalog.indexes.entry(text(table)).or_default().insert(
            text(name),
            IndexFacts {
                unique: text(unique) == "1" || text(unique) == "true",
                columns: list(columns),
            },
        );
    }
    for row in rows(connection, &queries.foreign_keys).await? {
        let [
            table,
            name,
            columns,
            ref_table,
            ref_columns,
            on_delete,
            on_update,
        ] = &row[..]
        else {
            continue;
        };
        catalog.foreign_keys.entry(text(table)).or_default().insert(
            text(name),
            ForeignKeyFacts {
                columns: list(columns),
                ref_table: text(ref_table),
                ref_columns: list(ref_columns),
                on_delete: text(on_delete),
                on_update: text(on_update),
            },
        );
    }
    if backend == DbBackend::Sqlite {
        for row in rows(connection, SQLITE_TABLES).await? {
            let [table, sql] = &row[..] else { continue };
            for check in super::sqlite_checks(&text(sql)) {
                let (name, clause) = check.split_once(" CHECK ").unwrap_or((&check, ""));
                catalog
                    .checks
                    .entry(text(table))
                    .or_default()
                    .insert(name.trim_matches('"').to_owned(), clause.to_owned());
            }
        }
    } else {
        for row in rows(connection, &queries.checks).await? {
            let [table, name, clause] = &row[..] else {
                continue;
            };
            catalog
                .checks
                .entry(text(table))
                .or_default()
                .insert(text(name), text(clause));
        }
    }
    if backend == DbBackend::Postgres {
        for row in rows(connection, PG_ENUMS).await? {
            let [name, values] = &row[..] else { continue };
            catalog.enums.insert(text(name), list(values));
        }
    }
    // MySQL keeps an index for each foreign key, named after it.
    for (table, keys) in &catalog.foreign_keys {
        if let Some(indexes) = catalog.indexes.get_mut(table) {
            indexes.retain(|name, _| !keys.contains_key(name));
        }
    }
    Ok(catalog)
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn list(value: &Option<String>) -> Vec<String> {
    text(value)
        .split(',')
        .map(|item| item.trim().trim_matches('"').to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

/// Every row of `sql`, each column read as text (`None` for NULL).
async fn rows(
    connection: &DatabaseConnection,
    sql: &str,
) -> Result<Vec<Vec<Option<String>>>, DbErr> {
    let backend = connection.get_database_backend();
    let results = connection
        .query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await?;
    let mut rows = Vec::new();
    for result in results {
        let mut row = Vec::new();
        for at in 0.. {
            match result.try_get_by_index::<Option<String>>(at) {
                Ok(value) => row.push(value),
                Err(_) => break,
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

struct Queries {
    columns: String,
    indexes: String,
    foreign_keys: String,
    checks: String,
}

const SQLITE_TABLES: &str = "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
    AND name NOT LIKE 'seaql%' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

const PG_ENUMS: &str = "SELECT t.typname::text, string_agg(e.enumlabel::text, ',' ORDER BY \
    e.enumsortorder) FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n \
    ON n.oid = t.typnamespace WHERE n.nspname = current_schema() GROUP BY t.typname";

fn queries(backend: DbBackend) -> Queries {
    match backend {
        DbBackend::Postgres => Queries {
            columns: "SELECT c.table_name::text, c.column_name::text, \
                CASE WHEN c.data_type = 'USER-DEFINED' THEN c.udt_name::text ELSE c.data_type || \
                coalesce('(' || c.character_maximum_length || ')', '') || \
                CASE WHEN c.data_type = 'numeric' THEN coalesce('(' || c.numeric_precision || ',' \
                || c.numeric_scale || ')', '') ELSE '' END END, \
                c.is_nullable::text, c.column_default::text, 'identity=' || c.is_identity || \
                coalesce(' ' || c.column_default, '') \
                FROM information_schema.columns c JOIN information_schema.tables t \
                ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
                WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
                AND c.table_name NOT LIKE 'seaql%' ORDER BY c.table_name, c.ordinal_position"
                .to_owned(),
            indexes: "SELECT t.relname::text, i.relname::text, \
                CASE WHEN x.indisunique THEN '1' ELSE '0' END, \
                string_agg(a.attname::text, ',' ORDER BY k.n) \
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                JOIN pg_class t ON t.oid = x.indrelid \
                JOIN pg_namespace s ON s.oid = t.relnamespace \
                CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) \
                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                WHERE s.nspname = current_schema() AND NOT x.indisprimary \
                AND t.relname NOT LIKE 'seaql%' \
                GROUP BY t.relname, i.relname, x.indisunique"
                .to_owned(),
            foreign_keys: "SELECT t.relname::text, c.conname::text, \
                (SELECT string_agg(a.attname::text, ',' ORDER BY k.n) FROM unnest(c.conkey) \
                WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.conrelid \
                AND a.attnum = k.attnum), r.relname::text, \
                (SELECT string_agg(a.attname::text, ',' ORDER BY k.n) FROM unnest(c.confkey) \
                WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.confrelid \
                AND a.attnum = k.attnum), \
                CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' \
                WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END, \
                CASE c.confupdtype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' \
                WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END \
                FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
                JOIN pg_class r ON r.oid = c.confrelid \
                JOIN pg_namespace s ON s.oid = t.relnamespace \
                WHERE c.contype = 'f' AND s.nspname = current_schema()"
                .to_owned(),
            checks: "SELECT t.relname::text, c.conname::text, pg_get_constraintdef(c.oid) \
                FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
                JOIN pg_namespace s ON s.oid = t.relnamespace \
                WHERE c.contype = 'c' AND s.nspname = current_schema()"
                .to_owned(),
        },
        DbBackend::MySql => Queries {
            columns: "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), \
                CAST(COLUMN_TYPE AS CHAR), CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_DEFAULT AS CHAR), \
                CAST(EXTRA AS CHAR) FROM information_schema.COLUMNS \
                WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'seaql%' \
                ORDER BY TABLE_NAME, ORDINAL_POSITION"
                .to_owned(),
            indexes: "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), \
                CAST(1 - NON_UNIQUE AS CHAR), \
                CAST(GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS CHAR) \
                FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
                AND INDEX_NAME <> 'PRIMARY' AND TABLE_NAME NOT LIKE 'seaql%' \
                GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE"
                .to_owned(),
            foreign_keys: "SELECT CAST(k.TABLE_NAME AS CHAR), CAST(k.CONSTRAINT_NAME AS CHAR), \
                CAST(GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION) AS CHAR), \
                CAST(k.REFERENCED_TABLE_NAME AS CHAR), \
                CAST(GROUP_CONCAT(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION) AS CHAR), \
                CAST(r.DELETE_RULE AS CHAR), CAST(r.UPDATE_RULE AS CHAR) \
                FROM information_schema.KEY_COLUMN_USAGE k \
                JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
                AND r.TABLE_NAME = k.TABLE_NAME \
                WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME NOT LIKE 'seaql%' \
                GROUP BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.REFERENCED_TABLE_NAME, \
                r.DELETE_RULE, r.UPDATE_RULE"
                .to_owned(),
            // MariaDB checks a JSON column with a CHECK of its own: not a declared rule.
            checks: "SELECT CAST(t.TABLE_NAME AS CHAR), CAST(t.CONSTRAINT_NAME AS CHAR), \
                CAST(c.CHECK_CLAUSE AS CHAR) FROM information_schema.TABLE_CONSTRAINTS t \
                JOIN information_schema.CHECK_CONSTRAINTS c \
                ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
                AND c.TABLE_NAME = t.TABLE_NAME \
                WHERE t.TABLE_SCHEMA = DATABASE() AND t.CONSTRAINT_TYPE = 'CHECK' \
                AND c.CHECK_CLAUSE NOT LIKE 'json\\_valid(%'"
                .to_owned(),
        },
        _ => Queries {
            // SQLite.
            columns: "SELECT m.name, p.name, lower(p.type), \
                CASE WHEN p.\"notnull\" = 1 OR p.pk > 0 THEN 'NO' ELSE 'YES' END, p.dflt_value, \
                CASE WHEN p.pk > 0 AND lower(p.type) = 'integer' AND m.sql LIKE '%AUTOINCREMENT%' \
                THEN 'auto_increment' ELSE '' END \
                FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                WHERE m.type = 'table' AND m.name NOT LIKE 'seaql%' \
                AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name, p.cid"
                .to_owned(),
            indexes: "SELECT m.name, l.name, CAST(l.\"unique\" AS TEXT), \
                (SELECT group_concat(name, ',') FROM (SELECT i.name FROM pragma_index_info(l.name) i \
                ORDER BY i.seqno)) \
                FROM sqlite_master m JOIN pragma_index_list(m.name) l \
                WHERE m.type = 'table' AND l.origin <> 'pk' AND m.name NOT LIKE 'seaql%' \
                AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                .to_owned(),
            // SQLite keeps no names for foreign keys: each is named by its columns, as the
            // rebuilding SQL writes them back.
            foreign_keys: "SELECT m.name, 'fk-' || m.name || '-' || group_concat(f.\"from\", '-'), \
                group_concat(f.\"from\", ','), f.\"table\", group_concat(f.\"to\", ','), \
                f.on_delete, f.on_update \
                FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
                WHERE m.type = 'table' AND m.name NOT LIKE 'seaql%' \
                AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' GROUP BY m.name, f.id"
                .to_owned(),
            checks: String::new(),
        },
    }
}
