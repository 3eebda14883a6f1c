//! The command line: parses arguments, runs one command, and maps the outcome to an exit code
//! (0 done or nothing to do, 1 `check` found a missing migration, an edited history or a
//! snapshot the migrations do not produce, 2 error). Human messages go to stderr; stdout carries
//! only the paths written, so scripts can use them.
//!
//! This module holds the arguments, `main` and the dispatch; each concern lives beside it:
//! `output` (the `diff` command: summary, unified diff, colours), `status` (a database's
//! migration status and `verify`), `history` (reading the migration history, `check`, `sql`).

mod adopt;
mod history;
mod output;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::diff::Options;
use crate::error::Error;
use crate::generate::{self, Naming};
use crate::layout::MigrationDir;
use crate::source::{self, VisitAll};

pub use history::{History, read_history, read_with_history, snapshot_difference, sql};
pub use output::diff_report;
pub use status::{MigrationState, status, status_states};

use history::{check, read_untampered};
use output::show_diff;
use status::{show_status, verify};

/// Writes sea-orm-migration files from SeaORM entities.
///
/// With no command, generates: reads the entities, compares them with the schema recorded in
/// `migration/schema.json` by the last generated migration, and when they differ writes one
/// new migration `migration/src/mYYYYMMDD_HHMMSS_<name>.rs`, rewrites the Migrator list in
/// `migration/src/lib.rs`, and records the new state in `migration/schema.json` and
/// `migration/migrations.sum`, as one unit: a run that stops midway is finished by the next
/// run of any command.
#[derive(Debug, Parser)]
#[command(name = "generator", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub generate: GenerateArgs,

    /// The migration crate's folder [default: `migration/` in or beside the package run].
    #[arg(long, global = true, value_name = "DIR")]
    pub migration_dir: Option<PathBuf>,

    /// Output for people (`text`) or tools (`json`, on stdout) of diff, check, verify, status.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the next migration when the entities changed (the default command).
    Generate,
    /// Exit 1 when the entities have changes that no migration holds yet; write nothing.
    ///
    /// For CI: `cargo run -p generator -- check`. Exit 0: entities, snapshot and migrations
    /// agree. Exit 1: a migration is missing (the changes are listed), the history does not
    /// match `migrations.sum`, or `schema.json` is not what replaying the migrations' `UP`
    /// data from an empty schema produces (the first difference is named). Exit 2: an error.
    Check,
    /// Show what generating would write, as a summary and a unified diff; write nothing.
    ///
    /// The diff is coloured on a terminal and plain when piped.
    Diff,
    /// Write an empty, hand-written migration for data changes (backfills, seeds, raw SQL).
    ///
    /// The generator keeps it in the Migrator list, in order, and never rewrites it. A schema
    /// change made by hand must also be made in the entities.
    New {
        /// What it does, e.g. `backfill_post_slugs` (lower-case letters, digits, `_`).
        name: String,
    },
    /// Print the SQL that the migrations run, for review or to apply by hand; write nothing.
    Sql {
        /// The database to write SQL for.
        #[arg(long, value_parser = ["postgres", "mysql", "sqlite"])]
        backend: String,
        /// The first migration to show (default: the oldest).
        #[arg(long, value_name = "MIGRATION")]
        from: Option<String>,
        /// The last migration to show (default: the newest).
        #[arg(long, value_name = "MIGRATION")]
        to: Option<String>,
        /// Show what `down` runs instead, newest migration first.
        #[arg(long)]
        down: bool,
    },
    /// Compare a live database with the recorded schema and list every difference; exit 1 on
    /// drift.
    ///
    /// It builds the recorded schema in a scratch database on the same server (so it needs the
    /// right to create one; SQLite uses memory), compares the two catalogs, and drops it.
    Verify {
        /// The database to check, e.g. postgres://user@host/db, mysql://…, sqlite://file.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
    /// List which migrations a database has applied, which are pending, and which it applied
    /// but this checkout does not have; check applied ones against their recorded checksums.
    ///
    /// Exit 1 when an applied migration was edited since; read-only.
    Status {
        /// The database, e.g. postgres://user@host/db, mysql://…, sqlite://file.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
    /// Print the recorded schema as a Mermaid ER diagram.
    Erd,
    /// Adopt an existing history of migrations that the generator did not write: record the
    /// schema they produce, and write no migration.
    ///
    /// Records the entities as the schema after the last migration of the Migrator list (in
    /// `migration/baseline.json` and `schema.json`), so that `check` passes and the next
    /// generation writes only later changes. With --from-database, records what a database that
    /// ran those migrations holds instead, so that the next generation writes the difference
    /// between it and the entities (a forgotten unique, a missing default…). Hand-written
    /// migrations, `lib.rs`'s items and comments stay as they are.
    Baseline {
        /// A database that ran the existing migrations, e.g. production's or a copy of it
        /// (read only).
        #[arg(long, value_name = "URL")]
        from_database: Option<String>,
    },
    /// Rewrite `migration/migrations.sum` from the migration files as they are now.
    ///
    /// For after a deliberate edit of a migration that no database has run yet; otherwise
    /// restore the file, and make the change in a new migration.
    Hash,
}

#[derive(Debug, Default, clap::Args)]
pub struct GenerateArgs {
    /// Write changes that can lose data: dropping a table, column or enum type, or narrowing
    /// a column's type. The migration file then says so at the top. It never decides a
    /// possible rename: see --rename and --no-rename.
    #[arg(long, global = true)]
    pub allow_destructive: bool,

    /// Write changes that keep a populated table's writes waiting on PostgreSQL or MySQL
    /// while they pass over every row: an index built on PostgreSQL, a CHECK or foreign key
    /// validated, a column retyped, filled or made NOT NULL. `diff` shows each change's lock
    /// on each backend.
    #[arg(long, global = true)]
    pub allow_blocking: bool,

    /// Name the migration (lower-case letters, digits, `_`) instead of naming it after the
    /// changes.
    #[arg(long, global = true)]
    pub name: Option<String>,

    /// Declare a rename instead of a drop and an add: `--rename old_table=new_table` or
    /// `--rename table.old_column=new_column` (table as the entities now name it). Repeatable.
    /// `#[sea_orm(renamed_from = "old")]` on a field does the same for a column.
    #[arg(long, global = true, value_name = "OLD=NEW")]
    pub rename: Vec<String>,

    /// Declare that a column (or table) went away for good although one that looks like it
    /// appeared, which the generator would otherwise stop on as a possible rename:
    /// `--no-rename table.old_column` (table as the entities now name it) or
    /// `--no-rename old_table`. Dropping it still needs --allow-destructive. Repeatable.
    #[arg(long, global = true, value_name = "TABLE[.COLUMN]")]
    pub no_rename: Vec<String>,

    /// Fill existing rows of a column that becomes NOT NULL: `--backfill table.column=VALUE`.
    /// The column is added nullable, filled, then made NOT NULL. Repeatable.
    #[arg(long, global = true, value_name = "TABLE.COLUMN=VALUE")]
    pub backfill: Vec<String>,

    /// Use this UTC timestamp (YYYYMMDD_HHMMSS) in the file name instead of the current time;
    /// for reproducible output.
    #[arg(
        long,
        global = true,
        env = "GENERATOR_TIMESTAMP",
        value_name = "YYYYMMDD_HHMMSS"
    )]
    pub timestamp: Option<String>,
}

