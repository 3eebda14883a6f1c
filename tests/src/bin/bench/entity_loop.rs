//! The user's loop at N entities (`bench --loop 100,1000 [--crate-size S] [--release] [--runs
//! R]`): edit one entity, run the README's command (`cargo run -p generator`), and wait for the
//! migration file. Measured as the user lives it, in a scratch workspace laid out like this one
//! (an `entity` crate of N entities: 8 columns, an index, a foreign key, a string enum and a
//! validation rule each; a `generator` binary of a few lines; the migration folder at the
//! entities' state), built in the shared target folder so that sea-orm and the generator
//! library are the artifacts already built. With `--crate-size S`, the N entities are split
//! into entity crates of S (each entity's foreign key within its crate), which the generator
//! binary lists one after another, as a large project splits its domains.
//!
//! Per run, alternately: the loop (`cargo run -p generator` after the edit: wall time, and
//! the peak memory of the largest process, `rustc` in practice), the generator's own run
//! (the binary alone), and the entity crate's rebuild alone after the same kind of edit
//! (`cargo build -p entity`), whose time is what any project pays for its entities; the loop
//! over it is what the generator adds.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{median, workspace_root};

/// One measured command: wall time and the peak resident memory of its largest process.
struct Measured {
    wall: Duration,
    peak_kib: u64,
}

/// The figures of one N and profile.
pub struct LoopFigures {
    pub n: usize,
    /// Entities per entity crate.
    pub crate_size: usize,
    pub release: bool,
    /// Edit → `cargo run -p generator` → file.
    pub whole: Duration,
    pub whole_peak_kib: u64,
    /// The generator binary alone, on the same change.
    pub generator_run: Duration,
    /// `cargo build -p entity` alone after the same kind of edit.
    pub entity_alone: Duration,
}

/// A workspace of `n` entities, a generator binary and a migration folder.
struct LoopWorkspace {
    dir: PathBuf,
    n: usize,
    crate_size: usize,
    release: bool,
    /// How many edits were made: each adds a column of a new name, so that every build
    /// compiles a change (an edit back to a version the compiler saw last would cost less).
    edits: usize,
}

const EDITED: usize = 0;

impl LoopWorkspace {
    fn new(n: usize, crate_size: usize, release: bool) -> LoopWorkspace {
        let root = workspace_root();
        let crate_size = crate_size.clamp(1, n.max(1));
        let mut workspace = LoopWorkspace {
            dir: PathBuf::new(),
            n,
            crate_size,
            release,
            edits: 0,
        };
        let name = workspace.name();
        let dir = root
            .join("target")
            .join("bench-crates")
            .join(format!("loop-{name}"));
        workspace.dir = dir.clone();
        let _ = std::fs::remove_dir_all(&dir);
        let crates: Vec<std::ops::Range<usize>> = (0..n)
            .step_by(crate_size)
            .map(|start| start..(start + crate_size).min(n))
            .collect();
        for folder in ["generator/src", "migration/src"] {
            std::fs::create_dir_all(dir.join(folder)).unwrap();
        }
        let path = |name: &str| format!("{:?}", root.join(name).display().to_string());
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let sea_orm = manifest
            .lines()
            .find(|line| line.starts_with("sea-orm = "))
            .expect("the workspace names sea-orm")
            .to_owned();
        let validator = manifest
            .lines()
            .find(|line| line.starts_with("validator = "))
            .expect("the workspace names validator")
            .to_owned();
        // The same profiles as this workspace, so that every dependency is the artifact it
        // already built.
        let profiles = manifest
            .find("\n[profile")
            .map_or(String::new(), |at| manifest[at..].to_owned());
        let members: Vec<String> = (0..crates.len())
            .map(|c| format!("{:?}", crate_folder(c)))
            .collect();
        write(
            &dir.join("Cargo.toml"),
            &format!(
                "[workspace]\nresolver = \"3\"\nmembers = [{}, \"generator\"]\n\n\
                 [workspace.dependencies]\n{sea_orm}\n{validator}\n\
                 entity-rules = {{ path = {} }}\ngenerator-core = {{ path = {} }}\n\
                 workspace-hack = {{ path = {} }}\n{profiles}",
                members.join(", "),
                path("entity-rules"),
                path("generator-core"),
                path("workspace-hack"),
            ),
        );
        std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        // Package names of their own: cargo names a workspace member's artifacts after its
        // name, version and path inside its workspace, which would be this workspace's
        // `entity` and `generator` (and each other's, between sizes) in the shared target.
        let mut dependencies = String::new();
        let mut visits = String::new();
        for (c, entities) in crates.iter().enumerate() {
            let folder = dir.join(crate_folder(c));
            std::fs::create_dir_all(folder.join("src")).unwrap();
            let (package, library) = (workspace.entity_package(c), entity_library(c));
            write(
                &folder.join("Cargo.toml"),
                &format!(
                    "[package]\nname = \"{package}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                     [lib]\nname = \"{library}\"\n\n\
                     [dependencies]\nsea-orm.workspace = true\nvalidator.workspace = true\n\
                     entity-rules.workspace = true\nworkspace-hack.workspace = true\n"
                ),
            );
            let modules: Vec<String> = entities.clone().map(module).collect();
            write(
                &folder.join("src/lib.rs"),
                &format!("entity_rules::entities! {{ {} }}\n", modules.join(", ")),
            );
            for i in entities.clone() {
                write(
                    &folder.join(format!("src/{}.rs", module(i))),
                    &entity(i, i == entities.start, None),
                );
            }
            dependencies.push_str(&format!(
                "{library} = {{ package = \"{package}\", path = \"../{}\" }}\n",
                crate_folder(c)
            ));
            visits.push_str(&format!("        {library}::visit_all(visitor);\n"));
        }
        write(
            &dir.join("generator/Cargo.toml"),
            &format!(
                "[package]\nname = \"loop-generator-{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                 [[bin]]\nname = \"loop-generator-{name}\"\npath = \"src/main.rs\"\n\n\
                 [dependencies]\ngenerator-core.workspace = true\n\
                 workspace-hack.workspace = true\n{dependencies}"
            ),
        );
        write(
            &dir.join("generator/src/main.rs"),
            &format!(
                "fn main() -> std::process::ExitCode {{\n    \
                 generator_core::cli::main(|visitor| {{\n{visits}    }})\n}}\n"
            ),
        );
        write(&dir.join("migration/Cargo.toml"), "# not built here\n");
        workspace
    }

