//! The command line: parses arguments, runs one command, and maps the outcome to an exit code
//! (0 done or nothing to do, 1 `check` found a missing migration, an edited history or a
//! snapshot the migrations do not produce, 2 error). Human messages go to stderr; stdout carries
//! only the paths written, so scripts can use them.

use std::io::IsTerminal;
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

    /// The migration crate's folder [default: this workspace's `migration/`].
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

/// `migration/` beside the generator's own crate folder.
fn workspace_migration_dir() -> PathBuf {
    let generator = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    generator.parent().unwrap_or(generator).join("migration")
}

/// Runs the command line against the entities that `visit_all` shows.
pub fn main(visit_all: fn(&mut Loader)) -> ExitCode {
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
pub fn run(cli: Cli, visit_all: fn(&mut Loader)) -> Result<ExitCode, Error> {
    let dir = MigrationDir::new(cli.migration_dir.unwrap_or_else(workspace_migration_dir));
    // Commands that write hold the folder from their first read to their last write.
    let lock = match cli.command {
        None | Some(Command::Generate | Command::New { .. } | Command::Hash) => Some(dir.lock()?),
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
    for (path, _) in &generation.files {
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
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

fn show_diff(
    dir: &MigrationDir,
    visit_all: fn(&mut Loader),
    args: &GenerateArgs,
    format: Format,
) -> Result<ExitCode, Error> {
    if format == Format::Json {
        let recorded = read_untampered(dir)?;
        let current = source::load(visit_all)?;
        let generation =
            generate::prepare(dir, &recorded, &current, &args.options()?, &args.naming())?;
        let json = match generation {
            None => serde_json::json!({ "changes": [], "files": [] }),
            Some(generation) => {
                let mut files = Vec::new();
                for (path, new) in &generation.files {
                    let old = dir.read_existing(path)?;
                    files.push(serde_json::json!({
                        "path": path.display().to_string(),
                        "diff": unified_diff(path, old.as_deref(), new, false),
                    }));
                }
                serde_json::json!({ "migration": generation.name, "changes": generation.summary, "files": files })
            }
        };
        println!("{json}");
        return Ok(ExitCode::SUCCESS);
    }
    match diff_report(dir, visit_all, args, std::io::stdout().is_terminal())? {
        Some(report) => print!("{report}"),
        None => eprintln!("No changes detected"),
    }
    Ok(ExitCode::SUCCESS)
}

/// What `diff` prints: the summary, then a unified diff of each file generating would create
/// or change; `None` when nothing changed. Reads, never writes.
pub fn diff_report(
    dir: &MigrationDir,
    visit_all: fn(&mut Loader),
    args: &GenerateArgs,
    colour: bool,
) -> Result<Option<String>, Error> {
    let recorded = read_untampered(dir)?;
    let current = source::load(visit_all)?;
    let Some(generation) =
        generate::prepare(dir, &recorded, &current, &args.options()?, &args.naming())?
    else {
        return Ok(None);
    };
    let mut out = String::new();
    for line in &generation.summary {
        out.push_str(line);
        out.push('\n');
    }
    for (path, new) in &generation.files {
        let old = dir.read_existing(path)?;
        out.push('\n');
        out.push_str(&unified_diff(path, old.as_deref(), new, colour));
    }
    Ok(Some(out))
}

/// A unified diff of one file, `old` being `None` for a file that generating creates.
fn unified_diff(path: &std::path::Path, old: Option<&str>, new: &str, colour: bool) -> String {
    let label = path.display().to_string();
    let old_label = if old.is_some() {
        label.as_str()
    } else {
        "/dev/null"
    };
    let diff = similar::TextDiff::from_lines(old.unwrap_or(""), new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(old_label, &label)
        .to_string();
    if !colour {
        return text;
    }
    text.lines()
        .map(|line| {
            let code = match line.as_bytes().first() {
                Some(b'+') if !line.starts_with("+++") => "32",
                Some(b'-') if !line.starts_with("---") => "31",
                Some(b'@') => "36",
                _ => return format!("{line}\n"),
            };
            format!("\x1b[{code}m{line}\x1b[0m\n")
        })
        .collect()
}

/// What to do about a history that does not match its integrity file.
const TAMPERING_ADVICE: &str = "restore the files from version control; after a deliberate \
    edit of a migration no database has run, run `cargo run -p generator -- hash`";

/// The folder's records, refusing a history that does not match its integrity file: building
/// on an edited or reordered history would accept it silently.
fn read_untampered(dir: &MigrationDir) -> Result<crate::layout::Recorded, Error> {
    let recorded = dir.read()?;
    let findings = recorded.tampering();
    if findings.is_empty() {
        dir.check_consistency(&recorded)?;
        return Ok(recorded);
    }
    Err(Error::Layout {
        path: dir.integrity_path(),
        message: format!(
            "the migration history does not match it: {}; {TAMPERING_ADVICE}",
            findings.join("; ")
        ),
    })
}

/// The SQL of migrations `from..=to` on `backend`, each preceded by a comment naming it.
pub fn sql(
    dir: &MigrationDir,
    backend: &str,
    from: Option<&str>,
    to: Option<&str>,
    down: bool,
) -> Result<String, Error> {
    use sea_orm::DbBackend;
    let backend = match backend {
        "postgres" => DbBackend::Postgres,
        "mysql" => DbBackend::MySql,
        _ => DbBackend::Sqlite,
    };
    let migrations = dir.migrations()?;
    let position = |name: Option<&str>, default: usize| match name {
        None => Ok(default),
        Some(name) => migrations
            .iter()
            .position(|m| m == name)
            .ok_or_else(|| Error::Usage(format!("there is no migration {name}"))),
    };
    let first = position(from, 0)?;
    let last = position(to, migrations.len().saturating_sub(1))?;
    let mut selected: Vec<&String> = migrations.iter().take(last + 1).skip(first).collect();
    if down {
        selected.reverse();
    }
    let mut out = String::new();
    for name in selected {
        let path = dir.migration_path(name);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let data = crate::reader::read(&text).map_err(|message| Error::Layout {
            path: path.clone(),
            message,
        })?;
        let ops = match (&data, down) {
            (None, _) => {
                out.push_str(&format!(
                    "-- {name}: hand-written; the generator cannot show its SQL\n\n"
                ));
                continue;
            }
            (Some(data), false) => &data.up,
            (Some(data), true) => match &data.down {
                Some(ops) => ops,
                None => {
                    out.push_str(&format!("-- {name}: cannot be undone\n\n"));
                    continue;
                }
            },
        };
        out.push_str(&format!("-- {name}{}\n", if down { " (down)" } else { "" }));
        for statement in migration_ops::v1::to_sql(ops, backend) {
            out.push_str(&statement);
            out.push_str(";\n");
        }
        out.push('\n');
    }
    Ok(out)
}

/// Runs a future to completion on a runtime of its own (the CLI is otherwise synchronous).
fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start an async runtime: {e}")))?;
    Ok(runtime.block_on(future))
}

/// Each migration, by name, and where it stands in the database at `url`.
pub async fn status_states(
    dir: &MigrationDir,
    url: &str,
) -> Result<Vec<(String, MigrationState)>, Error> {
    use sea_orm::{ConnectionTrait, Statement};
    let migrations = dir.migrations()?;
    let database_error = |e: sea_orm::DbErr| Error::Database {
        url: url.to_owned(),
        message: e.to_string(),
    };
    let (applied, checksums) = async {
        let db = sea_orm::Database::connect(url)
            .await
            .map_err(database_error)?;
        let backend = db.get_database_backend();
        // `SELECT {columns} FROM {table}`, ordered by version.
        let rows = |columns: &str, table: &'static str| {
            let statement = Statement::from_string(
                backend,
                format!("SELECT {columns} FROM {table} ORDER BY version"),
            );
            let db = &db;
            async move {
                // A table that does not exist yet means nothing recorded; any other error is one.
                if !migration_ops::runner::has_table(db, table)
                    .await
                    .map_err(database_error)?
                {
                    return Ok(Vec::new());
                }
                db.query_all_raw(statement).await.map_err(database_error)
            }
        };
        let mut applied = Vec::new();
        for row in rows("version", "seaql_migrations").await? {
            applied.push(
                row.try_get::<String>("", "version")
                    .map_err(database_error)?,
            );
        }
        let mut checksums = Vec::new();
        for row in rows("version, checksum", "seaql_migrations_checksums").await? {
            checksums.push((
                row.try_get::<String>("", "version")
                    .map_err(database_error)?,
                row.try_get::<String>("", "checksum")
                    .map_err(database_error)?,
            ));
        }
        db.close().await.ok();
        Ok::<_, Error>((applied, checksums))
    }
    .await?;
    let mut states = Vec::new();
    for name in &migrations {
        if !applied.contains(name) {
            states.push((name.clone(), MigrationState::Pending));
            continue;
        }
        let recorded = checksums.iter().find(|(n, _)| n == name).map(|(_, c)| c);
        let path = dir.migration_path(name);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let data = crate::reader::read(&text).map_err(|message| Error::Layout { path, message })?;
        let state = match (recorded, data) {
            (Some(recorded), Some(data)) => {
                // A record of the earlier FNV format is compared in that format; the runner
                // upgrades it on its next run.
                let now = if recorded.starts_with("v1-fnv1a64:") {
                    migration_ops::v1::legacy_checksum(&data.up)
                } else {
                    migration_ops::v1::checksum(&data.up, data.down.as_deref())
                };
                if *recorded == now {
                    MigrationState::Applied
                } else {
                    MigrationState::Edited
                }
            }
            _ => MigrationState::Unchecked,
        };
        states.push((name.clone(), state));
    }
    for name in applied.iter().filter(|name| !migrations.contains(name)) {
        states.push((name.clone(), MigrationState::Unknown));
    }
    Ok(states)
}

/// Where one migration stands in a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationState {
    Applied,
    /// Applied, with no checksum recorded (hand-written, or applied before the runner).
    Unchecked,
    /// Applied, and its data changed since.
    Edited,
    Pending,
    /// Applied, but this checkout has no such migration.
    Unknown,
}

impl MigrationState {
    fn key(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::Unchecked => "applied_unchecked",
            MigrationState::Edited => "edited",
            MigrationState::Pending => "pending",
            MigrationState::Unknown => "unknown",
        }
    }
}

/// The status as text, one line per migration, and whether one was edited since applied.
pub async fn status(dir: &MigrationDir, url: &str) -> Result<(String, bool), Error> {
    let states = status_states(dir, url).await?;
    let edited = states.iter().any(|(_, s)| *s == MigrationState::Edited);
    Ok((render_status(&states), edited))
}

fn render_status(states: &[(String, MigrationState)]) -> String {
    let mut report = String::new();
    for (name, state) in states {
        report.push_str(&match state {
            MigrationState::Applied => format!("applied  {name}\n"),
            MigrationState::Unchecked => format!("applied  {name} (no checksum recorded)\n"),
            MigrationState::Edited => {
                format!("EDITED   {name} (applied, then edited: restore it)\n")
            }
            MigrationState::Pending => format!("pending  {name}\n"),
            MigrationState::Unknown => {
                format!("unknown  {name} (applied, but not in this checkout)\n")
            }
        });
    }
    report
}

fn show_status(dir: &MigrationDir, url: &str, format: Format) -> Result<ExitCode, Error> {
    let states = block_on(status_states(dir, url))??;
    let edited = states.iter().any(|(_, s)| *s == MigrationState::Edited);
    if format == Format::Json {
        let migrations: Vec<_> = states
            .iter()
            .map(|(name, state)| serde_json::json!({ "name": name, "state": state.key() }))
            .collect();
        println!(
            "{}",
            serde_json::json!({ "migrations": migrations, "edited": edited })
        );
    } else {
        print!("{}", render_status(&states));
    }
    Ok(if edited {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn verify(dir: &MigrationDir, url: &str, format: Format) -> Result<ExitCode, Error> {
    let recorded = dir.read()?;
    let schema = recorded.snapshot.map(|s| s.schema).unwrap_or_default();
    let findings =
        block_on(crate::introspect::verify(url, &schema))?.map_err(|e| Error::Database {
            url: url.to_owned(),
            message: e.to_string(),
        })?;
    let code = if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    if format == Format::Json {
        let json = serde_json::json!({ "drift": !findings.is_empty(), "findings": findings });
        println!("{json}");
        return Ok(code);
    }
    if findings.is_empty() {
        eprintln!(
            "No drift: the database matches {}.",
            crate::snapshot::FILE_NAME
        );
        return Ok(code);
    }
    println!("The database differs from the recorded schema (- expected, + found):");
    for finding in &findings {
        println!("  {finding}");
    }
    Ok(ExitCode::from(1))
}

fn hash(dir: &MigrationDir) -> Result<ExitCode, Error> {
    let recorded = dir.read()?;
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

/// The `UP` operations of each migration, oldest first (`None` for a hand-written one, which
/// has no `UP`), as read from the files: what replaying the history needs.
#[derive(Debug, Default)]
pub struct History {
    pub migrations: Vec<(String, Option<Vec<crate::lower::Op>>)>,
}

/// Reads the `UP` data of the migrations named `migrations` from their files.
pub fn read_history(dir: &MigrationDir, migrations: &[String]) -> Result<History, Error> {
    let mut history = History::default();
    for name in migrations {
        let path = dir.migration_path(name);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let up =
            crate::reader::read_up(&text).map_err(|message| Error::Layout { path, message })?;
        history.migrations.push((name.clone(), up));
    }
    Ok(history)
}

/// The folder's records (as [`MigrationDir::read`]) and the history's `UP` data, read beside
/// them on a thread of its own. The history's error, if any, is returned apart, to be reported
/// only once the records are found sound: an edited file is tampering before it is unreadable.
pub fn read_with_history(
    dir: &MigrationDir,
) -> Result<(crate::layout::Recorded, Result<History, Error>), Error> {
    let (recorded, history) = std::thread::scope(|scope| {
        let history = scope.spawn(|| read_history(dir, &dir.migrations()?));
        let recorded = dir.read();
        (
            recorded,
            history.join().expect("reading the history does not panic"),
        )
    });
    let recorded = recorded?;
    // The folder changed between the two listings: read the history as `recorded` lists it.
    let listed = |history: &History| {
        history
            .migrations
            .iter()
            .map(|(name, _)| name)
            .eq(recorded.migrations.iter())
    };
    let history = match history {
        Ok(history) if !listed(&history) => read_history(dir, &recorded.migrations),
        other => other,
    };
    Ok((recorded, history))
}

/// Replays `history` from an empty schema and compares the result with the snapshot in
/// `recorded`: `None` when they agree, else one line naming the first difference (or the
/// operation that cannot be replayed). Hand-written migrations are skipped.
pub fn snapshot_difference(history: History, recorded: &crate::layout::Recorded) -> Option<String> {
    let mut replayed = crate::replay::Replayed::default();
    for (name, up) in history.migrations {
        let Some(up) = up else {
            continue;
        };
        if let Err(problem) = replayed.apply(&name, up) {
            return Some(format!(
                "the migrations do not replay from an empty schema: {problem}; restore them from \
                 version control"
            ));
        }
    }
    let empty = crate::model::Schema::default();
    let schema = recorded.snapshot.as_ref().map_or(&empty, |s| &s.schema);
    crate::replay::first_difference(schema, &replayed).map(|difference| {
        format!(
            "{} does not match the migrations: {difference}; restore it from version control",
            crate::snapshot::FILE_NAME
        )
    })
}

fn check(
    dir: &MigrationDir,
    visit_all: fn(&mut Loader),
    args: &GenerateArgs,
    format: Format,
) -> Result<ExitCode, Error> {
    let report = |status: &str, lines: &[String], text: &str| {
        if format == Format::Json {
            println!(
                "{}",
                serde_json::json!({ "status": status, "details": lines })
            );
        } else {
            eprintln!("{text}");
            for line in lines {
                eprintln!("  {line}");
            }
        }
    };
    let (recorded, history) = read_with_history(dir)?;
    let findings = recorded.tampering();
    if !findings.is_empty() {
        report(
            "tampered",
            &findings,
            &format!(
                "The migration history does not match {} ({TAMPERING_ADVICE}):",
                crate::integrity::FILE_NAME
            ),
        );
        return Ok(ExitCode::from(1));
    }
    dir.check_consistency(&recorded)?;
    if let Some(problem) = snapshot_difference(history?, &recorded) {
        report(
            "snapshot_mismatch",
            &[problem],
            "The recorded schema is not what the migrations produce:",
        );
        return Ok(ExitCode::from(1));
    }
    let entities = source::load_entities(visit_all)?;
    note_application_only(&entities.application_only);
    let current = entities.schema;
    // A change that generation would refuse without a decision is still a missing migration.
    let options = Options {
        allow_destructive: true,
        ..args.options()?
    };
    match generate::prepare(dir, &recorded, &current, &options, &Naming::default()) {
        Err(Error::Refused(reason)) => {
            report(
                "migration_missing",
                &[reason],
                "The entities have changes that no migration holds; generating it needs a decision:",
            );
            Ok(ExitCode::from(1))
        }
        Err(error) => Err(error),
        Ok(None) => {
            report(
                "ok",
                &[],
                "No changes detected: the migrations match the entities.",
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(Some(generation)) => {
            report(
                "migration_missing",
                &generation.summary,
                "The entities have changes that no migration holds (run `cargo run -p generator` \
                 and commit the migration it writes):",
            );
            Ok(ExitCode::from(1))
        }
    }
}
