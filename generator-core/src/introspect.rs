//! Introspection: reads a live database's catalog (columns, indexes, keys, checks, PostgreSQL
//! enum types) as text lines in the database's own spelling, and `verify`, which compares a
//! live database with the recorded schema by building that schema in a scratch database on the
//! same server and
//! comparing the two catalogs, so every backend's spelling of a type or default (PostgreSQL's
//! `'draft'::character varying`, MySQL's `int(11)`) is the same on both sides.

use migration_ops::v1;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};

use crate::diff::{self, Options};
use crate::lower;
use crate::model::Schema;

mod live;

/// The catalog's description of every table whose name starts with `prefix` (the runner's own
/// `seaql_*` tables left out), with the prefix taken out of every name: one sorted line per
/// column, index and foreign key, in the database's own spelling.
pub async fn catalog(connection: &DatabaseConnection, prefix: &str) -> Result<Vec<String>, DbErr> {
    let backend = connection.get_database_backend();
    let like = format!("{prefix}%");
    let queries: Vec<String> = match backend {
        DbBackend::Postgres => vec![
            format!(
                "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || \
                 coalesce(character_maximum_length::text, '') || ' ' || \
                 coalesce(numeric_precision::text, '') || ',' || coalesce(numeric_scale::text, '') || \
                 ' null=' || is_nullable || ' default=' || coalesce(column_default, '-') || \
                 ' identity=' || is_identity AS line FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name LIKE '{like}' AND table_name NOT LIKE 'seaql%'"
            ),
            // A primary key is shown by its columns alone (below): its name is whatever made
            // the table chose (`pk-{table}` from SeaORM, `{table}_pkey` from a hand-written
            // migration), and no migration names it (a key change drops the table's key by its
            // catalog name).
            format!(
                "SELECT indexdef AS line FROM pg_indexes WHERE schemaname = current_schema() \
                 AND tablename LIKE '{like}' AND tablename NOT LIKE 'seaql%' AND indexname NOT IN \
                 (SELECT conname FROM pg_constraint WHERE contype = 'p')"
            ),
            format!(
                "SELECT conrelid::regclass::text || ' ' || \
                 CASE WHEN contype = 'p' THEN '(primary key)' ELSE conname END || ' ' || \
                 pg_get_constraintdef(oid) AS line FROM pg_constraint \
                 WHERE conrelid::regclass::text LIKE '{like}' AND conrelid::regclass::text NOT LIKE 'seaql%' \
                 AND connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
            ),
            format!(
                "SELECT t.typname || ' enum ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS line \
                 FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid \
                 JOIN pg_namespace n ON n.oid = t.typnamespace \
                 WHERE n.nspname = current_schema() AND t.typname LIKE '{like}' GROUP BY t.typname"
            ),
        ],
        DbBackend::MySql => vec![
            format!(
                "SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME, ' ', COLUMN_TYPE, ' null=', \
                 IS_NULLABLE, ' default=', IFNULL(COLUMN_DEFAULT, '-'), ' ', EXTRA) AS line \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
                 AND TABLE_NAME LIKE '{like}' AND TABLE_NAME NOT LIKE 'seaql%'"
            ),
            // MySQL keeps the index it made for a foreign key after the key is dropped, where a
            // fresh table has none; those indexes (named after the key) are left out.
            format!(
                "SELECT CONCAT(TABLE_NAME, ' ', INDEX_NAME, ' unique=', 1 - NON_UNIQUE, ' ', \
                 GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX)) AS line \
                 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
                 AND TABLE_NAME LIKE '{like}' AND TABLE_NAME NOT LIKE 'seaql%' AND INDEX_NAME NOT LIKE '{prefix}fk-%' \
                 GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE"
            ),
            format!(
                "SELECT CONCAT(k.TABLE_NAME, ' ', k.CONSTRAINT_NAME, ' ', \
                 GROUP_CONCAT(k.COLUMN_NAME), ' -> ', k.REFERENCED_TABLE_NAME, ' ', \
                 r.DELETE_RULE, ' ', r.UPDATE_RULE) AS line \
                 FROM information_schema.KEY_COLUMN_USAGE k \
                 JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                 ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
                 WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME LIKE '{like}' AND k.TABLE_NAME NOT LIKE 'seaql%' \
                 GROUP BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.REFERENCED_TABLE_NAME, \
                 r.DELETE_RULE, r.UPDATE_RULE"
            ),
            // MariaDB checks a JSON column with a CHECK named after the column, which keeps
            // its first name when the column is renamed; it is shown by its clause alone.
            format!(
                "SELECT CONCAT(t.TABLE_NAME, ' ', IF(c.CHECK_CLAUSE LIKE 'json\\_valid(%', \
                 '(json)', t.CONSTRAINT_NAME), ' CHECK ', c.CHECK_CLAUSE) AS line \
                 FROM information_schema.TABLE_CONSTRAINTS t \
                 JOIN information_schema.CHECK_CONSTRAINTS c \
                 ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
                 WHERE t.CONSTRAINT_TYPE = 'CHECK' AND t.TABLE_SCHEMA = DATABASE() \
                 AND t.TABLE_NAME LIKE '{like}' AND t.TABLE_NAME NOT LIKE 'seaql%'"
            ),
        ],
        _ => vec![
            format!(
                "SELECT m.name || '.' || p.name || ' ' || p.type || ' notnull=' || p.\"notnull\" || \
                 ' default=' || coalesce(p.dflt_value, '-') || ' pk=' || p.pk AS line \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name LIKE '{like}' AND m.name NOT LIKE 'seaql%' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            ),
            format!(
                "SELECT m.name || ' ' || CASE WHEN il.origin = 'c' THEN il.name ELSE il.origin END \
                 || ' unique=' || il.\"unique\" || ' ' || \
                 (SELECT group_concat(ii.name) FROM pragma_index_info(il.name) ii) AS line \
                 FROM sqlite_master m JOIN pragma_index_list(m.name) il \
                 WHERE m.type = 'table' AND m.name LIKE '{like}' AND m.name NOT LIKE 'seaql%' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            ),
            format!(
                "SELECT m.name || ' ' || f.\"from\" || ' -> ' || f.\"table\" || '.' || f.\"to\" || \
                 ' ' || f.on_update || ' ' || f.on_delete AS line \
                 FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table' AND m.name LIKE '{like}' AND m.name NOT LIKE 'seaql%' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            ),
        ],
    };
    let mut lines = Vec::new();
    if backend == DbBackend::Sqlite {
        // SQLite keeps CHECK constraints and AUTOINCREMENT only in the table's SQL text.
        let rows = connection
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name LIKE \
                     '{like}' AND name NOT LIKE 'seaql%' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                ),
            ))
            .await?;
        for row in rows {
            let (table, sql): (String, String) =
                (row.try_get("", "name")?, row.try_get("", "sql")?);
            for check in sqlite_checks(&sql) {
                lines.push(format!("{table} {check}").replace(prefix, "X_"));
            }
            if sql.contains(" AUTOINCREMENT") {
                lines.push(format!("{table} AUTOINCREMENT").replace(prefix, "X_"));
            }
        }
    }
    for query in queries {
        let rows = connection
            .query_all_raw(Statement::from_string(backend, query))
            .await?;
        for row in rows {
            let line: String = row.try_get("", "line")?;
            lines.push(if prefix.is_empty() {
                line
            } else {
                line.replace(prefix, "X_")
            });
        }
    }
    lines.sort();
    Ok(lines)
}

