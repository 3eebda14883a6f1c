//! The snapshot: the schema as the last generated migration leaves it, committed as
//! `migration/schema.json` next to the migrations. Parsing and printing only; the migration
//! folder module reads and writes the file.
//!
//! The JSON is canonical (sorted maps, fixed field order, two-space indent, final newline), so a
//! change to it reads as a small diff in review and two branches that both change the schema
//! conflict in git instead of silently interleaving.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::Schema;

/// The file name, inside the migration crate's folder.
pub const FILE_NAME: &str = "schema.json";

/// The version of the snapshot format this generator reads and writes.
pub const FORMAT: u32 = 1;

/// The recorded state: which migration produced it, and the schema after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub format: u32,
    /// The name of the migration that brought the schema to this state.
    pub migration: String,
    pub schema: Schema,
}

/// Parses a snapshot, checking its format version and that the schema is consistent.
pub fn parse(text: &str, path: &Path) -> Result<Snapshot, Error> {
    let error = |message: String| Error::Snapshot {
        path: path.to_owned(),
        message,
    };
    let snapshot: Snapshot = serde_json::from_str(text).map_err(|e| {
        error(format!(
            "{e}; it is not a snapshot this generator can read (restore it from version control)"
        ))
    })?;
    if snapshot.format != FORMAT {
        return Err(error(format!(
            "format {} is not supported; this generator reads format {FORMAT}",
            snapshot.format
        )));
    }
    snapshot.schema.validate().map_err(error)?;
    Ok(snapshot)
}

/// The canonical JSON text of `snapshot`.
pub fn print(snapshot: &Snapshot) -> String {
    let mut text = serde_json::to_string_pretty(snapshot).expect("a snapshot always serializes");
    text.push('\n');
    text
}
