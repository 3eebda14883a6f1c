//! The vocabulary that generated migration files are written in, and the interpreter that
//! turns it into SQL for each backend.
//!
//! A generated migration holds its schema changes as plain data (`const UP: &[Op]`), not as
//! builder code: data compiles in a fraction of the time of one big `async fn` full of
//! `.await`s, reads well in review, and lets the generator and the tests execute exactly what a
//! file says without compiling it.
//!
//! The vocabulary is versioned. What a version's data means is frozen once a migration uses it,
//! because every old migration is re-interpreted by this code on every run: a fix or a new
//! feature that would change the SQL of existing data goes into a new module (`v2`), never into
//! `v1`.

pub mod runner;
pub mod v1;
