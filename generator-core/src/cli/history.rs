//! The migration history as the files hold it: its integrity (refusing an edited history), its
//! `UP` data replayed against the snapshot (the `check` command), and its SQL (`sql`).

use std::process::ExitCode;

use super::{Format, GenerateArgs, note_application_only};
use crate::diff::Options;
use crate::error::Error;
use crate::generate::{self, Naming};
use crate::layout::MigrationDir;
use crate::source::{self, VisitAll};

/// What to do about a history that does not match its integrity file.
const TAMPERING_ADVICE: &str = "restore the files from version control; after a deliberate \
    edit of a migration no database has run, run `cargo run -p generator -- hash`";

/// The folder's records, refusing a history that does not match its integrity file: building
/// on an edited or reordered history would accept it silently.
pub(super) fn read_untampered(dir: &MigrationDir) -> Result<crate::layout::Recorded, Error> {
    let recorded = dir.read()?;
    if let Some(advice) = adoption_needed(&recorded) {
        return Err(Error::Layout {
            path: dir.root().to_owned(),
            message: advice,
        });
    }
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

/// The advice for a history the generator has recorded nothing of (no snapshot, no integrity
/// file) although it has migrations: a project to adopt, not a history to restore.
pub(super) fn adoption_needed(recorded: &crate::layout::Recorded) -> Option<String> {
    let adopting = recorded.snapshot.is_none()
        && recorded.integrity_file.is_none()
        && !recorded.migrations.is_empty()
        && recorded.generated.is_empty();
    adopting.then(|| {
        format!(
            "{} migration(s), and no {} or {}: {}",
            recorded.migrations.len(),
            crate::snapshot::FILE_NAME,
            crate::integrity::FILE_NAME,
            super::adopt::ADOPTION_ADVICE
        )
    })
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

/// Replays `history` from an empty schema, or from the baseline for an adopted history (the
/// migrations up to the baseline's are not replayed), and compares the result with the
/// snapshot in `recorded`: `None` when they agree, else one line naming the first difference
/// (or the operation that cannot be replayed). Hand-written migrations are skipped.
pub fn snapshot_difference(history: History, recorded: &crate::layout::Recorded) -> Option<String> {
    let (mut replayed, skip, start) = match &recorded.baseline {
        Some(baseline) => (
            crate::replay::Replayed::starting_from(&baseline.schema),
            history
                .migrations
                .iter()
                .position(|(name, _)| *name == baseline.migration)
                .map_or(0, |at| at + 1),
            format!("the baseline ({})", crate::layout::BASELINE_FILE_NAME),
        ),
        None => (Default::default(), 0, "an empty schema".to_owned()),
    };
    for (name, up) in history.migrations.into_iter().skip(skip) {
        let Some(up) = up else {
            continue;
        };
        if let Err(problem) = replayed.apply(&name, up) {
            return Some(format!(
                "the migrations do not replay from {start}: {problem}; restore them from \
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

pub(super) fn check(
    dir: &MigrationDir,
    visit_all: VisitAll,
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
    if let Some(advice) = adoption_needed(&recorded) {
        report(
            "not_adopted",
            &[advice],
            "The generator has not adopted this history:",
        );
        return Ok(ExitCode::from(1));
    }
    super::note_unlisted(&recorded);
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
        allow_blocking: true,
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
            // The missing migration's changes, and what each would lock on a table with rows.
            let details: Vec<String> = generation
                .summary
                .iter()
                .cloned()
                .chain(crate::impact::report(&generation.impacts))
                .collect();
            report(
                "migration_missing",
                &details,
                "The entities have changes that no migration holds (run `cargo run -p generator` \
                 and commit the migration it writes):",
            );
            Ok(ExitCode::from(1))
        }
    }
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
        Some(name) => migrations.iter().position(|m| m == name).ok_or_else(|| {
            let hint = match nearest(name, &migrations) {
                Some(near) => format!("; did you mean {near}?"),
                None => match (migrations.first(), migrations.last()) {
                    (Some(first), Some(last)) => {
                        format!("; the Migrator list runs from {first} to {last}")
                    }
                    _ => "; the Migrator list is empty".to_owned(),
                },
            };
            Error::Usage(format!("there is no migration {name}{hint}"))
        }),
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
        let label = match backend {
            DbBackend::Postgres => "PostgreSQL",
            DbBackend::MySql => "MySQL/MariaDB",
            _ => "SQLite",
        };
        for impact in crate::impact::impacts(ops)
            .iter()
            .filter(|impact| impact.backend == label)
        {
            out.push_str(&format!("-- lock: {}\n", impact.described()));
        }
        let statements =
            if backend == DbBackend::Postgres && migration_ops::v1::online_on_postgres(ops) {
                out.push_str(
                    "-- online: each statement in a transaction of its own (CONCURRENTLY in none), \
                 lock waits bounded and retried\n",
                );
                migration_ops::v1::online_postgres_sql(ops)
            } else {
                migration_ops::v1::to_sql(ops, backend)
            };
        for statement in statements {
            out.push_str(&statement);
            // A comment line stands alone.
            let comment = statement.starts_with("--") && !statement.contains('\n');
            if !comment {
                out.push(';');
            }
            out.push('\n');
        }
        out.push('\n');
    }
    Ok(out)
}

/// The migration a mistyped `name` most likely meant: the one it ends (a name without its
/// timestamp), else the one it is part of, else the closest by edit distance, if close at all.
fn nearest<'a>(name: &str, migrations: &'a [String]) -> Option<&'a String> {
    for matches in [
        |m: &String, name: &str| m.ends_with(&format!("_{name}")),
        |m: &String, name: &str| m.contains(name),
    ] {
        let found: Vec<_> = migrations.iter().filter(|m| matches(m, name)).collect();
        if let [only] = found[..] {
            return Some(only);
        }
    }
    migrations
        .iter()
        .map(|m| (edit_distance(name, m), m))
        .filter(|(distance, _)| *distance <= name.len() / 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, m)| m)
}

/// Levenshtein distance, in bytes (migration names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_migration_name_suggests_the_nearest() {
        let migrations = [
            "m20220101_000001_create_bakery".to_owned(),
            "m20220101_000002_create_chef".to_owned(),
        ];
        assert_eq!(nearest("create_chef", &migrations), Some(&migrations[1]));
        let bakers = [
            "m20220101_000001_create_bakery".to_owned(),
            "m20220101_000002_create_baker".to_owned(),
        ];
        assert_eq!(nearest("create_baker", &bakers), Some(&bakers[1]));
        assert_eq!(
            nearest("m20220101_000001_create_bakry", &migrations),
            Some(&migrations[0])
        );
        assert_eq!(nearest("create", &migrations), None);
        assert_eq!(nearest("something_else", &migrations), None);
    }
}
