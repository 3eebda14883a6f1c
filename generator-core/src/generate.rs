//! Generation: entities + recorded state → the files of the next migration. `prepare` computes
//! them without writing (shared by `generate`, `check` and `diff`); `MigrationDir::write` puts
//! them in place.

use std::path::PathBuf;

use chrono::{NaiveDateTime, Utc};

use crate::diff::{self, Options};
use crate::error::Error;
use crate::layout::{MigrationDir, Recorded};
use crate::model::Schema;
use crate::operation::{Plan, sanitize_name};
use crate::snapshot::{self, Snapshot};
use crate::{integrity, lower, migrator, render};

/// How to name the next migration.
#[derive(Debug, Clone, Default)]
pub struct Naming {
    /// `YYYYMMDD_HHMMSS`; the current UTC time when `None`.
    pub timestamp: Option<String>,
    /// Replaces the name suggested from the changes.
    pub name: Option<String>,
}

/// The next migration, ready to write.
#[derive(Debug, Clone)]
pub struct Generation {
    pub name: String,
    /// One line per change (`+ table posts (…)`).
    pub summary: Vec<String>,
    /// What each change does to a populated table on each backend (its lock, and whether it
    /// holds writes for a pass over every row).
    pub impacts: Vec<crate::impact::Impact>,
    pub up: Vec<crate::lower::Op>,
    pub down: render::Down,
    /// Each file with its new contents: the migration, `lib.rs`, the snapshot, in write order.
    pub files: Vec<(PathBuf, String)>,
}

/// The files of the migration that brings `recorded` to `current`, or `None` when nothing
/// changed. Writes nothing.
pub fn prepare(
    dir: &MigrationDir,
    recorded: &Recorded,
    current: &Schema,
    options: &Options,
    naming: &Naming,
) -> Result<Option<Generation>, Error> {
    let empty = Schema::default();
    let from = recorded.snapshot.as_ref().map_or(&empty, |s| &s.schema);
    let operations = diff::diff(from, current, options)?;
    if operations.is_empty() {
        return Ok(None);
    }
    let impacts = crate::impact::impacts(&crate::lower::lower(&operations));
    if !options.allow_blocking
        && let Some(refusal) = crate::impact::refusal(&impacts)
    {
        return Err(Error::Refused(refusal));
    }
    let plan = Plan { operations };
    let stem = match &naming.name {
        Some(name) => sanitize_name(name),
        None => plan.suggested_name(),
    };
    let name = format!(
        "m{}_{stem}",
        next_timestamp(naming, recorded.migrations.last())?
    );
    let Rendered {
        summary,
        up,
        down,
        source,
    } = render_plan(&plan, &name);
    let mut migrations = recorded.migrations.clone();
    migrations.push(name.clone());
    let mut generated = recorded.generated.clone();
    generated.push(name.clone());
    let mut irreversible = recorded.irreversible.clone();
    if matches!(down, render::Down::Irreversible(_)) {
        irreversible.push(name.clone());
    }
    let snapshot = Snapshot {
        format: snapshot::FORMAT,
        migration: name.clone(),
        schema: current.clone(),
    };
    // Fingerprinting the new file (lexing it) is the longest step on a large schema; it runs
    // beside rendering `lib.rs` and the snapshot.
    let (sum, lib, snapshot_text) = std::thread::scope(|scope| {
        let sum = scope.spawn(|| integrity_with(recorded, &name, &source));
        let lib = lib_with(
            dir,
            recorded,
            migrator::Entry {
                name: &name,
                generated: true,
                irreversible: irreversible.contains(&name),
            },
            || render::migrator_list(&migrations, &generated, &irreversible),
        );
        let snapshot_text = snapshot::print(&snapshot);
        (
            sum.join().expect("fingerprinting does not panic"),
            lib,
            snapshot_text,
        )
    });
    let files = vec![
        (dir.migration_path(&name), source),
        (dir.lib_path(), lib?),
        (dir.integrity_path(), sum?),
        (dir.snapshot_path(), snapshot_text),
    ];
    Ok(Some(Generation {
        name,
        summary,
        impacts,
        up,
        down,
        files,
    }))
}

/// A migration rendered from its plan: what `generate` previews and writes.
pub struct Rendered {
    pub summary: Vec<String>,
    pub up: Vec<crate::lower::Op>,
    pub down: render::Down,
    /// The migration file.
    pub source: String,
}

