//! Adopting an existing project (`tests/fixtures/bakery`, entities in `tests::bakery`): a
//! production database that ran the hand-written history with sea-orm-migration, then
//! `baseline` (from the entities, or from that database), an everyday change generated and
//! applied, `verify` with no drift, `down`/`up`, and a fresh database through the whole
//! history. On every backend.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use generator_core::cli::{self, Cli};
use generator_core::layout::MigrationDir;
use generator_core::source::VisitAll;
use migration_ops::runner::{self, Command};
use sea_orm_migration::MigratorTrait;
use tests::bakery::{self, AdoptedMigrator, with_generated};
use tests::db::{Backend, TestDb};
use tests::history::{DataMigration, options};

on_each_backend!(
    adopting_from_the_entities_then_an_everyday_change,
    adopting_from_the_database_writes_what_it_lacks
);

/// A copy of the fixture's migration crate, as the user's repository has it.
fn copy_of_fixture(test: &str, backend: Backend) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bakery/migration");
    let dir = std::env::temp_dir().join(format!("adopt_{test}_{backend:?}_{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    copy_tree(&fixture, &dir);
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

/// The generator's command line on `dir` with the entities `visit`; run on a thread of its own,
/// as `cargo run -p generator` runs outside any async runtime.
async fn generator(
    dir: &Path,
    args: &[&str],
    visit: VisitAll,
) -> Result<ExitCode, generator_core::Error> {
    let mut argv = vec![
        "generator".to_owned(),
        "--migration-dir".to_owned(),
        dir.to_str().unwrap().to_owned(),
    ];
    argv.extend(args.iter().map(|a| a.to_string()));
    tokio::task::spawn_blocking(move || cli::run(Cli::try_parse_from(argv).unwrap(), visit))
        .await
        .unwrap()
}

/// The generated migrations of `dir`, as data, in order.
fn generated_migrations(dir: &Path) -> Vec<DataMigration> {
    let folder = MigrationDir::new(dir);
    let recorded = folder.read().unwrap();
    recorded
        .generated
        .iter()
        .map(|name| {
            let text = fs::read_to_string(folder.migration_path(name)).unwrap();
            let data = generator_core::reader::read(&text).unwrap().unwrap();
            DataMigration::new(name, &data.up, data.down.as_deref())
        })
        .collect()
}

/// `command` through the runner, on the hand-written history followed by `dir`'s generated
/// migrations: what `cargo run -p migration` runs once the adopted crate lists them.
async fn migrate(db: &TestDb, dir: &Path, command: Command) {
    let generated = generated_migrations(dir);
    let options = options(&generated);
    with_generated(
        generated,
        runner::run::<AdoptedMigrator>(&db.url, command, &options),
    )
    .await
    .unwrap_or_else(|e| panic!("{command:?} on {:?}: {e}", db.backend));
}

/// A production database: the hand-written history applied by sea-orm-migration itself.
async fn production(backend: Backend, test: &str) -> TestDb {
    let db = TestDb::fresh(backend, test).await;
    bakery::migration::Migrator::up(&db.connection, None)
        .await
        .unwrap();
    db
}

/// What `verify` reports of `db` against the schema `dir` records (or, with `baseline`, the
/// schema its baseline records).
async fn drift(db: &TestDb, dir: &Path, baseline: bool) -> Vec<String> {
    let recorded = MigrationDir::new(dir).read().unwrap();
    let schema = if baseline {
        recorded.baseline.unwrap().schema
    } else {
        recorded.snapshot.unwrap().schema
    };
    generator_core::introspect::verify(&db.url, &schema)
        .await
        .unwrap()
}

fn lib_rs(dir: &Path) -> String {
    fs::read_to_string(dir.join("src/lib.rs")).unwrap()
}

/// Every line of `before` is in `after`, in the same order: nothing was removed or moved.
fn keeps_every_line(before: &str, after: &str) -> bool {
    let mut after = after.lines();
    before.lines().all(|line| after.any(|other| other == line))
}

async fn adopting_from_the_entities_then_an_everyday_change(backend: Backend) {
    let prod = production(backend, "adopt_entities").await;
    let dir = copy_of_fixture("entities", backend);
    let hand_written_lib = lib_rs(&dir);

    // Before adoption, generating would create tables production has: it is refused, with
    // the way out, and nothing is written.
    let error = generator(&dir, &[], bakery::visit_as_migrated)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("-- baseline"), "{error}");
    assert!(!dir.join("schema.json").exists());

    generator(&dir, &["baseline"], bakery::visit_as_migrated)
        .await
        .unwrap();
    assert_eq!(
        generator(&dir, &["check"], bakery::visit_as_migrated)
            .await
            .unwrap(),
        ExitCode::SUCCESS
    );
    let recorded = MigrationDir::new(&dir).read().unwrap();
    assert!(
        recorded.generated.is_empty(),
        "baseline writes no migration"
    );
    assert_eq!(recorded.unlisted, ["m20220101_000006_add_chef"]);
    assert_eq!(drift(&prod, &dir, true).await, Vec::<String>::new());

    // The everyday change: a column with a default and a rule, a rename, and the `unique` and
    // default these entities now declare. The rule and the unique index pass over the rows
    // of a table that has them: allowed explicitly.
    generator(
        &dir,
        &[
            "--timestamp",
            "20261201_000000",
            "--name",
            "rate_bakeries",
            "--allow-blocking",
        ],
        bakery::visit_changed,
    )
    .await
    .unwrap();
    let name = "m20261201_000000_rate_bakeries";
    let migration = fs::read_to_string(dir.join(format!("src/{name}.rs"))).unwrap();
    for expected in [
        "~ column bakery.profit_margin renamed to margin",
        "~ bakery.name unique",
        "~ bakery.margin default none -> 0.0",
        "+ column bakery.rating",
        "ck_bakery_rating_range",
    ] {
        assert!(migration.contains(expected), "{expected}: {migration}");
    }
    assert!(!migration.contains("create table"), "{migration}");

    // lib.rs gained the migration's lines and lost or moved none of the hand-written ones;
    // the commented-out entry stayed commented out.
    let lib = lib_rs(&dir);
    assert!(keeps_every_line(&hand_written_lib, &lib), "{lib}");
    assert!(lib.contains(&format!("mod {name};")), "{lib}");
    assert!(
        lib.contains(
            "            Box::new(m20220101_000005_seed::Migration),\n            \
             Box::new(m20261201_000000_rate_bakeries::Migration),\n            \
             // Box::new(m20220101_000006_add_chef::Migration), // not ready\n"
        ),
        "{lib}"
    );
    assert_eq!(
        generator_core::migrator::read(&lib)
            .unwrap()
            .migrations
            .len(),
        6
    );
    assert_eq!(
        generator(&dir, &["check"], bakery::visit_changed)
            .await
            .unwrap(),
        ExitCode::SUCCESS
    );

    // Production takes it, and matches; down and up again keep it so.
    migrate(&prod, &dir, Command::Up(None)).await;
    assert_eq!(drift(&prod, &dir, false).await, Vec::<String>::new());
    migrate(&prod, &dir, Command::Down(Some(1))).await;
    assert_eq!(drift(&prod, &dir, true).await, Vec::<String>::new());
    migrate(&prod, &dir, Command::Up(None)).await;
    assert_eq!(drift(&prod, &dir, false).await, Vec::<String>::new());

    // A fresh database runs the hand-written history, seed included, then the generated one.
    let fresh = TestDb::fresh(backend, "adopt_entities_fresh").await;
    migrate(&fresh, &dir, Command::Up(None)).await;
    assert_eq!(drift(&fresh, &dir, false).await, Vec::<String>::new());

    fresh.drop_database().await;
    prod.drop_database().await;
    fs::remove_dir_all(dir).unwrap();
}

async fn adopting_from_the_database_writes_what_it_lacks(backend: Backend) {
    let prod = production(backend, "adopt_database").await;
    let dir = copy_of_fixture("database", backend);

    // A database that has not run the history holds another schema: refused, nothing written.
    let empty = TestDb::fresh(backend, "adopt_database_empty").await;
    let error = generator(
        &dir,
        &["baseline", "--from-database", &empty.url],
        bakery::visit_declared,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("does not hold the history")
            && error.contains("m20220101_000001_create_bakery (pending)"),
        "{error}"
    );
    assert!(!dir.join("schema.json").exists());
    empty.drop_database().await;

    generator(
        &dir,
        &["baseline", "--from-database", &prod.url],
        bakery::visit_declared,
    )
    .await
    .unwrap();
    assert_eq!(drift(&prod, &dir, true).await, Vec::<String>::new());
    assert_eq!(
        generator(&dir, &["check"], bakery::visit_declared)
            .await
            .unwrap(),
        ExitCode::from(1),
        "the entities declare what the database lacks: a migration is missing"
    );

    // The next generation writes exactly the difference: the forgotten unique and default.
    generator(
        &dir,
        &[
            "--timestamp",
            "20261201_000000",
            "--name",
            "what_production_lacks",
            "--allow-blocking",
        ],
        bakery::visit_declared,
    )
    .await
    .unwrap();
    let name = "m20261201_000000_what_production_lacks";
    let migration = fs::read_to_string(dir.join(format!("src/{name}.rs"))).unwrap();
    let summary: Vec<&str> = migration
        .lines()
        .skip_while(|line| *line != "//! ```text")
        .skip(1)
        .take_while(|line| *line != "//! ```")
        .collect();
    assert_eq!(
        summary,
        [
            "//! ~ bakery.name unique",
            "//! ~ bakery.profit_margin default none -> 0.0",
        ],
        "{migration}"
    );

    migrate(&prod, &dir, Command::Up(None)).await;
    assert_eq!(drift(&prod, &dir, false).await, Vec::<String>::new());
    let fresh = TestDb::fresh(backend, "adopt_database_fresh").await;
    migrate(&fresh, &dir, Command::Up(None)).await;
    assert_eq!(drift(&fresh, &dir, false).await, Vec::<String>::new());

    fresh.drop_database().await;
    prod.drop_database().await;
    fs::remove_dir_all(dir).unwrap();
}

/// The README's adopting binary (`tests/src/bin/bakery_generator.rs`), run as a user runs it:
/// before `baseline` it refuses with the way out and writes nothing; after it, `check` passes
/// and names the migration file the list leaves off; a mistyped migration name gets the
/// nearest one.
#[test]
fn the_adopting_binary_refuses_before_baseline_and_checks_after() {
    let dir = copy_of_fixture("binary", Backend::Sqlite);
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_bakery_generator"))
            .arg("--migration-dir")
            .arg(&dir)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        (output.status.code(), stderr)
    };

    let (code, stderr) = run(&[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("adopt them with `cargo run -p generator -- baseline`"),
        "{stderr}"
    );
    assert!(!dir.join("schema.json").exists());

    // `hash` would make the history look adopted: refused, with the same advice.
    let (code, stderr) = run(&["hash"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("-- baseline"), "{stderr}");
    assert!(!dir.join("migrations.sum").exists());

    let (code, stderr) = run(&["baseline"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("Adopted 5 migration(s)"), "{stderr}");
    assert!(stderr.contains("no migration was written"), "{stderr}");

    let (code, stderr) = run(&["check"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("src/m20220101_000006_add_chef.rs is not in the Migrator list"),
        "{stderr}"
    );
    let (code, stderr) = run(&["baseline"]);
    assert_eq!(code, Some(2), "a second baseline: {stderr}");

    let (code, stderr) = run(&["sql", "--backend", "postgres", "--from", "create_baker"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("did you mean m20220101_000002_create_baker?"),
        "{stderr}"
    );
    fs::remove_dir_all(dir).unwrap();
}
