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
pub mod schema;
pub mod v1;

/// SHA-256 of `bytes`, in lowercase hex: what checksums and `migrations.sum` record.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    use std::fmt::Write as _;
    let mut text = String::with_capacity(64);
    for byte in sha2::Sha256::digest(bytes) {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// FNV-1a (64 bit) of `text`: the hash of checksums and `migrations.sum` before SHA-256, kept
/// only to verify records of that format once, before they are rewritten.
pub fn fnv1a64(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
