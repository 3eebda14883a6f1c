//! The migration generator: reads SeaORM entities, compares them with the state recorded by
//! the last migration, and writes the next sea-orm-migration file so that the database's
//! constraints match the entities exactly.
//!
//! The pipeline, one module per stage:
//! `source` (load entities, with `constraints` from their rules) → `model` → `diff` (against `snapshot`) → `operation` (ordered
//! changes) → `lower` (v1 migration data) → `render` (Rust source) → `layout` (write files).
//! `check` also replays the history (`reader` → `replay`) to prove the snapshot is what the
//! migrations produce. Only `source`, `layout` and the command line do I/O; the rest are pure
//! functions of their inputs.
//!
//! The library takes the entities as a `visit_all` function, so the same code serves the
//! workspace's own `entity` crate (see `main.rs`) and the test suite's entity corpus.

pub mod cli;
pub mod constraints;
pub mod diff;
pub mod erd;
pub mod error;
pub mod generate;
pub mod integrity;
pub mod introspect;
pub mod layout;
pub mod lower;
pub mod model;
pub mod operation;
pub mod reader;
pub mod render;
pub mod replay;
pub mod snapshot;
pub mod source;

pub use error::Error;
