//! The command line: parses arguments, runs one command, and maps the outcome to an exit code
//! (0 done or nothing to do, 1 `check` found missing migrations, 2 error). Human messages go to
//! stderr; stdout carries only the paths written, so scripts can use them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::diff::Options;
use crate::error::Error;
use crate::generate::{self, Naming};
use crate::layout::MigrationDir;
use crate::source::{self, Loader};

/// Writes sea-orm-migration files from SeaORM entities.
///
/// With no command, generates: reads the entities, compares them with the schema recorded in
/// `migration/schema.json` by the last generated migration, and when they differ writes one
/// new migration `migration/src/mYYYYMMDD_HHMMSS_<name>.rs`, rewrites the Migrator list in
/// `migration/src/lib.rs`, and records the new state in `migration/schema.json`.
#[derive(Debug, Parser)]
#[command(name = "generator", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub generate: GenerateArgs,

    /// The migration crate's folder [default: this workspace's `migration/`].
    #[arg(long, global = true, value_name = "DIR")]
    pub migration_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the next migration when the entities changed (the default command).
    Generate,
    /// Exit 1 when the entities have changes that no migration holds yet; write nothing.
    ///
    /// For CI: `cargo run -p generator -- check`. Exit 0: entities, snapshot and migrations
    /// agree. Exit 1: a migration is missing; the changes are listed. Exit 2: an error.
    Check,
}

#[derive(Debug, Default, clap::Args)]
pub struct GenerateArgs {
    /// Write changes that lose data: dropping a table or an enum type.
    #[arg(long, global = true)]
    pub allow_destructive: bool,

    /// Name the migration (lower-case letters, digits, `_`) instead of naming it after the
    /// changes.
    #[arg(long, global = true)]
    pub name: Option<String>,

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

/// `migration/` beside the generator's own crate folder.
fn workspace_migration_dir() -> PathBuf {
    let generator = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    generator.parent().unwrap_or(generator).join("migration")
}

/// Runs the command line against the entities that `visit_all` shows.
pub fn main(visit_all: fn(&mut Loader)) -> ExitCode {
    let cli = Cli::parse();
    match run(cli, visit_all) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

/// Runs one parsed command.
pub fn run(cli: Cli, visit_all: fn(&mut Loader)) -> Result<ExitCode, Error> {
    let dir = MigrationDir::new(cli.migration_dir.unwrap_or_else(workspace_migration_dir));
    if let Some(Command::Check) = cli.command {
        return check(&dir, visit_all);
    }
    let generate_args = cli.generate;
    let recorded = dir.read()?;
    let current = source::load(visit_all)?;
    let options = Options {
        allow_destructive: generate_args.allow_destructive,
    };
    let naming = Naming {
        timestamp: generate_args.timestamp,
        name: generate_args.name,
    };
    let Some(generation) = generate::prepare(&dir, &recorded, &current, &options, &naming)? else {
        eprintln!("No changes detected");
        return Ok(ExitCode::SUCCESS);
    };
    dir.write(&generation.files)?;
    eprintln!("Generated migration {}:", generation.name);
    for line in &generation.summary {
        eprintln!("  {line}");
    }
    for (path, _) in &generation.files {
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn check(dir: &MigrationDir, visit_all: fn(&mut Loader)) -> Result<ExitCode, Error> {
    let recorded = dir.read()?;
    let current = source::load(visit_all)?;
    let options = Options {
        allow_destructive: true,
    };
    match generate::prepare(dir, &recorded, &current, &options, &Naming::default())? {
        None => {
            eprintln!("No changes detected: the migrations match the entities.");
            Ok(ExitCode::SUCCESS)
        }
        Some(generation) => {
            eprintln!("The entities have changes that no migration holds:");
            for line in &generation.summary {
                eprintln!("  {line}");
            }
            eprintln!("Run `cargo run -p generator` and commit the migration it writes.");
            Ok(ExitCode::from(1))
        }
    }
}