    /// What this workspace's packages are named after: `1000`, or `1000-by-100` when split.
    fn name(&self) -> String {
        if self.crate_size == self.n {
            self.n.to_string()
        } else {
            format!("{}-by-{}", self.n, self.crate_size)
        }
    }

    /// The package of entity crate `c`.
    fn entity_package(&self, c: usize) -> String {
        format!("loop-entity-{}-{c}", self.name())
    }

    fn cargo(&self, args: &[&str]) -> Command {
        let mut command =
            Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
        // `--release` right after the subcommand, before any `--` and the binary's arguments.
        command
            .args(&args[..1])
            .args(self.release.then_some("--release"))
            .args(&args[1..])
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", workspace_root().join("target"));
        command
    }

    /// Runs `command` under `/usr/bin/time`, failing on a non-zero exit.
    fn measure(command: Command) -> Result<Measured, String> {
        let report = std::env::temp_dir().join(format!("loop-time-{}", std::process::id()));
        let program = command.get_program().to_owned();
        let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
        let mut timed = Command::new("/usr/bin/time");
        timed
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&report)
            .arg(program)
            .args(args);
        if let Some(dir) = command.get_current_dir() {
            timed.current_dir(dir);
        }
        for (key, value) in command.get_envs() {
            if let Some(value) = value {
                timed.env(key, value);
            }
        }
        let start = Instant::now();
        let output = timed
            .output()
            .map_err(|e| format!("/usr/bin/time did not start: {e}"))?;
        let wall = start.elapsed();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
            return Err(format!("the command failed: {}", tail.join(" / ")));
        }
        let peak_kib = std::fs::read_to_string(&report)
            .ok()
            .and_then(|text| text.lines().last()?.trim().parse().ok())
            .ok_or("no peak memory reading")?;
        Ok(Measured { wall, peak_kib })
    }

    /// Adds a nullable column of a new name to the edited entity (in place of the previous
    /// edit's), as saving it in an editor does.
    fn edit(&mut self) {
        self.edits += 1;
        write(
            &self
                .dir
                .join(crate_folder(0))
                .join(format!("src/{}.rs", module(EDITED))),
            &entity(EDITED, true, Some(self.edits)),
        );
    }

    /// A migration folder at the entities' current state, fresh for each generation.
    fn migration_dir(&self, at: &str) -> PathBuf {
        let fresh = self.dir.join(format!("migration-{at}"));
        let _ = std::fs::remove_dir_all(&fresh);
        copy_tree(&self.dir.join("migration"), &fresh);
        fresh
    }

    fn generate_args<'a>(migration_dir: &'a Path, timestamp: &'a str) -> Vec<&'a str> {
        vec![
            "--migration-dir",
            migration_dir.to_str().unwrap(),
            "--timestamp",
            timestamp,
        ]
    }

    /// Builds everything and records the initial migration, so that each run generates one
    /// small follow-up.
    fn prepare(&self) -> Result<(), String> {
        Self::measure(self.cargo(&["build", "--offline", "--quiet", "-p", &self.generator()]))?;
        let dir = self.dir.join("migration");
        let mut run = self.cargo(&["run", "--offline", "--quiet", "-p", &self.generator(), "--"]);
        run.args(Self::generate_args(&dir, "20260101_000000"));
        Self::measure(run)?;
        // With the workspace-hack crate, `cargo build -p entity` builds the very artifact the
        // generator uses (without it, Cargo would resolve features for the entity crate alone
        // and build it, and sea-orm, a second time).
        Self::measure(self.cargo(&[
            "build",
            "--offline",
            "--quiet",
            "-p",
            &self.entity_package(0),
        ]))?;
        Ok(())
    }

    /// The generator package (`cargo run -p generator` in a project).
    fn generator(&self) -> String {
        format!("loop-generator-{}", self.name())
    }

    /// The binary `cargo run` runs.
    fn binary(&self) -> PathBuf {
        workspace_root()
            .join("target")
            .join(if self.release { "release" } else { "debug" })
            .join(format!("loop-generator-{}", self.name()))
    }
}

