//! `cargo run --release -p tests --bin bench [-- --quick] [-- --out FILE]`: times the generator's
//! own work on synthetic schemas of 10, 100 and 1,000 tables (8 columns each, an index, a
//! foreign key to the previous table): the diff alone, and a whole generation (diff, lowering,
//! rendering and formatting the migration file, `lib.rs` and the snapshot), for the initial
//! migration and for an incremental one that changes about 10% of the tables. With
//! `TEST_POSTGRES_URL` set, it also times the safe runner's start-up check (lock, read the
//! applied set, verify checksums, unlock) over a 100-migration history that is all applied.
//! Each figure is the median of several runs, measured in this process.

use std::time::{Duration, Instant};

use generator::diff::{self, Options};
use generator::generate::{self, Naming};
use generator::layout::{MigrationDir, Recorded};
use generator::model::{Column, ColumnType, DefaultValue, ForeignKey, Index, Len, Schema, Table};
use generator::snapshot::{FORMAT, Snapshot};

fn column(name: &str, ty: ColumnType) -> Column {
    Column::new(name, ty)
}

/// `n` tables `t0000…`, each: id, six typed columns (nullable and not, string defaults with a
/// quote), a reference to the previous table, an index.
fn schema(n: usize) -> Schema {
    let mut schema = Schema::default();
    for i in 0..n {
        let name = format!("t{i:04}");
        let mut id = column("id", ColumnType::Integer);
        id.auto_increment = true;
        let mut title = column("title", ColumnType::String(Len::N(200)));
        title.default = Some(DefaultValue::String("it's new".to_owned()));
        let mut body = column("body", ColumnType::Text);
        body.null = true;
        let mut count = column("count", ColumnType::BigInteger);
        count.default = Some(DefaultValue::Number("0".to_owned()));
        let mut active = column("active", ColumnType::Boolean);
        active.default = Some(DefaultValue::Bool(true));
        let mut created = column("created_at", ColumnType::TimestampWithTimeZone);
        created.default = Some(DefaultValue::CurrentTimestamp);
        let price = column("price", ColumnType::Decimal(Some((10, 2))));
        let mut parent = column("parent_id", ColumnType::Integer);
        parent.null = true;
        let mut table = Table {
            columns: vec![id, title, body, count, active, created, price, parent],
            primary_key: vec!["id".to_owned()],
            indexes: vec![Index {
                name: format!("idx-{name}-title"),
                columns: vec!["title".to_owned()],
                unique: false,
            }],
            ..Table::default()
        };
        if i > 0 {
            table.foreign_keys.push(ForeignKey {
                name: format!("fk-{name}-parent_id"),
                columns: vec!["parent_id".to_owned()],
                ref_table: format!("t{:04}", i - 1),
                ref_columns: vec!["id".to_owned()],
                on_delete: None,
                on_update: None,
            });
        }
        schema.tables.insert(name, table);
    }
    schema
}

