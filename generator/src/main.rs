//! `cargo run -p generator`: the generator bound to this workspace's `entity` crate.

fn main() -> std::process::ExitCode {
    generator::cli::main(entity::visit_all)
}
