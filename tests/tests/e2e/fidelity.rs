//! Fidelity: the SQL a generated migration runs equals the SQL SeaORM itself derives from the
//! entity, on every backend, for a corpus covering every schema feature SeaORM expresses; and
//! the rendered file, compiled, holds exactly the data it was rendered from.

use std::collections::BTreeMap;

use generator_core::generate::{self, Generation, Naming};
use generator_core::layout::{MigrationDir, Recorded};
use generator_core::model::{ColumnType, Schema};
use generator_core::{diff, lower, source};
use migration_ops::schema::{Convert, Owned};
use migration_ops::v1;
use sea_orm::sea_query::{
    MysqlQueryBuilder, PostgresQueryBuilder, QueryBuilder, SchemaStatementBuilder,
    SqliteQueryBuilder,
};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use tests::corpus;
use tests::db::{Backend, TestDb};

#[path = "../../golden/m20260101_000000_corpus.rs"]
#[rustfmt::skip]
mod corpus_migration;

const GOLDEN: &str = "golden/m20260101_000000_corpus.rs";

#[path = "../../golden/m20260102_000000_corpus_changes.rs"]
#[rustfmt::skip]
mod corpus_changes_migration;

const GOLDEN_CHANGES: &str = "golden/m20260102_000000_corpus_changes.rs";

fn corpus_schema() -> Schema {
    source::load(corpus::visit_all).expect("the corpus loads")
}

/// What SeaORM's `Schema` derives from entity `E` on `backend`: enum types, table, indexes.
fn seaorm_sql<E: EntityTrait + Default>(backend: DbBackend) -> (String, Vec<String>) {
    let schema = sea_orm::Schema::new(backend);
    let entity = E::default();
    let mut sql: Vec<String> = Vec::new();
    for statement in schema.create_enum_from_entity(entity) {
        let text = statement.to_string(PostgresQueryBuilder);
        // SeaORM emits one CREATE TYPE per enum *column*; a type is created once.
        if !sql.contains(&text) {
            sql.push(text);
        }
    }
    sql.push(build(&schema.create_table_from_entity(entity), backend));
    for index in schema.create_index_from_entity(entity) {
        sql.push(build(&index, backend));
    }
    (entity.table_name().to_owned(), sql)
}

/// [`seaorm_sql`] of every corpus entity, by table.
fn seaorm_sql_of_corpus(backend: DbBackend) -> BTreeMap<String, Vec<String>> {
    macro_rules! each {
        ($($module:ident),*) => {
            [$(seaorm_sql::<corpus::$module::Entity>(backend)),*].into_iter().collect()
        };
    }
    each!(author, book, all_types, options, membership, enums)
}

fn build(statement: &impl SchemaStatementBuilder, backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => statement.to_string(PostgresQueryBuilder),
        DbBackend::MySql => statement.to_string(MysqlQueryBuilder),
        _ => statement.to_string(SqliteQueryBuilder),
    }
}

/// What the generator's migration runs for one table: its enum types, then the table.
fn generated_sql(schema: &Schema, table: &str, backend: DbBackend) -> Vec<String> {
    let definition = &schema.tables[table];
    let mut ops = Vec::new();
    for column in &definition.columns {
        if let ColumnType::Enum { name, .. } = &column.ty {
            let op = generator_core::operation::Operation::CreateEnum {
                name: name.clone(),
                values: schema.enums[name].clone(),
            };
            let lowered = lower::lower(&[op]);
            if !ops.contains(&lowered[0]) {
                ops.extend(lowered);
            }
        }
    }
    ops.push(lower::Op::CreateTable(generator_core::model::Table {
        name: table.to_owned(),
        ..definition.clone()
    }));
    v1::to_sql(&ops, backend)
}

#[test]
fn generated_sql_equals_seaorm_sql_for_every_corpus_entity_on_every_backend() {
    let schema = corpus_schema();
    let mut compared = 0;
    for backend in [DbBackend::Postgres, DbBackend::MySql, DbBackend::Sqlite] {
        let seaorm = seaorm_sql_of_corpus(backend);
        assert_eq!(
            seaorm.keys().collect::<Vec<_>>(),
            schema.tables.keys().collect::<Vec<_>>()
        );
        for (table, expected) in &seaorm {
            // SeaORM writes no CHECK constraints: everything else must be its SQL exactly,
            // but for MySQL string defaults, which sea-query escapes with backslashes that
            // NO_BACKSLASH_ESCAPES reads differently; those are written for every sql_mode.
            let mut without_checks = schema.clone();
            without_checks.tables.get_mut(table).unwrap().checks.clear();
            let actual = generated_sql(&without_checks, table, backend);
            let mut expected = expected.clone();
            for column in &schema.tables[table].columns {
                if let (DbBackend::MySql, Some(generator_core::model::DefaultValue::String(text))) =
                    (backend, &column.default)
                {
                    let seaorm = MysqlQueryBuilder.value_to_string(&text.as_str().into());
                    let ours = v1::string_literal(backend, text);
                    for sql in &mut expected {
                        *sql =
                            sql.replace(&format!("DEFAULT {seaorm}"), &format!("DEFAULT {ours}"));
                    }
                }
            }
            let expected = &expected;
            assert_eq!(&actual, expected, "{table} on {backend:?}");
            compared += expected.len();
        }
    }
    assert!(compared >= 25, "only {compared} statements compared");
}

