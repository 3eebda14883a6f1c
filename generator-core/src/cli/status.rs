//! A database's view of the migrations: which are applied, pending, edited since applied or
//! unknown to this checkout (`status`), and whether its schema drifted from the recorded one
//! (`verify`).

use std::process::ExitCode;

use super::Format;
use crate::error::Error;
use crate::layout::MigrationDir;

/// Runs a future to completion on a runtime of its own (the CLI is otherwise synchronous).
pub(super) fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, Error> {
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
    pub(super) fn key(self) -> &'static str {
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

pub(super) fn show_status(
    dir: &MigrationDir,
    url: &str,
    format: Format,
) -> Result<ExitCode, Error> {
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

pub(super) fn verify(dir: &MigrationDir, url: &str, format: Format) -> Result<ExitCode, Error> {
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