/// The folder of entity crate `c`.
fn crate_folder(c: usize) -> String {
    format!("entity-{c}")
}

/// The library name of entity crate `c`.
fn entity_library(c: usize) -> String {
    format!("entity_{c}")
}

fn module(i: usize) -> String {
    format!("t{i:04}")
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Entity `i`: 8 columns, an index, a foreign key to the one before it (to itself when it is
/// its crate's `first`), a string enum and a validation rule; `edit` adds one nullable column
/// named after it.
fn entity(i: usize, first: bool, edit: Option<usize>) -> String {
    let parent = if first {
        "Entity".to_owned()
    } else {
        format!("super::{}::Entity", module(i - 1))
    };
    let parent_column = if first {
        "Column::Id".to_owned()
    } else {
        format!("super::{}::Column::Id", module(i - 1))
    };
    let extra = edit.map_or(String::new(), |k| {
        format!("    pub note_{k}: Option<String>,\n")
    });
    format!(
        "use sea_orm::entity::prelude::*;\nuse validator::Validate;\n\n\
         #[derive(Clone, Debug, PartialEq, DeriveEntityModel, Validate, entity_rules::DatabaseRules)]\n\
         #[sea_orm(table_name = \"{table}\")]\npub struct Model {{\n\
         \x20   #[sea_orm(primary_key)]\n    pub id: i32,\n\
         \x20   #[sea_orm(indexed)]\n    #[validate(length(min = 1, max = 120))]\n    pub name: String,\n\
         \x20   pub quantity: i32,\n\
         \x20   #[sea_orm(column_type = \"Decimal(Some((12, 2)))\")]\n    pub price: Decimal,\n\
         \x20   #[sea_orm(default_value = false)]\n    pub active: bool,\n\
         \x20   pub created_at: DateTimeWithTimeZone,\n\
         \x20   #[sea_orm(default_value = \"draft\")]\n    pub status: Status,\n\
         \x20   pub parent_id: Option<i32>,\n{extra}}}\n\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]\n\
         #[sea_orm(rs_type = \"String\", db_type = \"String(StringLen::N(16))\")]\n\
         pub enum Status {{\n    #[sea_orm(string_value = \"draft\")]\n    Draft,\n\
         \x20   #[sea_orm(string_value = \"live\")]\n    Live,\n}}\n\n\
         #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]\npub enum Relation {{\n\
         \x20   #[sea_orm(belongs_to = \"{parent}\", from = \"Column::ParentId\", to = \"{parent_column}\", on_delete = \"SetNull\")]\n\
         \x20   Parent,\n}}\n\n\
         impl ActiveModelBehavior for ActiveModel {{}}\n",
        table = module(i),
    )
}

/// Measures the loop at `n` entities, `runs` times.
pub fn measure(
    n: usize,
    crate_size: usize,
    release: bool,
    runs: usize,
) -> Result<LoopFigures, String> {
    let mut workspace = LoopWorkspace::new(n, crate_size, release);
    eprintln!(
        "loop, N = {n} in crates of {}, {}: building the workspace once…",
        workspace.crate_size,
        if release { "release" } else { "debug" }
    );
    workspace.prepare()?;
    let (mut whole, mut peaks, mut generator_runs, mut entity_alone) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        // The loop: edit, then the README's command.
        workspace.edit();
        let dir = workspace.migration_dir("loop");
        let timestamp = format!("20260102_{run:06}");
        let mut command = workspace.cargo(&[
            "run",
            "--offline",
            "--quiet",
            "-p",
            &workspace.generator(),
            "--",
        ]);
        command.args(LoopWorkspace::generate_args(&dir, &timestamp));
        let measured = LoopWorkspace::measure(command)?;
        let written = std::fs::read_dir(dir.join("src"))
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains(&timestamp));
        if !written {
            return Err(format!("run {run} wrote no migration"));
        }
        whole.push(measured.wall);
        peaks.push(measured.peak_kib);

        // The generator alone, on the same change.
        let dir = workspace.migration_dir("run");
        let mut alone = Command::new(workspace.binary());
        alone.args(LoopWorkspace::generate_args(&dir, &timestamp));
        generator_runs.push(LoopWorkspace::measure(alone)?.wall);

        // The entity crate alone, after the same kind of edit; then the rest, untimed.
        workspace.edit();
        let build = workspace.cargo(&[
            "build",
            "--offline",
            "--quiet",
            "-p",
            &workspace.entity_package(0),
        ]);
        entity_alone.push(LoopWorkspace::measure(build)?.wall);
        let rest = workspace.cargo(&[
            "build",
            "--offline",
            "--quiet",
            "-p",
            &workspace.generator(),
        ]);
        LoopWorkspace::measure(rest)?;
        eprintln!(
            "  run {}: loop {:.1} s (peak {} MB), generator run {} ms, entity crate alone {:.1} s",
            run + 1,
            whole.last().unwrap().as_secs_f64(),
            peaks.last().unwrap() / 1024,
            generator_runs.last().unwrap().as_millis(),
            entity_alone.last().unwrap().as_secs_f64()
        );
    }
    peaks.sort();
    Ok(LoopFigures {
        n: workspace.n,
        crate_size: workspace.crate_size,
        release,
        whole: median(whole),
        whole_peak_kib: *peaks.last().unwrap(),
        generator_run: median(generator_runs),
        entity_alone: median(entity_alone),
    })
}