/// SeaORM writes `renamed_from` into the column comment, and MySQL then stores it as the
/// column's COMMENT. It is an instruction, not a comment: the generator keeps it out. This is
/// the one listed exception to SQL equality.
#[test]
fn renamed_from_stays_out_of_the_mysql_column_comment() {
    mod renamed {
        use sea_orm::entity::prelude::*;

        #[sea_orm::model]
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, entity::DatabaseRules)]
        #[sea_orm(table_name = "renamed")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(renamed_from = "old_title", comment = "shown")]
            pub title: String,
        }

        impl ActiveModelBehavior for ActiveModel {}
    }
    let seaorm = build(
        &sea_orm::Schema::new(DbBackend::MySql).create_table_from_entity(renamed::Entity),
        DbBackend::MySql,
    );
    assert!(
        seaorm.contains(r#"COMMENT 'shown; renamed_from \"old_title\"'"#),
        "{seaorm}"
    );
    let schema = source::load(|loader| {
        use entity_rules::DeclaredRules;
        let rules = renamed::Model::declared_rules();
        loader.visit(entity_rules::describe::<renamed::Entity>(rules))
    })
    .unwrap();
    let ours = generated_sql(&schema, "renamed", DbBackend::MySql);
    assert_eq!(
        ours[0],
        seaorm.replace(r#"; renamed_from \"old_title\""#, "")
    );
}

fn corpus_generation() -> Generation {
    let recorded = Recorded {
        migrations: Vec::new(),
        generated: Vec::new(),
        snapshot: None,
        ..Recorded::default()
    };
    let naming = Naming {
        timestamp: Some("20260101_000000".to_owned()),
        name: Some("corpus".to_owned()),
    };
    generate::prepare(
        &MigrationDir::new("unused"),
        &recorded,
        &corpus_schema(),
        &diff::Options {
            allow_blocking: true,
            ..diff::Options::default()
        },
        &naming,
    )
    .unwrap()
    .expect("the corpus is a change from nothing")
}

/// The corpus after a set of everyday changes: a column added, one dropped, one renamed
/// (`renamed_from`), a default changed, an index added, a foreign key removed, a table renamed.
fn corpus_changes() -> (Schema, diff::Options) {
    let mut schema = corpus_schema();
    let options = schema.tables.get_mut("options").unwrap();
    let mut subtitle = options.columns[1].clone();
    subtitle.name = "subtitle".to_owned();
    subtitle.null = true;
    subtitle.default = None;
    options.columns.push(subtitle);
    let status = options
        .columns
        .iter_mut()
        .find(|c| c.name == "status")
        .unwrap();
    status.default = Some(generator_core::model::DefaultValue::String(
        "pending".to_owned(),
    ));
    schema
        .tables
        .get_mut("all_types")
        .unwrap()
        .columns
        .retain(|c| c.name != "optional_string");
    let author = schema.tables.get_mut("author").unwrap();
    let email = author
        .columns
        .iter_mut()
        .find(|c| c.name == "email")
        .unwrap();
    email.name = "contact_email".to_owned();
    schema.renamed_from.insert(
        ("author".to_owned(), "contact_email".to_owned()),
        "email".to_owned(),
    );
    schema
        .tables
        .get_mut("book")
        .unwrap()
        .indexes
        .push(generator_core::model::Index {
            name: "idx-book-title".to_owned(),
            columns: vec!["title".to_owned()],
            unique: false,
        });
    schema
        .tables
        .get_mut("membership")
        .unwrap()
        .foreign_keys
        .retain(|fk| fk.ref_table != "book");
    // A rule added, and a rule changed (its check is dropped and added again).
    use generator_core::model::{Check, CheckRule, DefaultValue};
    schema.tables.get_mut("book").unwrap().checks.push(Check {
        name: "ck_book_title_length".to_owned(),
        column: "title".to_owned(),
        rule: CheckRule::Length {
            min: Some(1),
            max: Some(500),
        },
    });
    let mut enums = schema.tables.remove("enums").unwrap();
    let priority = enums
        .checks
        .iter_mut()
        .find(|c| c.column == "priority")
        .unwrap();
    priority.rule = CheckRule::OneOf(
        ["1", "2", "3"]
            .map(|n| DefaultValue::Number(n.into()))
            .into(),
    );
    schema.tables.insert("moods".to_owned(), enums);
    let options = diff::Options {
        allow_destructive: true,
        table_renames: [("enums".to_owned(), "moods".to_owned())].into(),
        ..diff::Options::default()
    };
    (schema, options)
}

fn corpus_changes_generation() -> Generation {
    let recorded = Recorded {
        migrations: vec!["m20260101_000000_corpus".to_owned()],
        generated: vec!["m20260101_000000_corpus".to_owned()],
        snapshot: Some(generator_core::snapshot::Snapshot {
            format: generator_core::snapshot::FORMAT,
            migration: "m20260101_000000_corpus".to_owned(),
            schema: corpus_schema(),
        }),
        ..Recorded::default()
    };
    let (schema, options) = corpus_changes();
    let naming = Naming {
        timestamp: Some("20260102_000000".to_owned()),
        name: Some("corpus_changes".to_owned()),
    };
    generate::prepare(
        &MigrationDir::new("unused"),
        &recorded,
        &schema,
        &diff::Options {
            allow_blocking: true,
            ..options
        },
        &naming,
    )
    .unwrap()
    .expect("the changes are changes")
}

/// A golden file is a migration as rendered, reviewed like code and compiled into this test
/// binary. After an intended change to rendering, refresh with `UPDATE_GOLDEN=1 cargo test`.
fn assert_matches_golden(golden: &str, generation: &Generation) {
    let rendered = &generation.files[0].1;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(golden);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, rendered).unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text == *rendered,
        "{golden} differs from the rendering; review and refresh with UPDATE_GOLDEN=1"
    );
}

