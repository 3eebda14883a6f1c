//! `cargo run --release -p tests --bin bench [-- --quick] [-- --sizes 10,100,1000] [-- --out FILE]`
//!
//! The whole loop at 10, 100 and 1,000 entities, against the targets of the scale issue:
//! generation (initial, and incremental after about 10% of the tables changed), the differ and
//! renderer alone (the autodetector issue's target; `--diff N` times them alone), `check` with
//! nothing to do (`--check N` times it alone), the generator's peak memory, the compile time of
//! the generated migration crate against the same DDL as plain SQL strings, the rebuild after
//! one small follow-up, and applying the initial migration on PostgreSQL against `psql` running
//! the same SQL.
//!
//! Every figure is the median of several runs; ratios are measured side by side in the same run.
//! A figure that misses its target says `missed`; one that cannot be measured here (no
//! database, no `psql`, a size the machine cannot hold) says `skipped` and why, and the rest
//! are still measured. `--quick` measures 10 and 100 only. A full run writes the table to
//! `tests/benchmark-results.md` (or `--out FILE`), which is committed with each change to
//! performance.
//!
//! Measured apart: `--history [RUNS]` (the safe runner against sea-orm-migration's own runner),
//! `--load` (the app under HTTP load) and `--online [--rows N]` (a migration of a populated
//! table under a writer: see `bench/online.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use generator_core::constraints::constraint_name;
use generator_core::diff::Options;
use generator_core::generate::{self, Generation, Naming};
use generator_core::layout::{MigrationDir, Recorded};
use generator_core::model::{
    Check, CheckRule, Column, ColumnType, DefaultValue, ForeignKey, Index, Len, Limit, Schema,
    Table,
};
use generator_core::render;
use generator_core::snapshot::{FORMAT, Snapshot};
use migration_ops::v1;

// --- the synthetic project ---------------------------------------------------------------

fn column(name: &str, ty: ColumnType) -> Column {
    Column::new(name, ty)
}

/// `n` tables `t0000…`, each with eleven columns across the supported types (nullable and
/// not; defaults including a string with a quote, a number, a boolean and `CURRENT_TIMESTAMP`;
/// a native enum and a string-backed one), a plain index and a composite unique one, foreign
/// keys to the previous table and to the one at half its number, and three checks from
/// validation rules (a length, a range, allowed values).
fn schema(n: usize) -> Schema {
    let mut schema = Schema::default();
    schema.enums.insert(
        "mood".to_owned(),
        vec!["happy".to_owned(), "sad".to_owned(), "calm".to_owned()],
    );
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
        let mut ratio = column("ratio", ColumnType::Double);
        ratio.null = true;
        let mut active = column("active", ColumnType::Boolean);
        active.default = Some(DefaultValue::Bool(true));
        let mut created = column("created_at", ColumnType::TimestampWithTimeZone);
        created.default = Some(DefaultValue::CurrentTimestamp);
        let price = column("price", ColumnType::Decimal(Some((10, 2))));
        let mut mood = column(
            "mood",
            ColumnType::Enum {
                name: "mood".to_owned(),
                variants: schema.enums["mood"].clone(),
            },
        );
        mood.null = true;
        let mut kind = column("kind", ColumnType::String(Len::N(16)));
        kind.default = Some(DefaultValue::String("plain".to_owned()));
        let mut parent = column("parent_id", ColumnType::Integer);
        parent.null = true;
        let mut other = column("other_id", ColumnType::Integer);
        other.null = true;
        let mut table = Table {
            columns: vec![
                id, title, body, count, ratio, active, created, price, mood, kind, parent, other,
            ],
            primary_key: vec!["id".to_owned()],
            indexes: vec![
                Index {
                    name: format!("idx-{name}-title"),
                    columns: vec!["title".to_owned()],
                    unique: false,
                },
                Index {
                    name: format!("idx-{name}-kind-parent"),
                    columns: vec!["kind".to_owned(), "parent_id".to_owned()],
                    unique: true,
                },
            ],
            checks: vec![
                Check {
                    name: constraint_name(&format!("ck_{name}_count_range")),
                    column: "count".to_owned(),
                    rule: CheckRule::Range {
                        min: Some(Limit {
                            value: "0".to_owned(),
                            inclusive: true,
                        }),
                        max: None,
                    },
                },
                Check {
                    name: constraint_name(&format!("ck_{name}_kind_allowed")),
                    column: "kind".to_owned(),
                    rule: CheckRule::OneOf(
                        ["plain", "rich", "raw"]
                            .map(|v| DefaultValue::String(v.to_owned()))
                            .into(),
                    ),
                },
                Check {
                    name: constraint_name(&format!("ck_{name}_title_length")),
                    column: "title".to_owned(),
                    rule: CheckRule::Length {
                        min: Some(1),
                        max: Some(200),
                    },
                },
            ],
            ..Table::default()
        };
        for (fk_column, target) in [("parent_id", i.checked_sub(1)), ("other_id", Some(i / 2))] {
            if let Some(target) = target.filter(|&t| t < i) {
                table.foreign_keys.push(ForeignKey {
                    name: format!("fk-{name}-{fk_column}"),
                    columns: vec![fk_column.to_owned()],
                    ref_table: format!("t{target:04}"),
                    ref_columns: vec!["id".to_owned()],
                    on_delete: None,
                    on_update: None,
                });
            }
        }
        schema.tables.insert(name, table);
    }
    schema
}

/// `a` with about 10% of its tables changed (see [`changed_every`]).
fn changed(a: &Schema) -> Schema {
    changed_every(a, 10)
}

/// `a` with one table in `step` changed: a column added and one dropped, a type widened, a
/// default and a nullability changed, an index added and a rule tightened; plus one table
/// added and the last one (which nothing references) dropped.
fn changed_every(a: &Schema, step: usize) -> Schema {
    let mut b = a.clone();
    for (i, table) in b.tables.values_mut().enumerate() {
        if i % step != 3 % step {
            continue;
        }
        let mut slug = column("slug", ColumnType::String(Len::N(80)));
        slug.null = true;
        table.columns.push(slug);
        table.columns.retain(|c| c.name != "body");
        let by_name = |table: &mut Table, name: &str| -> usize {
            table.columns.iter().position(|c| c.name == name).unwrap()
        };
        let at = by_name(table, "price");
        table.columns[at].ty = ColumnType::Decimal(Some((12, 2)));
        let at = by_name(table, "title");
        table.columns[at].default = Some(DefaultValue::String("untitled".to_owned()));
        let at = by_name(table, "active");
        table.columns[at].null = true;
        table.indexes.push(Index {
            name: format!("idx-{i}-slug"),
            columns: vec!["slug".to_owned()],
            unique: true,
        });
        for check in &mut table.checks {
            if let CheckRule::Length { max, .. } = &mut check.rule {
                *max = Some(150);
            }
        }
    }
    if let Some(last) = b.tables.keys().next_back().cloned()
        && b.tables.len() > 1
    {
        b.tables.remove(&last);
    }
    let mut added = schema(1).tables.remove("t0000").unwrap();
    for check in &mut added.checks {
        check.name = check.name.replace("t0000", "extra");
    }
    for index in &mut added.indexes {
        index.name = index.name.replace("t0000", "extra");
    }
    added.name = "extra".to_owned();
    b.tables.insert("extra".to_owned(), added);
    b
}

