//! Adopting an existing history (`baseline`): records the schema that a project's hand-written
//! migrations produce, taken from its entities or from a live database, so that the generator
//! writes only later changes and `check` replays from there.

use std::process::ExitCode;

use super::MigrationState;
use crate::error::Error;
use crate::layout::{BASELINE_FILE_NAME, MigrationDir};
use crate::migrator;
use crate::snapshot::{self, Snapshot};
use crate::source::{self, VisitAll};

/// What to do when a history has migrations but the generator has recorded nothing of it.
pub(super) const ADOPTION_ADVICE: &str = "these migrations were not written by the generator: \
    adopt them with `cargo run -p generator -- baseline` (records the entities as the schema \
    they produce) or `cargo run -p generator -- baseline --from-database URL` (records what a \
    database that ran them holds, so that the next generation writes the difference)";

pub(super) fn baseline(
    dir: &MigrationDir,
    visit_all: VisitAll,
    from_database: Option<&str>,
) -> Result<ExitCode, Error> {
    let recorded = dir.read()?;
    if let Some(snapshot) = &recorded.snapshot {
        return Err(Error::Usage(format!(
            "{} already records the schema (after {}): this history is adopted; change the \
             entities and run `cargo run -p generator`",
            dir.snapshot_path().display(),
            snapshot.migration
        )));
    }
    let Some(last) = recorded.migrations.last() else {
        return Err(Error::Usage(format!(
            "the Migrator list in {} names no migration, so there is no history to adopt: run \
             `cargo run -p generator` to write the first migration",
            dir.lib_path().display()
        )));
    };
    let entities = source::load_entities(visit_all)?;
    super::note_application_only(&entities.application_only);
    let (schema, source) = match from_database {
        None => (entities.schema, "the entities".to_owned()),
        Some(url) => {
            // The baseline is the schema after the last migration: a database that has not
            // run them all (or ran others) holds another one.
            let states = super::status::block_on(super::status_states(dir, url))??;
            let behind: Vec<String> = states
                .iter()
                .filter(|(_, state)| {
                    matches!(state, MigrationState::Pending | MigrationState::Unknown)
                })
                .map(|(name, state)| format!("{name} ({})", state.key()))
                .collect();
            if !behind.is_empty() {
                return Err(Error::Usage(format!(
                    "the database does not hold the history the Migrator lists: {}; baseline \
                     from a database that ran exactly these migrations (production, or a copy \
                     after `cargo run -p migration -- up`)",
                    behind.join(", ")
                )));
            }
            let read = crate::introspect::schema_of(url, &entities.schema);
            let (schema, notes) = super::status::block_on(read)?.map_err(|e| Error::Database {
                url: url.to_owned(),
                message: e.to_string(),
            })?;
            for note in notes {
                eprintln!("note: {note}");
            }
            (schema, "what the database holds".to_owned())
        }
    };
    let snapshot = Snapshot {
        format: snapshot::FORMAT,
        migration: last.clone(),
        schema,
    };
    let text = snapshot::print(&snapshot);
    let mut files = vec![
        (dir.baseline_path(), text.clone()),
        (dir.snapshot_path(), text),
        (
            dir.integrity_path(),
            crate::integrity::print(&recorded.integrity),
        ),
    ];
    let with_generated_fn = match &recorded.lib {
        Some(lib) => migrator::with_generated_fn(lib).map_err(|message| Error::Layout {
            path: dir.lib_path(),
            message,
        })?,
        None => None,
    };
    let adds_generated_fn = with_generated_fn.is_some();
    if let Some(lib) = with_generated_fn {
        files.push((dir.lib_path(), lib));
    }
    dir.write(&files)?;
    eprintln!(
        "Adopted {} migration(s): recorded {source} as the schema after {last} in {} and {}; \
         no migration was written.",
        recorded.migrations.len(),
        BASELINE_FILE_NAME,
        snapshot::FILE_NAME,
    );
    if adds_generated_fn {
        eprintln!(
            "Added `fn generated()` to lib.rs: the list of generated migrations' data, for \
             migration_ops's runner (checksums, crash-safe runs); the migration crate needs \
             `migration-ops` as a dependency."
        );
    }
    eprintln!(
        "Next: `cargo run -p generator -- check` passes; `cargo run -p generator` writes only \
         what the entities change from here{}.",
        if from_database.is_some() {
            ", starting with what the database lacks"
        } else {
            ""
        }
    );
    for (path, _) in &files {
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
