//! Empty: a build script makes Cargo resolve `[build-dependencies]`, which unify the proc
//! macros' dependencies' features (see Cargo.toml).

fn main() {}
