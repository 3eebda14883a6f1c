//! The application's SeaORM entities: the single source of truth for the database schema.
//!
//! Every entity module is declared once, in the [`entities!`] call at the bottom of this file.
//! That call also writes [`visit_all`], the list the generator reads, so a new entity reaches
//! the generator without anyone editing the generator.

use sea_orm::EntityTrait;

// Lets `#[derive(DatabaseRules)]` name this crate as `::entity` inside it too.
extern crate self as entity;

pub mod rules;

pub use entity_derive::DatabaseRules;

/// Is shown entities one type at a time, with the validation rules declared on each model; the
/// generator implements it to read SeaORM's metadata.
pub trait EntityVisitor {
    fn visit<E: EntityTrait + Default>(&mut self, rules: &[rules::FieldRules]);
}

/// Declares entity modules and a `visit_all` function that shows each module's `Entity`, with
/// its model's rules, to an [`EntityVisitor`], in the order given. Every model derives
/// [`DatabaseRules`].
///
/// ```ignore
/// entity::entities! { post, comment }
/// ```
#[macro_export]
macro_rules! entities {
    ($($module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Shows every entity of this crate to `visitor`, in declaration order.
        pub fn visit_all<V: $crate::EntityVisitor>(visitor: &mut V) {
            $(visitor.visit::<$module::Entity>(
                &<$module::Model as $crate::rules::DeclaredRules>::declared_rules(),
            );)*
        }
    };
}

entities! { post }