/// Prints the loop's figures at each of `sizes`, beside the peers' (issue figures, measured on
/// this machine with the same workload), the entities in crates of `crate_size` (all in one
/// when `None`).
pub fn main(sizes: &[usize], crate_size: Option<usize>, release: bool, runs: usize) {
    println!(
        "| N | entity crates | profile | edit → file (median of {runs}) | peak memory | generator run | compile | entity crate alone | generator adds | target |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for &n in sizes {
        match measure(n, crate_size.unwrap_or(n), release, runs) {
            Ok(f) => {
                let adds = f.whole.as_secs_f64() / f.entity_alone.as_secs_f64() - 1.0;
                let target = match (n, release) {
                    (1000, false) => "≤ 20 s, ≤ 2 GB, adds ≤ 10%",
                    (100, false) => "≤ 5 s",
                    _ => "—",
                };
                println!(
                    "| {} | {} of {} | {} | {:.1} s | {} MB | {} ms | {:.1} s | {:.1} s | {:+.0}% | {target} |",
                    f.n,
                    f.n.div_ceil(f.crate_size),
                    f.crate_size,
                    if f.release { "release" } else { "debug" },
                    f.whole.as_secs_f64(),
                    f.whole_peak_kib / 1024,
                    f.generator_run.as_millis(),
                    (f.whole.saturating_sub(f.generator_run)).as_secs_f64(),
                    f.entity_alone.as_secs_f64(),
                    adds * 100.0,
                );
            }
            Err(why) => println!("| {n} | — | — | failed: {why} | | | | | | |"),
        }
    }
    println!(
        "\nPeers on this machine, same workload, N = 1,000 (from the loop issue): drizzle-kit \
         1.2–1.6 s, Alembic 6.5–7.0 s per edit → file."
    );
}