/// Each `CONSTRAINT "name" CHECK (…)` of a SQLite `CREATE TABLE`, as written there.
fn sqlite_checks(sql: &str) -> Vec<String> {
    let mut checks = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find("CONSTRAINT ") {
        rest = &rest[at..];
        let Some(check_at) = rest.find(" CHECK (") else {
            break;
        };
        // The expression runs to the parenthesis that closes the one after CHECK, skipping
        // parentheses inside quoted names and strings.
        let body = &rest[check_at + " CHECK (".len()..];
        let (mut depth, mut quote, mut end) = (1, None, body.len());
        for (i, c) in body.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"' | '`') => quote = Some(c),
                (None, '(') => depth += 1,
                (None, ')') => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        checks.push(format!(
            "{} CHECK ({})",
            &rest["CONSTRAINT ".len()..check_at],
            &body[..end]
        ));
        rest = &body[end..];
    }
    checks
}

/// How `live` differs from `schema`: one line per catalog line missing (`-`) or unexpected
/// (`+`) in the live database; empty when they match.
pub async fn verify(url: &str, schema: &Schema) -> Result<Vec<String>, DbErr> {
    with_scratch(url, async |live, scratch| {
        build(scratch, schema).await?;
        let (expected, actual) = (catalog(scratch, "").await?, catalog(live, "").await?);
        let mut findings: Vec<String> = expected
            .iter()
            .filter(|line| !actual.contains(line))
            .map(|line| format!("- {line}"))
            .collect();
        findings.extend(
            actual
                .iter()
                .filter(|line| !expected.contains(line))
                .map(|line| format!("+ {line}")),
        );
        Ok(findings)
    })
    .await
}