// --- measuring ---------------------------------------------------------------------------

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
    if duration >= Duration::from_secs(10) {
        format!("{:.1} s", duration.as_secs_f64())
    } else {
        format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// One row of the summary.
struct Figure {
    what: String,
    measured: String,
    target: String,
    verdict: String,
}

impl Figure {
    fn judged(what: impl Into<String>, measured: String, target: &str, met: bool) -> Figure {
        Figure {
            what: what.into(),
            measured,
            target: target.to_owned(),
            verdict: if met { "met" } else { "missed" }.to_owned(),
        }
    }

    fn skipped(what: impl Into<String>, target: &str, why: impl std::fmt::Display) -> Figure {
        Figure {
            what: what.into(),
            measured: "—".to_owned(),
            target: target.to_owned(),
            verdict: format!("skipped: {why}"),
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The recorded state after the initial migration of `a`.
fn recorded_after(a: &Schema) -> Recorded {
    Recorded {
        migrations: vec!["m20260101_000000_initial".to_owned()],
        generated: vec!["m20260101_000000_initial".to_owned()],
        snapshot: Some(Snapshot {
            format: FORMAT,
            migration: "m20260101_000000_initial".to_owned(),
            schema: a.clone(),
        }),
        ..Recorded::default()
    }
}

fn naming(timestamp: &str) -> Naming {
    Naming {
        timestamp: Some(timestamp.to_owned()),
        name: None,
    }
}

fn options() -> Options {
    Options {
        allow_destructive: true,
        allow_blocking: true,
        ..Options::default()
    }
}

/// [`options`] for changing `a` into `b`: the change drops a table and creates another of
/// the same columns, a real drop, which the differ wants said (`--no-rename`).
fn options_for(a: &Schema, b: &Schema) -> Options {
    Options {
        no_rename_tables: a
            .tables
            .keys()
            .filter(|name| !b.tables.contains_key(*name))
            .cloned()
            .collect(),
        ..options()
    }
}

fn initial(a: &Schema) -> Generation {
    initial_in(&MigrationDir::new("unused"), a)
}

/// The initial migration of `a`, with its files' paths in `dir`.
fn initial_in(dir: &MigrationDir, a: &Schema) -> Generation {
    generate::prepare(
        dir,
        &Recorded::default(),
        a,
        &options(),
        &naming("20260101_000000"),
    )
    .unwrap()
    .unwrap()
}

fn incremental(a: &Schema, b: &Schema) -> Generation {
    let options = options_for(a, b);
    generate::prepare(
        &MigrationDir::new("unused"),
        &recorded_after(a),
        b,
        &options,
        &naming("20260102_000000"),
    )
    .unwrap()
    .unwrap()
}

// --- generation, check, memory -------------------------------------------------------------

/// `schema(n)` with the autodetector issue's table shape: 8 columns (`ratio`, `created_at`,
/// `mood` and `other_id` left out, with `other_id`'s foreign key), two indexes, a foreign key.
fn schema_of_8_columns(n: usize) -> Schema {
    let mut schema = schema(n);
    schema.enums.clear();
    for table in schema.tables.values_mut() {
        let left_out = ["ratio", "created_at", "mood", "other_id"];
        table
            .columns
            .retain(|c| !left_out.contains(&c.name.as_str()));
        table.foreign_keys.retain(|fk| fk.columns != ["other_id"]);
    }
    schema
}

/// Diffing `a` against a copy with one table in `step` changed, and rendering the migration,
/// in process: no files, no snapshot, no fingerprint.
fn diff_and_render(a: &Schema, step: usize, runs: usize) -> Duration {
    let b = changed_every(a, step);
    let options = options_for(a, &b);
    time(runs, || {
        let operations = generator_core::diff::diff(a, &b, &options).unwrap();
        let plan = generator_core::operation::Plan { operations };
        generate::render_plan(&plan, "m20260102_000000_change");
    })
}

struct GenerationTimes {
    n: usize,
    initial: Duration,
    incremental: Duration,
}

fn generation_times(n: usize, runs: usize) -> GenerationTimes {
    let a = schema(n);
    let b = changed(&a);
    GenerationTimes {
        n,
        initial: time(runs, || {
            initial(&a);
        }),
        incremental: time(runs, || {
            incremental(&a, &b);
        }),
    }
}

/// `check` with nothing to do on an `n`-table project written to a temporary folder: read the
/// migrations and snapshot, verify the integrity file and the folder's consistency, replay the
/// migrations and compare them with the snapshot, diff the schema against itself. Loading the
/// entities is left out: a synthetic schema has none.
fn check_with_nothing_to_do(n: usize, runs: usize) -> Duration {
    let folder = std::env::temp_dir().join(format!("bench_check_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(folder.join("src")).unwrap();
    let dir = MigrationDir::new(&folder);
    let schema = schema(n);
    dir.write(&initial_in(&dir, &schema).files).unwrap();
    let took = time(runs, || {
        let (recorded, history) = generator_core::cli::read_with_history(&dir).unwrap();
        assert!(recorded.tampering().is_empty());
        dir.check_consistency(&recorded).unwrap();
        assert_eq!(
            generator_core::cli::snapshot_difference(history.unwrap(), &recorded),
            None
        );
        let snapshot = recorded.snapshot.unwrap();
        assert!(
            generator_core::diff::diff(&snapshot.schema, &schema, &Options::default())
                .unwrap()
                .is_empty()
        );
    });
    std::fs::remove_dir_all(&folder).ok();
    took
}

/// The peak resident memory of this process, from Linux's `/proc/self/status`.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Run as a child (`--peak-memory N`): an initial and an incremental generation of `n` tables,
/// then the peak memory, printed.
fn report_peak_memory(n: usize) {
    let a = schema(n);
    let b = changed(&a);
    initial(&a);
    incremental(&a, &b);
    match peak_memory_kib() {
        Some(kib) => println!("{kib}"),
        None => println!("unknown"),
    }
}

/// The median peak memory of `runs` child processes generating `n` tables.
fn peak_memory(n: usize, runs: usize) -> Result<u64, String> {
    let mut samples = Vec::new();
    for _ in 0..runs {
        let output = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
            .args(["--peak-memory", &n.to_string()])
            .output()
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&output.stdout);
        samples.push(
            text.trim()
                .parse::<u64>()
                .map_err(|_| format!("no reading (/proc/self/status: {text:?})"))?,
        );
    }
    samples.sort();
    Ok(samples[samples.len() / 2])
}

// --- compile time --------------------------------------------------------------------------

/// A crate outside the workspace, built with the workspace's target folder so that its
/// dependencies (sea-orm-migration, migration-ops) are the ones already built.
struct ScratchCrate {
    dir: PathBuf,
}

impl ScratchCrate {
    fn new(name: &str, files: &[(&str, String)]) -> ScratchCrate {
        let root = workspace_root();
        let dir = root.join("target").join("bench-crates").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        let manifest = format!(
            "[package]\nname = \"bench-{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
             publish = false\n\n[dependencies]\nmigration-ops = {{ path = {:?} }}\n\
             sea-orm-migration = {{ version = \"=2.0.4\", default-features = false, features = \
             [\"cli\", \"runtime-tokio-rustls\", \"sqlx-sqlite\", \"sqlx-postgres\", \"sqlx-mysql\"] }}\n\n\
             [workspace]\n",
            root.join("migration-ops").display().to_string()
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
        std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        let krate = ScratchCrate { dir };
        for (path, contents) in files {
            krate.write(path, contents);
        }
        krate
    }

    fn write(&self, path: &str, contents: &str) {
        std::fs::write(self.dir.join("src").join(path), contents).unwrap();
    }

    /// Marks `path` changed, as saving it in an editor would.
    fn touch(&self, path: &str) {
        std::fs::File::options()
            .write(true)
            .open(self.dir.join("src").join(path))
            .unwrap()
            .set_modified(std::time::SystemTime::now())
            .unwrap();
    }

    /// A debug build of the crate (what a developer's `cargo build` does), timed.
    fn build(&self) -> Result<Duration, String> {
        let start = Instant::now();
        let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
            .args(["build", "--offline", "--quiet", "--lib", "--manifest-path"])
            .arg(self.dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", workspace_root().join("target"))
            .output()
            .map_err(|e| format!("cargo did not start: {e}"))?;
        let took = start.elapsed();
        if output.status.success() {
            Ok(took)
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
            Err(format!("the build failed: {}", tail.join(" / ")))
        }
    }

    /// The median time of rebuilding after `path` changed.
    fn rebuild_time(&self, path: &str, runs: usize) -> Result<Duration, String> {
        self.build()?; // dependencies, once
        let mut samples = Vec::new();
        for _ in 0..runs {
            self.touch(path);
            samples.push(self.build()?);
        }
        Ok(median(samples))
    }
}

/// The same DDL as `up` (PostgreSQL's), as plain SQL strings run in a loop: the smallest code
/// that could do the job.
fn sql_shape(up: &[generator_core::lower::Op], down: &[generator_core::lower::Op]) -> String {
    let strings = |ops: &[generator_core::lower::Op]| {
        v1::to_sql(ops, sea_orm::DbBackend::Postgres)
            .iter()
            .map(|sql| format!("    {sql:?},\n"))
            .collect::<String>()
    };
    format!(
        "use sea_orm_migration::sea_orm::{{ConnectionTrait, DbErr}};\n\
         use sea_orm_migration::{{MigrationName, MigrationTrait, SchemaManager, async_trait}};\n\n\
         pub struct Migration;\n\n\
         impl MigrationName for Migration {{\n    fn name(&self) -> &str {{\n        \"m\"\n    }}\n}}\n\n\
         #[async_trait::async_trait]\n\
         impl MigrationTrait for Migration {{\n\
         \x20   async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{\n\
         \x20       for sql in UP {{\n            manager.get_connection().execute_unprepared(sql).await?;\n        }}\n        Ok(())\n    }}\n\n\
         \x20   async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{\n\
         \x20       for sql in DOWN {{\n            manager.get_connection().execute_unprepared(sql).await?;\n        }}\n        Ok(())\n    }}\n}}\n\n\
         pub const UP: &[&str] = &[\n{}];\n\npub const DOWN: &[&str] = &[\n{}];\n",
        strings(up),
        strings(down)
    )
}

struct CompileTimes {
    n: usize,
    generated: Duration,
    sql: Duration,
}

/// The rebuild time of a crate holding the initial migration of `n` tables, in the generated
/// shape and as SQL strings, measured alternately.
fn compile_times(n: usize, runs: usize) -> Result<CompileTimes, String> {
    let generation = initial(&schema(n));
    let render::Down::Ops(down) = &generation.down else {
        unreachable!("an initial migration can be undone");
    };
    let generated = ScratchCrate::new(
        &format!("generated-{n}"),
        &[
            ("lib.rs", "pub mod m;\n".to_owned()),
            ("m.rs", generation.files[0].1.clone()),
        ],
    );
    let sql = ScratchCrate::new(
        &format!("sql-{n}"),
        &[
            ("lib.rs", "pub mod m;\n".to_owned()),
            ("m.rs", sql_shape(&generation.up, down)),
        ],
    );
    generated.build()?;
    sql.build()?;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        generated.touch("m.rs");
        a.push(generated.build()?);
        sql.touch("m.rs");
        b.push(sql.build()?);
    }
    Ok(CompileTimes {
        n,
        generated: median(a),
        sql: median(b),
    })
}

/// The migration crate as the generator lays it out, with the initial migration of `n` tables
/// and a one-column follow-up: the rebuild after that follow-up is generated.
fn incremental_rebuild(n: usize, runs: usize) -> Result<Duration, String> {
    let a = schema(n);
    let mut b = a.clone();
    let mut note = column("note", ColumnType::String(Len::N(40)));
    note.null = true;
    b.tables.get_mut("t0000").unwrap().columns.push(note);
    let first = initial(&a);
    let second = incremental(&a, &b);
    let migrations = vec![first.name.clone(), second.name.clone()];
    let lib = render::migrator_list(&migrations, &migrations, &[]);
    let files: Vec<(String, String)> = vec![
        ("lib.rs".to_owned(), lib),
        (format!("{}.rs", first.name), first.files[0].1.clone()),
        (format!("{}.rs", second.name), second.files[0].1.clone()),
    ];
    let borrowed: Vec<(&str, String)> =
        files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
    let krate = ScratchCrate::new(&format!("history-{n}"), &borrowed);
    krate.rebuild_time(&format!("{}.rs", second.name), runs)
}

// --- applying on PostgreSQL ----------------------------------------------------------------

/// Applying the initial migration of `n` tables on PostgreSQL through `migration_ops` (one
/// transaction, as the runner does), against `psql --single-transaction` running the same SQL;
/// both on a fresh database each run, connection included, alternately.
fn apply_times(n: usize, runs: usize) -> Result<(Duration, Duration), String> {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let url = std::env::var("TEST_POSTGRES_URL").map_err(|_| "TEST_POSTGRES_URL is not set")?;
    Command::new("psql")
        .arg("--version")
        .output()
        .map_err(|_| "psql is not installed")?;
    let generation = initial(&schema(n));
    let sql_file = std::env::temp_dir().join(format!("bench_apply_{}.sql", std::process::id()));
    let sql: String = v1::to_sql(&generation.up, sea_orm::DbBackend::Postgres)
        .iter()
        .map(|s| format!("{s};\n"))
        .collect();
    std::fs::write(&sql_file, sql).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let result = runtime.block_on(async {
        let server = sea_orm::Database::connect(&url)
            .await
            .map_err(|e| format!("PostgreSQL is not reachable: {e}"))?;
        let name = format!("bench_apply_{}", std::process::id());
        let db_url = generator_core::introspect::replace_database(&url, &name);
        let fresh = || async {
            server
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                .await
                .map_err(|e| e.to_string())?;
            server
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .map_err(|e| e.to_string())
        };
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            fresh().await?;
            let start = Instant::now();
            let db = sea_orm::Database::connect(&db_url)
                .await
                .map_err(|e| e.to_string())?;
            let transaction = db.begin().await.map_err(|e| e.to_string())?;
            let manager = sea_orm_migration::SchemaManager::new(&transaction);
            v1::apply_ops(&manager, &generation.up)
                .await
                .map_err(|e| e.to_string())?;
            transaction.commit().await.map_err(|e| e.to_string())?;
            ours.push(start.elapsed());
            db.close().await.ok();

            fresh().await?;
            let start = Instant::now();
            let output = Command::new("psql")
                .args([
                    "-X",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "--single-transaction",
                    "-f",
                ])
                .arg(&sql_file)
                .arg(&db_url)
                .output()
                .map_err(|e| e.to_string())?;
            theirs.push(start.elapsed());
            if !output.status.success() {
                return Err(format!(
                    "psql failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
        server
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .ok();
        Ok((median(ours), median(theirs)))
    });
    std::fs::remove_file(&sql_file).ok();
    result
}

// --- the runner's start-up check ----------------------------------------------------------

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

/// The safe runner's start-up with 100 migrations all applied, on PostgreSQL (connect, lock,
/// read the applied set, verify checksums, unlock; nothing to apply).
fn runner_startup(runs: usize) -> Result<Duration, String> {
    use migration_ops::runner::{self, RunnerOptions};
    use sea_orm::ConnectionTrait;
    let mut url = std::env::var("TEST_POSTGRES_URL").map_err(|_| "TEST_POSTGRES_URL is not set")?;
    // A plain connection unless the URL asks otherwise: on this local server sqlx's TLS
    // negotiation alone takes about 85 ms, which would hide what the runner does.
    if !url.contains("sslmode=") {
        url.push_str(if url.contains('?') { "&" } else { "?" });
        url.push_str("sslmode=disable");
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let server = sea_orm::Database::connect(&url)
            .await
            .map_err(|e| format!("PostgreSQL is not reachable: {e}"))?;
        let name = format!("bench_runner_{}", std::process::id());
        let run = |sql: String| {
            let server = &server;
            async move {
                server
                    .execute_unprepared(&sql)
                    .await
                    .map_err(|e| e.to_string())
            }
        };
        run(format!("DROP DATABASE IF EXISTS {name}")).await?;
        run(format!("CREATE DATABASE {name}")).await?;
        let db_url = generator_core::introspect::replace_database(&url, &name);
        let options = RunnerOptions::default();
        runner::up::<Hundred>(&db_url, &options)
            .await
            .map_err(|e| e.to_string())?;
        let mut samples = Vec::new();
        for _ in 0..runs.max(11) {
            let start = Instant::now();
            runner::up::<Hundred>(&db_url, &options)
                .await
                .map_err(|e| e.to_string())?;
            samples.push(start.elapsed());
        }
        run(format!("DROP DATABASE IF EXISTS {name}")).await.ok();
        Ok(median(samples))
    })
}

// --- profile ------------------------------------------------------------------------------

/// `--profile N`: where an initial generation of `n` tables and a `check` spend their time,
/// stage by stage (median of 5 each).
fn profile(n: usize) {
    let a = schema(n);
    let options = options();
    let runs = 5;
    let row = |what: &str, took: Duration| println!("{what:<44} {}", ms(took));
    let operations = generator_core::diff::diff(&Schema::default(), &a, &options).unwrap();
    row(
        "diff",
        time(runs, || {
            generator_core::diff::diff(&Schema::default(), &a, &options).unwrap();
        }),
    );
    let up = generator_core::lower::lower(&operations);
    row(
        "lower",
        time(runs, || {
            generator_core::lower::lower(&operations);
        }),
    );
    let file = |up: &[generator_core::lower::Op]| {
        render::migration_file(&render::MigrationFile {
            name: "m20260101_000000_initial",
            summary: &[],
            destructive: false,
            up,
            down: &render::Down::Ops(Vec::new()),
        })
    };
    row(
        "render",
        time(runs, || {
            file(&up);
        }),
    );
    let source = file(&up);
    row(
        "fingerprint (lexing the file)",
        time(runs, || {
            generator_core::integrity::Entry::new("m", &source).unwrap();
        }),
    );
    let snapshot = Snapshot {
        format: FORMAT,
        migration: "m20260101_000000_initial".to_owned(),
        schema: a.clone(),
    };
    let text = generator_core::snapshot::print(&snapshot);
    row(
        "snapshot, print",
        time(runs, || {
            generator_core::snapshot::print(&snapshot);
        }),
    );
    row(
        "snapshot, parse",
        time(runs, || {
            generator_core::snapshot::parse(&text, Path::new("schema.json")).unwrap();
        }),
    );
    row(
        "diff of the schema against itself",
        time(runs, || {
            generator_core::diff::diff(&a, &a, &options).unwrap();
        }),
    );
    row(
        "reading UP back (replay, parsing the file)",
        time(runs, || {
            generator_core::reader::read_up(&source).unwrap();
        }),
    );
    let read_back = generator_core::reader::read_up(&source).unwrap().unwrap();
    row(
        "replaying UP (a copy of it) and comparing with the snapshot",
        time(runs, || {
            let mut replayed = generator_core::replay::Replayed::default();
            replayed.apply("m", read_back.clone()).unwrap();
            assert_eq!(
                generator_core::replay::first_difference(&a, &replayed),
                None
            );
        }),
    );
    println!(
        "file: {} lines, {} bytes; snapshot {} bytes",
        source.lines().count(),
        source.len(),
        text.len()
    );
}

// --- the report ----------------------------------------------------------------------------

/// Sizes the machine cannot hold are left out, with the reason: the generator needs about
/// `BYTES_PER_TABLE` per table (70 MB peak measured at 1,000 tables; this leaves room).
const BYTES_PER_TABLE: u64 = 200 * 1024;

fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--load") {
        load::main(&args);
        return;
    }
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|at| args.get(at + 1))
    };
    if args.iter().any(|a| a == "--online") {
        let rows = value("--rows")
            .map(|n| n.parse().expect("--rows takes a number"))
            .unwrap_or(1_000_000);
        let only = value("--changes").map(|list| {
            list.split(',')
                .map(|n| n.trim().parse().expect("--changes takes numbers: 4,6"))
                .collect()
        });
        online::main(rows, only);
        return;
    }
    if let Some(list) = value("--loop") {
        let sizes: Vec<usize> = list
            .split(',')
            .map(|n| n.trim().parse().expect("--loop takes numbers: 100,1000"))
            .collect();
        let runs = value("--runs").and_then(|n| n.parse().ok()).unwrap_or(3);
        let crate_size = value("--crate-size").map(|n| {
            n.parse()
                .expect("--crate-size takes a number of entities: 100")
        });
        entity_loop::main(
            &sizes,
            crate_size,
            args.iter().any(|a| a == "--release"),
            runs,
        );
        return;
    }
    if let Some(n) = value("--profile") {
        profile(n.parse().expect("--profile N"));
        return;
    }
    if let Some(n) = value("--diff") {
        let n = n.parse().expect("--diff N");
        for (what, a) in [("8", schema_of_8_columns(n)), ("12", schema(n))] {
            let took = diff_and_render(&a, 1, 20);
            println!(
                "diff + render, every table of {what} columns changed: {}",
                ms(took)
            );
        }
        return;
    }
    if let Some(n) = value("--check") {
        let n = n.parse().expect("--check N");
        let took = check_with_nothing_to_do(n, 5);
        println!("`check` with nothing to do, N = {n}: {}", ms(took));
        return;
    }
    if args.iter().any(|a| a == "--history") {
        let runs = value("--history").and_then(|n| n.parse().ok()).unwrap_or(5);
        history_bench::main(runs);
        return;
    }
    if let Some(n) = value("--peak-memory") {
        report_peak_memory(n.parse().expect("--peak-memory N"));
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let mut sizes: Vec<usize> = match value("--sizes") {
        Some(list) => list
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .expect("--sizes takes numbers: 10,100,1000")
            })
            .collect(),
        None if quick => vec![10, 100],
        None => vec![10, 100, 1000],
    };
    let runs = if quick { 3 } else { 5 };
    let mut figures = Vec::new();
    if let Some(available) = available_memory() {
        sizes.retain(|&n| {
            let needed = n as u64 * BYTES_PER_TABLE;
            let fits = needed <= available / 2;
            if !fits {
                figures.push(Figure::skipped(
                    format!("everything at N = {n}"),
                    "—",
                    format!(
                        "needs about {:.1} GB, and this machine has {:.1} GB available",
                        needed as f64 / 1e9,
                        available as f64 / 1e9
                    ),
                ));
            }
            fits
        });
    }
    if sizes.is_empty() {
        sizes.push(10);
    }
    let big = *sizes.last().unwrap();
    let mid = sizes.iter().rev().nth(1).copied();

    eprintln!(
        "generation ({})…",
        sizes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let times: Vec<GenerationTimes> = sizes.iter().map(|&n| generation_times(n, runs)).collect();
    let mut detail =
        String::from("| tables | generation, initial | generation, incremental |\n|---|---|---|\n");
    for t in &times {
        detail.push_str(&format!(
            "| {} | {} | {} |\n",
            t.n,
            ms(t.initial),
            ms(t.incremental)
        ));
    }
    let last = times.last().unwrap();
    for (what, took) in [("initial", last.initial), ("incremental", last.incremental)] {
        figures.push(Figure::judged(
            format!("generator run, {what}, N = {big} (no compilation)"),
            ms(took),
            "≤ 300 ms",
            took <= Duration::from_millis(300),
        ));
    }
    if let Some(mid) = mid {
        let small = times.iter().find(|t| t.n == mid).unwrap();
        for (what, a, b) in [
            ("initial", last.initial, small.initial),
            ("incremental", last.incremental, small.incremental),
        ] {
            let growth = ratio(a, b);
            figures.push(Figure::judged(
                format!("generator run growth, {what}, N = {mid} → {big}"),
                format!("{growth:.1}×"),
                "≤ 12×",
                growth <= 12.0,
            ));
        }
    }

    eprintln!("diff and render…");
    let diffs: Vec<(usize, Duration)> = sizes
        .iter()
        .map(|&n| (n, diff_and_render(&schema(n), 10, runs)))
        .collect();
    let (_, diff_big) = *diffs.last().unwrap();
    figures.push(Figure::judged(
        format!("diff + render, 10% of the tables changed, N = {big} (in process)"),
        ms(diff_big),
        "≤ 50 ms",
        diff_big <= Duration::from_millis(50),
    ));
    for (what, a) in [
        (
            "8 columns (the autodetector issue's shape)",
            schema_of_8_columns(big),
        ),
        ("12 columns (the tables above)", schema(big)),
    ] {
        let every = diff_and_render(&a, 1, runs);
        figures.push(Figure::judged(
            format!("diff + render, every table of {what} changed, N = {big} (in process)"),
            ms(every),
            "≤ 50 ms",
            every <= Duration::from_millis(50),
        ));
    }
    if let Some(&(_, diff_mid)) = diffs.iter().find(|(n, _)| Some(*n) == mid) {
        let growth = ratio(diff_big, diff_mid);
        let tables = big as f64 / mid.unwrap() as f64;
        figures.push(Figure::judged(
            format!(
                "diff + render growth, 10% changed, N = {} → {big} ({tables:.0}× the tables)",
                mid.unwrap()
            ),
            format!("{growth:.1}×"),
            &format!("≤ {:.0}× (linear, with margin)", tables * 1.5),
            growth <= tables * 1.5,
        ));
    }

    eprintln!("check…");
    let check = check_with_nothing_to_do(big, runs);
    figures.push(Figure::judged(
        format!("`check` with nothing to do, N = {big} (entity loading excluded)"),
        ms(check),
        "≤ 100 ms",
        check <= Duration::from_millis(100),
    ));

    eprintln!("peak memory…");
    figures.push(match peak_memory(big, runs.min(3)) {
        Ok(kib) => Figure::judged(
            format!("generator peak memory, N = {big} (rustfmt's own process excluded)"),
            format!("{:.1} MB", kib as f64 * 1024.0 / 1e6),
            "≤ 100 MB",
            kib * 1024 <= 100_000_000,
        ),
        Err(why) => Figure::skipped("generator peak memory", "≤ 100 MB", why),
    });

    eprintln!(
        "compile times (debug builds of a scratch crate; the first one may build dependencies)…"
    );
    let compile: Vec<Result<CompileTimes, String>> = sizes
        .iter()
        .filter(|&&n| Some(n) == mid || n == big)
        .map(|&n| compile_times(n, runs.min(3)))
        .collect();
    match compile.last() {
        Some(Ok(c)) => {
            let r = ratio(c.generated, c.sql);
            figures.push(Figure::judged(
                format!(
                    "compile time of the N = {big} initial migration: generated {} vs plain SQL strings {}",
                    ms(c.generated),
                    ms(c.sql)
                ),
                format!("{r:.2}×"),
                "≤ 3×",
                r <= 3.0,
            ));
            if let Some(Ok(small)) = compile.first().filter(|_| compile.len() > 1) {
                let growth = ratio(c.generated, small.generated);
                figures.push(Figure::judged(
                    format!(
                        "compile time growth, N = {} → {big}: {} → {}",
                        small.n,
                        ms(small.generated),
                        ms(c.generated)
                    ),
                    format!("{growth:.1}×"),
                    "≤ 12×",
                    growth <= 12.0,
                ));
            }
        }
        Some(Err(why)) => figures.push(Figure::skipped("compile time", "≤ 3×", why)),
        None => {}
    }

    eprintln!("incremental rebuild…");
    figures.push(match incremental_rebuild(big, runs.min(3)) {
        Ok(took) => Figure::judged(
            format!("rebuild of the migration crate after one small follow-up, N = {big} history"),
            ms(took),
            "≤ 10 s",
            took <= Duration::from_secs(10),
        ),
        Err(why) => Figure::skipped("incremental rebuild", "≤ 10 s", why),
    });

    eprintln!("applying on PostgreSQL…");
    figures.push(match apply_times(big, runs.min(3)) {
        Ok((ours, psql)) => {
            let r = ratio(ours, psql);
            Figure::judged(
                format!(
                    "applying the N = {big} initial migration on PostgreSQL: {} vs psql {}",
                    ms(ours),
                    ms(psql)
                ),
                format!("{r:.2}×"),
                "≤ 1.3×",
                r <= 1.3,
            )
        }
        Err(why) => Figure::skipped("applying on PostgreSQL vs psql", "≤ 1.3×", why),
    });

    eprintln!("runner start-up…");
    figures.push(match runner_startup(runs) {
        Ok(took) => Figure::judged(
            "safe runner start-up, 100 migrations applied, PostgreSQL (connection included, sslmode=disable unless the URL sets it)",
            ms(took),
            "≤ 20 ms",
            took <= Duration::from_millis(20),
        ),
        Err(why) => Figure::skipped("safe runner start-up", "≤ 20 ms", why),
    });

    let mut report = String::from("| figure | measured | target | verdict |\n|---|---|---|---|\n");
    for f in &figures {
        report.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            f.what, f.measured, f.target, f.verdict
        ));
    }
    report.push_str(&format!("\n{detail}\nMedians of {runs} runs (compile, rebuild, memory and apply figures: of {}); release build of the generator. Machine: {} cores.\n",
        runs.min(3),
        std::thread::available_parallelism().map_or(0, |n| n.get())));
    print!("{report}");
    let out = value("--out").map(PathBuf::from).or_else(|| {
        (!quick && value("--sizes").is_none())
            .then(|| workspace_root().join("tests").join("benchmark-results.md"))
    });
    if let Some(path) = out {
        let text = format!(
            "# Benchmark results\n\nWritten by `cargo run --release -p tests --bin bench`; committed with each change to performance.\n\n{report}"
        );
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("written to {}", path.display());
    }
}

// --- the app under load (`--load`) ----------------------------------------------------------

/// `cargo run --release -p tests --bin bench -- --load [--load-seconds N] [--load-runs N]
/// [--load-backend sqlite|postgres] [--load-workload mixed|reads|large] [--load-app PATH]`: the
/// Posts app (its release binary, built first) under 64 keep-alive connections, on SQLite and,
/// when `TEST_POSTGRES_URL` is set, on PostgreSQL. Three workloads, each on a fresh database:
///
/// - mixed: 80% reads (70% `GET /posts/{id}`, 10% `GET /posts?page=1..5&per_page=20`), 10%
///   creates, 6% updates, 4% deletes, over 1,000 posts at the start;
/// - reads: `GET /posts/{id}` only;
/// - large posts: `GET /posts?per_page=100` only, over 100 posts of the longest content the
///   model allows: the app's peak memory, and its memory once the load stops.
///
/// Reported per workload, median of the runs (3 by default): requests/s, p99 latency, and the
/// app's peak resident memory (`VmHWM`); the 5xx answers and dropped connections (a request
/// without a complete answer within 5 s: reset, closed or timed out) are the sum over the runs.
/// The load generator is plain HTTP/1.1 over tokio here, on one thread, so that nothing needs
/// installing; it shares the machine's cores with the app.
#[path = "bench/entity_loop.rs"]
mod entity_loop;
#[path = "bench/online.rs"]
mod online;

mod load {
    use std::process::{Child, Command, Stdio};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::time::{Duration, Instant};

    use tests::db::{Backend, TestDb};
    use tests::rng::Rng;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    const CONNECTIONS: usize = 64;
    const LARGE_POST_CHARS: usize = entity::post::CONTENT_MAX_CHARS as usize;
    const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Workload {
        Mixed,
        Reads,
        LargePosts,
    }

    impl Workload {
        fn flag(self) -> &'static str {
            match self {
                Workload::Mixed => "mixed",
                Workload::Reads => "reads",
                Workload::LargePosts => "large",
            }
        }

        fn name(self) -> &'static str {
            match self {
                Workload::Mixed => "mixed (80% reads, 10% creates, 6% updates, 4% deletes)",
                Workload::Reads => "reads (GET /posts/{id})",
                Workload::LargePosts => {
                    "large posts (GET /posts?per_page=100, posts at the longest)"
                }
            }
        }
    }

    /// One run's figures.
    #[derive(Debug, Default, Clone)]
    struct Run {
        requests: u64,
        seconds: f64,
        p99_us: u64,
        server_errors: u64,
        dropped: u64,
        statuses: std::collections::BTreeMap<u16, u64>,
        peak_rss_kib: u64,
        idle_rss_kib: u64,
        rss_after_kib: u64,
        /// CPU seconds the app and the load generator used during the run.
        app_cpu: f64,
        load_cpu: f64,
        /// The share of the machine's CPU time its hypervisor gave to other guests during the
        /// run (`steal` in `/proc/stat`): what makes the same figures move between hours.
        stolen: f64,
    }

    /// What one connection saw.
    #[derive(Default)]
    struct Tally {
        latencies_us: Vec<u32>,
        statuses: std::collections::BTreeMap<u16, u64>,
        dropped: u64,
    }

    pub fn main(args: &[String]) {
        let text = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .and_then(|at| args.get(at + 1))
                .map(String::as_str)
        };
        let value = |flag: &str| {
            text(flag).map(|v| v.parse::<u64>().unwrap_or_else(|_| panic!("{flag} N")))
        };
        let seconds = value("--load-seconds").unwrap_or(10);
        let runs = value("--load-runs").unwrap_or(3).max(1) as usize;
        // `--load-app PATH` measures that binary instead (a build kept aside, for side-by-side
        // runs of two versions of the app).
        let app = text("--load-app").map_or_else(build_app, std::path::PathBuf::from);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut backends = vec![Backend::Sqlite];
        if std::env::var_os("TEST_POSTGRES_URL").is_some() {
            backends.push(Backend::Postgres);
        } else {
            eprintln!("TEST_POSTGRES_URL is not set: PostgreSQL skipped");
        }
        if let Some(only) = text("--load-backend") {
            backends.retain(|b| format!("{b:?}").eq_ignore_ascii_case(only));
        }
        let mut workloads = vec![Workload::Mixed, Workload::Reads, Workload::LargePosts];
        if let Some(only) = text("--load-workload") {
            workloads.retain(|w| w.flag() == only);
        }
        let mut rows = Vec::new();
        for &backend in &backends {
            for &workload in &workloads {
                let mut samples = Vec::new();
                for run in 0..runs {
                    eprintln!(
                        "{backend:?}, {}: run {} of {runs}…",
                        workload.name(),
                        run + 1
                    );
                    let sample = runtime.block_on(one_run(&app, backend, workload, seconds));
                    eprintln!(
                        "  {:.0} requests/s, p99 {:.1} ms, {} 5xx, {} dropped, peak {:.1} MB, statuses {:?}; CPU: app {:.0} µs/request, load generator {:.0} µs/request, stolen {:.1}%",
                        sample.requests as f64 / sample.seconds,
                        sample.p99_us as f64 / 1000.0,
                        sample.server_errors,
                        sample.dropped,
                        sample.peak_rss_kib as f64 * 1024.0 / 1e6,
                        sample.statuses,
                        sample.app_cpu * 1e6 / sample.requests.max(1) as f64,
                        sample.load_cpu * 1e6 / sample.requests.max(1) as f64,
                        sample.stolen * 100.0,
                    );
                    samples.push(sample);
                }
                rows.push((backend, workload, samples));
            }
        }
        let mut report = String::from(
            "| backend | workload | requests/s | p99 latency | 5xx | dropped connections | app peak memory | memory idle before / after | CPU stolen |\n|---|---|---|---|---|---|---|---|---|\n",
        );
        let mb = |kib: u64| format!("{:.1} MB", kib as f64 * 1024.0 / 1e6);
        for (backend, workload, samples) in &rows {
            let median = |f: &dyn Fn(&Run) -> f64| {
                let mut v: Vec<f64> = samples.iter().map(f).collect();
                v.sort_by(|a, b| a.partial_cmp(b).unwrap());
                v[v.len() / 2]
            };
            let rate = median(&|r| r.requests as f64 / r.seconds);
            let p99 = median(&|r| r.p99_us as f64);
            let stolen = median(&|r| r.stolen);
            let peak = median(&|r| r.peak_rss_kib as f64) as u64;
            let idle = median(&|r| r.idle_rss_kib as f64) as u64;
            let after = median(&|r| r.rss_after_kib as f64) as u64;
            let errors: u64 = samples.iter().map(|r| r.server_errors).sum();
            let dropped: u64 = samples.iter().map(|r| r.dropped).sum();
            report.push_str(&format!(
                "| {} | {} | {:.0} | {:.1} ms | {errors} | {dropped} | {} | {} / {} | {:.1}% |\n",
                match backend {
                    Backend::Sqlite => "SQLite",
                    Backend::Postgres => "PostgreSQL",
                    Backend::MySql => "MariaDB",
                },
                workload.name(),
                rate,
                p99 / 1000.0,
                mb(peak),
                mb(idle),
                mb(after),
                stolen * 100.0,
            ));
        }
        report.push_str(&format!(
            "\n{CONNECTIONS} connections, {seconds} s per run; medians of {runs} runs (5xx and dropped: sums); release build of the app; the load generator runs on one thread of the same machine ({} cores).\n",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        ));
        print!("{report}");
    }

    /// Builds the app's binary in this binary's profile, and returns its path (beside this one).
    fn build_app() -> std::path::PathBuf {
        let me = std::env::current_exe().expect("the bench binary's path");
        let dir = me.parent().unwrap().to_owned();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build
            .current_dir(super::workspace_root())
            .args(["build", "--quiet", "-p", "app", "--bin", "app"]);
        if dir.ends_with("release") {
            build.arg("--release");
        }
        eprintln!("building the app…");
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building the app failed");
        dir.join("app")
    }

    /// A free port on the loopback interface.
    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// The app's resident memory, current and peak, from Linux's `/proc/<pid>/status`.
    fn memory_kib(pid: u32) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let read = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        (read("VmRSS:"), read("VmHWM:"))
    }

    /// CPU time a process has used (user and system), from `/proc/<pid>/stat`, in clock ticks
    /// (100 a second on Linux).
    fn cpu_ticks(pid: &str) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let field = |n: usize| {
            fields
                .get(n)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        field(11) + field(12)
    }

    /// The machine's CPU time in all and the part of it stolen by the hypervisor, in clock
    /// ticks, from the first line of Linux's `/proc/stat`.
    fn machine_ticks() -> (u64, u64) {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let ticks: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|n| n.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal (guest time is counted in user)
        (
            ticks.iter().take(8).sum(),
            ticks.get(7).copied().unwrap_or(0),
        )
    }

    struct Server {
        child: Child,
        address: std::net::SocketAddr,
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    async fn start(app: &std::path::Path, url: &str) -> Server {
        let port = free_port();
        let child = Command::new(app)
            .args(["--port", &port.to_string()])
            .env("DATABASE_URL", url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", app.display()));
        let server = Server {
            child,
            address: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut connection) = Connection::open(server.address).await
                && let Ok((200, _)) = connection
                    .send(b"GET /health HTTP/1.1\r\nHost: l\r\n\r\n")
                    .await
            {
                return server;
            }
            assert!(Instant::now() < deadline, "the app did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn one_run(
        app: &std::path::Path,
        backend: Backend,
        workload: Workload,
        seconds: u64,
    ) -> Run {
        let db = TestDb::fresh(backend, "load").await;
        // Without TLS unless the URL asks for it, as a database on the same host is reached.
        let url = if backend == Backend::Postgres && !db.url.contains("sslmode=") {
            let joiner = if db.url.contains('?') { '&' } else { '?' };
            format!("{}{joiner}sslmode=disable", db.url)
        } else {
            db.url.clone()
        };
        let server = start(app, &url).await;
        let pid = server.child.id();
        // The posts the run starts with.
        let (count, content) = match workload {
            Workload::LargePosts => (100, large_content()),
            _ => (1000, "Some words about the post. ".repeat(8)),
        };
        let max_id = Arc::new(AtomicI64::new(0));
        let mut seed = Connection::open(server.address).await.unwrap();
        for n in 0..count {
            let request = post_request(&format!("post {n}"), &content);
            let (status, body) = seed.send(&request).await.expect("seeding");
            assert_eq!(status, 201, "seeding: {}", String::from_utf8_lossy(&body));
            max_id.fetch_max(id_in(&body).unwrap(), Ordering::Relaxed);
        }
        drop(seed);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (idle_rss_kib, _) = memory_kib(pid);
        let cpu_before = (cpu_ticks(&pid.to_string()), cpu_ticks("self"));
        let machine_before = machine_ticks();
        let started = Instant::now();
        let deadline = started + Duration::from_secs(seconds);
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|n| {
                let max_id = max_id.clone();
                let address = server.address;
                tokio::spawn(
                    async move { client(address, workload, n as u64, deadline, max_id).await },
                )
            })
            .collect();
        let mut latencies = Vec::new();
        let mut run = Run::default();
        for task in tasks {
            let tally = task.await.unwrap();
            latencies.extend(tally.latencies_us);
            for (status, n) in tally.statuses {
                *run.statuses.entry(status).or_default() += n;
            }
            run.dropped += tally.dropped;
        }
        run.seconds = started.elapsed().as_secs_f64();
        run.requests = latencies.len() as u64;
        let machine_after = machine_ticks();
        let total = (machine_after.0 - machine_before.0).max(1);
        run.stolen = (machine_after.1 - machine_before.1) as f64 / total as f64;
        run.app_cpu = (cpu_ticks(&pid.to_string()) - cpu_before.0) as f64 / 100.0;
        run.load_cpu = (cpu_ticks("self") - cpu_before.1) as f64 / 100.0;
        latencies.sort_unstable();
        run.p99_us = latencies
            .get(latencies.len().saturating_sub(1) * 99 / 100)
            .copied()
            .unwrap_or(0) as u64;
        run.server_errors = run
            .statuses
            .iter()
            .filter(|(s, _)| **s >= 500)
            .map(|(_, n)| n)
            .sum();
        run.peak_rss_kib = memory_kib(pid).1;
        tokio::time::sleep(Duration::from_secs(2)).await;
        run.rss_after_kib = memory_kib(pid).0;
        run.idle_rss_kib = idle_rss_kib;
        drop(server);
        db.drop_database().await;
        run
    }

    /// A post's content at the longest the model allows, in words.
    fn large_content() -> String {
        let max = LARGE_POST_CHARS;
        let mut text = "The longest post the model allows. ".repeat(max / 35 + 1);
        text.truncate(max);
        text
    }

    fn post_request(title: &str, content: &str) -> Vec<u8> {
        let body = format!(r#"{{"title":"{title}","content":"{content}"}}"#);
        format!(
            "POST /posts HTTP/1.1\r\nHost: l\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    /// The `"id":N` of a post in a JSON body.
    fn id_in(body: &[u8]) -> Option<i64> {
        let text = std::str::from_utf8(body).ok()?;
        let at = text.find("\"id\":")? + 5;
        let digits: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().ok()
    }

    /// One connection's loop: requests one after another until `deadline`, reconnecting after a
    /// dropped connection.
    async fn client(
        address: std::net::SocketAddr,
        workload: Workload,
        seed: u64,
        deadline: Instant,
        max_id: Arc<AtomicI64>,
    ) -> Tally {
        let mut rng = Rng::new(seed + 1);
        let mut tally = Tally::default();
        let mut connection = None;
        let mut n = 0u64;
        while Instant::now() < deadline {
            let known = max_id.load(Ordering::Relaxed).max(1) as usize;
            let id = 1 + rng.below(known);
            let roll = match workload {
                Workload::Mixed => rng.below(100),
                Workload::Reads => 0,
                Workload::LargePosts => 75,
            };
            n += 1;
            let request = match roll {
                0..70 => format!("GET /posts/{id} HTTP/1.1\r\nHost: l\r\n\r\n").into_bytes(),
                70..80 => {
                    let (page, per_page) = match workload {
                        Workload::LargePosts => (1, 100),
                        _ => (1 + rng.below(5), 20),
                    };
                    format!(
                        "GET /posts?page={page}&per_page={per_page} HTTP/1.1\r\nHost: l\r\n\r\n"
                    )
                    .into_bytes()
                }
                80..90 => post_request(&format!("load {seed}-{n}"), "Written under load."),
                90..96 => {
                    let body = format!(r#"{{"title":"updated {seed}-{n}","status":"published"}}"#);
                    format!(
                        "PATCH /posts/{id} HTTP/1.1\r\nHost: l\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    )
                    .into_bytes()
                }
                _ => format!("DELETE /posts/{id} HTTP/1.1\r\nHost: l\r\n\r\n").into_bytes(),
            };
            if connection.is_none() {
                match Connection::open(address).await {
                    Ok(c) => connection = Some(c),
                    Err(_) => {
                        tally.dropped += 1;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                }
            }
            let sent = Instant::now();
            let answer =
                tokio::time::timeout(REQUEST_TIMEOUT, connection.as_mut().unwrap().send(&request))
                    .await;
            match answer {
                Ok(Ok((status, body))) => {
                    tally
                        .latencies_us
                        .push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    *tally.statuses.entry(status).or_default() += 1;
                    if status == 201
                        && let Some(id) = id_in(&body)
                    {
                        max_id.fetch_max(id, Ordering::Relaxed);
                    }
                }
                _ => {
                    tally.dropped += 1;
                    connection = None;
                }
            }
        }
        tally
    }

    /// A keep-alive HTTP/1.1 connection that reads answers with `Content-Length` or chunked.
    struct Connection {
        stream: TcpStream,
        buffer: Vec<u8>,
    }

    impl Connection {
        async fn open(address: std::net::SocketAddr) -> std::io::Result<Connection> {
            let stream = TcpStream::connect(address).await?;
            stream.set_nodelay(true)?;
            Ok(Connection {
                stream,
                buffer: Vec::with_capacity(16 * 1024),
            })
        }

        /// Sends `request` and reads its answer: the status and the body.
        async fn send(&mut self, request: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
            self.stream.write_all(request).await?;
            let head_end = loop {
                if let Some(at) = find(&self.buffer, b"\r\n\r\n") {
                    break at + 4;
                }
                self.fill().await?;
            };
            let head = std::str::from_utf8(&self.buffer[..head_end])
                .map_err(|_| broken("a head that is not UTF-8"))?
                .to_ascii_lowercase();
            let status: u16 = head
                .get(9..12)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| broken("no status"))?;
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse::<usize>())
                .transpose()
                .map_err(|_| broken("a bad content-length"))?;
            let chunked = head.contains("transfer-encoding: chunked");
            self.buffer.drain(..head_end);
            let body = if let Some(length) = length {
                while self.buffer.len() < length {
                    self.fill().await?;
                }
                self.buffer.drain(..length).collect()
            } else if chunked {
                let mut body = Vec::new();
                loop {
                    let line_end = loop {
                        if let Some(at) = find(&self.buffer, b"\r\n") {
                            break at;
                        }
                        self.fill().await?;
                    };
                    let size = std::str::from_utf8(&self.buffer[..line_end])
                        .ok()
                        .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
                        .ok_or_else(|| broken("a bad chunk size"))?;
                    while self.buffer.len() < line_end + 2 + size + 2 {
                        self.fill().await?;
                    }
                    body.extend_from_slice(&self.buffer[line_end + 2..line_end + 2 + size]);
                    self.buffer.drain(..line_end + 2 + size + 2);
                    if size == 0 {
                        break;
                    }
                }
                body
            } else {
                Vec::new()
            };
            Ok((status, body))
        }

        async fn fill(&mut self) -> std::io::Result<()> {
            let mut chunk = [0u8; 16 * 1024];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(broken("closed by the server"));
            }
            self.buffer.extend_from_slice(&chunk[..n]);
            Ok(())
        }
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    fn broken(what: &str) -> std::io::Error {
        std::io::Error::other(what.to_owned())
    }
}

// --- the runner's bookkeeping (`--history`) --------------------------------------------------

/// `cargo run --release -p tests --bin bench -- --history [RUNS]`: what the safe runner's
/// bookkeeping costs. `up` of `tests::history::large_history(100)` (400 statements in ten
/// migrations) through the runner (its lock, a transaction per migration with its
/// checksum row, and on MySQL the per-statement journal) against sea-orm-migration's own
/// `Migrator::up` on the same history (its `down` cannot rebuild a SQLite table), alternating, each on a fresh database; medians of
/// RUNS (default 5) per backend, and their ratio. PostgreSQL and MariaDB need
/// `TEST_POSTGRES_URL` and `TEST_MYSQL_URL`.
mod history_bench {
    use std::time::{Duration, Instant};

    use migration_ops::runner::{self, Command};
    use sea_orm_migration::MigratorTrait;
    use tests::db::{Backend, TestDb};
    use tests::history::{ScopedMigrator, large_history, options, with_history};

    pub fn main(runs: usize) {
        let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
        for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
            let configured = backend
                .server_url_variable()
                .is_none_or(|variable| std::env::var(variable).is_ok());
            if !configured {
                println!("{backend:?}: skipped (its TEST_…_URL is not set)");
                continue;
            }
            let (runner, plain) = runtime.block_on(measure(backend, runs));
            println!(
                "{backend:?}: up of 400 statements in 10 migrations: runner {}, sea-orm-migration {}, \
                 ratio {:.2} (medians of {runs})",
                super::ms(runner),
                super::ms(plain),
                super::ratio(runner, plain)
            );
        }
    }

    async fn measure(backend: Backend, runs: usize) -> (Duration, Duration) {
        let history = large_history(100);
        let (mut runner_times, mut plain_times) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let db = TestDb::fresh(backend, "bench_history").await;
            let start = Instant::now();
            with_history(history.clone(), async {
                let options = options(&history);
                runner::run::<ScopedMigrator>(&db.url, Command::Up(None), &options)
                    .await
                    .expect("the runner runs the history up");
            })
            .await;
            runner_times.push(start.elapsed());
            db.drop_database().await;

            let db = TestDb::fresh(backend, "bench_history").await;
            let start = Instant::now();
            with_history(history.clone(), async {
                ScopedMigrator::up(&db.connection, None)
                    .await
                    .expect("sea-orm-migration runs the history up");
            })
            .await;
            plain_times.push(start.elapsed());
            db.drop_database().await;
        }
        (super::median(runner_times), super::median(plain_times))
    }
}
