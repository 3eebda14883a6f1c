//! The migration generator: reads SeaORM entities, compares them with the state recorded by
//! the last migration, and writes the next sea-orm-migration file so that the database's
//! constraints match the entities exactly.
//!
//! The pipeline, one module per stage (see `ARCHITECTURE.md`):
//! `source` (load entities, with `constraints` from their rules) → `model` → `diff` (against
//! `snapshot`) → `operation` (ordered, reversible changes) → `lower` (the data a file holds) →
//! `render` (Rust source; `migrator` adds its lines to `lib.rs`) → `layout` (write files). `check` also replays the history
//! (`reader` → `replay`) to prove the snapshot is what the migrations produce. Every stage
//! speaks the one vocabulary of `migration_ops::schema`. The pure stages (model, diff,
//! operation, lower, render's data writer, migrator, reader, replay) do no I/O; `source` calls
//! SeaORM, `layout` writes the migration folder, `render` may run `rustfmt` on a new
//! hand-written migration, and `cli` and `introspect` talk to databases.
//!
//! The library takes the entities as a `visit_all` function, so the same code serves the
//! workspace's own `entity` crate (the `generator` package's `main.rs`), an adopting project's
//! entities wherever they live ([`visit_entities!`]) and the test suite's entity corpus. It
//! does not depend on any project's entities: editing one rebuilds only the binary that names
//! them.

pub mod cli;
pub mod constraints;
pub mod diff;
pub mod erd;
pub mod error;
pub mod generate;
pub mod impact;
pub mod integrity;
pub mod introspect;
pub mod layout;
pub mod lower;
pub mod migrator;
pub mod model;
pub mod operation;
pub mod reader;
pub mod render;
pub mod replay;
pub mod snapshot;
pub mod source;

pub use entity_rules::visit_entities;
pub use error::Error;
