//! Marks the end-to-end tests of a database whose URL is not set as ignored, with the reason,
//! so that `cargo test` reports them as `ignored` instead of passing without running: the
//! `no_postgres`, `no_mariadb` and `no_galera` cfgs, read by `#[cfg_attr(no_postgres, ignore = …)]`.

fn main() {
    for (variable, cfg, backend) in [
        ("TEST_POSTGRES_URL", "no_postgres", "PostgreSQL"),
        ("TEST_MYSQL_URL", "no_mariadb", "MariaDB"),
        ("TEST_GALERA_URLS", "no_galera", "MariaDB Galera cluster"),
    ] {
        println!("cargo:rerun-if-env-changed={variable}");
        println!("cargo:rustc-check-cfg=cfg({cfg})");
        if std::env::var_os(variable).is_none() {
            println!("cargo:rustc-cfg={cfg}");
            println!(
                "cargo:warning={variable} is not set: the {backend} tests are ignored (SQLite \
                 tests run; see README)"
            );
        }
    }
}
