//! The generator's errors. Each one names what is wrong and where, in one line per problem.

use std::path::PathBuf;

/// Everything that can stop the generator. Nothing is written when one is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Entities the generator cannot represent exactly; all of them are listed.
    #[error("{}", list(.0))]
    Entities(Vec<EntityError>),
    /// The entities are each fine but do not fit together (e.g. a relation to a table that no
    /// entity defines).
    #[error("the entities do not form a valid schema: {0}")]
    Schema(String),
    /// The snapshot file cannot be read or does not describe a valid schema.
    #[error("snapshot {path}: {message}")]
    Snapshot { path: PathBuf, message: String },
    /// The migration folder disagrees with itself or with the snapshot.
    #[error("migration folder {path}: {message}")]
    Layout { path: PathBuf, message: String },
    /// A change the generator will not write without an explicit decision.
    #[error("{0}")]
    Refused(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The database could not be reached or read.
    #[error("database {url}: {message}")]
    Database { url: String, message: String },
    /// A command-line value is invalid.
    #[error("{0}")]
    Usage(String),
}

/// One entity-level problem: which entity (Rust path and table), which column, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityError {
    pub entity: String,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for EntityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "entity {}", self.entity)?;
        if let Some(column) = &self.column {
            write!(f, ", column `{column}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

fn list(errors: &[EntityError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