/// `a` with every tenth table changed: a column added, a default and a nullability changed, a
/// type widened, an index added.
fn changed(a: &Schema) -> Schema {
    let mut b = a.clone();
    for (i, table) in b.tables.values_mut().enumerate() {
        if i % 10 != 3 {
            continue;
        }
        let mut slug = column("slug", ColumnType::String(Len::N(80)));
        slug.null = true;
        table.columns.push(slug);
        table.columns[1].default = Some(DefaultValue::String("untitled".to_owned()));
        table.columns[2].null = false;
        table.columns[2].default = Some(DefaultValue::String(String::new()));
        table.columns[6].ty = ColumnType::Decimal(Some((12, 2)));
        table.indexes.push(Index {
            name: format!("idx-{i}-slug"),
            columns: vec!["slug".to_owned()],
            unique: true,
        });
    }
    b
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(runs: usize, mut work: impl FnMut()) -> Duration {
    work(); // warm-up
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                work();
                start.elapsed()
            })
            .collect(),
    )
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// `check` with nothing to do on an `n`-table project written to a temporary folder: read the
/// migrations and snapshot, verify the integrity file and the folder's consistency, diff the
/// schema against itself. Loading the entities is left out: a synthetic schema has none.
fn check_with_nothing_to_do(n: usize, runs: usize) -> String {
    let folder = std::env::temp_dir().join(format!("bench_check_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(folder.join("src")).unwrap();
    let dir = MigrationDir::new(&folder);
    let schema = schema(n);
    let naming = Naming {
        timestamp: Some("20260101_000000".to_owned()),
        name: None,
    };
    let generation = generate::prepare(
        &dir,
        &Recorded::default(),
        &schema,
        &Options::default(),
        &naming,
    )
    .unwrap()
    .unwrap();
    dir.write(&generation.files).unwrap();
    let took = time(runs, || {
        let recorded = dir.read().unwrap();
        assert!(recorded.tampering().is_empty());
        dir.check_consistency(&recorded).unwrap();
        let snapshot = recorded.snapshot.unwrap();
        assert!(
            diff::diff(&snapshot.schema, &schema, &Options::default())
                .unwrap()
                .is_empty()
        );
    });
    std::fs::remove_dir_all(&folder).ok();
    let verdict = if took <= Duration::from_millis(100) {
        "met"
    } else {
        "missed"
    };
    format!(
        "`check` with nothing to do, {n} tables, entity loading excluded: {} (target under 100 ms: {verdict}).\n",
        ms(took)
    )
}

/// A migration that does nothing, for a long history.
struct Empty(String);

impl sea_orm_migration::MigrationName for Empty {
    fn name(&self) -> &str {
        &self.0
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl sea_orm_migration::MigrationTrait for Empty {
    async fn up(&self, _: &sea_orm_migration::SchemaManager) -> Result<(), sea_orm::DbErr> {
        Ok(())
    }
}

/// One hundred empty migrations.
struct Hundred;

impl sea_orm_migration::MigratorTrait for Hundred {
    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        (0..100)
            .map(|i| {
                Box::new(Empty(format!("m20260101_{i:06}_empty")))
                    as Box<dyn sea_orm_migration::MigrationTrait>
            })
            .collect()
    }
}

/// The runner's start-up check with everything applied, on PostgreSQL, or why it was skipped.
fn runner_startup(runs: usize) -> String {
    use migration_ops::runner::{self, RunnerOptions};
    let Ok(url) = std::env::var("TEST_POSTGRES_URL") else {
        return "Runner start-up check: skipped (TEST_POSTGRES_URL is not set).\n".to_owned();
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime starts");
    runtime.block_on(async {
        use sea_orm::ConnectionTrait;
        let server = match sea_orm::Database::connect(&url).await {
            Ok(server) => server,
            Err(e) => return format!("Runner start-up check: skipped ({e}).\n"),
        };
        let name = format!("bench_runner_{}", std::process::id());
        server.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await.unwrap();
        server.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
        let db_url = generator::introspect::replace_database(&url, &name);
        let checksums: Vec<(&'static str, String)> = Vec::new();
        let options = RunnerOptions { checksums, ..RunnerOptions::default() };
        runner::up::<Hundred>(&db_url, &options).await.unwrap();
        let mut samples = Vec::new();
        for _ in 0..runs.max(11) {
            let start = Instant::now();
            let report = runner::up::<Hundred>(&db_url, &options).await.unwrap();
            samples.push(start.elapsed());
            assert_eq!(report.already_applied, 100);
        }
        server.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await.ok();
        let took = median(samples);
        let verdict = if took <= Duration::from_millis(20) { "met" } else { "missed" };
        format!(
            "Runner start-up check, 100 applied migrations, PostgreSQL: {} (target under 20 ms: {verdict}); \
             includes opening the lock connection and the migration pool.\n",
            ms(took)
        )
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|at| args.get(at + 1));
    let sizes: &[usize] = if quick { &[10, 100] } else { &[10, 100, 1000] };
    let runs = if quick { 5 } else { 7 };
    let dir = MigrationDir::new("unused");
    let mut rows = Vec::new();
    let mut by_size = Vec::new();
    for &n in sizes {
        let a = schema(n);
        let b = changed(&a);
        let empty = Schema::default();
        let initial_recorded = Recorded {
            migrations: Vec::new(),
            generated: Vec::new(),
            snapshot: None,
            ..Recorded::default()
        };
        let incremental_recorded = Recorded {
            migrations: vec!["m20260101_000000_initial".to_owned()],
            generated: vec!["m20260101_000000_initial".to_owned()],
            snapshot: Some(Snapshot {
                format: FORMAT,
                migration: "m20260101_000000_initial".to_owned(),
                schema: a.clone(),
            }),
            ..Recorded::default()
        };
        let naming = Naming {
            timestamp: Some("20260102_000000".to_owned()),
            name: None,
        };
        let options = Options::default();
        let diff_initial = time(runs, || {
            diff::diff(&empty, &a, &options).unwrap();
        });
        let diff_incremental = time(runs, || {
            diff::diff(&a, &b, &options).unwrap();
        });
        let generate_initial = time(runs, || {
            generate::prepare(&dir, &initial_recorded, &a, &options, &naming).unwrap();
        });
        let generate_incremental = time(runs, || {
            generate::prepare(&dir, &incremental_recorded, &b, &options, &naming).unwrap();
        });
        by_size.push((n, diff_incremental, generate_initial));
        rows.push(format!(
            "| {n} | {} | {} | {} | {} |",
            ms(diff_initial),
            ms(diff_incremental),
            ms(generate_initial),
            ms(generate_incremental)
        ));
    }
    let mut report = String::from(
        "| tables | diff, initial | diff, incremental | generation, initial | generation, incremental |\n\
         |---|---|---|---|---|\n",
    );
    for row in &rows {
        report.push_str(row);
        report.push('\n');
    }
    if let (Some(small), Some(large)) = (
        by_size.iter().find(|(n, ..)| *n == 100),
        by_size.iter().find(|(n, ..)| *n == 1000),
    ) {
        let ratio = |l: Duration, s: Duration| l.as_secs_f64() / s.as_secs_f64();
        report.push_str(&format!(
            "\nGrowth from 100 to 1,000 tables: incremental diff {:.1}x, initial generation {:.1}x \
             (linear would be 10x).\n",
            ratio(large.1, small.1),
            ratio(large.2, small.2)
        ));
        let target = Duration::from_millis(50);
        let verdict = if large.1 <= target { "met" } else { "missed" };
        report.push_str(&format!(
            "Incremental diff of two 1,000-table schemas: {} (target under 50 ms: {verdict}).\n",
            ms(large.1)
        ));
    }
    report.push_str(&format!(
        "\nMedian of {runs} runs each, in process, release build; generation includes \
         formatting with rustfmt when it is installed.\n\n"
    ));
    report.push_str(&check_with_nothing_to_do(*sizes.last().unwrap(), runs));
    report.push_str(&runner_startup(runs));
    print!("{report}");
    if let Some(path) = out {
        std::fs::write(path, &report).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    }
}
