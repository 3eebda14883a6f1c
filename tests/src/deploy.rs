//! Migrators for the deploy tests: the shipped migrations plus a data migration that counts its
//! own runs, and one whose last migration fails after a chosen number of statements.

use std::sync::atomic::{AtomicUsize, Ordering};

use migration_ops::v1::{self, ColumnType, Len, Op, column, table};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use sea_orm_migration::{MigrationName, MigrationTrait, MigratorTrait, SchemaManager, async_trait};

/// The shipped migrations, then two of the usual shape of a data migration: a generated one
/// that creates `run_counter` (schema only, so that on MySQL the journal can resume it), and
/// `m29990101_000000_count_runs`, data only, in one transaction with its bookkeeping, which
/// inserts one row into `run_counter` each time its body runs.
pub struct CountingMigrator;

impl MigratorTrait for CountingMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut migrations = migration::Migrator::migrations();
        migrations.push(Box::new(CreateRunCounter));
        migrations.push(Box::new(CountRuns));
        migrations
    }
}

const RUN_COUNTER_UP: &[Op] = &[Op::CreateTable(
    table(
        "run_counter",
        &[column("run", ColumnType::String(Len::N(64)))],
    )
    .primary_key(&["run"]),
)];
const RUN_COUNTER_DOWN: &[Op] = &[Op::DropTable("run_counter")];

/// The generated migrations of [`CountingMigrator`], for the runner's options.
pub fn counting_generated() -> Vec<v1::Generated> {
    let mut generated = migration::generated();
    generated.push(v1::Generated::new(
        "m29990101_000000_a_create_run_counter",
        RUN_COUNTER_UP,
        Some(RUN_COUNTER_DOWN),
    ));
    generated
}

struct CreateRunCounter;

impl MigrationName for CreateRunCounter {
    fn name(&self) -> &str {
        "m29990101_000000_a_create_run_counter"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateRunCounter {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        v1::apply(manager, RUN_COUNTER_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        v1::apply(manager, RUN_COUNTER_DOWN).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

struct CountRuns;

impl MigrationName for CountRuns {
    fn name(&self) -> &str {
        "m29990101_000000_count_runs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CountRuns {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // For the test that kills a process while it holds the lock.
        if let Some(ms) = std::env::var("SLOW_MIGRATION_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        // A value of its own per run, so that a second run adds a row instead of failing.
        let run = format!(
            "{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        manager
            .get_connection()
            .execute_unprepared(&format!("INSERT INTO run_counter (run) VALUES ('{run}')"))
            .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

/// The statements of [`FailingMigrator`]'s migration: three tables and an index.
pub const FAULT_OPS: &[Op] = &[
    Op::CreateTable(table("fault_a", &[column("id", ColumnType::Integer)]).primary_key(&["id"])),
    Op::CreateTable(table("fault_b", &[column("id", ColumnType::Integer)]).primary_key(&["id"])),
    Op::CreateTable(
        table(
            "fault_c",
            &[
                column("id", ColumnType::Integer),
                column("v", ColumnType::Integer),
            ],
        )
        .primary_key(&["id"])
        .indexes(&[v1::index("idx-fault_c-v", &["v"])]),
    ),
];

/// How many of `FAULT_OPS`' statements the failing migration runs before it fails, one setting
/// per backend (PostgreSQL, MySQL, SQLite), so each backend's test runs in parallel with the
/// others: set with [`set_fail_after`].
static FAIL_AFTER: [AtomicUsize; 3] = [const { AtomicUsize::new(0) }; 3];

fn fail_after_on(backend: DbBackend) -> &'static AtomicUsize {
    &FAIL_AFTER[match backend {
        DbBackend::Postgres => 0,
        DbBackend::MySql => 1,
        _ => 2,
    }]
}

/// Makes [`FailingMigrator`] run the first `statements` of [`FAULT_OPS`] on `backend`, then
/// fail. One test per backend at a time may use it.
pub fn set_fail_after(backend: DbBackend, statements: usize) {
    fail_after_on(backend).store(statements, Ordering::SeqCst);
}

/// One migration that runs the first [`set_fail_after`] statements of [`FAULT_OPS`], then fails.
pub struct FailingMigrator;

impl MigratorTrait for FailingMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(FailsHalfway)]
    }
}

struct FailsHalfway;

impl MigrationName for FailsHalfway {
    fn name(&self) -> &str {
        "m29990101_000001_fails_halfway"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for FailsHalfway {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let statements = v1::to_sql(FAULT_OPS, backend);
        let db = manager.get_connection();
        for sql in statements
            .iter()
            .take(fail_after_on(backend).load(Ordering::SeqCst))
        {
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared("INSERT INTO no_such_table VALUES (1)")
            .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