/// The compiled file's `UP` and `DOWN` equal the data the file was rendered from.
fn assert_compiled_data(up: &[v1::Op], down: &[v1::Op], generation: &Generation) {
    let generator_core::render::Down::Ops(rendered_down) = &generation.down else {
        panic!("these changes can be undone");
    };
    for (compiled, rendered_from, what) in
        [(up, &generation.up, "UP"), (down, rendered_down, "DOWN")]
    {
        assert_eq!(
            compiled.len(),
            rendered_from.len(),
            "{what}: number of operations"
        );
        for (at, (compiled, rendered_from)) in compiled.iter().zip(rendered_from).enumerate() {
            assert_eq!(
                compiled.convert::<Owned>(),
                *rendered_from,
                "{what}[{at}] differs (refresh the golden?)"
            );
        }
    }
}

#[test]
fn the_rendered_corpus_migration_matches_its_reviewed_golden_file() {
    assert_matches_golden(GOLDEN, &corpus_generation());
}

#[test]
fn the_rendered_corpus_changes_match_their_reviewed_golden_file() {
    assert_matches_golden(GOLDEN_CHANGES, &corpus_changes_generation());
}

#[test]
fn the_compiled_corpus_migrations_hold_exactly_the_data_they_were_rendered_from() {
    assert_compiled_data(
        corpus_migration::UP,
        corpus_migration::DOWN,
        &corpus_generation(),
    );
    assert_compiled_data(
        corpus_changes_migration::UP,
        corpus_changes_migration::DOWN,
        &corpus_changes_generation(),
    );
}

struct CorpusMigrator;

impl MigratorTrait for CorpusMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(corpus_migration::Migration),
            Box::new(corpus_changes_migration::Migration),
        ]
    }
}

