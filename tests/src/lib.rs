//! Test support: the fidelity entity corpus, entities the generator must refuse, and fresh
//! databases per test on SQLite, PostgreSQL and MariaDB.

pub mod bad;
pub mod corpus;
pub mod db;
pub mod deploy;
