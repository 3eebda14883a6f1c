//! Migration histories built at run time, for the tests that walk a user's day through the
//! runner (up, down, up again; a process killed midway, then run again): a migration made of v1
//! data, exactly as a generated file is, and a migrator whose list is set per task.

use migration_ops::runner::RunnerOptions;
use migration_ops::schema::{self, Static, Store, convert_all};
use migration_ops::v1::{self, ColumnType, Generated, Op, column, index, table};
use sea_orm::DbErr;
use sea_orm_migration::{MigrationName, MigrationTrait, MigratorTrait, SchemaManager, async_trait};

/// A migration of v1 data, run as a generated file runs it.
#[derive(Debug, Clone, Copy)]
pub struct DataMigration(pub Generated);

impl DataMigration {
    /// A migration named `name` doing `up` and undone by `down`, as static data (leaked: tests
    /// build a few).
    pub fn new<S: Store>(name: &str, up: &[schema::Op<S>], down: Option<&[schema::Op<S>]>) -> Self {
        DataMigration(Generated::new(
            Static::str(name),
            convert_all::<Static, _>(up),
            down.map(convert_all::<Static, _>),
        ))
    }
}

impl MigrationName for DataMigration {
    fn name(&self) -> &str {
        self.0.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for DataMigration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        v1::apply(manager, self.0.up).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match self.0.down {
            Some(down) => v1::apply(manager, down).await,
            None => Err(DbErr::Migration(format!(
                "{} cannot be undone",
                self.0.name
            ))),
        }
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

tokio::task_local! {
    static MIGRATIONS: Vec<DataMigration>;
}

/// The migrator of the migrations set by [`with_history`] for the current task.
pub struct ScopedMigrator;

impl MigratorTrait for ScopedMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        MIGRATIONS.with(|list| {
            list.iter()
                .map(|m| Box::new(*m) as Box<dyn MigrationTrait>)
                .collect()
        })
    }
}

/// Runs `future` with `migrations` as [`ScopedMigrator`]'s list.
pub async fn with_history<F: std::future::Future>(
    migrations: Vec<DataMigration>,
    future: F,
) -> F::Output {
    MIGRATIONS.scope(migrations, future).await
}

/// Runner options that check the checksums of `migrations`.
pub fn options(migrations: &[DataMigration]) -> RunnerOptions {
    RunnerOptions {
        generated: migrations.iter().map(|m| m.0).collect(),
        ..RunnerOptions::default()
    }
}

/// Migrations over `tables` tables, for killing a run midway: the first ones create each table
/// (`CREATE TABLE` and `CREATE INDEX`: two statements a table), [`PART`] tables a migration;
/// the next ones add a column and an index to each (two statements a table on PostgreSQL and
/// MySQL), [`PART`] tables a migration.
pub fn large_history(tables: usize) -> Vec<DataMigration> {
    let name = |t: usize| -> &'static str { Box::leak(format!("big_{t:04}").into_boxed_str()) };
    let leak_str = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut create = Vec::new();
    let mut drop = Vec::new();
    let mut alter = Vec::new();
    let mut unalter = Vec::new();
    for t in 0..tables {
        let columns: &'static [v1::Column] = Box::leak(Box::new([
            column("id", ColumnType::Integer).auto_increment(),
            column("title", ColumnType::String(v1::Len::N(80))),
            column("n", ColumnType::Integer).null(),
        ]));
        let title_index: &'static [v1::Index] = Box::leak(Box::new([index(
            leak_str(format!("idx-big_{t:04}-title")),
            &["title"],
        )]));
        let created = table(name(t), columns)
            .primary_key(&["id"])
            .indexes(title_index);
        create.push(Op::CreateTable(created));
        drop.push(Op::DropTable(name(t)));

        let wider: &'static [v1::Column] = Box::leak(Box::new([
            columns[0],
            columns[1],
            columns[2],
            column("note", ColumnType::String(v1::Len::N(40))).null(),
        ]));
        let n_index = index(leak_str(format!("idx-big_{t:04}-n")), &["n"]);
        let both: &'static [v1::Index] = Box::leak(Box::new([title_index[0], n_index]));
        let altered = table(name(t), wider).primary_key(&["id"]).indexes(both);
        let changes: &'static [v1::Change] = Box::leak(Box::new([
            v1::Change::AddColumn {
                column: wider[3],
                backfill: None,
            },
            v1::Change::CreateIndex(n_index),
        ]));
        alter.push(v1::alter_table(altered, changes));
        let undo: &'static [v1::Change] = Box::leak(Box::new([
            v1::Change::DropIndex(n_index),
            v1::Change::DropColumn("note"),
        ]));
        unalter.push(v1::alter_table(created, undo));
    }
    // Each migration's DOWN undoes its own tables, last first.
    let part = |ups: &[Op], downs: &[Op], at: usize, what: &str| {
        let down: Vec<Op> = downs.iter().rev().cloned().collect();
        DataMigration::new(&format!("m20300101_{at:06}_{what}_big"), ups, Some(&down))
    };
    let mut migrations = Vec::new();
    for (at, (ups, downs)) in create.chunks(PART).zip(drop.chunks(PART)).enumerate() {
        migrations.push(part(ups, downs, at, "create"));
    }
    let first_alter = migrations.len();
    for (at, (ups, downs)) in alter.chunks(PART).zip(unalter.chunks(PART)).enumerate() {
        migrations.push(part(ups, downs, first_alter + at, "alter"));
    }
    migrations
}

/// How many tables one migration of [`large_history`] covers: enough migrations that a kill
/// at a random moment often lands between two of them, and enough statements in each that it
/// often lands inside one.
const PART: usize = 20;
