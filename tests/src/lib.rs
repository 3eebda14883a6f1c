//! Test support: the fidelity entity corpus, entities the generator must refuse, fresh
//! databases per test on SQLite, PostgreSQL and MariaDB, and a seeded random generator.

pub mod bad;
pub mod bakery;
pub mod corpus;
pub mod db;
pub mod deploy;
pub mod history;
pub mod online;
pub mod rng;
