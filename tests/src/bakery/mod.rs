//! An existing SeaORM application adopted by the generator, shaped like the public apps users
//! bring: entities inside the application crate (here, this module; no `entity` crate), most
//! models without `DatabaseRules` (they declare no validation rule), `ActiveModelBehavior`
//! impls beside them, a composite-key join table, and a hand-written migration history
//! (`tests/fixtures/bakery/migration`) compiled here as the application compiles it.
//!
//! The `bakery` entity comes in three versions, each a day of the adopting user: as the history
//! left the table, as the app declares it when it adopts the generator (with a `unique` and a
//! default the hand-written history forgot), and after an everyday change.

pub mod entities;

/// The hand-written migration crate, as production has run it.
#[path = "../../fixtures/bakery/migration/src/lib.rs"]
pub mod migration;

use entity_rules::{EntityVisitor, visit_entities};

/// The entities exactly as the hand-written history creates their tables.
pub fn visit_as_migrated(visitor: &mut dyn EntityVisitor) {
    visit_entities!(visitor;
        entities::bakery,
        entities::baker,
        entities::cake,
        entities::cakes_bakers,
    );
}

/// The entities as the application declares them on adoption day: `bakery.name` is unique and
/// `bakery.profit_margin` has a default, which the history forgot.
pub fn visit_declared(visitor: &mut dyn EntityVisitor) {
    visit_entities!(visitor;
        entities::bakery_declared,
        entities::baker,
        entities::cake,
        entities::cakes_bakers,
    );
}

/// The entities after an everyday change to `bakery`: a new column with a default and a
/// validation rule, and a renamed column.
pub fn visit_changed(visitor: &mut dyn EntityVisitor) {
    visit_entities!(visitor;
        entities::bakery_changed,
        entities::baker,
        entities::cake,
        entities::cakes_bakers,
    );
}

tokio::task_local! {
    static GENERATED: Vec<crate::history::DataMigration>;
}

/// The adopted history as the migration crate lists it after generation: the hand-written
/// migrations, then the generated ones set by [`with_generated`] (their data, read from the
/// files, run as a generated file runs it).
pub struct AdoptedMigrator;

impl sea_orm_migration::MigratorTrait for AdoptedMigrator {
    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        let mut list = <migration::Migrator as sea_orm_migration::MigratorTrait>::migrations();
        GENERATED.with(|generated| {
            list.extend(
                generated
                    .iter()
                    .map(|m| Box::new(*m) as Box<dyn sea_orm_migration::MigrationTrait>),
            )
        });
        list
    }
}

/// Runs `future` with `generated` as [`AdoptedMigrator`]'s generated migrations.
pub async fn with_generated<F: std::future::Future>(
    generated: Vec<crate::history::DataMigration>,
    future: F,
) -> F::Output {
    GENERATED.scope(generated, future).await
}
