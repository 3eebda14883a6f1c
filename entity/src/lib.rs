//! The application's SeaORM entities: the single source of truth for the database schema.
//!
//! Every entity module is declared once, in the [`entities!`] call at the bottom of this file.
//! That call also writes [`visit_all`], the list the generator reads, so a new entity reaches
//! the generator without anyone editing the generator.

pub use entity_rules::{DatabaseRules, EntityVisitor, entities};

entities! { post }