impl GenerateArgs {
    /// The differ's options, from the flags; an error names a malformed flag.
    pub fn options(&self) -> Result<Options, Error> {
        let mut options = Options {
            allow_destructive: self.allow_destructive,
            allow_blocking: self.allow_blocking,
            ..Options::default()
        };
        for rename in &self.rename {
            let (old, new) = rename
                .split_once('=')
                .ok_or_else(|| Error::Usage(format!("--rename {rename}: expected OLD=NEW")))?;
            match old.split_once('.') {
                Some((table, column)) => {
                    options
                        .column_renames
                        .insert((table.to_owned(), column.to_owned()), new.to_owned());
                }
                None => {
                    options.table_renames.insert(old.to_owned(), new.to_owned());
                }
            }
        }
        for dropped in &self.no_rename {
            match dropped.split_once('.') {
                _ if dropped.is_empty() || dropped.contains('=') => {
                    return Err(Error::Usage(format!(
                        "--no-rename {dropped}: expected TABLE or TABLE.COLUMN"
                    )));
                }
                Some((table, column)) => {
                    options
                        .no_rename_columns
                        .insert((table.to_owned(), column.to_owned()));
                }
                None => {
                    options.no_rename_tables.insert(dropped.clone());
                }
            }
        }
        for backfill in &self.backfill {
            let parsed = backfill
                .split_once('=')
                .and_then(|(target, value)| Some((target.split_once('.')?, value)));
            let Some(((table, column), value)) = parsed else {
                return Err(Error::Usage(format!(
                    "--backfill {backfill}: expected TABLE.COLUMN=VALUE"
                )));
            };
            options
                .backfills
                .insert((table.to_owned(), column.to_owned()), value.to_owned());
        }
        Ok(options)
    }

    fn naming(&self) -> Naming {
        Naming {
            timestamp: self.timestamp.clone(),
            name: self.name.clone(),
        }
    }
}

/// The migration crate's folder when `--migration-dir` is not given: `migration/` inside, or
/// else beside, the folder of the package being run (`cargo run` tells which), as a
/// workspace's `generator/` or a single crate's `src/bin/generator.rs` has it; without cargo,
/// `./migration`.
fn default_migration_dir() -> PathBuf {
    let package = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    package
        .iter()
        .flat_map(|package| [package.join("migration"), package.join("../migration")])
        .find(|candidate| candidate.join("Cargo.toml").is_file())
        .unwrap_or_else(|| PathBuf::from("migration"))
}

