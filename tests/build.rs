//! Says at build time which databases the end-to-end tests will skip, since a skipped test
//! passes quietly otherwise.

fn main() {
    for (variable, backend) in [
        ("TEST_POSTGRES_URL", "PostgreSQL"),
        ("TEST_MYSQL_URL", "MariaDB"),
    ] {
        println!("cargo:rerun-if-env-changed={variable}");
        if std::env::var_os(variable).is_none() {
            println!(
                "cargo:warning={variable} is not set: the {backend} tests will be skipped \
                 (SQLite tests run; see README)"
            );
        }
    }
}
