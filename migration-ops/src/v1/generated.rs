//! A generated migration's data as the runner sees it (`migration::generated()` lists one per
//! generated file), and its checksums.

use super::Op;

/// A generated migration's data, as the generated `migration::generated()` lists it.
#[derive(Debug, Clone, Copy)]
pub struct Generated {
    pub name: &'static str,
    pub up: &'static [Op],
    /// `None` for a migration that cannot be undone.
    pub down: Option<&'static [Op]>,
}

impl Generated {
    pub const fn new(name: &'static str, up: &'static [Op], down: Option<&'static [Op]>) -> Self {
        Generated { name, up, down }
    }

    /// The checksum the runner records: see [`super::checksum`].
    pub fn checksum(&self) -> String {
        super::checksum(self.up, self.down)
    }

    /// The checksum that runners before SHA-256 recorded: see [`super::legacy_checksum`].
    pub fn legacy_checksum(&self) -> String {
        super::legacy_checksum(self.up)
    }
}