/// Renders `plan` as migration `name`. Pure: the part of generation that grows with the
/// size of the change.
pub fn render_plan(plan: &Plan, name: &str) -> Rendered {
    let summary: Vec<String> = plan
        .operations
        .iter()
        .flat_map(|op| op.describe().lines().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let up = lower::lower(&plan.operations);
    let down = match plan.down().into_iter().collect::<Option<Vec<_>>>() {
        Some(down) => render::Down::Ops(lower::lower(&down)),
        None => render::Down::Irreversible(
            plan.operations
                .iter()
                .filter(|op| op.reverse().is_none())
                .map(|op| op.describe())
                .collect::<Vec<_>>()
                .join("; "),
        ),
    };
    let source = render::migration_file(&render::MigrationFile {
        name,
        summary: &summary,
        destructive: plan.operations.iter().any(|op| op.is_destructive()),
        up: &up,
        down: &down,
    });
    Rendered {
        summary,
        up,
        down,
        source,
    }
}

/// The files of an empty hand-written migration named `name`: the file and `lib.rs`. The
/// snapshot does not change: such a migration holds no schema state.
pub fn prepare_hand_written(
    dir: &MigrationDir,
    recorded: &Recorded,
    name: &str,
    naming: &Naming,
) -> Result<Generation, Error> {
    let stem = sanitize_name(name);
    if stem != name {
        return Err(Error::Usage(format!(
            "migration name {name:?} must be lower-case ASCII letters, digits and `_` (e.g. {stem:?})"
        )));
    }
    let name = format!(
        "m{}_{stem}",
        next_timestamp(naming, recorded.migrations.last())?
    );
    let mut migrations = recorded.migrations.clone();
    migrations.push(name.clone());
    let source = render::hand_written_file(&name);
    let sum = integrity_with(recorded, &name, &source)?;
    let lib = lib_with(
        dir,
        recorded,
        migrator::Entry {
            name: &name,
            generated: false,
            irreversible: false,
        },
        || render::migrator_list(&migrations, &recorded.generated, &recorded.irreversible),
    )?;
    let files = vec![
        (dir.migration_path(&name), source),
        (dir.lib_path(), lib),
        (dir.integrity_path(), sum),
    ];
    Ok(Generation {
        name,
        summary: Vec::new(),
        impacts: Vec::new(),
        up: Vec::new(),
        down: render::Down::Ops(Vec::new()),
        files,
    })
}

/// `lib.rs` with `entry` added to the recorded one, or, when there is none yet, written whole
/// by `new_lib`.
fn lib_with(
    dir: &MigrationDir,
    recorded: &Recorded,
    entry: migrator::Entry,
    new_lib: impl FnOnce() -> String,
) -> Result<String, Error> {
    match &recorded.lib {
        Some(text) => migrator::add(text, entry).map_err(|message| Error::Layout {
            path: dir.lib_path(),
            message,
        }),
        None => Ok(new_lib()),
    }
}

/// The integrity file with migration `name` (of `source`) appended to the recorded history.
fn integrity_with(recorded: &Recorded, name: &str, source: &str) -> Result<String, Error> {
    let mut entries = recorded.integrity.clone();
    entries.push(integrity::Entry::new(name, source).map_err(Error::Refused)?);
    Ok(integrity::print(&entries))
}

const TIMESTAMP_FORMAT: &str = "%Y%m%d_%H%M%S";

/// The timestamp of the next migration: the one asked for, or now; always later than the last
/// migration's, so the new file sorts last even when clocks disagree.
fn next_timestamp(naming: &Naming, last: Option<&String>) -> Result<String, Error> {
    let last = last
        .and_then(|name| name.get(1..16))
        .and_then(|ts| NaiveDateTime::parse_from_str(ts, TIMESTAMP_FORMAT).ok());
    match &naming.timestamp {
        Some(pinned) => {
            let parsed = NaiveDateTime::parse_from_str(pinned, TIMESTAMP_FORMAT)
                .ok()
                .filter(|_| pinned.len() == 15)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--timestamp {pinned:?} is not of the form YYYYMMDD_HHMMSS"
                    ))
                })?;
            if last.is_some_and(|last| parsed <= last) {
                return Err(Error::Usage(format!(
                    "--timestamp {pinned} is not later than the last migration's"
                )));
            }
            Ok(pinned.clone())
        }
        None => {
            let now = Utc::now().naive_utc();
            let next = match last {
                Some(last) if now <= last => last + chrono::Duration::seconds(1),
                _ => now,
            };
            Ok(next.format(TIMESTAMP_FORMAT).to_string())
        }
    }
}
