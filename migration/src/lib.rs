//! The migrations, oldest first. `cargo run -p generator` adds the lines of each migration
//! it writes and changes no other line: hand-written items and comments stay.

pub use sea_orm_migration::prelude::*;

#[rustfmt::skip]
mod m20261127_180000_create_posts;

#[rustfmt::skip]
mod m20261201_071724_limit_posts_content;

#[rustfmt::skip]
mod m20261201_190224_alter_posts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_180000_create_posts::Migration),
            Box::new(m20261201_071724_limit_posts_content::Migration),
            Box::new(m20261201_190224_alter_posts::Migration),
        ]
    }
}

/// The data of each generated migration, whose checksum the runner records when it
/// applies one and compares on every later run.
pub fn generated() -> Vec<migration_ops::v1::Generated> {
    vec![
        migration_ops::v1::Generated::new(
            "m20261127_180000_create_posts",
            m20261127_180000_create_posts::UP,
            Some(m20261127_180000_create_posts::DOWN),
        ),
        migration_ops::v1::Generated::new(
            "m20261201_071724_limit_posts_content",
            m20261201_071724_limit_posts_content::UP,
            Some(m20261201_071724_limit_posts_content::DOWN),
        ),
        migration_ops::v1::Generated::new(
            "m20261201_190224_alter_posts",
            m20261201_190224_alter_posts::UP,
            Some(m20261201_190224_alter_posts::DOWN),
        ),
    ]
}