/// Runs the command line against the entities that `visit_all` shows.
pub fn main(visit_all: VisitAll) -> ExitCode {
    let cli = Cli::parse();
    let format = cli.format;
    match run(cli, visit_all) {
        Ok(code) => code,
        Err(error) => {
            if format == Format::Json {
                println!("{}", serde_json::json!({ "error": error.to_string() }));
            }
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

/// Runs one parsed command.
pub fn run(cli: Cli, visit_all: VisitAll) -> Result<ExitCode, Error> {
    let dir = MigrationDir::new(cli.migration_dir.unwrap_or_else(default_migration_dir));
    if !dir.src().is_dir() {
        return Err(Error::Usage(format!(
            "there is no migration crate at {} (no src/ folder): pass --migration-dir DIR, the \
             folder of the crate whose src/lib.rs holds the Migrator",
            dir.root().display()
        )));
    }
    // Commands that write hold the folder from their first read to their last write.
    let lock = match cli.command {
        None
        | Some(
            Command::Generate | Command::New { .. } | Command::Hash | Command::Baseline { .. },
        ) => Some(dir.lock()?),
        _ => None,
    };
    // A generation that a crash or an error interrupted is completed (or, if it had not got
    // that far, its leftovers removed) before anything reads the folder.
    if let Some(done) = dir.recover(lock.is_some())? {
        eprintln!("{}: {done}", dir.root().display());
    }
    match cli.command {
        Some(Command::Check) => return check(&dir, visit_all, &cli.generate, cli.format),
        Some(Command::Diff) => return show_diff(&dir, visit_all, &cli.generate, cli.format),
        Some(Command::New { name }) => return new(&dir, &name, &cli.generate),
        Some(Command::Hash) => return hash(&dir),
        Some(Command::Baseline { from_database }) => {
            return adopt::baseline(&dir, visit_all, from_database.as_deref());
        }
        Some(Command::Erd) => {
            let schema = dir.read()?.snapshot.map(|s| s.schema).unwrap_or_default();
            print!("{}", crate::erd::erd(&schema));
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Verify { database_url }) => return verify(&dir, &database_url, cli.format),
        Some(Command::Status { database_url }) => {
            return show_status(&dir, &database_url, cli.format);
        }
        Some(Command::Sql {
            backend,
            from,
            to,
            down,
        }) => {
            print!(
                "{}",
                sql(&dir, &backend, from.as_deref(), to.as_deref(), down)?
            );
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Generate) | None => {}
    }
    let args = cli.generate;
    let recorded = read_untampered(&dir)?;
    note_unlisted(&recorded);
    let entities = source::load_entities(visit_all)?;
    note_application_only(&entities.application_only);
    let current = entities.schema;
    let Some(generation) =
        generate::prepare(&dir, &recorded, &current, &args.options()?, &args.naming())?
    else {
        eprintln!("No changes detected");
        return Ok(ExitCode::SUCCESS);
    };
    dir.write(&generation.files)?;
    eprintln!("Generated migration {}:", generation.name);
    for line in &generation.summary {
        eprintln!("  {line}");
    }
    for line in crate::impact::report(&generation.impacts) {
        eprintln!("{line}");
    }
    for (path, _) in &generation.files {
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Names, on stderr, the migration files that `lib.rs` does not list: they do not run, and the
/// generator leaves them off rather than switch them on.
fn note_unlisted(recorded: &crate::layout::Recorded) {
    for name in &recorded.unlisted {
        eprintln!(
            "note: src/{name}.rs is not in the Migrator list of lib.rs, so it does not run; \
             the generator leaves it off (add it to the list by hand to run it)"
        );
    }
}

/// Lists, on stderr, the declared rules that no CHECK constraint backs, so that nobody takes
/// the database for their guard.
fn note_application_only(rules: &[crate::constraints::ApplicationRule]) {
    if rules.is_empty() {
        return;
    }
    eprintln!("Enforced by the application only (no portable database constraint exists):");
    for rule in rules {
        eprintln!("  {rule}");
    }
}

fn hash(dir: &MigrationDir) -> Result<ExitCode, Error> {
    let recorded = dir.read()?;
    // Hashing a history the generator has not adopted would make it look adopted, and the
    // next generation would create every table again.
    if let Some(advice) = history::adoption_needed(&recorded) {
        return Err(Error::Layout {
            path: dir.root().to_owned(),
            message: advice,
        });
    }
    let path = dir.integrity_path();
    dir.write(&[(path.clone(), crate::integrity::print(&recorded.integrity))])?;
    eprintln!(
        "Recorded {} migration(s) in {}",
        recorded.migrations.len(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn new(dir: &MigrationDir, name: &str, args: &GenerateArgs) -> Result<ExitCode, Error> {
    let recorded = read_untampered(dir)?;
    let generation = generate::prepare_hand_written(dir, &recorded, name, &args.naming())?;
    dir.write(&generation.files)?;
    eprintln!(
        "Wrote hand-written migration {}: fill in `up` and `down`.",
        generation.name
    );
    for (path, _) in &generation.files {
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
