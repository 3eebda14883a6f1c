//! Primary keys, auto-increment and `extra` changed on tables that hold rows, on each backend:
//! what the rows keep, what new rows get, and where a migration must stop. (The random
//! round-trip pairs change keys too; these tests check what a catalog comparison cannot.)

use generator_core::diff::{self, Options};
use generator_core::lower;
use generator_core::model::{Column, ColumnType, Len, Schema, Table};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tests::db::{Backend, TestDb, apply};

/// Migrates the database from `before` to `after`, as a generated migration would.
async fn migrate(
    connection: &DatabaseConnection,
    before: &Schema,
    after: &Schema,
) -> Result<(), String> {
    let options = Options {
        allow_destructive: true,
        ..Options::default()
    };
    let operations = diff::diff(before, after, &options).map_err(|e| e.to_string())?;
    apply(connection, &lower::lower(&operations)).await
}

fn schema(table: Table) -> Schema {
    Schema {
        tables: [("items".to_owned(), table)].into(),
        ..Schema::default()
    }
}

/// `items (id, name)`, keyed by `id`, auto-increment or not.
fn items(auto_increment: bool) -> Schema {
    let mut id = Column::new("id", ColumnType::Integer);
    id.auto_increment = auto_increment;
    schema(Table {
        columns: vec![id, Column::new("name", ColumnType::String(Len::N(40)))],
        primary_key: vec!["id".to_owned()],
        ..Table::default()
    })
}

/// `items (owner, name)`, keyed by both.
fn owned_items() -> Schema {
    schema(Table {
        columns: vec![
            Column::new("owner", ColumnType::Integer),
            Column::new("name", ColumnType::String(Len::N(40))),
        ],
        primary_key: vec!["owner".to_owned(), "name".to_owned()],
        ..Table::default()
    })
}

async fn execute(connection: &DatabaseConnection, sql: &str) {
    let sql = match connection.get_database_backend() {
        DbBackend::MySql => sql.replace('"', "`"),
        _ => sql.to_owned(),
    };
    connection
        .execute_unprepared(&sql)
        .await
        .unwrap_or_else(|e| panic!("{e}\n  while running: {sql}"));
}

/// The first column of each row of `sql`, as text.
async fn texts(connection: &DatabaseConnection, sql: &str) -> Vec<String> {
    let backend = connection.get_database_backend();
    let sql = match backend {
        DbBackend::MySql => sql.replace('"', "`").replace("AS TEXT", "AS CHAR"),
        _ => sql.to_owned(),
    };
    connection
        .query_all_raw(Statement::from_string(backend, sql.clone()))
        .await
        .unwrap_or_else(|e| panic!("{e}\n  while running: {sql}"))
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

async fn auto_increment_turned_back_on_numbers_new_rows_past_existing_ones(backend: Backend) {
    let db = TestDb::fresh(backend, "keys_counter").await;
    let c = &db.connection;
    migrate(c, &Schema::default(), &items(true)).await.unwrap();
    execute(c, "INSERT INTO \"items\" (\"name\") VALUES ('a'), ('b')").await;
    migrate(c, &items(true), &items(false)).await.unwrap();
    execute(
        c,
        "INSERT INTO \"items\" (\"id\", \"name\") VALUES (10, 'c')",
    )
    .await;
    migrate(c, &items(false), &items(true)).await.unwrap();
    execute(c, "INSERT INTO \"items\" (\"name\") VALUES ('d')").await;
    assert_eq!(
        texts(
            c,
            "SELECT CAST(\"id\" AS TEXT) || ':' || \"name\" FROM \"items\" ORDER BY \"id\""
        )
        .await,
        ["1:a", "2:b", "10:c", "11:d"],
        "{backend:?}"
    );
    db.drop_database().await;
}

async fn an_auto_increment_key_in_place_of_a_composite_one_numbers_the_rows(backend: Backend) {
    let db = TestDb::fresh(backend, "keys_surrogate").await;
    let c = &db.connection;
    migrate(c, &Schema::default(), &owned_items())
        .await
        .unwrap();
    execute(
        c,
        "INSERT INTO \"items\" (\"owner\", \"name\") VALUES (1, 'a'), (1, 'b'), (2, 'a')",
    )
    .await;
    let mut surrogate = owned_items();
    let table = surrogate.tables.get_mut("items").unwrap();
    let mut id = Column::new("id", ColumnType::BigInteger);
    id.auto_increment = true;
    table.columns.insert(0, id);
    table.primary_key = vec!["id".to_owned()];
    migrate(c, &owned_items(), &surrogate).await.unwrap();
    // Now a pair may repeat; the new key tells the rows apart.
    execute(
        c,
        "INSERT INTO \"items\" (\"owner\", \"name\") VALUES (1, 'a')",
    )
    .await;
    let rows = "SELECT CAST(\"id\" AS TEXT) || ':' || CAST(\"owner\" AS TEXT) || \"name\" \
                FROM \"items\" ORDER BY \"id\"";
    let numbered = texts(c, rows).await;
    assert_eq!(numbered.len(), 4, "{backend:?}: {numbered:?}");
    let mut ids: Vec<i64> = numbered
        .iter()
        .map(|r| r.split(':').next().unwrap().parse().unwrap())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 4, "{backend:?}: ids repeat: {numbered:?}");
    assert!(numbered[3].ends_with(":1a"), "{backend:?}: {numbered:?}");

    // Back to the pair as key: the repeated pair stops the migration, with the count.
    let error = migrate(c, &surrogate, &owned_items()).await.unwrap_err();
    assert!(
        error.contains("2 row(s) of `items` break the primary key (owner, name)"),
        "{backend:?}: {error}"
    );
    // The newest row goes (MySQL reads its own table only through a derived one).
    execute(
        c,
        "DELETE FROM \"items\" WHERE \"id\" = \
         (SELECT MAX(\"id\") FROM (SELECT \"id\" FROM \"items\") AS \"ids\")",
    )
    .await;
    migrate(c, &surrogate, &owned_items()).await.unwrap();
    assert_eq!(
        texts(
            c,
            "SELECT CAST(\"owner\" AS TEXT) || \"name\" FROM \"items\" ORDER BY \"owner\", \"name\""
        )
        .await,
        ["1a", "1b", "2a"],
        "{backend:?}"
    );
    db.drop_database().await;
}