async fn corpus_migration_runs_up_and_down(backend: Backend) {
    let db = TestDb::fresh(backend, "corpus").await;
    let connection = &db.connection;
    if backend == Backend::Sqlite {
        // As the runner does: SQLite rebuilds tables with foreign keys off (one connection).
        connection
            .execute_unprepared("PRAGMA foreign_keys = OFF")
            .await
            .unwrap();
    }
    CorpusMigrator::up(connection, Some(1)).await.unwrap();
    let db_backend = backend.db_backend();

    // Only the columns without a default; every default must come from the database.
    connection
        .execute_unprepared(
            "INSERT INTO options (slug, pair_a, pair_b, category, code, renamed_in_db, quantity, \
             stock) VALUES ('s', 1, 2, 'c', 'x', 3, 4, 5)",
        )
        .await
        .unwrap();
    let row = connection
        .query_one_raw(Statement::from_string(
            db_backend,
            "SELECT status, quoted, answer, negative, ratio, active, optional_with_default, \
             computed FROM options",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "status").unwrap(), "draft");
    assert_eq!(row.try_get::<String>("", "quoted").unwrap(), "it's \"x\"\n");
    assert_eq!(row.try_get::<i32>("", "answer").unwrap(), 42);
    assert_eq!(row.try_get::<i64>("", "negative").unwrap(), -7);
    assert_eq!(row.try_get::<f64>("", "ratio").unwrap(), 2.5);
    assert!(row.try_get::<bool>("", "active").unwrap());
    assert_eq!(
        row.try_get::<Option<String>>("", "optional_with_default")
            .unwrap(),
        Some("x".to_owned())
    );
    assert_eq!(row.try_get::<i32>("", "computed").unwrap(), 2);

    // The CHECK from `extra` and the unique key hold in the database.
    let negative_stock = connection
        .execute_unprepared(
            "INSERT INTO options (slug, pair_a, pair_b, category, code, renamed_in_db, quantity, \
             stock) VALUES ('t', 5, 6, 'c', 'y', 3, 4, -1)",
        )
        .await;
    assert!(negative_stock.is_err(), "CHECK (stock >= 0) let -1 through");
    let duplicate_pair = connection
        .execute_unprepared(
            "INSERT INTO options (slug, pair_a, pair_b, category, code, renamed_in_db, quantity, \
             stock) VALUES ('u', 1, 2, 'c', 'z', 3, 4, 5)",
        )
        .await;
    assert!(
        duplicate_pair.is_err(),
        "unique key (pair_a, pair_b) let a duplicate through"
    );

    // The follow-up migration, up and down, through sea-orm-migration; rows survive both ways.
    CorpusMigrator::up(connection, None).await.unwrap();
    let status = connection
        .query_one_raw(Statement::from_string(
            db_backend,
            "SELECT status, renamed_in_db FROM options WHERE slug = 's'",
        ))
        .await
        .unwrap()
        .expect("the row survived the changes");
    assert_eq!(status.try_get::<String>("", "status").unwrap(), "draft");
    CorpusMigrator::down(connection, Some(1)).await.unwrap();
    CorpusMigrator::down(connection, None).await.unwrap();
    let manager = sea_orm_migration::SchemaManager::new(connection);
    for table in corpus_schema().tables.keys() {
        assert!(
            !manager.has_table(table).await.unwrap(),
            "{table} survived down"
        );
    }
    db.drop_database().await;
}

#[test]
fn reading_a_rendered_migration_back_gives_exactly_its_data() {
    for generation in [corpus_generation(), corpus_changes_generation()] {
        let data = generator_core::reader::read(&generation.files[0].1)
            .unwrap()
            .expect("a generated migration has data");
        assert_eq!(data.up, generation.up, "{}", generation.name);
        let generator_core::render::Down::Ops(down) = &generation.down else {
            panic!("these changes can be undone");
        };
        assert_eq!(data.down.as_ref(), Some(down), "{}", generation.name);
    }
}

/// The corpus migration and its follow-up walk up, down, up, down, down, up through the runner.
async fn corpus_migrations_go_up_and_down_and_up_again(backend: Backend) {
    let db = TestDb::fresh(backend, "corpus_walk").await;
    let history = [
        tests::history::DataMigration::new(
            "m20260101_000000_corpus",
            corpus_migration::UP,
            Some(corpus_migration::DOWN),
        ),
        tests::history::DataMigration::new(
            "m20260102_000000_corpus_changes",
            corpus_changes_migration::UP,
            Some(corpus_changes_migration::DOWN),
        ),
    ];
    crate::history::walk_up_and_down(&db, &history, "corpus").await;
    db.drop_database().await;
}

on_each_backend!(
    corpus_migration_runs_up_and_down,
    corpus_migrations_go_up_and_down_and_up_again,
);

/// The corpus migrations' checksums, pinned (see `changes.rs` for the rest of the goldens).
#[test]
fn the_corpus_migrations_checksums_are_pinned() {
    let now = [
        migration_ops::v1::checksum(corpus_migration::UP, Some(corpus_migration::DOWN)),
        migration_ops::v1::checksum(
            corpus_changes_migration::UP,
            Some(corpus_changes_migration::DOWN),
        ),
    ];
    assert_eq!(
        now,
        [
            "v1-sha256:6918095cd6a395dec8653cd32987c2e7a0750899e9a84d2249ec699e9d4ba8f7",
            "v1-sha256:4f4569adb1dec4c089bf06048d41ef33172ec20bf3d0b4fd7e48d5157bcf8045",
        ]
    );
}