/// The schema the database at `url` holds, in the terms of `entities` wherever the two agree
/// (see [`live`]), and what it had to leave out, one note each.
pub async fn schema_of(url: &str, entities: &Schema) -> Result<(Schema, live::Notes), DbErr> {
    with_scratch(url, async |live, scratch| {
        live::schema_of(live, scratch, entities).await
    })
    .await
}

/// Runs `work` with a connection to the database at `url` and one to an empty scratch
/// database on the same server (SQLite: in memory), which is dropped afterwards, whatever
/// `work` returned. Needs the right to create a database.
async fn with_scratch<T>(
    url: &str,
    work: impl AsyncFnOnce(&DatabaseConnection, &DatabaseConnection) -> Result<T, DbErr>,
) -> Result<T, DbErr> {
    let live = Database::connect(url).await?;
    let backend = live.get_database_backend();
    let scratch_name = format!("verify_{}_{}", std::process::id(), nanos());
    let (scratch, scratch_url) = match backend {
        DbBackend::Sqlite => (Database::connect("sqlite::memory:").await?, None),
        _ => {
            let quoted = quote_database(backend, &scratch_name);
            live.execute_unprepared(&format!("CREATE DATABASE {quoted}"))
                .await?;
            let scratch_url = replace_database(url, &scratch_name);
            (Database::connect(&scratch_url).await?, Some(quoted))
        }
    };
    let result = work(&live, &scratch).await;
    scratch.close().await.ok();
    if let Some(quoted) = scratch_url {
        live.execute_unprepared(&format!("DROP DATABASE IF EXISTS {quoted}"))
            .await?;
    }
    live.close().await.ok();
    result
}

/// Creates `schema` in the empty database `scratch`.
async fn build(scratch: &DatabaseConnection, schema: &Schema) -> Result<(), DbErr> {
    let operations = diff::diff(&Schema::default(), schema, &Options::default())
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    for sql in v1::to_sql(&lower::lower(&operations), scratch.get_database_backend()) {
        scratch.execute_unprepared(&sql).await?;
    }
    Ok(())
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000)
}

/// A database name as an identifier (the names made here are plain `[a-z0-9_]`).
pub fn quote_database(backend: DbBackend, name: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

/// `scheme://user@host:port/old?params` → the same URL on database `name`.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |at| at + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn the_database_part_of_a_url_is_replaced() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/test", "t_x"),
            "postgres://postgres@127.0.0.1:5432/t_x"
        );
        assert_eq!(
            replace_database("mysql://root@127.0.0.1:3306/test?ssl-mode=disabled", "t_x"),
            "mysql://root@127.0.0.1:3306/t_x?ssl-mode=disabled"
        );
        assert_eq!(
            replace_database("mysql://root@localhost", "t_x"),
            "mysql://root@localhost/t_x"
        );
    }
}