/// A COLLATE clause each backend knows, and how its catalog shows the column's collation.
fn collation(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Postgres => (
            "COLLATE \"C\"",
            "SELECT COALESCE(collation_name, 'default') FROM information_schema.columns \
             WHERE table_name = 'items' AND column_name = 'name' AND table_schema = current_schema()",
        ),
        Backend::MySql => (
            "COLLATE utf8mb4_bin",
            "SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = 'items' AND COLUMN_NAME = 'name'",
        ),
        Backend::Sqlite => (
            "COLLATE NOCASE",
            "SELECT CASE WHEN sql LIKE '%COLLATE NOCASE%' THEN 'NOCASE' ELSE 'default' END \
             FROM sqlite_master WHERE name = 'items'",
        ),
    }
}

async fn a_collation_in_extra_is_set_and_taken_back_keeping_the_rows(backend: Backend) {
    let db = TestDb::fresh(backend, "keys_extra").await;
    let c = &db.connection;
    let (clause, query) = collation(backend);
    migrate(c, &Schema::default(), &items(true)).await.unwrap();
    execute(c, "INSERT INTO \"items\" (\"name\") VALUES ('b'), ('A')").await;
    let default = texts(c, query).await;
    let mut collated = items(true);
    collated.tables.get_mut("items").unwrap().columns[1].extra = Some(clause.to_owned());
    migrate(c, &items(true), &collated).await.unwrap();
    let now = texts(c, query).await;
    assert_ne!(now, default, "{backend:?}");
    assert!(
        clause.contains(now[0].trim_matches('"')),
        "{backend:?}: {now:?}"
    );
    migrate(c, &collated, &items(true)).await.unwrap();
    assert_eq!(texts(c, query).await, default, "{backend:?}");
    let names = texts(c, "SELECT \"name\" FROM \"items\" ORDER BY \"id\"").await;
    assert_eq!(names, ["b", "A"], "{backend:?}");
    db.drop_database().await;
}

#[tokio::test]
#[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
async fn an_extra_clause_postgres_cannot_alter_stops_with_a_clear_error() {
    let db = TestDb::fresh(Backend::Postgres, "keys_extra_refused").await;
    let c = &db.connection;
    migrate(c, &Schema::default(), &items(true)).await.unwrap();
    let mut checked = items(true);
    checked.tables.get_mut("items").unwrap().columns[1].extra =
        Some("CHECK (name <> '')".to_owned());
    let error = migrate(c, &items(true), &checked).await.unwrap_err();
    assert!(
        error.contains("column items.name: PostgreSQL cannot change `extra` in place"),
        "{error}"
    );
    db.drop_database().await;
}

on_each_backend!(
    auto_increment_turned_back_on_numbers_new_rows_past_existing_ones,
    an_auto_increment_key_in_place_of_a_composite_one_numbers_the_rows,
    a_collation_in_extra_is_set_and_taken_back_keeping_the_rows,
);
