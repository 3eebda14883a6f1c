//! No code: this crate's dependencies give every workspace member the same features of each
//! shared dependency (see its Cargo.toml), so an entity edit rebuilds one artifact.
