//! `verify`: a database the migrations built shows no drift from the recorded schema, on every
//! backend; each kind of change made behind the migrations' back is reported.

use generator_core::diff::{self, Options};
use generator_core::introspect;
use generator_core::model::{ColumnType, DefaultValue, Schema};
use generator_core::{lower, source};
use migration_ops::v1;
use sea_orm::{ConnectionTrait, TransactionTrait};
use sea_orm_migration::SchemaManager;
use tests::corpus;
use tests::db::{Backend, TestDb};

/// Runs the operations that turn `from` into `to` on the database, as a migration would.
async fn change_database(db: &TestDb, from: &Schema, to: &Schema) {
    let options = Options {
        allow_destructive: true,
        ..Options::default()
    };
    let ops = lower::lower(&diff::diff(from, to, &options).unwrap());
    if db.backend == Backend::Sqlite {
        v1::apply_ops(&SchemaManager::new(&db.connection), &ops)
            .await
            .unwrap();
    } else {
        let transaction = db.connection.begin().await.unwrap();
        v1::apply_ops(&SchemaManager::new(&transaction), &ops)
            .await
            .unwrap();
        transaction.commit().await.unwrap();
    }
}

/// A change made to a database behind the migrations' back, and what it is called.
type ManualChange = (&'static str, fn(&mut Schema));

fn manual_changes() -> Vec<ManualChange> {
    fn book_title(schema: &mut Schema) -> &mut generator_core::model::Column {
        let book = schema.tables.get_mut("book").unwrap();
        book.columns.iter_mut().find(|c| c.name == "title").unwrap()
    }
    vec![
        ("a dropped column", |s| {
            s.tables
                .get_mut("book")
                .unwrap()
                .columns
                .retain(|c| c.name != "title")
        }),
        ("an added column", |s| {
            let mut note = book_title(s).clone();
            note.name = "note".to_owned();
            note.null = true;
            s.tables.get_mut("book").unwrap().columns.push(note);
        }),
        ("a changed default", |s| {
            let options = s.tables.get_mut("options").unwrap();
            let status = options
                .columns
                .iter_mut()
                .find(|c| c.name == "status")
                .unwrap();
            status.default = Some(DefaultValue::String("other".to_owned()));
        }),
        ("a dropped NOT NULL", |s| book_title(s).null = true),
        ("a dropped index", |s| {
            s.tables.get_mut("author").unwrap().indexes.clear()
        }),
        ("a dropped foreign key", |s| {
            s.tables.get_mut("book").unwrap().foreign_keys.clear()
        }),
        ("a changed type", |s| book_title(s).ty = ColumnType::Text),
    ]
}

async fn verify_reports_no_drift_and_then_every_manual_change(backend: Backend) {
    let schema = source::load(corpus::visit_all).unwrap();
    let db = TestDb::fresh(backend, "verify_clean").await;
    if backend == Backend::Sqlite {
        db.connection
            .execute_unprepared("PRAGMA foreign_keys = OFF")
            .await
            .unwrap();
    }
    change_database(&db, &Schema::default(), &schema).await;
    let findings = introspect::verify(&db.url, &schema).await.unwrap();
    assert!(
        findings.is_empty(),
        "drift right after migrating on {backend:?}: {findings:#?}"
    );
    db.drop_database().await;

    for (what, change) in manual_changes() {
        let db = TestDb::fresh(backend, "verify_drift").await;
        change_database(&db, &Schema::default(), &schema).await;
        let mut changed = schema.clone();
        change(&mut changed);
        change_database(&db, &schema, &changed).await;
        let findings = introspect::verify(&db.url, &schema).await.unwrap();
        assert!(!findings.is_empty(), "{what} went unnoticed on {backend:?}");
        db.drop_database().await;
    }
}

/// `status` after the runner applied the shipped migrations: applied, then pending on a fresh
/// database, and an edited migration is named.
async fn status_lists_applied_pending_and_edited_migrations(backend: Backend) {
    use migration_ops::runner::{self, RunnerOptions};
    let db = TestDb::fresh(backend, "status").await;
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migration");
    let dir = generator_core::layout::MigrationDir::new(&shipped);
    let listed = |state: &str| -> String {
        dir.migrations()
            .unwrap()
            .iter()
            .map(|name| format!("{state}  {name}\n"))
            .collect()
    };
    let (report, edited) = generator_core::cli::status(&dir, &db.url).await.unwrap();
    assert_eq!((report, edited), (listed("pending"), false));

    let options = RunnerOptions {
        generated: migration::generated(),
        ..RunnerOptions::default()
    };
    runner::up::<migration::Migrator>(&db.url, &options)
        .await
        .unwrap();
    let (report, edited) = generator_core::cli::status(&dir, &db.url).await.unwrap();
    assert_eq!((report, edited), (listed("applied"), false));

    db.connection
        .execute_unprepared("UPDATE seaql_migrations_checksums SET checksum = 'v1-fnv1a64:0'")
        .await
        .unwrap();
    let (report, edited) = generator_core::cli::status(&dir, &db.url).await.unwrap();
    assert!(edited && report.starts_with("EDITED"), "{report}");
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn status_lists_applied_pending_and_edited_migrations_on_sqlite() {
    status_lists_applied_pending_and_edited_migrations(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
async fn status_lists_applied_pending_and_edited_migrations_on_postgres() {
    status_lists_applied_pending_and_edited_migrations(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_mariadb, ignore = "TEST_MYSQL_URL is not set (see README)")]
async fn status_lists_applied_pending_and_edited_migrations_on_mariadb() {
    status_lists_applied_pending_and_edited_migrations(Backend::MySql).await;
}

on_each_backend!(verify_reports_no_drift_and_then_every_manual_change,);
